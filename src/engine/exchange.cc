#include "costops/engine/exchange.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <map>
#include <vector>

#include "costops/domain/json_text.h"
#include "costops/domain/time.h"
#include "util/csv.h"
#include "util/encoding.h"
#include "util/text.h"

namespace costops::engine {
namespace {

using std::chrono::sys_days;

std::string day_text(sys_days d) {
  const std::chrono::year_month_day ymd{d};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string code_of(Currency c) { return std::string(c.code()); }

// "2026-11-02" (a timestamp's day too), or "4 December 2026" / "4 Dec 2026" as the ECB's file of
// one day's rates writes its date.
std::optional<sys_days> parse_day(std::string_view text) {
  if (auto t = parse_timestamp(text)) return std::chrono::floor<std::chrono::days>(*t);
  static constexpr std::array<std::string_view, 12> kMonths = {
      "january", "february", "march",     "april",   "may",      "june",
      "july",    "august",   "september", "october", "november", "december"};
  const size_t a = text.find(' ');
  const size_t b = a == std::string_view::npos ? a : text.find(' ', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  unsigned d = 0;
  int y = 0;
  const std::string_view ds = text.substr(0, a), ys = text.substr(b + 1);
  if (std::from_chars(ds.data(), ds.data() + ds.size(), d).ptr != ds.data() + ds.size() ||
      std::from_chars(ys.data(), ys.data() + ys.size(), y).ptr != ys.data() + ys.size() ||
      ds.empty() || ys.size() != 4) {
    return std::nullopt;
  }
  const std::string name = util::ascii_lower(text.substr(a + 1, b - a - 1));
  for (unsigned m = 0; m < kMonths.size(); ++m) {
    if (name.size() < 3 || !kMonths[m].starts_with(name)) continue;
    const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(m + 1),
                                          std::chrono::day(d)};
    if (ymd.ok()) return sys_days(ymd);
  }
  return std::nullopt;
}

// A rate as a file gives it: a positive decimal. Errors begin with `where` ('field "rate"').
Result<Decimal> positive_rate(const std::string& text, const std::string& where) {
  auto r = Decimal::parse(text);
  if (!r) return invalid_argument(where + ": " + r.status().message());
  if (*r <= Decimal()) {
    return invalid_argument(where + ": a rate must be positive, got " + quoted_excerpt(text));
  }
  return *r;
}

bool is_currency_code(std::string_view s) {
  return s.size() == 3 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
         });
}

}  // namespace

Status ExchangeRates::add(Currency from, Currency to, Decimal rate, std::optional<sys_days> day) {
  if (from == to) {
    return invalid_argument("a rate from " + code_of(from) + " to itself");
  }
  if (rate <= Decimal()) {
    return invalid_argument("the rate from " + code_of(from) + " to " + code_of(to) + ", " +
                            rate.to_string() + ", is not positive");
  }
  const sys_days d = day.value_or(sys_days::min());
  Rates& rates = pairs_[{from, to}];
  std::vector<Dated>& dated = rates.by_day;
  const auto at = std::lower_bound(dated.begin(), dated.end(), d,
                                   [](const Dated& x, sys_days v) { return x.day < v; });
  if (at != dated.end() && at->day == d) {
    return invalid_argument("a second rate from " + code_of(from) + " to " + code_of(to) +
                            (day ? " for " + day_text(d) : std::string(" for every day")));
  }
  dated.insert(at, Dated{d, rate});
  rates.longest_gap = longest_gap(dated);
  return Status::ok();
}

int ExchangeRates::longest_gap(const std::vector<Dated>& by_day) {
  int longest = 0;
  for (size_t i = 1; i < by_day.size(); ++i) {
    if (by_day[i - 1].day == sys_days::min()) continue;  // a rate of every day
    longest = std::max(longest, static_cast<int>((by_day[i].day - by_day[i - 1].day).count()));
  }
  return longest;
}

