#include "costops/forecasting/series.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <optional>

#include "costops/domain/json_text.h"
#include "forecasting/stats.h"
#include "util/csv.h"
#include "util/encoding.h"
#include "util/text.h"

namespace costops::forecasting {
namespace {

using std::chrono::day;
using std::chrono::month;
using std::chrono::months;
using std::chrono::year;
using std::chrono::year_month_day;

bool parse_int(std::string_view s, int& out) {
  const auto* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && p == end && !s.empty();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '"')) {
    s.remove_suffix(1);
  }
  return s;
}

// Months between two dates when both fall on the same day of month (or both on month ends).
std::optional<int> month_steps(Date a, Date b) {
  const year_month_day ya{a};
  const year_month_day yb{b};
  const int diff = (static_cast<int>(yb.year()) - static_cast<int>(ya.year())) * 12 +
                   static_cast<int>(static_cast<unsigned>(yb.month())) -
                   static_cast<int>(static_cast<unsigned>(ya.month()));
  if (advance(a, Frequency::kMonthly, diff) != b) return std::nullopt;
  return diff;
}

// A value cell: the whole text one finite number.
bool parse_value(std::string_view v, double& x) {
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  return ec == std::errc() && p == v.data() + v.size() && std::isfinite(x);
}

// A series date: YYYY-MM-DD (or a timestamp), else a period's first day: YYYY-MM, YYYY-Qn
// (also YYYYQn and "YYYY Qn") or YYYY; *style says which.
Result<Date> parse_series_date(std::string_view text, DateStyle* style = nullptr) {
  DateStyle unused;
  if (style == nullptr) style = &unused;
  *style = DateStyle::kDay;
  auto full = parse_date(text);
  if (full) return full;
  const std::string_view t = trim(text);
  auto digits = [&](size_t from, size_t len) {
    return t.size() >= from + len && std::all_of(t.begin() + from, t.begin() + from + len,
                                                 [](char c) { return c >= '0' && c <= '9'; });
  };
  int mo = 0;
  if (t.size() == 4 && digits(0, 4)) {
    mo = 1;
    *style = DateStyle::kYear;
  } else if (t.size() == 7 && digits(0, 4) && t[4] == '-' && digits(5, 2)) {
    mo = (t[5] - '0') * 10 + (t[6] - '0');
    *style = DateStyle::kMonth;
  } else if (digits(0, 4) && (t.size() == 6 || (t.size() == 7 && (t[4] == '-' || t[4] == ' '))) &&
             (t[t.size() - 2] == 'Q' || t[t.size() - 2] == 'q') && t.back() >= '1' &&
             t.back() <= '4') {
    mo = (t.back() - '1') * 3 + 1;
    *style = DateStyle::kQuarter;
  }
  if (mo < 1 || mo > 12) {
    return invalid_argument("expected a date YYYY-MM-DD (or YYYY-MM, YYYY-Qn, YYYY), got " +
                            quoted_excerpt(t));
  }
  const int y = (t[0] - '0') * 1000 + (t[1] - '0') * 100 + (t[2] - '0') * 10 + (t[3] - '0');
  return Date(year_month_day{year(y), month(static_cast<unsigned>(mo)), day(1)});
}

}  // namespace

std::string_view frequency_name(Frequency f) {
  switch (f) {
    case Frequency::kDaily:
      return "daily";
    case Frequency::kWeekly:
      return "weekly";
    case Frequency::kMonthly:
      return "monthly";
    case Frequency::kQuarterly:
      return "quarterly";
    case Frequency::kYearly:
      return "yearly";
  }
  return "daily";
}

Result<Date> parse_date(std::string_view text) {
  text = trim(text);
  // Accept a timestamp too ("2025-04-16T00:00:00Z"): the date part is what counts.
  std::string_view d = text.substr(0, std::min<size_t>(text.size(), 10));
  int y = 0, m = 0, dd = 0;
  if (d.size() != 10 || d[4] != '-' || d[7] != '-' || !parse_int(d.substr(0, 4), y) ||
      !parse_int(d.substr(5, 2), m) || !parse_int(d.substr(8, 2), dd) ||
      (text.size() > 10 && text[10] != 'T' && text[10] != ' ')) {
    return invalid_argument("expected a date YYYY-MM-DD, got " + quoted_excerpt(text));
  }
  const year_month_day ymd{year(y), month(static_cast<unsigned>(m)),
                           day(static_cast<unsigned>(dd))};
  if (!ymd.ok()) {
    return invalid_argument("no such date \"" + std::string(text) + "\"");
  }
  return Date(ymd);
}

