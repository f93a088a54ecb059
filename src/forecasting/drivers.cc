#include "costops/forecasting/drivers.h"

#include <algorithm>
#include <cmath>

#include "costops/forecasting/budget.h"

namespace costops::forecasting {
namespace {

using std::chrono::days;

// The spend of `s` on day `d` (zero outside the series).
Result<Decimal> spend_on(const Series& s, Date d) { return spend_between(s, d, d); }

Decimal magnitude(Decimal v) { return v.is_negative() ? -v : v; }

// Sorts the largest change (either way) first.
void largest_first(std::vector<SpendDriver>& v) {
  std::stable_sort(v.begin(), v.end(), [](const SpendDriver& a, const SpendDriver& b) {
    return magnitude(a.change) > magnitude(b.change);
  });
}

}  // namespace

Result<SpendDriver> spend_change(std::string name, Decimal value, Decimal baseline) {
  SpendDriver d{std::move(name), value, baseline, {}};
  if (!Decimal::add_checked(value, -baseline, &d.change)) {
    return out_of_range("the spend's change overflows");
  }
  return d;
}

Result<Drivers> largest_changes(std::vector<SpendDriver> parts, size_t limit) {
  std::erase_if(parts, [](const SpendDriver& d) { return d.change.is_zero(); });
  largest_first(parts);
  // Past the limit, the parts are summed into others.
  Drivers split;
  for (size_t i = limit; i < parts.size(); ++i) {
    SpendDriver& o = split.others;
    if (!Decimal::add_checked(o.value, parts[i].value, &o.value) ||
        !Decimal::add_checked(o.baseline, parts[i].baseline, &o.baseline) ||
        !Decimal::add_checked(o.change, parts[i].change, &o.change)) {
      return out_of_range("the spend overflows");
    }
    ++split.other_parts;
  }
  if (parts.size() > limit) parts.resize(limit);
  split.top = std::move(parts);
  return split;
}

Result<Decimal> spend_between(const Series& s, Date from, Date to) {
  Decimal sum;
  if (s.size() > 1 && s.frequency != Frequency::kDaily) {
    return invalid_argument("spend by day needs a daily series, got a " +
                            std::string(frequency_name(s.frequency)) + " one");
  }
  if (s.size() == 0 || to < s.dates.front() || from > s.dates.back()) return sum;
  // Daily series: day d is at index d - first.
  const Date first = s.dates.front();
  const size_t lo = from <= first ? 0 : static_cast<size_t>((from - first).count());
  const size_t hi = std::min(s.size() - 1, static_cast<size_t>((to - first).count()));
  for (size_t i = lo; i <= hi; ++i) {
    auto v = s.exact.empty() ? to_money(s.values[i]) : Result<Decimal>(s.exact[i]);
    if (!v) return v.status().with_context("spend on " + format_date(s.dates[i]));
    if (!Decimal::add_checked(sum, *v, &sum)) return out_of_range("the spend overflows");
  }
  return sum;
}

Result<SpendDriver> window_change(const std::string& name, const Series& s, Date last_day, int n) {
  auto value = spend_between(s, last_day - days(n - 1), last_day);
  if (!value) return value.status();
  auto baseline = spend_between(s, last_day - days(2 * n - 1), last_day - days(n));
  if (!baseline) return baseline.status();
  return spend_change(name, *value, *baseline);
}

Result<Drivers> window_drivers(const std::vector<SpendPart>& parts, Date last_day, int n,
                               size_t limit) {
  std::vector<SpendDriver> out;
  for (const auto& [name, s] : parts) {
    auto d = window_change(name, s, last_day, n);
    if (!d) return d.status();
    out.push_back(std::move(*d));
  }
  return largest_changes(std::move(out), limit);
}

Result<std::vector<SpendDriver>> day_drivers(const std::vector<SpendPart>& parts, Date day,
                                             int season, bool up, size_t limit, int seasons) {
  const int step = season >= 2 ? season : 1;
  const int count = season >= 2 ? seasons : 7;
  std::vector<SpendDriver> out;
  for (const auto& [name, s] : parts) {
    auto value = spend_on(s, day);
    if (!value) return value.status();
    std::vector<Decimal> usual;
    for (int k = 1; k <= count; ++k) {
      auto v = spend_on(s, day - days(k * step));
      if (!v) return v.status();
      usual.push_back(*v);
    }
    // The median; of an even count, the mean of the middle two (half-even at the last digit).
    std::sort(usual.begin(), usual.end());
    const size_t mid = usual.size() / 2;
    Decimal baseline = usual[mid];
    if (usual.size() % 2 == 0) {
      Decimal sum;
      if (!Decimal::add_checked(usual[mid - 1], usual[mid], &sum)) {
        return out_of_range("the spend overflows");
      }
      auto half = sum.mul_div(1, 2);
      if (!half) return half.status();
      baseline = *half;
    }
    auto d = spend_change(name, *value, baseline);
    if (!d) return d.status();
    if (up ? d->change > Decimal() : d->change < Decimal()) out.push_back(std::move(*d));
  }
  largest_first(out);
  if (out.size() > limit) out.resize(limit);
  return out;
}

Result<std::vector<SpendDriver>> anomaly_drivers(const std::vector<SpendPart>& parts, Date day,
                                                 int season, double value, double expected) {
  auto drivers = day_drivers(parts, day, season, value > expected);
  if (!drivers) return drivers.status();
  // The detector's deviation as money (its sanctioned bridge), and each change against it.
  auto deviation = Decimal::from_double(std::abs(value - expected));
  if (!deviation) return deviation.status();
  std::erase_if(*drivers, [&](const SpendDriver& d) {
    Decimal hundredfold;
    return Decimal::mul_int_checked(magnitude(d.change), 100, &hundredfold) &&
           hundredfold < *deviation;
  });
  return drivers;
}

}  // namespace costops::forecasting