Result<ExchangeRates> ExchangeRates::parse_csv(std::string_view text, std::string_view source) {
  const std::string src(source);
  std::string decoded;  // UTF-16 text, as UTF-8
  COSTOPS_RETURN_IF_ERROR(util::utf16_to_utf8(text, decoded, source));
  size_t pos = util::utf8_bom_length(text);
  size_t line_no = 0;
  std::string_view line;
  auto next_line = [&] {
    while (pos < text.size()) {
      const size_t nl = text.find('\n', pos);
      line = text.substr(pos, nl == std::string_view::npos ? text.size() - pos : nl - pos);
      pos = nl == std::string_view::npos ? text.size() : nl + 1;
      ++line_no;
      if (line.find_first_not_of(" \t\r") != std::string_view::npos) return true;
    }
    return false;
  };
  auto fail = [&](const std::string& what) {
    return invalid_argument(src + ":" + std::to_string(line_no) + ": " + what);
  };
  constexpr std::string_view kExpected =
      "expected a header of from, to and rate columns (and a date column for rates that change "
      "by day), or the European Central Bank's Date,USD,JPY,...";
  if (!next_line()) return invalid_argument(src + ": empty file; " + std::string(kExpected));
  const char separator = util::csv_separator(line);
  const auto header = util::split_csv_line(line, separator);
  if (!header) return fail("unterminated quote in the header");

  // The columns: a rate a row (from, to, rate, date), or a column per currency (the ECB's).
  int date_col = -1, from_col = -1, to_col = -1, rate_col = -1;
  std::vector<std::pair<size_t, Currency>> per_euro;
  for (size_t i = 0; i < header->size(); ++i) {
    const std::string h = util::ascii_lower((*header)[i]);
    const int col = static_cast<int>(i);
    if (h == "date" || h == "day") {
      date_col = col;
    } else if (h == "from" || h == "base") {
      from_col = col;
    } else if (h == "to" || h == "quote") {
      to_col = col;
    } else if (h == "rate") {
      rate_col = col;
    } else if (is_currency_code(h)) {
      per_euro.emplace_back(i, *Currency::parse(h));
    }
  }
  const bool one_per_row = from_col >= 0 && to_col >= 0 && rate_col >= 0;
  if (!one_per_row && (date_col != 0 || per_euro.empty())) return fail(std::string(kExpected));
  StagedRates staged;
  auto stage = [&](Currency from, Currency to, Decimal rate,
                   std::optional<sys_days> day) -> Status {
    if (from == to) return fail("a rate from " + code_of(from) + " to itself");
    staged[{from, to}].push_back({Dated{day.value_or(sys_days::min()), rate}, line_no});
    return Status::ok();
  };
  const Currency euro = *Currency::parse("EUR");
  auto rate_of = [&](const std::string& cell, const std::string& field) -> Result<Decimal> {
    auto r = positive_rate(util::decimal_point(cell, separator), "field \"" + field + "\"");
    if (!r) return fail(r.status().message());
    return *r;
  };
  while (next_line()) {
    const auto cells = util::split_csv_line(line, separator);
    if (!cells) return fail("unterminated quote");
    auto cell = [&](int col) -> std::string {
      return col >= 0 && static_cast<size_t>(col) < cells->size() ? (*cells)[col] : "";
    };
    std::optional<sys_days> day;
    if (date_col >= 0) {
      day = parse_day(cell(date_col));
      if (!day) {
        return fail("field \"" + (*header)[date_col] + "\": expected a date YYYY-MM-DD, got " +
                    quoted_excerpt(cell(date_col)));
      }
    }
    if (one_per_row) {
      Currency pair[2];
      for (int k = 0; k < 2; ++k) {
        const int col = k == 0 ? from_col : to_col;
        auto c = Currency::parse(cell(col));
        if (!c) return fail("field \"" + (*header)[col] + "\": " + c.status().message());
        pair[k] = *c;
      }
      auto r = rate_of(cell(rate_col), (*header)[rate_col]);
      if (!r) return r.status();
      COSTOPS_RETURN_IF_ERROR(stage(pair[0], pair[1], *r, day));
      continue;
    }
    for (const auto& [col, code] : per_euro) {
      const std::string c = cell(static_cast<int>(col));
      if (c.empty() || util::ascii_lower(c) == "n/a") continue;
      auto r = rate_of(c, (*header)[col]);
      if (!r) return r.status();
      if (code == euro) {  // a euro column of a table per euro says 1
        if (*r == Decimal::from_int(1)) continue;
        return fail("field \"" + (*header)[col] +
                    "\": a column per currency holds its units per "
                    "euro (the ECB's table), so the euro's own is 1, not " +
                    quoted_excerpt(c) +
                    "; rates against another currency go in from,to,rate columns");
      }
      COSTOPS_RETURN_IF_ERROR(stage(euro, code, *r, day));
    }
  }
  return from_staged(std::move(staged), src);
}