std::string format_date(Date d) {
  const year_month_day ymd{d};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string format_date(Date d, DateStyle style) {
  const year_month_day ymd{d};
  const int y = static_cast<int>(ymd.year());
  const unsigned m = static_cast<unsigned>(ymd.month());
  char buf[32];
  switch (style) {
    case DateStyle::kDay:
      return format_date(d);
    case DateStyle::kMonth:
      std::snprintf(buf, sizeof buf, "%04d-%02u", y, m);
      break;
    case DateStyle::kQuarter:
      std::snprintf(buf, sizeof buf, "%04d-Q%u", y, (m - 1) / 3 + 1);
      break;
    case DateStyle::kYear:
      std::snprintf(buf, sizeof buf, "%04d", y);
      break;
  }
  return buf;
}

Date advance(Date d, Frequency f, int steps) {
  switch (f) {
    case Frequency::kDaily:
      return d + std::chrono::days(steps);
    case Frequency::kWeekly:
      return d + std::chrono::days(7 * steps);
    case Frequency::kMonthly:
    case Frequency::kQuarterly:
    case Frequency::kYearly: {
      const int per = f == Frequency::kMonthly ? 1 : f == Frequency::kQuarterly ? 3 : 12;
      const year_month_day ymd{d};
      const bool month_end = ymd.day() == std::chrono::year_month_day_last(
                                              ymd.year(), std::chrono::month_day_last(ymd.month()))
                                              .day();
      const auto ym = std::chrono::year_month(ymd.year(), ymd.month()) + months(per * steps);
      const auto last =
          std::chrono::year_month_day_last(ym.year(), std::chrono::month_day_last(ym.month()))
              .day();
      const day dd = month_end || ymd.day() > last ? last : ymd.day();
      return Date(year_month_day(ym.year(), ym.month(), dd));
    }
  }
  return d;
}

int default_season(Frequency f) {
  switch (f) {
    case Frequency::kDaily:
      return 7;
    case Frequency::kWeekly:
      return 52;
    case Frequency::kMonthly:
      return 12;
    case Frequency::kQuarterly:
      return 4;
    case Frequency::kYearly:
      return 0;
  }
  return 0;
}

Result<Series> make_series(std::vector<Date> dates, std::vector<double> values,
                           const SeriesOrigin* origin, std::vector<Decimal> exact) {
  // An error about the date (or with `value`, the value) at input index i, or about the whole
  // series (i unset).
  auto fail = [&](std::optional<size_t> i, const std::string& what, bool value = false) -> Status {
    if (!origin) return invalid_argument(what);
    if (i && *i < origin->lines.size()) {
      return invalid_argument(origin->file + ":" + std::to_string(origin->lines[*i]) +
                              ": field \"" + (value ? origin->value_field : origin->date_field) +
                              "\": " + what);
    }
    return invalid_argument(origin->file + ": " + what);
  };
  if (dates.size() != values.size() || (!exact.empty() && exact.size() != values.size())) {
    return fail({}, "dates and values differ in length");
  }
  if (values.empty()) return fail({}, "the series has no values");
  std::vector<size_t> order(dates.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return dates[a] < dates[b]; });
  Series s;
  for (size_t k = 0; k < order.size(); ++k) {
    const size_t i = order[k];
    if (const std::string why = detail::bad_value(values[i]); !why.empty()) {
      return fail(i, "value for " + format_date(dates[i]) + " is " + why, true);
    }
    if (k > 0 && dates[order[k - 1]] == dates[i]) {
      std::string what = "date " + format_date(dates[i]) + " appears more than once";
      if (origin && order[k - 1] < origin->lines.size()) {
        what += " (first on line " + std::to_string(origin->lines[order[k - 1]]) + ")";
      }
      // Hourly values, or a log's rows, are the likely cause: say what a series is.
      return fail(i, what +
                         "; a series has one value per day, week, month, quarter or year (sum "
                         "the values of a day into one row)");
    }
    s.dates.push_back(dates[i]);
    s.values.push_back(values[i]);
    if (!exact.empty()) s.exact.push_back(exact[i]);
  }
  if (s.size() == 1) return s;

  // Smallest spacing decides the frequency; every other spacing must be a multiple of it.
  int min_days = INT32_MAX;
  for (size_t i = 1; i < s.size(); ++i) {
    min_days = std::min(min_days, static_cast<int>((s.dates[i] - s.dates[i - 1]).count()));
  }
  Frequency f = Frequency::kDaily;
  int unit = 1;  // days for daily/weekly, months otherwise
  if (min_days == 1) {
    f = Frequency::kDaily;
  } else if (min_days == 7) {
    f = Frequency::kWeekly;
    unit = 7;
  } else if (min_days >= 28 && min_days <= 31) {
    f = Frequency::kMonthly;
  } else if (min_days >= 89 && min_days <= 92) {
    f = Frequency::kQuarterly;
    unit = 3;
  } else if (min_days >= 365 && min_days <= 366) {
    f = Frequency::kYearly;
    unit = 12;
  } else {
    return fail({}, "dates are " + std::to_string(min_days) +
                        " days apart; expected daily, weekly, monthly, quarterly or yearly "
                        "spacing");
  }
  const bool calendar =
      f == Frequency::kMonthly || f == Frequency::kQuarterly || f == Frequency::kYearly;
  // The sorted value i is not a whole number of steps after the one before it.
  auto off_step = [&](size_t i) {
    return fail(order[i], "date " + format_date(s.dates[i]) + " does not follow " +
                              format_date(s.dates[i - 1]) + " at a " +
                              std::string(frequency_name(f)) + " step");
  };
  Series out;
  out.frequency = f;
  bool exact_ok = !s.exact.empty();
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0) {
      int steps = 0;
      if (calendar) {
        auto ms = month_steps(s.dates[i - 1], s.dates[i]);
        if (!ms || *ms % unit != 0) return off_step(i);
        steps = *ms / unit;
      } else {
        const int d = static_cast<int>((s.dates[i] - s.dates[i - 1]).count());
        if (d % unit != 0) return off_step(i);
        steps = d / unit;
      }
      for (int k = 1; k < steps; ++k) {
        const double w = static_cast<double>(k) / steps;
        out.dates.push_back(advance(s.dates[i - 1], f, k));
        out.values.push_back(s.values[i - 1] * (1 - w) + s.values[i] * w);
        out.filled.push_back(out.values.size() - 1);
        if (exact_ok) {  // a + (b - a) * k / steps, rounded once
          Decimal diff, v;
          exact_ok = Decimal::add_checked(s.exact[i], -s.exact[i - 1], &diff);
          auto part = exact_ok ? diff.mul_div(k, steps) : Result<Decimal>(Decimal());
          exact_ok = exact_ok && part && Decimal::add_checked(s.exact[i - 1], *part, &v);
          if (exact_ok) out.exact.push_back(v);
        }
      }
    }
    out.dates.push_back(s.dates[i]);
    out.values.push_back(s.values[i]);
    if (exact_ok) out.exact.push_back(s.exact[i]);
  }
  if (!exact_ok) out.exact.clear();
  if (!std::is_sorted(dates.begin(), dates.end())) {
    out.notes.push_back("the values were not in date order; they are read in date order");
  }
  const size_t filled = out.filled.size();
  if (filled * 2 > out.size()) {
    return fail({}, "more than half of the " + std::string(frequency_name(f)) +
                        " dates are missing (" + std::to_string(filled) + " of " +
                        std::to_string(out.size()) + ")");
  }
  if (filled > 0) {
    out.notes.push_back(std::to_string(filled) + " missing " + std::string(frequency_name(f)) +
                        " value(s) filled by linear interpolation");
  }
  return out;
}

