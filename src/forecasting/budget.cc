#include "costops/forecasting/budget.h"

#include <algorithm>
#include <cmath>
#include <span>

#include "costops/forecasting/forecast.h"
#include "forecasting/stats.h"

namespace costops::forecasting {
namespace {

using namespace std::chrono;

Date month_start(year y, month m) { return Date(year_month_day(y, m, day(1))); }
Date month_end(year y, month m) { return Date(year_month_day_last(y, month_day_last(m))); }

DateRange quarter_of(year y, unsigned q) {
  const month first(3 * (q - 1) + 1);
  const month last(3 * q);
  return {month_start(y, first), month_end(y, last)};
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

Result<DateRange> resolve_period(std::string_view spec, Date as_of) {
  const year_month_day ymd{as_of};
  if (spec == "month")
    return DateRange{month_start(ymd.year(), ymd.month()), month_end(ymd.year(), ymd.month())};
  if (spec == "quarter") {
    return quarter_of(ymd.year(), (static_cast<unsigned>(ymd.month()) - 1) / 3 + 1);
  }
  if (spec == "year")
    return DateRange{month_start(ymd.year(), January), month_end(ymd.year(), December)};
  if (spec.size() == 4 && all_digits(spec)) {
    const year y(std::stoi(std::string(spec)));
    return DateRange{month_start(y, January), month_end(y, December)};
  }
  if (spec.size() == 7 && spec[4] == '-' && all_digits(spec.substr(0, 4))) {
    const int y = std::stoi(std::string(spec.substr(0, 4)));
    if (spec[5] == 'Q' && spec[6] >= '1' && spec[6] <= '4') {
      return quarter_of(year(y), static_cast<unsigned>(spec[6] - '0'));
    }
    if (all_digits(spec.substr(5, 2))) {
      const unsigned mo = static_cast<unsigned>(std::stoi(std::string(spec.substr(5, 2))));
      if (mo >= 1 && mo <= 12)
        return DateRange{month_start(year(y), month(mo)), month_end(year(y), month(mo))};
    }
  }
  if (spec.size() == 10) {
    if (auto d = parse_date(spec)) return DateRange{*d, *d};  // a day
  }
  const size_t dots = spec.find("..");
  if (dots != std::string_view::npos) {
    auto a = parse_date(spec.substr(0, dots));
    auto b = parse_date(spec.substr(dots + 2));
    if (a && b && *a <= *b) return DateRange{*a, *b};
  }
  return invalid_argument("period \"" + std::string(spec) +
                          "\": expected month, quarter, year, YYYY-MM, YYYY-Qn, YYYY, a day "
                          "YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD (inclusive, start <= end)");
}

Result<Decimal> to_money(double v) { return Decimal::from_double(v, kMoneyPlaces); }

Result<Decimal> percent_of(Decimal amount, double percent) {
  if (!std::isfinite(percent) || std::abs(percent) > 1e9) {
    return out_of_range("percentage " + std::to_string(percent) + " is out of range");
  }
  // In millionths of a percent: amount * millionths / 10^8.
  return amount.mul_div(std::llround(percent * 1e6), 100'000'000);
}

namespace {

// budget_status, or with `budgeted` false project_period: the amount and thresholds unread.
Result<BudgetStatus> status_of(const Series& s, const BudgetOptions& o, bool budgeted) {
  if (budgeted && !(o.amount > Decimal())) return invalid_argument("budget amount must be > 0");
  if (s.size() == 0) return invalid_argument("the spend series is empty");
  if (s.size() > 1 && s.frequency != Frequency::kDaily) {
    return invalid_argument("budget status needs a daily series, got a " +
                            std::string(frequency_name(s.frequency)) + " one");
  }
  if (o.as_of < s.dates.front() || o.as_of > s.dates.back()) {
    return invalid_argument("as-of date " + format_date(o.as_of) + " is outside the series (" +
                            format_date(s.dates.front()) + " to " + format_date(s.dates.back()) +
                            ")");
  }
  const std::vector<double> no_thresholds;
  const std::vector<double>& given = budgeted ? o.thresholds : no_thresholds;
  for (double t : given) {
    if (!(t > 0) || !std::isfinite(t))
      return invalid_argument("thresholds must be percentages > 0");
  }
  // Each day's spend as money: exact when the series has exact values (which must be its values).
  if (!s.exact.empty() && s.exact.size() != s.size()) {
    return invalid_argument("the series has " + std::to_string(s.exact.size()) +
                            " exact values for " + std::to_string(s.size()) + " values");
  }
  for (size_t i = 0; i < s.exact.size(); ++i) {
    const double e = s.exact[i].to_double();
    if (std::abs(e - s.values[i]) > 1e-9 * std::max(1.0, std::abs(e))) {
      return invalid_argument("the series' exact value for " + format_date(s.dates[i]) + " (" +
                              s.exact[i].to_string() + ") is not its value (" +
                              std::to_string(s.values[i]) + ")");
    }
  }
  const DateRange& p = o.period;
  BudgetStatus st;
  const size_t upto = static_cast<size_t>((o.as_of - s.dates.front()).count()) + 1;
  std::span<const double> history(s.values.data(), upto);

  // Spend so far, and the day each threshold (and the whole amount) was crossed.
  std::vector<double> thresholds = given;
  std::sort(thresholds.begin(), thresholds.end());
  std::vector<Decimal> levels;  // the amount at each threshold
  for (double t : thresholds) {
    auto level = percent_of(o.amount, t);
    if (!level) return level.status();
    levels.push_back(*level);
  }
  std::vector<std::optional<Date>> crossed(thresholds.size());
  std::optional<Date> exhausted_on;
  Decimal cum;
  auto account = [&](Date d, Decimal v, bool actual) -> Status {
    if (!Decimal::add_checked(cum, v, &cum)) return out_of_range("the period's spend overflows");
    for (size_t i = 0; i < thresholds.size(); ++i) {
      if (!crossed[i] && cum >= levels[i]) {
        crossed[i] = d;
        st.thresholds_crossed.push_back({thresholds[i], actual, d});
      }
    }
    if (budgeted && !exhausted_on && cum >= o.amount) exhausted_on = d;
    return Status::ok();
  };
  for (size_t i = 0; i < upto; ++i) {
    if (s.dates[i] < p.start || s.dates[i] > p.end) continue;
    auto v = spend_between(s, s.dates[i], s.dates[i]);
    if (!v) return v.status();
    if (auto done = account(s.dates[i], *v, true); !done.is_ok()) return done;
  }
  st.spent = cum;
  st.exhausted = exhausted_on.has_value();
  const Date first_elapsed = std::max(p.start, s.dates.front());
  st.days_elapsed = o.as_of < first_elapsed
                        ? 0
                        : static_cast<int>((std::min(o.as_of, p.end) - first_elapsed).count()) + 1;
  const Date next = o.as_of + days(1);
  const Date rest_start = std::max(next, p.start);
  st.days_remaining = rest_start > p.end ? 0 : static_cast<int>((p.end - rest_start).count()) + 1;
  if (st.days_elapsed > 0) {
    auto rate = st.spent.mul_div(st.days_elapsed + st.days_remaining, st.days_elapsed);
    if (!rate) return out_of_range("the period's run-rate projection overflows");
    st.run_rate_total = *rate;
  }

  const bool nonneg_history =
      std::all_of(history.begin(), history.end(), [](double v) { return v >= 0; });
  // A running as-of day holds part of a day, so it is not fitted: the model forecasts it from the
  // days before, and the rest of it is that forecast less its spend so far.
  const bool partial = o.as_of_partial && upto >= 2;
  const size_t fit_n = partial ? upto - 1 : upto;
  const bool running_in_period = partial && o.as_of >= p.start && o.as_of <= p.end;
  double var = 0, df = 1;  // the forecast's variance and its degrees of freedom
  bool spread = true;      // whether the forecast has an error variance at all
  if (st.days_remaining > 0 || running_in_period) {
    // Forecast step i + 1 is the day s.dates[fit_n - 1] + i + 1.
    const int horizon = static_cast<int>((p.end - s.dates[fit_n - 1]).count());
    AutoOptions ao;
    ao.season = o.season;
    ao.horizon = horizon;
    auto sel = select_model(history.first(fit_n), ao);
    if (!sel) return sel.status();
    st.model = std::string(model_name(sel->fit.model));
    st.reason = sel->reason;
    if (partial) st.reason += "; the as-of day is still running: fitted to the days before it";
    const auto fc = forecast(sel->fit, horizon, {});
    const int skip = horizon - st.days_remaining;  // steps before the remaining days
    int counted = skip;                            // the first step counted in the projection
    const Date last_fitted = s.dates[fit_n - 1];
    // A forecast day's spend enters the projection as money.
    auto project = [&](Date d, double v) -> Status {
      auto m = to_money(v);
      if (!m) return m.status().with_context("the forecast for " + format_date(d));
      return account(d, *m, false);
    };
    if (running_in_period) {  // the as-of day is step 1
      if (auto done = project(o.as_of, std::max(0.0, fc[0].value - history.back())); !done.is_ok())
        return done;
      counted = 0;
    }
    for (int i = skip; i < horizon; ++i) {
      const Date d = last_fitted + days(i + 1);
      if (auto done = project(d, fc[static_cast<size_t>(i)].value); !done.is_ok()) return done;
    }
    // The variance of the counted days' total; days before them add their errors to the states,
    // which the model's closed form covers only from the first step, so take the whole horizon's
    // sum and remove the part before (a running day's rest counts as a whole day: a bound).
    var = sum_variance(sel->fit, horizon) - (counted > 0 ? sum_variance(sel->fit, counted) : 0.0);
    var = std::max(var, 0.0);
    df = residual_df(sel->fit);
    spread = has_error_variance(sel->fit);
  } else {
    st.reason = "the period has ended by the as-of date: the total is the spend";
  }
  st.projected_total = cum;
  const double sd = std::sqrt(var);
  const double z = detail::t_quantile(0.5 + o.level / 2, df);
  if (spread) {
    auto half = to_money(z * sd);
    if (!half) return half.status().with_context("the projection's interval");
    Decimal lower, upper;
    if (!Decimal::add_checked(st.projected_total, -*half, &lower) ||
        !Decimal::add_checked(st.projected_total, *half, &upper)) {
      return out_of_range("the projection's interval overflows");
    }
    // Spend that is never negative cannot end below what is spent already.
    st.projected_lower = nonneg_history ? std::max(st.spent, lower) : lower;
    st.projected_upper = upper;
  }
  if (!budgeted) {
    // No amount: no probability of going over it.
  } else if (st.exhausted) {
    st.probability_over = st.spent > o.amount ? 1.0 : st.days_remaining > 0 ? 1.0 : 0.0;
  } else if (!spread) {
    // Unknown: one day says nothing about how the next ones vary.
  } else if (sd > 0) {
    st.probability_over =
        1 - detail::t_cdf((o.amount.to_double() - st.projected_total.to_double()) / sd, df);
  } else {
    st.probability_over = st.projected_total > o.amount ? 1.0 : 0.0;
  }
  st.exhaustion_date = exhausted_on;
  return st;
}

}  // namespace

Result<BudgetStatus> budget_status(const Series& s, const BudgetOptions& o) {
  return status_of(s, o, true);
}

Result<BudgetStatus> project_period(const Series& s, const BudgetOptions& o) {
  return status_of(s, o, false);
}

Result<BudgetChange> budget_change(const Series& s, const BudgetOptions& o, const BudgetStatus& now,
                                   int n) {
  if (n < 1) return invalid_argument("the change's window must be at least a day");
  BudgetChange c;
  c.days = n;
  c.since = o.as_of - days(n);
  c.last_day =
      o.as_of_partial && s.size() > 0 && o.as_of > s.dates.front() ? o.as_of - days(1) : o.as_of;
  auto total = window_change("total", s, c.last_day, n);
  if (!total) return total.status();
  c.last = total->value;
  c.previous = total->baseline;
  if (s.size() > 0 && c.since >= s.dates.front()) {
    BudgetOptions then = o;
    then.as_of = c.since;
    then.as_of_partial = false;
    auto st = budget_status(s, then);
    if (!st) return st.status();
    c.projected_then = st->projected_total;
    Decimal moved;
    if (!Decimal::add_checked(now.projected_total, -st->projected_total, &moved)) {
      return out_of_range("the projection's change overflows");
    }
    c.projected_change = moved;
  }
  return c;
}

}  // namespace costops::forecasting