Result<ExchangeRates> ExchangeRates::from_staged(StagedRates staged, const std::string& src) {
  if (staged.empty()) return invalid_argument(src + ": no rate in it");
  ExchangeRates rates;
  rates.source_ = src;
  for (auto& [pair, list] : staged) {
    std::stable_sort(list.begin(), list.end(),
                     [](const Staged& a, const Staged& b) { return a.dated.day < b.dated.day; });
    Rates& r = rates.pairs_[pair];
    r.by_day.reserve(list.size());
    for (size_t i = 0; i < list.size(); ++i) {
      if (i > 0 && list[i].dated.day == list[i - 1].dated.day) {
        const sys_days d = list[i].dated.day;
        return invalid_argument(
            src + ":" + std::to_string(list[i].line) + ": a second rate from " +
            code_of(pair.first) + " to " + code_of(pair.second) +
            (d == sys_days::min() ? std::string(" for every day") : " for " + day_text(d)));
      }
      r.by_day.push_back(list[i].dated);
    }
    r.longest_gap = longest_gap(r.by_day);
  }
  return rates;
}

Result<ExchangeRates> ExchangeRates::parse_ecb_xml(std::string_view text, std::string_view source) {
  const std::string src(source);
  std::string decoded;  // UTF-16 text, as UTF-8
  COSTOPS_RETURN_IF_ERROR(util::utf16_to_utf8(text, decoded, source));
  const Currency euro = *Currency::parse("EUR");
  StagedRates staged;
  size_t line_no = 1, counted = 0;  // the line of text[counted]
  auto line_at = [&](size_t pos) {
    line_no += static_cast<size_t>(std::count(text.begin() + static_cast<ptrdiff_t>(counted),
                                              text.begin() + static_cast<ptrdiff_t>(pos), '\n'));
    counted = pos;
    return line_no;
  };
  auto fail = [&](size_t pos, const std::string& what) {
    return invalid_argument(src + ":" + std::to_string(line_at(pos)) + ": " + what);
  };
  std::optional<sys_days> day;  // the enclosing <Cube time=...>'s
  size_t cubes = 0;
  for (size_t pos = text.find('<'); pos != std::string_view::npos; pos = text.find('<', pos)) {
    const size_t end = text.find('>', pos);
    if (end == std::string_view::npos) return fail(pos, "a tag without its '>'");
    const std::string_view tag = text.substr(pos + 1, end - pos - 1);
    const size_t at = pos;
    pos = end + 1;
    if (tag.starts_with("/Cube")) {
      // The end of a day's Cube (or of the outer one): its rates are done.
      if (tag.find_first_not_of(" \t\r\n", 5) == std::string_view::npos) day.reset();
      continue;
    }
    if (!tag.starts_with("Cube") ||
        (tag.size() > 4 && !std::isspace(static_cast<unsigned char>(tag[4])) && tag[4] != '/'))
      continue;  // <?xml ...?>, <gesmes:...>, comments: not rates
    ++cubes;
    // Its attributes: name='value' or name="value".
    std::map<std::string, std::string, std::less<>> attrs;
    for (size_t i = 4; i < tag.size();) {
      i = tag.find_first_not_of(" \t\r\n/", i);
      if (i == std::string_view::npos) break;
      const size_t eq = tag.find('=', i);
      if (eq == std::string_view::npos || eq + 1 >= tag.size() ||
          (tag[eq + 1] != '\'' && tag[eq + 1] != '"')) {
        return fail(at, "a Cube tag's attribute is not name='value': " + quoted_excerpt(tag));
      }
      const size_t close = tag.find(tag[eq + 1], eq + 2);
      if (close == std::string_view::npos) {
        return fail(at, "a Cube tag's attribute value is not closed: " + quoted_excerpt(tag));
      }
      std::string_view name = tag.substr(i, eq - i);
      while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back())))
        name.remove_suffix(1);
      attrs[std::string(name)] = std::string(tag.substr(eq + 2, close - eq - 2));
      i = close + 1;
    }
    if (auto t = attrs.find("time"); t != attrs.end()) {
      day = parse_day(t->second);
      if (!day) {
        return fail(
            at, "attribute \"time\": expected a date YYYY-MM-DD, got " + quoted_excerpt(t->second));
      }
      if (tag.ends_with("/")) day.reset();  // a day without rates
      continue;
    }
    const auto cur = attrs.find("currency"), rate = attrs.find("rate");
    if (cur == attrs.end() && rate == attrs.end()) continue;  // the outer Cube
    if (cur == attrs.end() || rate == attrs.end()) {
      return fail(at, std::string("a Cube with a ") + (cur == attrs.end() ? "rate" : "currency") +
                          " but no " + (cur == attrs.end() ? "currency" : "rate") + " attribute");
    }
    if (!day) return fail(at, "a rate outside a day's <Cube time='YYYY-MM-DD'>");
    auto code = Currency::parse(cur->second);
    if (!code) return fail(at, "attribute \"currency\": " + code.status().message());
    auto r = positive_rate(rate->second, "attribute \"rate\"");
    if (!r) return fail(at, r.status().message());
    if (*code == euro) {
      if (*r == Decimal::from_int(1)) continue;
      return fail(at, "attribute \"rate\": the euro's own rate per euro is 1, not " +
                          quoted_excerpt(rate->second));
    }
    staged[{euro, *code}].push_back({Dated{*day, *r}, line_at(at)});
  }
  if (cubes == 0) {
    return invalid_argument(src +
                            ": expected the European Central Bank's XML of euro reference rates "
                            "(<Cube time='YYYY-MM-DD'> days of <Cube currency='USD' rate='...'/>), "
                            "or a CSV file of rates");
  }
  return from_staged(std::move(staged), src);
}