Series zero_filled_daily(const std::map<Date, Decimal>& by_day, Date last) {
  Series out;
  out.frequency = Frequency::kDaily;
  if (by_day.empty()) return out;
  for (Date d = by_day.begin()->first; d <= last; d += std::chrono::days(1)) {
    const auto it = by_day.find(d);
    const Decimal v = it == by_day.end() ? Decimal() : it->second;
    out.dates.push_back(d);
    out.values.push_back(v.to_double());
    out.exact.push_back(v);
  }
  return out;
}

Result<Series> parse_series_csv(std::string_view text, std::string_view source) {
  const std::string src(source);
  std::string decoded;  // UTF-16 text, as UTF-8
  COSTOPS_RETURN_IF_ERROR(util::utf16_to_utf8(text, decoded, source));
  size_t pos = util::utf8_bom_length(text);
  size_t line_no = 0;
  auto next_line = [&](std::string_view& line) {
    while (pos < text.size()) {
      const size_t nl = text.find('\n', pos);
      line = text.substr(pos, nl == std::string_view::npos ? text.size() - pos : nl - pos);
      pos = nl == std::string_view::npos ? text.size() : nl + 1;
      ++line_no;
      if (!trim(line).empty()) return true;
    }
    return false;
  };
  std::string_view line;
  if (!next_line(line)) return invalid_argument(src + ": empty file; expected a header date,value");
  const char separator = util::csv_separator(line);
  const auto header_cells = util::split_csv_line(line, separator);
  if (!header_cells) {
    return invalid_argument(src + ":" + std::to_string(line_no) +
                            ": unterminated quote in the header");
  }
  const std::vector<std::string>& header = *header_cells;
  int date_col = -1, value_col = -1;
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string h = util::ascii_lower(header[i]);
    if (date_col < 0 &&
        (h == "date" || h == "day" || h == "ds" || h == "timestamp" || h == "time" ||
         h == "period" || h == "week" || h == "month" || h == "quarter" || h == "year")) {
      date_col = static_cast<int>(i);
    } else if (value_col < 0 && (h == "value" || h == "y" || h == "cost" || h == "spend")) {
      value_col = static_cast<int>(i);
    }
  }
  // Two columns: the one not named a date is the value; with neither named, date then value,
  // unless the line is data itself (a file without a header would lose its first value).
  if (header.size() == 2 && date_col < 0 && value_col < 0) {
    double x = 0;
    if (parse_series_date(header[0]) && parse_value(header[1], x)) {
      return invalid_argument(src + ":" + std::to_string(line_no) +
                              ": expected a header row such as date,value; got data " +
                              quoted_excerpt(trim(line)));
    }
    date_col = 0;
  }
  if (header.size() == 2 && date_col >= 0 && value_col < 0) value_col = 1 - date_col;
  if (header.size() == 2 && value_col >= 0 && date_col < 0) date_col = 1 - value_col;
  if (date_col < 0 || value_col < 0) {
    return invalid_argument(src + ":" + std::to_string(line_no) +
                            ": header must name a date column (date) and a value column "
                            "(value); got " +
                            quoted_excerpt(trim(line)));
  }
  const std::string& date_name = header[static_cast<size_t>(date_col)];
  const std::string& value_name = header[static_cast<size_t>(value_col)];
  std::vector<Date> dates;
  std::vector<double> values;
  std::vector<Decimal> exact;  // cleared at the first value that does not fit a Decimal
  bool exact_ok = true;
  std::optional<DateStyle> style;  // the dates', while every one is written the same way
  bool one_style = true;
  SeriesOrigin origin{src, {}, date_name, value_name};
  while (next_line(line)) {
    const auto split = util::split_csv_line(line, separator);
    const auto where = src + ":" + std::to_string(line_no) + ": ";
    if (!split) return invalid_argument(where + "unterminated quoted field");
    const std::vector<std::string>& cells = *split;
    if (cells.size() != header.size()) {
      return invalid_argument(where + "expected " + std::to_string(header.size()) +
                              " columns (as the header), got " + std::to_string(cells.size()));
    }
    DateStyle written = DateStyle::kDay;
    auto d = parse_series_date(cells[date_col], &written);
    if (!d) return invalid_argument(where + "field \"" + date_name + "\": " + d.status().message());
    one_style = one_style && (!style || *style == written);
    style = written;
    const std::string v = util::decimal_point(cells[value_col], separator);
    double x = 0;
    if (!parse_value(v, x)) {
      return invalid_argument(where + "field \"" + value_name + "\": expected a number, got " +
                              quoted_excerpt(v));
    }
    dates.push_back(*d);
    values.push_back(x);
    origin.lines.push_back(line_no);
    if (exact_ok) {
      auto e = Decimal::parse(v);
      exact_ok = e.has_value();
      if (exact_ok) exact.push_back(*e);
    }
  }
  if (!exact_ok) exact.clear();
  auto series = make_series(std::move(dates), std::move(values), &origin, std::move(exact));
  // Periods are named back as they were (a month's series by its months), but not at a finer
  // frequency than they name (months written as years).
  if (series && style && one_style) {
    const Frequency f = series->frequency;
    const bool fits =
        (*style == DateStyle::kMonth &&
         (f == Frequency::kMonthly || f == Frequency::kQuarterly || f == Frequency::kYearly)) ||
        (*style == DateStyle::kQuarter &&
         (f == Frequency::kQuarterly || f == Frequency::kYearly)) ||
        (*style == DateStyle::kYear && f == Frequency::kYearly);
    if (fits) series->date_style = *style;
  }
  return series;
}

Result<Series> read_series_csv(const std::string& path) {
  auto text = util::read_whole_file(path, "a date,value CSV file");
  if (!text) return text.status();
  return parse_series_csv(*text, path);
}

}  // namespace costops::forecasting