Result<ExchangeRates> ExchangeRates::parse(std::string_view text, std::string_view source) {
  std::string decoded;  // UTF-16 text, as UTF-8
  COSTOPS_RETURN_IF_ERROR(util::utf16_to_utf8(text, decoded, source));
  const std::string_view body = text.substr(util::utf8_bom_length(text));
  const size_t first = body.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && body[first] == '<') return parse_ecb_xml(text, source);
  return parse_csv(text, source);
}

Result<ExchangeRates> ExchangeRates::load_file(const std::string& path) {
  auto text = util::read_whole_file(path, "a CSV or XML file of exchange rates");
  if (!text) return text.status();
  return parse(*text, path);
}

std::optional<ExchangeRates::Found> ExchangeRates::find(Currency from, Currency to,
                                                        sys_days day) const {
  for (const bool inverse : {false, true}) {
    const auto it = pairs_.find(inverse ? Pair{to, from} : Pair{from, to});
    if (it == pairs_.end()) continue;
    const auto& dated = it->second.by_day;
    const auto after = std::upper_bound(dated.begin(), dated.end(), day,
                                        [](sys_days v, const Dated& x) { return v < x.day; });
    if (after == dated.begin()) continue;
    const Dated& d = *std::prev(after);
    if (d.day == sys_days::min()) return Found{d.rate, inverse, day, false};
    const bool stale = after == dated.end() &&
                       (day - d.day).count() > std::max(kStaleDays, it->second.longest_gap);
    return Found{d.rate, inverse, d.day, stale};
  }
  return std::nullopt;
}

Status ExchangeRates::missing(Currency from, Currency to, sys_days day) const {
  // What the table has of `from`: its first dated rate, when every one begins after `day`; else
  // the currencies it has rates with.
  std::optional<sys_days> first;
  std::vector<Currency> with;
  for (const auto& [pair, rates] : pairs_) {
    if (pair.first != from && pair.second != from) continue;
    with.push_back(pair.first == from ? pair.second : pair.first);
    const sys_days d = rates.by_day.front().day;
    if (!first || d < *first) first = d;
  }
  std::sort(with.begin(), with.end());
  with.erase(std::unique(with.begin(), with.end()), with.end());
  std::string why;
  if (with.empty()) {
    why = " (it has no " + code_of(from) + " rate)";
  } else if (*first > day) {
    why = " (its " + code_of(from) + " rates begin on " + day_text(*first) + ")";
  } else {
    why = " (it has " + code_of(from) + " rates with ";
    for (size_t i = 0; i < with.size(); ++i) {
      why += (i == 0 ? "" : i + 1 == with.size() ? " and " : ", ") + code_of(with[i]);
    }
    why += " only)";
  }
  return not_found("no rate from " + code_of(from) + " to " + code_of(to) + " on or before " +
                   day_text(day) + (source_.empty() ? "" : " in " + source_) + why);
}

Result<ExchangeRates::Converted> ExchangeRates::convert(Decimal amount, Currency from, Currency to,
                                                        sys_days day) const {
  if (from == to) return Converted{amount, day};
  auto step = [&](Decimal a, const Found& f) -> Result<Decimal> {
    auto out = f.inverse ? a.div(f.rate, Decimal::kScaleDigits) : a.mul(f.rate);
    if (!out) {
      return out.status().with_context(a.to_string() + " " + code_of(from) + " into " +
                                       code_of(to) + " on " + day_text(day));
    }
    return out;
  };
  if (auto f = find(from, to, day)) {
    auto a = step(amount, *f);
    if (!a) return a.status();
    return Converted{*a, f->day, f->stale};
  }
  // Through a currency both have a rate with on the day, the first in code order.
  std::vector<Currency> via;
  for (const auto& [pair, rates] : pairs_) {
    if (pair.first == from) via.push_back(pair.second);
    if (pair.second == from) via.push_back(pair.first);
  }
  std::sort(via.begin(), via.end());
  for (const Currency v : via) {
    if (v == to) continue;
    const auto f1 = find(from, v, day);
    const auto f2 = f1 ? find(v, to, day) : std::nullopt;
    if (!f2) continue;
    auto a = step(amount, *f1);
    if (a) a = step(*a, *f2);
    if (!a) return a.status();
    return Converted{*a, std::min(f1->day, f2->day), f1->stale || f2->stale};
  }
  return missing(from, to, day);
}

CurrencyConverter::CurrencyConverter(std::shared_ptr<const ExchangeRates> rates, Currency target)
    : rates_(std::move(rates)), target_(target) {}

Result<Money> CurrencyConverter::convert(const Money& m, sys_days day) const {
  auto c = rates_->convert(m.amount, m.currency, target_, day);
  if (!c) return c.status();
  if (c->stale) {
    Stale& s = stale_.try_emplace(m.currency, Stale{m.currency, day, c->rate_day}).first->second;
    if (day > s.day) s = Stale{m.currency, day, c->rate_day};
  }
  return Money{c->amount, target_};
}

Status CurrencyConverter::convert(AggregateRow& row, sys_days day) const {
  auto in_target = [&](std::map<std::string, Decimal>& costs) -> Status {
    if (costs.empty() || (costs.size() == 1 && costs.begin()->first == target_.code())) {
      return Status::ok();
    }
    Decimal sum;
    for (const auto& [code, amount] : costs) {
      auto from = Currency::parse(code);
      if (!from) return from.status();
      auto c = convert(Money{amount, *from}, day);
      if (!c) return c.status();
      if (!Decimal::add_checked(sum, c->amount, &sum)) {
        return out_of_range("a day's cost in " + code_of(target_) + " overflows");
      }
    }
    costs.clear();
    costs.emplace(code_of(target_), sum);
    return Status::ok();
  };
  // Each converted before any is replaced: a row converts whole or not at all.
  std::vector<std::map<std::string, Decimal> AggregateRow::*> parts = {&AggregateRow::cost,
                                                                       &AggregateRow::shared};
  for (const auto& [name, part] : kCostSplit) parts.push_back(part);
  std::vector<std::map<std::string, Decimal>> converted;
  for (auto part : parts) {
    converted.push_back(row.*part);
    COSTOPS_RETURN_IF_ERROR(in_target(converted.back()));
  }
  size_t i = 0;
  for (auto part : parts) row.*part = std::move(converted[i++]);
  return Status::ok();
}

Result<std::vector<AggregateRow>> CurrencyConverter::aggregate(const AggregateFn& source,
                                                               const AggregateQuery& query) const {
  AggregateQuery by_day = query;
  size_t day_key = query.group_by.size();
  for (size_t i = 0; i < query.group_by.size() && day_key == query.group_by.size(); ++i) {
    const GroupKey::Kind k = query.group_by[i].kind;
    if (k == GroupKey::Kind::kDay || k == GroupKey::Kind::kHour) day_key = i;
  }
  const bool added = day_key == query.group_by.size();
  if (added) {
    GroupKey day;
    day.kind = GroupKey::Kind::kDay;
    by_day.group_by.push_back(day);
  }
  auto rows = source(by_day);
  if (!rows) return rows;
  for (AggregateRow& r : *rows) {
    const std::string& label = r.keys[day_key];
    const auto day = parse_day(std::string_view(label).substr(0, 10));
    if (!day) return Status(StatusCode::kInternal, "a day key \"" + label + "\" that is no date");
    COSTOPS_RETURN_IF_ERROR(convert(r, *day));
  }
  if (!added) return rows;
  // Each row of the query is the sum of its days' rows, in the order its first one came.
  std::vector<AggregateRow> out;
  std::map<std::vector<std::string>, size_t> at;
  for (AggregateRow& r : *rows) {
    r.keys.pop_back();
    const auto [it, first] = at.try_emplace(r.keys, out.size());
    if (first) {
      out.push_back(std::move(r));
    } else if (!add_row(out[it->second], r)) {
      return out_of_range("a cost in " + code_of(target_) + " overflows");
    }
  }
  return out;
}

AggregateFn CurrencyConverter::wrap(AggregateFn source) const {
  return
      [this, source = std::move(source)](const AggregateQuery& q) { return aggregate(source, q); };
}

std::vector<CurrencyConverter::Stale> CurrencyConverter::stale() const {
  std::vector<Stale> out;
  for (const auto& [code, s] : stale_) out.push_back(s);
  return out;
}

}  // namespace costops::engine
