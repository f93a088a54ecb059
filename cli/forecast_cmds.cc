// forecast, anomalies and budget: time series from a CSV file or from stored daily spend.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "commands.h"
#include "common.h"
#include "costops/forecasting/anomalies.h"
#include "costops/forecasting/budget.h"
#include "costops/forecasting/forecast.h"
#include "costops/forecasting/series.h"
#include "costops/report/prometheus.h"
#include "costops/report/report.h"
#include "costops/storage/store.h"

namespace costops::cli {
namespace {

// --model's values: auto and every model's name.
std::vector<std::string> model_choices() {
  std::vector<std::string> names{"auto"};
  for (const auto k : forecasting::all_models()) names.emplace_back(forecasting::model_name(k));
  return names;
}

// The currencies `rows` spend in, and them ", "-joined.
std::set<std::string> currencies_of(const std::vector<AggregateRow>& rows) {
  std::set<std::string> out;
  for (const auto& r : rows)
    for (const auto& [c, v] : r.cost) out.insert(c);
  return out;
}
std::string joined(const std::set<std::string>& currencies) {
  std::string all;
  for (const auto& c : currencies) all += (all.empty() ? "" : ", ") + c;
  return all;
}

// Says why spend in `currency` is zero though there is stored spend: it is in other currencies.
void note_other_currencies(const std::string& currency, const std::set<std::string>& currencies) {
  if (currencies.empty() || currencies.count(currency)) return;
  std::fprintf(stderr,
               "note: no stored spend in %s here: it is in %s (spend is counted in the currency "
               "it was priced in; --rates FILE or --rate %s/%s=RATE converts it)\n",
               currency.c_str(), joined(currencies).c_str(), currencies.begin()->c_str(),
               currency.c_str());
}

using json = nlohmann::json;
using forecasting::Date;
using forecasting::Series;

// Where a series comes from: a CSV file, or daily spend in the database.
struct SeriesSource {
  std::string series_file;
  std::string from, to, currency, group_by, tz;
  std::vector<std::string> filters;
  CurrencyOptions rates;  // --rates, --rate: spend converted into --currency
  std::shared_ptr<std::string> db = std::make_shared<std::string>();

  void add_to(CLI::App& cmd, bool with_group_by) {
    cmd.add_option("--series", series_file,
                   "A date,value CSV (header row; daily, weekly, monthly, quarterly or yearly "
                   "dates: YYYY-MM-DD, or a period's YYYY-MM, YYYY-Qn, YYYY). Without it: "
                   "stored daily spend")
        ->type_name("FILE");
    cmd.add_option("--from", from,
                   "Stored data: first day (YYYY-MM-DD) or time (RFC 3339), in --tz unless it has "
                   "an offset");
    cmd.add_option("--to", to,
                   "Stored data: day after the last (exclusive; default: tomorrow), as --from");
    add_filter(cmd, filters, std::string("Stored data: ") + kFilterHelp);
    cmd.add_option("--tz", tz, "Stored data: the time zone whose days are summed (default UTC)");
    CLI::Option* cur =
        cmd.add_option("--currency", currency,
                       "Stored data: the currency to follow (default: the only one present); "
                       "with --rates or --rate, the one every cost is converted into");
    rates.add_to(cmd, nullptr);
    cmd.get_option("--rates")->needs(cur);
    cmd.get_option("--rate")->needs(cur);
    if (with_group_by) {
      cmd.add_option("--group-by", group_by,
                     "Stored data: one series per group (provider, model, project, tag:KEY, ...)")
          ->check(complete_from("group-by"));
    }
    add_db_to(cmd, db);
  }

  // A CSV file is one series: the stored-data options given with --series are an error, not
  // silently ignored.
  Status check() const {
    if (series_file.empty()) return Status::ok();
    std::string given;
    auto note = [&](bool set, const char* option) {
      if (set) given += (given.empty() ? "" : ", ") + std::string(option);
    };
    note(!from.empty(), "--from");
    note(!to.empty(), "--to");
    note(!filters.empty(), "--filter");
    note(!tz.empty(), "--tz");
    note(!currency.empty(), "--currency");
    note(rates.has_rates(), "--rates, --rate");
    note(!group_by.empty(), "--group-by");
    note(!db->empty(), "--db");
    if (given.empty()) return Status::ok();
    return invalid_argument(given +
                            ": only for stored spend, not with --series (a CSV file is "
                            "one series)");
  }
};

struct NamedSeries {
  std::map<std::string, std::string> group;  // empty for a single series
  std::string label;  // the group as KEY=VALUE, ... in --group-by order (an empty value as "-")
  Series series;
  std::optional<Date> last_record;  // stored data: the last day with a record
  std::string currency;             // stored data: the currency followed
};

// Daily spend from the store: one series per group, from its first day with a record to its last
// (or to `last_day`), days without records counted as 0. Days before the first record are left
// out, not counted as 0: they are most often days before usage was ingested, and leading zeros
// would read as a step up that drags the trend (and rule out multiplicative seasons). Without
// `last_day`, today (in the series' time zone) is left out too, and noted: it is still running,
// and its part of a day would read as a drop (an anomaly, a falling forecast).
// With `parts`, each group's parts by the further keys `parts_by` ("KEY,...", none of the
// group's) go there, as series of their own, from the same query.
Result<std::vector<NamedSeries>> stored_series(const SeriesSource& s,
                                               std::optional<Date> last_day = std::nullopt,
                                               const std::string& parts_by = "",
                                               std::vector<NamedSeries>* parts = nullptr) {
  auto store = open_db(*s.db, storage::OpenMode::kExisting);
  if (!store) return store.status();
  AggregateQuery q;
  COSTOPS_RETURN_IF_ERROR(build_query(s.group_by, s.filters, &q));
  const size_t group_keys = q.group_by.size();
  if (parts) {
    AggregateQuery more;
    COSTOPS_RETURN_IF_ERROR(build_query(parts_by, {}, &more));
    q.group_by.insert(q.group_by.end(), more.group_by.begin(), more.group_by.end());
  }
  for (const auto& k : q.group_by) {
    if (k.kind >= GroupKey::Kind::kHour) {
      return invalid_argument("--group-by: the series are daily already; group by a dimension");
    }
  }
  auto zone = parse_tz(s.tz);
  if (!zone) return zone.status();
  q.time_zone = *zone;
  if (!s.from.empty()) {
    auto t = parse_time_in(s.from, "--from", q.time_zone);
    if (!t) return t.status();
    q.from = *t;
  }
  if (!s.to.empty()) {
    auto t = parse_time_in(s.to, "--to", q.time_zone);
    if (!t) return t.status();
    q.to = *t;
  }
  if (last_day) {  // the end of that day in the series' zone
    const Timestamp cut = day_start(*last_day + std::chrono::days(1), q.time_zone);
    if (!q.to || *q.to > cut) q.to = cut;
  }
  q.group_by.push_back(GroupKey{GroupKey::Kind::kDay, {}});
  // With rates, every day's cost converted into the currency followed.
  engine::CurrencyConverter* converter = nullptr;
  if (s.rates.has_rates()) {
    auto c = s.rates.converter(s.currency);
    if (!c) return c.status();
    converter = *c;
  }
  auto rows =
      converter != nullptr
          ? converter->aggregate([&](const AggregateQuery& a) { return (*store)->aggregate(a); }, q)
          : (*store)->aggregate(q);
  if (!rows) return with_rates_hint(rows.status(), converter);

  const std::set<std::string> currencies = currencies_of(*rows);
  std::string currency = s.currency;
  if (!currency.empty()) {
    auto code = Currency::parse(currency);
    if (!code) return code.status().with_context("--currency");
    currency = std::string(code->code());
  }
  if (currency.empty()) {
    if (currencies.size() > 1) {
      return invalid_argument("stored spend is in several currencies (" + joined(currencies) +
                              "); choose one with --currency");
    }
    currency = currencies.empty() ? "USD" : *currencies.begin();
  }
  note_other_currencies(currency, currencies);
  // Each group's daily spend, and with `parts` each part's (all the keys but the day).
  using DailySpend = std::map<std::vector<std::string>, std::map<Date, Decimal>>;
  DailySpend groups, part_days;
  for (const auto& r : *rows) {
    auto d = forecasting::parse_date(r.keys.back());
    if (!d) return d.status();
    const auto it = r.cost.find(currency);
    // Adds the row's spend to its day under its first `keys` keys.
    auto add = [&](DailySpend& spend, size_t keys) -> Status {
      Decimal& day = spend[std::vector<std::string>(r.keys.begin(), r.keys.begin() + keys)][*d];
      if (it != r.cost.end() && !Decimal::add_checked(day, it->second, &day)) {
        return out_of_range("stored spend on " + r.keys.back() + " overflows");
      }
      return Status::ok();
    };
    COSTOPS_RETURN_IF_ERROR(add(groups, group_keys));
    if (parts) COSTOPS_RETURN_IF_ERROR(add(part_days, r.keys.size() - 1));
  }
  if (groups.empty()) {
    const std::string hint = filter_hint(**store, q.filters);
    return not_found("no stored spend matches (" +
                     std::string(q.filters.empty() ? "no filters" : "the filters") + ", database " +
                     (*store)->url() + "); " +
                     (hint.empty() ? "ingest usage first or use --series" : hint));
  }
  note_absent_tags(**store, q, *rows);
  const Date running = today(q.time_zone);
  auto series_of = [&](const DailySpend& spend) {
    std::vector<NamedSeries> out;
    for (const auto& [key, days] : spend) {
      const Date first = days.begin()->first;
      Date last = days.rbegin()->first;
      if (last_day) last = std::max(last, *last_day);
      const bool drop_running = !last_day && last == running && first < running;
      if (drop_running) last -= std::chrono::days(1);
      NamedSeries ns;
      for (size_t i = 0; i < key.size(); ++i) {
        ns.group[q.group_by[i].name()] = key[i];
        ns.label += (i ? ", " : "") + q.group_by[i].name() + "=" + (key[i].empty() ? "-" : key[i]);
      }
      ns.series = forecasting::zero_filled_daily(days, last);
      if (drop_running) {
        ns.series.notes.push_back("today (" + forecasting::format_date(running) +
                                  ") is still running: its spend so far is left out");
      }
      if (!last_day && s.to.empty() && last + std::chrono::days(1) < running) {
        // Usage not ingested lately, most often, rather than days of no spend: said, not zeroed.
        ns.series.notes.push_back(
            "the last day with stored spend is " + forecasting::format_date(last) + ", " +
            std::to_string((running - last).count()) + " days before today (" +
            forecasting::format_date(running) +
            "): the series ends there (the days since are not counted as zero spend)");
      }
      ns.last_record = days.rbegin()->first;
      ns.currency = currency;
      out.push_back(std::move(ns));
    }
    return out;
  };
  if (parts) *parts = series_of(part_days);
  return series_of(groups);
}

Result<std::vector<NamedSeries>> load_series(const SeriesSource& s,
                                             std::optional<Date> last_day = std::nullopt,
                                             const std::string& parts_by = "",
                                             std::vector<NamedSeries>* parts = nullptr) {
  if (s.series_file.empty()) return stored_series(s, last_day, parts_by, parts);
  auto series = forecasting::read_series_csv(s.series_file);
  if (!series) return series.status();
  std::vector<NamedSeries> out(1);
  out[0].series = std::move(*series);
  return out;
}

// A comma-separated list of percentages > 0 (and < 100 when `below_100`), for `option`; a
// repeated one counts once (its output columns would repeat).
Result<std::vector<double>> parse_percentages(const std::string& text, const char* option,
                                              bool below_100, const char* example) {
  std::vector<double> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string part = text.substr(start, end - start);
    char* stop = nullptr;
    const double v = std::strtod(part.c_str(), &stop);
    if (part.empty() || *stop != '\0' || !(v > 0) || !std::isfinite(v) || (below_100 && v >= 100)) {
      return invalid_argument(std::string(option) + ": expected percentages" +
                              (below_100 ? " between 0 and 100" : "") + " such as " + example +
                              "; got \"" + part + "\"");
    }
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
    start = end + 1;
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<double>> parse_levels(const std::string& text) {
  return parse_percentages(text, "--level", true, "80,95");
}

// A level as people write it ("80", "99.9", "99.99999": the shortest text that reads back as
// it, so two levels never share a header or a key), for table headers.
std::string level_text(double pct) {
  char buf[32];
  const auto end = std::to_chars(buf, buf + sizeof buf, pct).ptr;
  return std::string(buf, end);
}

// A level in a JSON key or CSV column: "80", "99_9" (lower_99_9).
std::string level_label(double pct) {
  std::string s = level_text(pct);
  std::replace(s.begin(), s.end(), '.', '_');
  return s;
}

// Decimals for a table of amounts: two, or three significant digits of their typical (median)
// nonzero magnitude when that is below 1 (spend in fractions of a cent), at most eight.
int table_decimals(const std::vector<double>& values) {
  std::vector<double> mag;
  for (double v : values) {
    if (std::isfinite(v) && v != 0) mag.push_back(std::abs(v));
  }
  if (mag.empty()) return 2;
  std::nth_element(mag.begin(), mag.begin() + static_cast<std::ptrdiff_t>(mag.size() / 2),
                   mag.end());
  const double typical = mag[mag.size() / 2];
  return std::clamp(2 - static_cast<int>(std::floor(std::log10(typical))), 2, 8);
}

// A finite double for JSON (never NaN or Infinity).
json num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json params_json(const forecasting::ModelParams& p) {
  json j = json::object();
  auto put = [&](const char* k, const std::optional<double>& v) {
    if (v) j[k] = num(*v);
  };
  put("alpha", p.alpha);
  put("beta", p.beta);
  put("gamma", p.gamma);
  put("phi", p.phi);
  put("initial_level", p.initial_level);
  put("initial_trend", p.initial_trend);
  if (!p.initial_seasonal.empty()) {
    json s = json::array();
    for (double v : p.initial_seasonal) s.push_back(num(v));
    j["initial_seasonal"] = s;
  }
  if (p.window) j["window"] = *p.window;
  put("intercept", p.intercept);
  put("slope", p.slope);
  if (!p.seasonal.empty()) {
    json s = json::array();
    for (double v : p.seasonal) s.push_back(num(v));
    j["seasonal"] = s;
  }
  return j;
}

// The names of --group-by's keys, in its order (none when it is empty).
Result<std::vector<std::string>> group_key_names(const std::string& group_by) {
  AggregateQuery q;
  COSTOPS_RETURN_IF_ERROR(build_query(group_by, {}, &q));
  std::vector<std::string> names;
  for (const auto& k : q.group_by) names.push_back(k.name());
  return names;
}

// A command's result as CSV rows: the column names, then each row's fields as text.
struct CsvRows {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

// A number as CSV text: its shortest round-trip digits; empty when unknown (null).
std::string csv_number(const json& v) { return v.is_number() ? v.dump() : std::string(); }

// A command's result as Prometheus gauges: `add` adds a group's samples, given its result and
// its labels (its --group-by values, and the currency of stored spend); `labels` are those keys'
// label names (prometheus_label_names) and `text` gathers every group's samples, which are written
// after the last.
struct PrometheusGauges {
  std::vector<std::string> labels;
  report::PrometheusText text;
  std::function<void(const json&, const report::PrometheusLabels&, report::PrometheusText&)> add;
};

// Runs `one` on every series `source` names and prints the results: as JSON one object (or
// {"groups": [...]} with --group-by), as a table each group under a "== KEY=VALUE, ..." line, as
// CSV one header and every group's rows, led by the --group-by columns, as Prometheus gauges
// through `gauges` (format "prometheus": the command has them).
// With `parts`, stored spend's parts by `parts_by` too (load_series), before `one` runs.
int for_each_series(const SeriesSource& source, const std::string& format,
                    const std::function<Result<json>(const NamedSeries&)>& one,
                    const std::function<void(const json&)>& print_table,
                    const std::function<CsvRows(const json&)>& to_csv,
                    PrometheusGauges* gauges = nullptr, const std::string& parts_by = "",
                    std::vector<NamedSeries>* parts = nullptr) {
  if (Status st = source.check(); !st.is_ok()) {
    report(st);
    return kExitUsage;
  }
  auto all = load_series(source, std::nullopt, parts_by, parts);
  if (!all) {
    report(all.status());
    return kExitFailure;
  }
  source.rates.note_stale();
  json groups = json::array();
  for (const auto& ns : *all) {
    auto j = one(ns);
    if (!j) {
      report(j.status());
      return kExitFailure;
    }
    if (!ns.group.empty()) (*j)["group"] = ns.group;
    groups.push_back(std::move(*j));
  }
  if (format == "json") {
    const bool grouped = !source.group_by.empty();
    std::printf("%s\n", (grouped ? json{{"groups", groups}} : groups[0]).dump(2).c_str());
    return kExitOk;
  }
  if (format == "prometheus") {
    auto keys = group_key_names(source.group_by);
    if (!keys) {
      report(keys.status());
      return kExitUsage;
    }
    for (size_t i = 0; i < groups.size(); ++i) {
      report::PrometheusLabels l;
      for (size_t k = 0; k < keys->size(); ++k)
        l.emplace_back(gauges->labels[k], (*all)[i].group.at((*keys)[k]));
      if (!(*all)[i].currency.empty()) l.emplace_back("currency", (*all)[i].currency);
      gauges->add(groups[i], l, gauges->text);
    }
    std::fputs(gauges->text.str().c_str(), stdout);
    std::vector<std::string> notes;  // on stderr, each once
    for (const auto& g : groups) {
      for (const auto& n : g["notes"]) {
        if (std::find(notes.begin(), notes.end(), n) == notes.end()) notes.push_back(n);
      }
    }
    for (const auto& n : notes) std::fprintf(stderr, "note: %s\n", n.c_str());
    return kExitOk;
  }
  if (format == "csv") {
    auto keys = group_key_names(source.group_by);  // the leading columns
    if (!keys) {
      report(keys.status());
      return kExitUsage;
    }
    auto line = [](const std::vector<std::string>& lead, const std::vector<std::string>& fields) {
      std::string out;
      for (const auto* part : {&lead, &fields}) {
        for (const auto& f : *part) out += (out.empty() ? "" : ",") + report::csv_field(f);
      }
      std::printf("%s\n", out.c_str());
    };
    for (size_t i = 0; i < groups.size(); ++i) {
      const CsvRows csv = to_csv(groups[i]);
      if (i == 0) line(*keys, csv.header);
      std::vector<std::string> lead;
      for (const auto& k : *keys) lead.push_back((*all)[i].group.at(k));
      for (const auto& row : csv.rows) line(lead, row);
    }
    return kExitOk;
  }
  // A note every group has (the stored spend's last day, today left out) is printed once, after
  // them all, rather than under each.
  json shared = json::array();
  if (groups.size() > 1) {
    for (const auto& n : groups[0]["notes"]) {
      if (std::all_of(groups.begin(), groups.end(), [&](const json& g) {
            return std::find(g["notes"].begin(), g["notes"].end(), n) != g["notes"].end();
          })) {
        shared.push_back(n);
      }
    }
  }
  for (size_t i = 0; i < groups.size(); ++i) {
    const std::string& label = (*all)[i].label;
    if (!label.empty()) std::printf("== %s\n", label.c_str());
    json& notes = groups[i]["notes"];
    for (const auto& n : shared) notes.erase(std::find(notes.begin(), notes.end(), n));
    print_table(groups[i]);
  }
  if (!shared.empty()) std::printf("== every group\n");
  for (const auto& n : shared) std::printf("note: %s\n", n.get<std::string>().c_str());
  return kExitOk;
}

// The dimensions that --drivers-by names ("provider,model" by default), checked: no time keys.
Result<std::vector<std::string>> driver_keys(const std::string& drivers_by) {
  AggregateQuery q;
  COSTOPS_RETURN_IF_ERROR(build_query(drivers_by, {}, &q).with_context("--drivers-by"));
  std::vector<std::string> keys;
  for (const auto& k : q.group_by) {
    if (k.kind >= GroupKey::Kind::kHour) {
      return invalid_argument("--drivers-by: " + k.name() +
                              " is a time key; name dimensions (provider, model, project, "
                              "tag:KEY, ...)");
    }
    keys.push_back(k.name());
  }
  if (keys.empty()) return invalid_argument("--drivers-by: name at least one dimension");
  return keys;
}

// A driver's name: its values of `keys`, joined by "/" (an empty value as "-").
std::string driver_name(const NamedSeries& part, const std::vector<std::string>& keys) {
  std::string name;
  for (const auto& k : keys) {
    const std::string& v = part.group.at(k);
    name += (name.empty() ? "" : "/") + (v.empty() ? std::string("-") : v);
  }
  return name;
}

// Money from its JSON: exact decimal text, or a number whose shortest text is its value
// (budgets' cents), read as a Decimal rather than through the double.
Result<Decimal> read_money(const json& v) {
  return Decimal::parse(v.is_string() ? v.get<std::string>() : v.dump());
}

// Money with `dp` decimals (half-even) from its JSON (read_money), or its JSON text.
std::string money(const json& v, int dp) {
  auto d = read_money(v);
  return d ? d->to_string_fixed(dp) : v.dump();
}

// Money from its JSON as money() reads it (0 when it is not a number).
Decimal money_value(const json& v) {
  const auto d = read_money(v);
  return d ? *d : Decimal{};
}

// `part` in percent of `whole`, exactly with one decimal: " (44.5%)", or with `sign` " (+12.9%)";
// empty when `whole` is not above zero.
std::string percent_note(const Decimal& part, const Decimal& whole, bool sign) {
  if (!(Decimal{} < whole)) return "";
  const auto pct = report::percent_text(part, whole, 1, sign);
  return pct ? " (" + *pct + "%)" : "";
}

// A money change as "+1.50" or "-0.25", as money() prints it.
std::string signed_money(const json& v, int dp) {
  const std::string text = money(v, dp);
  return (text.front() == '-' ? "" : "+") + text;
}

// "name +change, ..." of a JSON list of drivers; empty when there are none.
std::string driver_list(const json& drivers, int dp) {
  std::string out;
  for (const auto& d : drivers) {
    out += (out.empty() ? "" : ", ") + d["name"].get<std::string>() + " " +
           signed_money(d["change"], dp);
  }
  return out;
}

constexpr const char* kDriversByHelp =
    "Stored data: the dimensions drivers are named by (default provider,model)";

// ---- forecast ------------------------------------------------------------------------------

struct ForecastCmd {
  SeriesSource source;
  std::string model = "auto", level = "80,95", format = "json", clean = "default";
  std::string init = "default";
  int season = -1, horizon = 0, holdout = 0;
  std::optional<double> alpha, beta, gamma, phi;  // held fixed in a named model's fit
};

Result<json> forecast_one(const ForecastCmd& o, const Series& s,
                          const std::vector<double>& levels) {
  using namespace forecasting;
  const int season = o.season >= 0 ? o.season : default_season(s.frequency);
  const size_t n = s.size();
  if (o.holdout < 0 || static_cast<size_t>(o.holdout) >= n) {
    return invalid_argument("--holdout must be between 0 and " + std::to_string(n - 1) +
                            " (the series has " + std::to_string(n) + " values)");
  }
  const size_t train_n = n - static_cast<size_t>(o.holdout);
  std::vector<double> train(s.values.begin(),
                            s.values.begin() + static_cast<std::ptrdiff_t>(train_n));
  int horizon = o.horizon;
  if (horizon <= 0) {
    // A season the series is too short to fit (two of them) does not set the horizon either.
    const int usable = holds_two_seasons(train_n, season) ? season : default_season(s.frequency);
    horizon = o.holdout > 0                       ? o.holdout
              : s.frequency == Frequency::kDaily  ? 30
              : s.frequency == Frequency::kYearly ? 5
                                                  : std::max(usable, 4);
  }
  horizon = std::max(horizon, o.holdout);
  const bool is_auto = o.model == "auto";
  const bool clean = o.clean == "on" || (o.clean == "default" && is_auto);

  json out;
  FittedModel fitted;
  json cleaned = json::array();
  if (is_auto) {
    AutoOptions ao;
    ao.season = season;
    ao.horizon = horizon;
    ao.clean_anomalies = clean;
    if (o.init == "estimated") ao.initialization = Initialization::kEstimated;
    auto sel = select_model(train, ao);
    if (!sel) return sel.status();
    fitted = std::move(sel->fit);
    out["reason"] = sel->reason;
    json cands = json::array();
    for (const auto& c : sel->candidates) {
      cands.push_back(
          {{"model", model_name(c.model)},
           {"sse", num(c.sse)},
           {"aicc", c.aicc ? num(*c.aicc) : json(nullptr)},
           {"backtest_mae", num(c.backtest_mae)},
           {"selection_aicc", c.selection_aicc ? num(*c.selection_aicc) : json(nullptr)},
           {"plausible", c.plausible}});
    }
    out["candidates"] = cands;
    for (size_t i = 0; i < sel->cleaned.size(); ++i) {
      const size_t k = sel->cleaned[i];
      cleaned.push_back({{"date", format_date(s.dates[k], s.date_style)},
                         {"value", num(s.values[k])},
                         {"replaced_with", num(sel->cleaned_with[i])}});
    }
  } else {
    auto kind = parse_model(o.model);  // checked by check_forecast_options
    if (!kind) return kind.status().with_context("--model");
    std::vector<double> y = train;
    if (clean) {
      // As auto cleans: only clear spikes.
      for (const auto& [k, v] : clean_anomalies(y, season)) {
        cleaned.push_back({{"date", format_date(s.dates[k], s.date_style)},
                           {"value", num(s.values[k])},
                           {"replaced_with", num(v)}});
      }
    }
    FitOptions fo;
    fo.model = *kind;
    fo.season = is_seasonal(*kind) ? season : 0;
    fo.fixed.alpha = o.alpha;
    fo.fixed.beta = o.beta;
    fo.fixed.gamma = o.gamma;
    fo.fixed.phi = o.phi;
    fo.initialization =
        o.init == "heuristic" ? Initialization::kHeuristic : Initialization::kEstimated;
    auto f = fit(y, fo);
    if (!f) return f.status();
    fitted = std::move(*f);
    out["reason"] = "requested with --model";
  }
  out["model"] = model_name(fitted.model);
  out["season"] = fitted.season;
  out["frequency"] = frequency_name(s.frequency);
  out["n"] = train_n;
  out["params"] = params_json(fitted.params);
  out["sse"] = num(fitted.sse);
  out["aicc"] = fitted.aicc ? num(*fitted.aicc) : json(nullptr);
  out["variance_scale"] = num(fitted.variance_scale);
  out["cleaned"] = cleaned;
  std::vector<double> fractions;
  for (double l : levels) fractions.push_back(l / 100);
  const auto fc = forecast(fitted, horizon, fractions);
  json rows = json::array();
  const Date last = s.dates[train_n - 1];
  for (int i = 0; i < horizon; ++i) {
    const auto& p = fc[static_cast<size_t>(i)];
    json r;
    r["date"] = format_date(advance(last, s.frequency, i + 1), s.date_style);
    r["value"] = num(p.value);
    for (size_t k = 0; k < levels.size(); ++k) {  // null without an error variance
      const bool known = k < p.bounds.size();
      r["lower_" + level_label(levels[k])] = known ? num(p.bounds[k].first) : json(nullptr);
      r["upper_" + level_label(levels[k])] = known ? num(p.bounds[k].second) : json(nullptr);
    }
    // A held-out day's actual value, beside its forecast.
    if (i < o.holdout) r["actual"] = num(s.values[train_n + static_cast<size_t>(i)]);
    rows.push_back(r);
  }
  out["forecast"] = rows;
  if (o.holdout > 0) {
    std::vector<double> pred, actual;
    for (int i = 0; i < o.holdout; ++i) {
      pred.push_back(fc[static_cast<size_t>(i)].value);
      actual.push_back(s.values[train_n + static_cast<size_t>(i)]);
    }
    const auto acc = accuracy(actual, pred, train, season);
    out["holdout"] = {{"h", o.holdout},
                      {"smape", num(acc.smape)},
                      {"mase", acc.mase ? num(*acc.mase) : json(nullptr)},
                      {"mae", num(acc.mae)},
                      {"rmse", num(acc.rmse)},
                      {"mape", acc.mape ? num(*acc.mape) : json(nullptr)},
                      {"mase_scale", "in-sample seasonal naive MAE, lag " +
                                         std::to_string(season > 1 ? season : 1)}};
  }
  json notes = json::array();
  for (const auto& note : s.notes) notes.push_back(note);
  out["notes"] = notes;
  return out;
}

void print_forecast_table(const json& j, const std::vector<double>& levels) {
  const int season = j["season"].get<int>();
  const std::string of = season > 0 ? "season " + std::to_string(season) : "no season";
  std::printf("model: %s (%s)\nreason: %s\n", j["model"].get<std::string>().c_str(), of.c_str(),
              j["reason"].get<std::string>().c_str());
  for (const auto& c : j["cleaned"]) {
    std::printf("cleaned: %s %.6g -> %.6g\n", c["date"].get<std::string>().c_str(),
                c["value"].get<double>(), c["replaced_with"].get<double>());
  }
  if (j.contains("holdout")) {
    const auto& h = j["holdout"];
    std::printf("holdout (last %d): sMAPE %.3f%%  MASE %s  MAE %.6g  RMSE %.6g\n",
                h["h"].get<int>(), h["smape"].get<double>(),
                h["mase"].is_null() ? "n/a" : std::to_string(h["mase"].get<double>()).c_str(),
                h["mae"].get<double>(), h["rmse"].get<double>());
  }
  const bool held_out = j.contains("holdout");  // rows with an actual value come first
  std::printf("%-12s %14s", "date", "forecast");
  for (double l : levels)
    std::printf(" %14s %14s", ("lower " + level_text(l)).c_str(),
                ("upper " + level_text(l)).c_str());
  if (held_out) std::printf(" %14s", "actual");
  std::printf("\n");
  std::vector<double> values;
  for (const auto& r : j["forecast"]) values.push_back(r["value"].get<double>());
  const int dp = table_decimals(values);
  for (const auto& r : j["forecast"]) {
    std::printf("%-12s %14.*f", r["date"].get<std::string>().c_str(), dp, r["value"].get<double>());
    for (double l : levels) {
      for (const char* side : {"lower_", "upper_"}) {
        const auto& b = r[side + level_label(l)];
        if (b.is_null()) {
          std::printf(" %14s", "n/a");
        } else {
          std::printf(" %14.*f", dp, b.get<double>());
        }
      }
    }
    if (held_out && r.contains("actual") && !r["actual"].is_null()) {
      std::printf(" %14.*f", dp, r["actual"].get<double>());
    }
    std::printf("\n");
  }
  for (const auto& n : j["notes"]) std::printf("note: %s\n", n.get<std::string>().c_str());
}

// A forecast as CSV: the model, then each day's forecast, bounds and (held out) actual value.
CsvRows forecast_csv(const json& j, const std::vector<double>& levels) {
  CsvRows csv;
  csv.header = {"model", "date", "value"};
  for (double l : levels) {
    csv.header.push_back("lower_" + level_label(l));
    csv.header.push_back("upper_" + level_label(l));
  }
  csv.header.push_back("actual");
  for (const auto& r : j["forecast"]) {
    std::vector<std::string> row = {j["model"].get<std::string>(), r["date"].get<std::string>(),
                                    csv_number(r["value"])};
    for (double l : levels) {
      row.push_back(csv_number(r["lower_" + level_label(l)]));
      row.push_back(csv_number(r["upper_" + level_label(l)]));
    }
    row.push_back(csv_number(r.value("actual", json())));
    csv.rows.push_back(std::move(row));
  }
  return csv;
}

// The options that do not fit --model, before any data is read: a command-line error.
Status check_forecast_options(const ForecastCmd& o) {
  using namespace forecasting;
  const bool fixed = o.alpha || o.beta || o.gamma || o.phi;
  if (o.model == "auto") {
    if (!fixed) return Status::ok();
    return invalid_argument(
        "--alpha, --beta, --gamma and --phi hold a named model's parameters; choose one with "
        "--model (ses, holt, hw-add, ...)");
  }
  auto kind = parse_model(o.model);
  if (!kind) return kind.status().with_context("--model");
  const std::string name(model_name(*kind));
  if (o.init != "default" && !is_exponential_smoothing(*kind)) {
    return invalid_argument("--init does not apply to " + name +
                            " (not exponential smoothing: no initial states)");
  }
  if (o.season >= 0 && o.season < 2 && is_seasonal(*kind)) {
    return invalid_argument(name +
                            " needs a season: --season N >= 2, or leave --season out for "
                            "the series' own (7 daily, 12 monthly, ...)");
  }
  ModelParams fx;
  fx.alpha = o.alpha, fx.beta = o.beta, fx.gamma = o.gamma, fx.phi = o.phi;
  return check_fixed(*kind, fx);
}

int run_forecast(const ForecastCmd& o) {
  auto levels = parse_levels(o.level);
  if (!levels) {
    report(levels.status());
    return kExitUsage;
  }
  if (Status st = check_forecast_options(o); !st.is_ok()) {
    report(st);
    return kExitUsage;
  }
  return for_each_series(
      o.source, o.format,
      [&](const NamedSeries& ns) { return forecast_one(o, ns.series, *levels); },
      [&](const json& g) { print_forecast_table(g, *levels); },
      [&](const json& g) { return forecast_csv(g, *levels); });
}

void add_forecast(CLI::App& app, int& rc) {
  auto o = std::make_shared<ForecastCmd>();
  CLI::App* cmd = app.add_subcommand("forecast", "Forecast a series or stored daily spend");
  cmd->footer(R"(
Models: auto (default), naive, seasonal-naive, moving-average, linear, linear-season,
log-linear-season, ses, holt, holt-damped, seasonal-add, seasonal-mul, hw-add, hw-mul,
hw-add-damped, hw-mul-damped. linear-season is a least-squares line plus an effect per period
of the season (seasonal dummies); log-linear-season the same on log values (exponential growth
times a seasonal profile).
auto fits every model the data supports (but linear-season), scores each by a rolling-origin
backtest, and of the candidates whose AICc (counting the parameters the fit estimated) is within
10 of the lowest (an undamped trend left out when its damped model is among them) keeps the one
of the better half whose forecast is closest to their median forecast.
Anomalous values (seasonal ESD) are replaced before fitting with auto (--clean on|off).
With --holdout H the model is fitted without the last H values and scored on them (sMAPE in
percent, M4 definition; MASE scaled by the in-sample seasonal naive MAE); their rows show the
actual values.
Examples:
  cost-ops forecast --series spend.csv --horizon 30
  cost-ops forecast --series airpassengers.csv --holdout 12 --format table
  cost-ops forecast --filter project=search --group-by provider)");
  o->source.add_to(*cmd, true);
  cmd->add_option("--model", o->model, "auto or a model name (see below)")
      ->check(suggest(model_choices()));
  cmd->add_option("--season", o->season,
                  "Season length (default: 7 daily, 52 weekly, 12 monthly, 4 quarterly; 0: none)")
      ->check(number_in(0, 100000));
  cmd->add_option("--horizon", o->horizon,
                  "Periods to forecast (default: 30 days, 5 years, else a season)")
      ->check(number_in(1, 1000000));
  cmd->add_option("--level", o->level, "Prediction interval levels in percent (default 80,95)");
  cmd->add_option("--holdout", o->holdout, "Score the model on the last H values")
      ->check(number_in(0));
  cmd->add_option("--clean", o->clean,
                  "Replace anomalies before fitting: on or off "
                  "(default: on for auto, off for a named model)")
      ->check(CLI::IsMember({"on", "off", "default"}));
  cmd->add_option("--init", o->init,
                  "Exponential smoothing initial states: estimated (with the parameters, lowest "
                  "SSE; the default for a named model) or heuristic (Hyndman et al. 2008, held "
                  "fixed; the default for auto)")
      ->check(CLI::IsMember({"estimated", "heuristic", "default"}));
  cmd->add_option("--alpha", o->alpha,
                  "Named exponential smoothing model: hold the level's smoothing parameter at this "
                  "value (0..1); what is not held is fitted")
      ->check(number_in(0, 1));
  cmd->add_option("--beta", o->beta, "... the trend's (0..alpha)")->check(number_in(0, 1));
  cmd->add_option("--gamma", o->gamma, "... the season's (0..1-alpha)")->check(number_in(0, 1));
  cmd->add_option("--phi", o->phi, "... the damping (0.8..0.995)")->check(number_in(0.8, 0.995));
  cmd->add_option("--format", o->format, "json, table or csv")
      ->check(CLI::IsMember({"json", "table", "csv"}));
  cmd->callback([o, &rc] { rc = run_forecast(*o); });
}

// ---- anomalies -----------------------------------------------------------------------------

struct AnomaliesCmd {
  SeriesSource source;
  std::string method = "seasonal", format = "json", direction = "both";
  std::string drivers_by = "provider,model", since, fail_on;
  int season = -1;
  std::optional<double> threshold;
  double min_cost = 0, max_anomalies = 0.1;
  std::vector<std::string> labels;  // --label NAME=VALUE (prometheus)
};

int run_anomalies(const AnomaliesCmd& o) {
  using namespace forecasting;
  auto method = parse_anomaly_method(o.method);
  if (!method) {
    report(method.status());
    return kExitUsage;
  }
  if (*method == AnomalyMethod::kSeasonal && o.threshold && *o.threshold >= 1) {
    report(invalid_argument(
        "--threshold: the seasonal detector's threshold is a significance level in (0, 1), such "
        "as 0.01 (the default); a number of deviations is the other methods' (--method mad)"));
    return kExitUsage;
  }
  // --since: the first day reported (the history before it still sets what is usual).
  std::optional<Date> since;
  if (!o.since.empty()) {
    auto zone = parse_tz(o.source.tz);
    if (!zone) {
      report(zone.status());
      return kExitUsage;
    }
    const Date now = today(*zone);
    auto day = o.since == "today"       ? Result<Date>(now)
               : o.since == "yesterday" ? Result<Date>(now - std::chrono::days(1))
                                        : parse_date(o.since);
    if (!day) {
      report(invalid_argument("--since: expected YYYY-MM-DD, today or yesterday, got \"" + o.since +
                              "\""));
      return kExitUsage;
    }
    since = *day;
  }
  std::optional<Severity> fail_on;
  for (auto sv : {Severity::kLow, Severity::kMedium, Severity::kHigh}) {
    if (o.fail_on == severity_name(sv)) fail_on = sv;
  }
  size_t failing = 0;  // anomalies reported at or above --fail-on
  // Stored spend: each group's spend by --drivers-by too, so that each anomaly names the parts
  // that moved it (unless the groups are single parts already).
  // Loaded with the groups, from one query (for_each_series).
  std::vector<NamedSeries> parts;
  std::vector<std::string> keys;  // the --group-by keys, which a part shares with its group
  std::vector<std::string> named_by;
  std::string extra;  // "KEY,..." of the --drivers-by keys that are not --group-by keys
  if (o.source.series_file.empty()) {
    auto gk = group_key_names(o.source.group_by);
    auto dk = driver_keys(o.drivers_by);
    if (!gk || !dk) {
      report(gk ? dk.status() : gk.status());
      return kExitUsage;
    }
    named_by = *dk;
    keys = *gk;
    for (const auto& k : named_by) {
      if (std::find(keys.begin(), keys.end(), k) == keys.end())
        extra += (extra.empty() ? "" : ",") + k;
    }
  }
  // --format prometheus: labelled by the --group-by keys, and each anomaly by its day.
  // (--group-by's own errors are the data's checks'.)
  PrometheusGauges gauges;
  const std::string reserved[] = {"currency", "severity", "date"};
  std::vector<std::string> taken(std::begin(reserved), std::end(reserved));
  if (auto names = group_key_names(o.source.group_by); names && o.format == "prometheus") {
    auto labels = report::prometheus_label_names(*names, reserved);
    if (!labels) {
      report(labels.status().with_context("--format prometheus"));
      return kExitUsage;
    }
    gauges.labels = std::move(*labels);
    taken.insert(taken.end(), gauges.labels.begin(), gauges.labels.end());
  }
  if (auto constant = constant_labels(o.labels, o.format, taken); constant) {
    gauges.text = report::PrometheusText(std::move(*constant));
  } else {
    report(constant.status());
    return kExitUsage;
  }
  gauges.add = [](const json& g, const report::PrometheusLabels& l, report::PrometheusText& p) {
    for (const char* severity : {"low", "medium", "high"}) {
      report::PrometheusLabels ls = l;
      ls.emplace_back("severity", severity);
      const auto n = std::count_if(g["anomalies"].begin(), g["anomalies"].end(),
                                   [&](const json& a) { return a["severity"] == severity; });
      p.gauge("costops_anomalies",
              "Anomalous days reported (on or after --since), by severity; 0 when none", ls,
              std::to_string(n));
    }
    for (const auto& a : g["anomalies"]) {
      report::PrometheusLabels la = l;
      la.emplace_back("date", a["date"].get<std::string>());
      la.emplace_back("severity", a["severity"].get<std::string>());
      const std::tuple<const char*, const char*, const char*> figures[] = {
          {"costops_anomaly_value", "value", "An anomalous day's value (its spend)"},
          {"costops_anomaly_expected", "expected",
           "What an anomalous day's value was expected to be"},
          {"costops_anomaly_score", "score",
           "An anomalous day's score in its method's unit: z (zscore), robust z (mad, and "
           "seasonal's remainder), interquartile ranges beyond the fence (iqr)"}};
      for (const auto& [name, key, help] : figures) {
        if (a[key].is_number()) p.gauge(name, help, la, a[key].dump());
      }
    }
  };
  auto one = [&](const NamedSeries& ns) -> Result<json> {
    const Series& s = ns.series;
    std::vector<SpendPart> mine;  // this group's parts
    for (const auto& p : parts) {
      bool same = true;
      for (const auto& k : keys) same = same && p.group.at(k) == ns.group.at(k);
      if (same) mine.emplace_back(driver_name(p, named_by), p.series);
    }
    AnomalyOptions ao;
    ao.method = *method;
    ao.season = o.season >= 0 ? o.season : default_season(s.frequency);
    ao.threshold = o.threshold;
    ao.min_deviation = o.min_cost;
    ao.max_anomalies = o.max_anomalies;
    ao.direction = o.direction == "up"     ? Direction::kUp
                   : o.direction == "down" ? Direction::kDown
                                           : Direction::kBoth;
    ao.unobserved = s.filled;  // interpolated into gaps: never reported
    json notes = s.notes;
    if (ao.method == AnomalyMethod::kSeasonal && ao.season >= 2 &&
        !holds_two_seasons(s.size(), ao.season)) {
      // decompose() removes no season then; say so rather than report a season not used.
      notes.push_back("season " + std::to_string(ao.season) + " needs two seasons of values (" +
                      std::to_string(2 * ao.season) + "), got " + std::to_string(s.size()) +
                      ": no seasonal pattern removed");
      ao.season = 0;
    }
    auto found = detect_anomalies(s.values, ao);
    if (!found) return found.status();
    json list = json::array();
    for (const auto& a : *found) {
      if (since && s.dates[a.index] < *since) continue;
      if (fail_on && a.severity >= *fail_on) ++failing;
      json item = {{"date", format_date(s.dates[a.index], s.date_style)},
                   {"value", num(a.value)},
                   {"expected", num(a.expected)},
                   {"score", num(a.score)},
                   {"severity", severity_name(a.severity)}};
      if (!parts.empty()) {
        auto drivers = anomaly_drivers(mine, s.dates[a.index], ao.season, a.value, a.expected);
        if (!drivers) return drivers.status();
        item["drivers"] = report::drivers_json(*drivers);
      }
      list.push_back(std::move(item));
    }
    return json{{"anomalies", list},
                {"method", anomaly_method_name(*method)},
                {"season", ao.season},
                {"notes", notes}};
  };
  auto table = [](const json& g) {
    std::printf("%-12s %14s %14s %8s %s\n", "date", "value", "expected", "score", "severity");
    std::vector<double> values;
    for (const auto& a : g["anomalies"]) {  // an expected zero says nothing of the scale
      values.push_back(a["value"].get<double>());
      values.push_back(a["expected"].get<double>());
    }
    const int dp = table_decimals(values);
    for (const auto& a : g["anomalies"]) {
      std::printf("%-12s %14.*f %14.*f %8.2f %s\n", a["date"].get<std::string>().c_str(), dp,
                  a["value"].get<double>(), dp, a["expected"].get<double>(),
                  a["score"].get<double>(), a["severity"].get<std::string>().c_str());
      const std::string drivers = driver_list(a.value("drivers", json::array()), dp);
      if (!drivers.empty()) std::printf("%-12s drivers: %s\n", "", drivers.c_str());
    }
    if (g["anomalies"].empty()) std::printf("no anomalies\n");
    for (const auto& n : g["notes"]) std::printf("note: %s\n", n.get<std::string>().c_str());
  };
  auto csv = [](const json& g) {
    CsvRows out;
    out.header = {"date", "value", "expected", "score", "severity", "drivers"};
    for (const auto& a : g["anomalies"]) {
      std::string drivers;  // "name change; ..." in exact decimal text
      for (const auto& d : a.value("drivers", json::array())) {
        drivers += (drivers.empty() ? "" : "; ") + d["name"].get<std::string>() + " " +
                   d["change"].get<std::string>();
      }
      out.rows.push_back({a["date"].get<std::string>(), csv_number(a["value"]),
                          csv_number(a["expected"]), csv_number(a["score"]),
                          a["severity"].get<std::string>(), drivers});
    }
    return out;
  };
  const int rc = for_each_series(o.source, o.format, one, table, csv, &gauges, extra,
                                 extra.empty() ? nullptr : &parts);
  if (rc != kExitOk || failing == 0) return rc;
  std::fprintf(stderr, "anomalies: %zu at or above %s%s\n", failing, o.fail_on.c_str(),
               since ? (" since " + format_date(*since)).c_str() : "");
  return kExitAnomaly;
}

void add_anomalies(CLI::App& app, int& rc) {
  auto o = std::make_shared<AnomaliesCmd>();
  CLI::App* cmd =
      app.add_subcommand("anomalies", "Find anomalous days in a series or stored spend");
  cmd->footer(R"(
On stored spend, each anomaly names its drivers: the provider/model pairs (or --drivers-by's
dimensions) whose spend that day moved most from their usual (the median of the same day of the
season, the weekday, over the 4 seasons before), the way the anomaly went, up to 3, each
explaining at least 1% of the deviation; their amounts are exact decimal text.
Methods: seasonal (default: weekly season and trend removed robustly, in logs when no value
is negative, then a generalized ESD test on the remainder with the median and biweight scale, as
in Seasonal Hybrid ESD; --threshold is its significance level, default 0.01; a weekday whose
median is zero expects zero; spend on fewer than half the days has its days with spend tested
against their median, and a day without spend is ordinary), zscore (default 3), mad (robust z,
default 3.5), iqr (fence multiplier, default 1.5).
A daily job that alerts on yesterday's spend: --since yesterday --fail-on medium --direction up
exits with status 5 (after printing them) when such an anomaly is found, else 0. With --format
prometheus the same job writes gauges for an alert rule instead: costops_anomalies (a sample per
severity, 0 when none) and each anomaly's costops_anomaly_value, _expected and _score, labelled
by its date and severity (and by the --group-by keys).
Examples:
  cost-ops anomalies --series spend.csv
  cost-ops anomalies --since yesterday --fail-on medium --direction up --min-cost 20
  cost-ops anomalies --method mad --min-cost 50 --filter project=search --format table
  cost-ops anomalies --drivers-by project --format table
  cost-ops anomalies --group-by provider --since yesterday --direction up --format prometheus \
    > /var/lib/prometheus/node-exporter/cost-ops-anomalies.prom  # node_exporter's textfile collector)");
  o->source.add_to(*cmd, true);
  cmd->add_option("--method", o->method, "seasonal, zscore, mad or iqr")
      ->check(suggest({"seasonal", "zscore", "mad", "iqr"}));
  cmd->add_option("--season", o->season, "Season length (default from the dates: 7 for daily)")
      ->check(number_in(0, 100000));
  cmd->add_option("--threshold", o->threshold, "The method's threshold (see below)")
      ->check(positive_number());
  cmd->add_option("--min-cost", o->min_cost, "Ignore deviations smaller than this amount")
      ->check(number_in(0));
  cmd->add_option("--max-anomalies", o->max_anomalies,
                  "seasonal: largest fraction of points that can be anomalies (default 0.1)")
      ->check(number_in(0, 0.5));
  cmd->add_option("--direction", o->direction, "both, up or down")
      ->check(CLI::IsMember({"both", "up", "down"}));
  cmd->add_option("--drivers-by", o->drivers_by, kDriversByHelp)
      ->excludes(cmd->get_option("--series"));
  cmd->add_option("--since", o->since,
                  "Report only the anomalies on or after this day (YYYY-MM-DD, today or "
                  "yesterday); the history before it still sets what is usual");
  cmd->add_option("--fail-on", o->fail_on,
                  "Exit with status 5 when a reported anomaly is at least this severe (low, "
                  "medium or high): a scheduled job's alert")
      ->check(CLI::IsMember({"low", "medium", "high"}));
  cmd->add_option("--format", o->format,
                  "json, table, csv, or prometheus (gauges in Prometheus' text format: the "
                  "anomalies by severity, and each one's value, expected value and score)")
      ->check(CLI::IsMember({"json", "table", "csv", "prometheus"}));
  add_prometheus_labels(*cmd, o->labels);
  cmd->callback([o, &rc] { rc = run_anomalies(*o); });
}

// ---- budget --------------------------------------------------------------------------------

Result<std::vector<double>> parse_thresholds(const std::string& text) {
  return parse_percentages(text, "--thresholds", false, "50,80,100");
}

// Money as a JSON number: rounded half-even to cents, the point where budgets are displayed (its
// double prints as those digits).
json cents(const Decimal& v) { return v.round(2).to_double(); }

json status_json(const forecasting::BudgetStatus& st, const Decimal& amount,
                 const std::string& period, const forecasting::DateRange& range, Date as_of,
                 double level) {
  using forecasting::format_date;
  json crossed = json::array();
  for (const auto& c : st.thresholds_crossed) {
    crossed.push_back({{"percent", num(c.percent)},
                       {"basis", c.actual ? "actual" : "forecast"},
                       {"date", format_date(c.date)}});
  }
  auto maybe = [](const std::optional<Decimal>& v) { return v ? cents(*v) : json(nullptr); };
  return {
      {"amount", cents(amount)},
      {"period", period},
      {"period_start", format_date(range.start)},
      {"period_end", format_date(range.end)},
      {"as_of", format_date(as_of)},
      {"spent", cents(st.spent)},
      {"projected_total", cents(st.projected_total)},
      {"projected_lower", maybe(st.projected_lower)},
      {"projected_upper", maybe(st.projected_upper)},
      {"interval_level", num(level * 100)},
      {"probability_over",
       st.probability_over ? num(std::round(*st.probability_over * 10000) / 10000) : json(nullptr)},
      {"exhaustion_date",
       st.exhaustion_date ? json(format_date(*st.exhaustion_date)) : json(nullptr)},
      {"exhausted", st.exhausted},
      {"run_rate_total", cents(st.run_rate_total)},
      {"thresholds_crossed", crossed},
      {"days_elapsed", st.days_elapsed},
      {"days_remaining", st.days_remaining},
      {"model", st.model.empty() ? json(nullptr) : json(st.model)},
      {"reason", st.reason}};
}

json change_json(const forecasting::BudgetChange& c) {
  using forecasting::format_date;
  auto maybe = [](const std::optional<Decimal>& v) { return v ? cents(*v) : json(nullptr); };
  json drivers = json::array();
  for (const auto& d : c.drivers.top) {
    drivers.push_back({{"name", d.name},
                       {"spend_last", cents(d.value)},
                       {"spend_previous", cents(d.baseline)},
                       {"change", cents(d.change)}});
  }
  const auto& o = c.drivers.others;
  json others = {{"parts", c.drivers.other_parts},
                 {"spend_last", cents(o.value)},
                 {"spend_previous", cents(o.baseline)},
                 {"change", cents(o.change)}};
  return {{"since", format_date(c.since)},
          {"projected_total_then", maybe(c.projected_then)},
          {"projected_change", maybe(c.projected_change)},
          {"window_days", c.days},
          {"window_end", format_date(c.last_day)},
          {"spend_last", cents(c.last)},
          {"spend_previous", cents(c.previous)},
          {"drivers", drivers},
          {"others", others}};
}

void print_change(const json& c, int dp) {
  if (!c["projected_change"].is_null()) {
    std::printf("  moved          %12s  since %s (projected %s then)\n",
                signed_money(c["projected_change"], dp).c_str(),
                c["since"].get<std::string>().c_str(),
                money(c["projected_total_then"], dp).c_str());
  }
  const int n = c["window_days"].get<int>();
  const Decimal last = money_value(c["spend_last"]), prev = money_value(c["spend_previous"]);
  std::printf("  last %d days    %12s  against %s the %d before%s\n", n,
              money(c["spend_last"], dp).c_str(), money(c["spend_previous"], dp).c_str(), n,
              percent_note(last - prev, prev, true).c_str());
  std::string drivers = driver_list(c["drivers"], dp);
  if (const size_t parts = c["others"]["parts"].get<size_t>(); parts > 0) {
    drivers += ", " + std::to_string(parts) + (parts == 1 ? " other " : " others ") +
               signed_money(c["others"]["change"], dp);
  }
  if (!drivers.empty()) std::printf("  drivers        %s\n", drivers.c_str());
}

void print_status(const json& j) {
  if (j.contains("name")) std::printf("budget %s\n", j["name"].get<std::string>().c_str());
  const double amount = j["amount"].get<double>();
  const int dp = table_decimals({amount});
  if (j.contains("scope")) {  // a budget of the command line's
    std::string scope;
    for (const auto& f : j["scope"]) scope += (scope.empty() ? "" : ", ") + f.get<std::string>();
    std::printf("budget of %s %s (%s)\n", money(j["amount"], dp).c_str(),
                j["currency"].get<std::string>().c_str(),
                scope.empty() ? "all spend" : scope.c_str());
  }
  std::printf("  period %s (%s..%s), as of %s\n", j["period"].get<std::string>().c_str(),
              j["period_start"].get<std::string>().c_str(),
              j["period_end"].get<std::string>().c_str(), j["as_of"].get<std::string>().c_str());
  std::printf("  spent          %12s of %s%s\n", money(j["spent"], dp).c_str(),
              money(j["amount"], dp).c_str(),
              percent_note(money_value(j["spent"]), money_value(j["amount"]), false).c_str());
  const std::string model = j["model"].is_null() ? "period ended" : j["model"].get<std::string>();
  if (j["projected_lower"].is_null()) {
    std::printf("  projected      %12s  [no interval: too little history]  (%s)\n",
                money(j["projected_total"], dp).c_str(), model.c_str());
  } else {
    std::printf("  projected      %12s  [%s, %s] at %g%%  (%s)\n",
                money(j["projected_total"], dp).c_str(), money(j["projected_lower"], dp).c_str(),
                money(j["projected_upper"], dp).c_str(), j["interval_level"].get<double>(),
                model.c_str());
  }
  std::printf("  run rate       %12s\n", money(j["run_rate_total"], dp).c_str());
  if (j["probability_over"].is_null()) {
    std::printf("  P(over budget) %12s\n", "n/a");
  } else {
    std::printf("  P(over budget) %12.1f%%\n", 100 * j["probability_over"].get<double>());
  }
  if (j["exhaustion_date"].is_null()) {
    std::printf("  exhaustion     %12s\n", "not expected");
  } else {
    std::printf("  exhaustion     %12s  (%s)\n", j["exhaustion_date"].get<std::string>().c_str(),
                j["exhausted"].get<bool>() ? "actual" : "forecast");
  }
  for (const auto& c : j["thresholds_crossed"]) {
    std::printf("  crossed %g%% on %s (%s)\n", c["percent"].get<double>(),
                c["date"].get<std::string>().c_str(), c["basis"].get<std::string>().c_str());
  }
  if (j.contains("change")) print_change(j["change"], dp);
  for (const auto& n : j["notes"]) std::printf("  note: %s\n", n.get<std::string>().c_str());
}

// A budget's probability of going over rounded to four decimals, as budget status' JSON gives
// it: written as JSON writes the number ("1.0"), or with `format`.
std::string probability_text(double p, const char* format = nullptr) {
  const double rounded = std::round(p * 10000) / 10000;
  if (format == nullptr) return json(rounded).dump();
  char text[64];
  std::snprintf(text, sizeof text, format, rounded);
  return text;
}

// Budget statuses as Prometheus gauges labelled by budget and currency (`with_currency`: the
// budgets are stored ones, which have one), for alert rules such as
// `costops_budget_probability_over > 0.5`. Amounts are exact decimal text. A figure without a
// value (no interval, no exhaustion expected) has no sample; a threshold crossed has one of
// value 1.
void print_status_prometheus(const std::vector<report::BudgetLine>& lines, bool with_currency,
                             report::PrometheusLabels constant) {
  report::PrometheusText p(std::move(constant));
  for (const auto& b : lines) {
    const forecasting::BudgetStatus& st = b.status;
    report::PrometheusLabels l;
    l.emplace_back("budget", b.name);
    if (with_currency) l.emplace_back("currency", b.currency);
    auto money = [&](const char* name, const char* help, const std::optional<Decimal>& v,
                     const report::PrometheusLabels& labels) {
      if (v) p.gauge(name, help, labels, v->to_string());
    };
    money("costops_budget_amount", "The budget's amount for its period", b.amount, l);
    money("costops_budget_spent", "Spent in the budget's period up to the as-of day", st.spent, l);
    money("costops_budget_projected", "Projected spend by the period's end", st.projected_total, l);
    report::PrometheusLabels ll = l;
    ll.emplace_back("level", report::figure_text(b.level * 100));
    money("costops_budget_projected_lower",
          "Lower bound of the projection's interval at the level the label gives",
          st.projected_lower, ll);
    money("costops_budget_projected_upper",
          "Upper bound of the projection's interval at the level the label gives",
          st.projected_upper, ll);
    money("costops_budget_run_rate_projected",
          "Spend by the period's end at the period's average daily spend so far", st.run_rate_total,
          l);
    if (st.probability_over) {
      p.gauge("costops_budget_probability_over",
              "Probability that the period's spend exceeds the amount (0 to 1)", l,
              probability_text(*st.probability_over));
    }
    p.gauge("costops_budget_days_remaining", "Days of the period after the as-of day", l,
            std::to_string(st.days_remaining));
    if (st.exhaustion_date) {
      p.gauge("costops_budget_days_until_exhaustion",
              "Days from the as-of day to the day spend reaches the amount, actual (0 or less) or "
              "projected; no sample when it is not expected",
              l, std::to_string((*st.exhaustion_date - b.as_of).count()));
    }
    for (const auto& c : st.thresholds_crossed) {
      report::PrometheusLabels lt = l;
      lt.emplace_back("threshold", report::figure_text(c.percent));
      lt.emplace_back("basis", c.actual ? "actual" : "forecast");
      p.gauge("costops_budget_threshold_crossed",
              "1 for each alert threshold (percent of the amount) crossed, by actual spend or by "
              "the projection",
              lt, "1");
    }
  }
  std::fputs(p.str().c_str(), stdout);
}

// Budget statuses as CSV, a row per budget: amounts in cents (half-even, as the JSON and the
// table show them), the currency of stored budgets (`with_currency`), an empty field for a
// figure without a value, and the thresholds crossed as PERCENT:BASIS:DATE, ;-separated.
void print_status_csv(const std::vector<report::BudgetLine>& lines, bool with_currency) {
  using forecasting::format_date;
  std::printf(
      "name,currency,period,period_start,period_end,as_of,amount,spent,projected_total,"
      "projected_lower,projected_upper,interval_level,probability_over,exhaustion_date,exhausted,"
      "run_rate_total,days_elapsed,days_remaining,model,thresholds_crossed\n");
  auto cents = [](const std::optional<Decimal>& v) {
    return v ? v->to_string_fixed(2) : std::string();
  };
  for (const auto& b : lines) {
    const forecasting::BudgetStatus& st = b.status;
    std::string crossed;
    for (const auto& c : st.thresholds_crossed) {
      crossed += (crossed.empty() ? "" : ";") + report::figure_text(c.percent) + ":" +
                 (c.actual ? "actual" : "forecast") + ":" + format_date(c.date);
    }
    const std::vector<std::string> fields = {
        report::csv_field(b.name),
        with_currency ? b.currency : "",
        report::csv_field(b.period),
        format_date(b.range.start),
        format_date(b.range.end),
        format_date(b.as_of),
        cents(b.amount),
        cents(st.spent),
        cents(st.projected_total),
        cents(st.projected_lower),
        cents(st.projected_upper),
        report::figure_text(b.level * 100),
        st.probability_over ? probability_text(*st.probability_over, "%.10g") : "",
        st.exhaustion_date ? format_date(*st.exhaustion_date) : "",
        st.exhausted ? "true" : "false",
        cents(st.run_rate_total),
        std::to_string(st.days_elapsed),
        std::to_string(st.days_remaining),
        report::csv_field(st.model),
        crossed};
    std::string line;
    for (size_t i = 0; i < fields.size(); ++i) line += (i > 0 ? "," : "") + fields[i];
    std::printf("%s\n", line.c_str());
  }
}

// Stored spend that stops more than this many days before the as-of date gets a note.
constexpr int kStaleDays = 2;
// The days of stored spend up to the as-of date a budget's projection reads: a season of history
// per month of budget is plenty, and 180 days covers quarters; a longer period (a year) reads its
// length, for the seasons and trend its projection runs over.
int history_days(const forecasting::DateRange& period) { return std::max(180, period.days()); }
// The first day a budget's status reads: history_days up to the as-of date, and never after the
// period's start, so that a period which ended long before the as-of date is spent in full.
Date history_start(const forecasting::DateRange& period, Date as_of) {
  return std::min(period.start, as_of - std::chrono::days(history_days(period) - 1));
}

struct BudgetCmd {
  std::string name, period = "month", currency = "USD", thresholds = "50,80,100", amount;
  std::string as_of, format = "table", tz;
  std::vector<std::string> filters;
  std::string series_file, drivers_by = "provider,model";
  double level = 95;
  std::optional<double> fail_at;  // percent of the amount
  bool with_change = true;        // what moved over the last week (report --budgets: no)
  // report --budgets with --filter: only the stored budgets whose scope is within these filters.
  std::optional<std::vector<Filter>> within;
  std::vector<std::string> labels;  // --label NAME=VALUE (prometheus)
  CurrencyOptions money;            // --rates, --rate: spend converted into each budget's currency
  std::shared_ptr<std::string> db = std::make_shared<std::string>();
};

// --amount: a positive exact decimal.
Result<Decimal> parse_amount(const std::string& text) {
  auto amount = Decimal::parse(text);
  if (!amount || !(*amount > Decimal())) {
    return invalid_argument("--amount: expected a positive decimal, got \"" + text + "\"");
  }
  return amount;
}

// A budget of the command line's --amount, --currency, --period, --thresholds and --filter
// (unnamed). Errors name the option.
Result<Budget> budget_of_options(const BudgetCmd& o) {
  Budget b;
  b.period = o.period;
  auto currency = Currency::parse(o.currency);  // "usd" is USD, as stored spend has it
  if (!currency) return currency.status().with_context("--currency");
  b.currency = std::string(currency->code());
  auto amount = parse_amount(o.amount);
  if (!amount) return amount.status();
  b.amount = *amount;
  if (auto p = forecasting::resolve_period(o.period, today()); !p) {
    return p.status().with_context("--period");
  }
  auto th = parse_thresholds(o.thresholds);
  if (!th) return th.status();
  b.thresholds = *th;
  AggregateQuery scope;
  COSTOPS_RETURN_IF_ERROR(build_query("", o.filters, &scope));
  b.scope = scope.filters;
  return b;
}

int run_budget_add(const BudgetCmd& o) {
  if (auto st = check_budget_name(o.name); !st.is_ok()) {
    report(st);
    return kExitUsage;
  }
  auto made = budget_of_options(o);
  if (!made) {
    report(made.status());
    return kExitUsage;
  }
  Budget b = std::move(*made);
  b.name = o.name;
  auto store = open_db(*o.db, storage::OpenMode::kCreate);
  if (!store) {
    report(store.status());
    return kExitFailure;
  }
  if (auto st = (*store)->put_budget(b); !st.is_ok()) {
    report(st);
    return kExitFailure;
  }
  std::printf("budget %s: %s %s per %s\n", b.name.c_str(), b.amount.to_string().c_str(),
              b.currency.c_str(), b.period.c_str());
  // A scope no stored record is in is most often a typo: said now, not as a zero spend later
  // (for the dimensions whose values are cheap to list: this runs on every add).
  if (const std::string hint = filter_hint(**store, b.scope, true); !hint.empty()) {
    std::fprintf(stderr, "note: %s\n", hint.c_str());
  }
  // So is a currency the scope's spend is not in.
  AggregateQuery scope;
  scope.filters = b.scope;
  if (auto spent = (*store)->aggregate(scope); spent)
    note_other_currencies(b.currency, currencies_of(*spent));
  // A tag's values in every record would take a scan of them all: the latest ones are looked at.
  std::optional<TagValues> tags;
  for (const auto& g : group_filters(b.scope)) {
    if (g.key.kind != GroupKey::Kind::kTag || g.any_of.empty()) continue;
    if (!tags) tags = latest_tags(**store);
    if (tags->empty()) continue;
    const auto it = tags->find(g.key.tag);
    if (it == tags->end()) {
      std::fprintf(stderr, "note: %s\n",
                   absent_tag_hint("of the latest days", g.key.tag, *tags).c_str());
    } else if (const auto why =
                   unmatched_value_hint(g.any_of, it->second, g.key.name() + " values there")) {
      std::fprintf(stderr, "note: no record of the latest days has %s%s\n",
                   filters_text(g.any_of).c_str(), why->c_str());
    }
  }
  return kExitOk;
}

json budget_json(const Budget& b) {
  json scope = json::array();
  for (const auto& f : b.scope) scope.push_back(f.text());
  return {{"name", b.name},         {"amount", b.amount.to_string()},
          {"currency", b.currency}, {"period", b.period},
          {"scope", scope},         {"thresholds", b.thresholds}};
}

Result<std::vector<Budget>> stored_budgets(const BudgetCmd& o) {
  auto store = open_db(*o.db, storage::OpenMode::kExisting);
  if (!store) return store.status();
  return (*store)->budgets();
}

int run_budget_list(const BudgetCmd& o) {
  auto list = stored_budgets(o);
  if (!list) {
    report(list.status());
    return kExitFailure;
  }
  if (o.format == "json") {
    json arr = json::array();
    for (const auto& b : *list) arr.push_back(budget_json(b));
    std::printf("%s\n", json{{"budgets", arr}}.dump(2).c_str());
    return kExitOk;
  }
  if (list->empty()) {
    std::printf("no budgets; add one with: cost-ops budget add NAME --amount N\n");
    return kExitOk;
  }
  // The scope last: it is the one column of any length.
  size_t nw = 20;  // the name column as wide as the longest name
  for (const auto& b : *list) nw = std::max(nw, display_width(b.name));
  std::printf("%s %18s  %-24s %-14s %s\n", pad_right("name", nw).c_str(), "amount", "period",
              "thresholds", "scope");
  for (const auto& b : *list) {
    std::string thresholds;
    for (double t : b.thresholds) {
      thresholds += (thresholds.empty() ? "" : "/") + report::figure_text(t);
    }
    const std::string amount = b.amount.to_string() + " " + b.currency;
    const std::string scope = b.scope.empty() ? "all" : filters_text(b.scope);
    std::printf("%s %18s  %-24s %-14s %s\n", pad_right(b.name, nw).c_str(), amount.c_str(),
                b.period.c_str(), (thresholds + "%").c_str(), scope.c_str());
  }
  return kExitOk;
}

int run_budget_remove(const BudgetCmd& o) {
  auto store = open_db(*o.db, storage::OpenMode::kExisting);
  if (!store) {
    report(store.status());
    return kExitFailure;
  }
  auto removed = (*store)->remove_budget(o.name);
  if (!removed) {
    report(removed.status());
    return kExitFailure;
  }
  if (!*removed) {
    report(not_found("no budget named \"" + o.name + "\""));
    return kExitFailure;
  }
  std::printf("removed budget %s\n", o.name.c_str());
  return kExitOk;
}

// What budget_statuses finds: each budget's status as JSON (status_json's object with its name,
// currency, change and notes) and as a report's line, and the budgets at --fail-at.
struct BudgetResults {
  std::vector<json> out;
  std::vector<report::BudgetLine> lines;
  std::vector<std::string> outside;  // stored budgets not within BudgetCmd::within: their names
  std::string over;
  bool stored = false, ad_hoc = false;
};

// The statuses of the budgets `o` selects: stored ones (or the one named), one of the command
// line's on stored spend, or one on --series. Errors are reported; returns the exit status.
int budget_statuses(const BudgetCmd& o, BudgetResults* res) {
  using namespace forecasting;
  auto tz = parse_tz(o.tz);
  if (!tz) {
    report(tz.status());
    return kExitUsage;
  }
  const Date running = today(*tz);  // still coming in: its spend so far is partial
  Date as_of = running;
  if (!o.as_of.empty()) {
    auto d = parse_date(o.as_of);
    if (!d) {
      report(d.status().with_context("--as-of"));
      return kExitUsage;
    }
    as_of = *d;
  }
  if (!(o.level > 0 && o.level < 100)) {
    report(invalid_argument("--level must be a percentage between 0 and 100"));
    return kExitUsage;
  }
  if (o.fail_at && !(*o.fail_at > 0 && std::isfinite(*o.fail_at))) {
    report(invalid_argument("--fail-at must be a percentage > 0, such as 100"));
    return kExitUsage;
  }
  auto named_by = driver_keys(o.drivers_by);
  if (!named_by) {
    report(named_by.status());
    return kExitUsage;
  }
  // A stored budget's spend: its scope, in its currency, in --tz's days.
  auto budget_source = [&o](const Budget& b) {
    SeriesSource src;
    src.db = o.db;
    src.currency = b.currency;
    src.rates = o.money;
    src.tz = o.tz;
    for (const auto& f : b.scope) src.filters.push_back(f.text());
    return src;
  };
  struct Work {
    Budget budget;
    Series series;
    std::optional<Date> last_record;  // stored: the last day with spend (unset: none)
    forecasting::DateRange range;     // the budget's period as of the as-of date
  };
  const bool stored = o.series_file.empty();
  const bool ad_hoc = stored && !o.amount.empty();  // a budget of stored spend not stored
  res->stored = stored;
  res->ad_hoc = ad_hoc;
  // The key of a budget scoped by one KEY=VALUE filter (exact, not empty), whose spend can be
  // read with others' of that key from one query grouped by it.
  auto shared_key = [](const Budget& b) -> std::optional<std::string> {
    if (b.scope.size() != 1) return std::nullopt;
    const Filter& f = b.scope[0];
    std::string key = f.key.name();
    if (f.negated || f.is_pattern() || f.value.empty() || key.find(',') != std::string::npos)
      return std::nullopt;
    return key;
  };
  // What an error is about: a budget, or the --series file.
  auto about = [&](const Budget& b) {
    return !b.name.empty() ? "budget " + b.name
           : stored        ? std::string("the budget")
                           : o.series_file;
  };
  std::vector<Work> work;
  if (!stored) {
    if (o.amount.empty()) {
      report(invalid_argument("--series needs --amount (and --period, default month)"));
      return kExitUsage;
    }
    auto series = read_series_csv(o.series_file);
    if (!series) {
      report(series.status());
      return kExitFailure;
    }
    if (o.as_of.empty()) as_of = series->dates.back();
    auto b = budget_of_options(o);
    if (!b) {
      report(b.status());
      return kExitUsage;
    }
    auto range = resolve_period(b->period, as_of);
    if (!range) {
      report(range.status());
      return kExitUsage;
    }
    work.push_back({std::move(*b), std::move(*series), std::nullopt, *range});
  } else {
    // The stored budgets, or with --amount one of the command line's.
    Result<std::vector<Budget>> list = std::vector<Budget>();
    if (ad_hoc) {
      auto b = budget_of_options(o);
      if (!b) {
        report(b.status());
        return kExitUsage;
      }
      // The database must exist (no spend in a file not made yet is no answer); a scope no
      // stored record is in is most often a typo (as budget add says).
      auto store = open_db(*o.db, storage::OpenMode::kExisting);
      if (!store) {
        report(store.status());
        return kExitFailure;
      }
      const std::string hint = filter_hint(**store, b->scope, true);
      if (!hint.empty()) std::fprintf(stderr, "note: %s\n", hint.c_str());
      list->push_back(std::move(*b));
    } else {
      list = stored_budgets(o);
      if (list && o.within) {
        std::erase_if(*list, [&](const Budget& b) {
          if (scope_within(b.scope, *o.within)) return false;
          res->outside.push_back(b.name);
          return true;
        });
      }
    }
    if (!list) {
      report(list.status());
      return kExitFailure;
    }
    // Budgets scoped by one KEY=VALUE filter of the same key, in one currency and history
    // window (a budget per team: tag:team=...), read their daily spend from one query grouped by
    // the key, where each read the records of the window.
    std::map<size_t, Result<std::vector<NamedSeries>>> shared;  // by index in *list
    {
      std::map<std::tuple<std::string, std::string, Date>, std::vector<size_t>> batches;
      for (size_t i = 0; i < list->size(); ++i) {
        const Budget& b = (*list)[i];
        if (!o.name.empty() && b.name != o.name) continue;
        const auto key = shared_key(b);
        auto range = resolve_period(b.period, as_of);
        if (!key || !range) continue;  // a bad period is reported in the loop below
        batches[{*key, b.currency, history_start(*range, as_of)}].push_back(i);
      }
      for (const auto& [batch, members] : batches) {
        if (members.size() < 2) continue;
        const auto& [key, currency, from] = batch;
        SeriesSource src = budget_source((*list)[members[0]]);
        src.filters.clear();
        for (size_t i : members) src.filters.push_back((*list)[i].scope[0].text());
        src.group_by = key;
        src.from = format_date(from);
        auto series = stored_series(src, as_of);
        for (size_t i : members) {
          if (!series) {
            shared.emplace(i, series.status());
            continue;
          }
          const std::string& value = (*list)[i].scope[0].value;
          auto it = std::find_if(series->begin(), series->end(),
                                 [&](const NamedSeries& ns) { return ns.group.at(key) == value; });
          shared.emplace(i, it == series->end()
                                ? Result<std::vector<NamedSeries>>(not_found("no spend"))
                                : Result<std::vector<NamedSeries>>(std::vector{*it}));
        }
      }
    }
    for (size_t i = 0; i < list->size(); ++i) {
      Budget& b = (*list)[i];
      if (!o.name.empty() && b.name != o.name) continue;
      SeriesSource src = budget_source(b);
      auto range = resolve_period(b.period, as_of);
      if (!range) {
        report(range.status());
        return kExitUsage;
      }
      const Date from = history_start(*range, as_of);
      src.from = format_date(from);
      const auto got = shared.find(i);
      auto series = got != shared.end() ? std::move(got->second) : stored_series(src, as_of);
      if (!series) {
        if (series.status().code() != StatusCode::kNotFound) {
          report(series.status().with_context(about(b)));
          return kExitFailure;
        }
        // No spend in the window read: zeros over that window (as the note says), whose
        // forecast is zero with no spread; one zero alone would give no interval at all.
        series = std::vector<NamedSeries>{
            {{}, {}, forecasting::zero_filled_daily({{from, Decimal()}}, as_of), std::nullopt, {}}};
      }
      auto& named = (*series)[0];
      work.push_back({std::move(b), std::move(named.series), named.last_record, *range});
    }
    if (work.empty() && !res->outside.empty()) {
      report(not_found("no stored budget's scope is within --filter's (" + filters_text(*o.within) +
                       "): --budgets shows those whose spend the report covers, and " +
                       std::to_string(res->outside.size()) + " budget" +
                       (res->outside.size() == 1 ? " is" : "s are") + " not"));
      return kExitFailure;
    }
    if (work.empty()) {
      report(o.name.empty()
                 ? not_found("no budgets; add one with: cost-ops budget add NAME --amount N")
                 : not_found("no budget named \"" + o.name + "\""));
      return kExitFailure;
    }
  }
  // The drivers' parts of a budget's spend (by --drivers-by, in `src`'s window up to
  // `last_day`). Budgets sharing a key (shared_key) and currency read theirs from one query per
  // window, grouped by the key and --drivers-by, kept in `parts_read`.
  std::map<std::tuple<std::string, std::string, std::string, Date>,
           Result<std::vector<NamedSeries>>>
      parts_read;
  auto parts_of = [&](const Budget& b, const SeriesSource& src,
                      Date last_day) -> Result<std::vector<NamedSeries>> {
    const auto key = shared_key(b);
    std::vector<std::string> filters;  // the scopes of the budgets sharing it
    if (key && std::find(named_by->begin(), named_by->end(), *key) == named_by->end()) {
      for (const auto& w : work)
        if (shared_key(w.budget) == key && w.budget.currency == b.currency)
          filters.push_back(w.budget.scope[0].text());
    }
    if (filters.size() < 2) return stored_series(src, last_day);
    auto [at, first] =
        parts_read.try_emplace({*key, b.currency, src.from, last_day}, std::vector<NamedSeries>());
    if (first) {
      SeriesSource all = src;
      all.filters = filters;
      all.group_by = *key;
      auto groups = stored_series(all, last_day, o.drivers_by, &*at->second);
      if (!groups) at->second = groups.status();
    }
    if (!at->second) return at->second.status();
    std::vector<NamedSeries> mine;
    for (const auto& p : *at->second)
      if (p.group.at(*key) == b.scope[0].value) mine.push_back(p);
    if (mine.empty()) return not_found("no spend in the budget's scope");
    return mine;
  };
  std::string& over = res->over;  // the budgets at --fail-at
  for (const auto& [b, series, last_record, range] : work) {
    BudgetOptions bo;
    bo.amount = b.amount;
    bo.period = range;
    bo.as_of = as_of;
    bo.thresholds = b.thresholds;
    bo.level = o.level / 100;
    bo.as_of_partial = as_of == running;
    auto st = budget_status(series, bo);
    if (!st) {
      report(st.status().with_context(about(b)));
      return kExitFailure;
    }
    json j = status_json(*st, bo.amount, b.period, range, as_of, bo.level);
    res->lines.push_back({.name = b.name,
                          .currency = b.currency,
                          .period = b.period,
                          .range = range,
                          .as_of = as_of,
                          .amount = b.amount,
                          .level = bo.level,
                          .status = *st});
    // What moved: the projection against a week ago, and stored spend's largest changes by
    // --drivers-by between the last week and the one before.
    Result<BudgetChange> change = not_found("not asked for");
    if (o.with_change) change = budget_change(series, bo, *st);
    if (change && stored) {
      SeriesSource src = budget_source(b);
      src.group_by = o.drivers_by;
      src.from = format_date(change->last_day - std::chrono::days(2 * change->days - 1));
      auto parts = parts_of(b, src, change->last_day);
      if (parts) {
        std::vector<forecasting::SpendPart> named;
        for (auto& p : *parts) {
          named.emplace_back(driver_name(p, *named_by), std::move(p.series));
        }
        auto drivers = window_drivers(named, change->last_day, change->days);
        if (!drivers) {
          change = drivers.status();
        } else {
          change->drivers = std::move(*drivers);
        }
      } else if (parts.status().code() != StatusCode::kNotFound) {
        change = parts.status();
      }
    }
    if (o.with_change && !change) {
      report(change.status().with_context(about(b)));
      return kExitFailure;
    }
    if (o.with_change) j["change"] = change_json(*change);
    // --fail-at: the projection includes what is spent, so reaching the percentage by either
    // counts (credits can bring the projection below the spend).
    if (o.fail_at) {
      auto limit = percent_of(b.amount, *o.fail_at);
      if (!limit) {
        report(limit.status().with_context("--fail-at"));
        return kExitUsage;
      }
      if (std::max(st->spent, st->projected_total) >= *limit) {
        over += (over.empty() ? "" : ", ") + (b.name.empty() ? std::string("the budget") : b.name);
      }
    }
    if (!b.name.empty()) j["name"] = b.name;
    if (stored) {
      j["currency"] = b.currency;
      json scope = json::array();
      for (const auto& f : b.scope) scope.push_back(f.text());
      if (ad_hoc) j["scope"] = scope;
    }
    // Zero spend is what the store says, but more often ingestion has stopped: say so when the
    // days counted as zero reach into the period.
    std::vector<std::string> notes = series.notes;
    const Date through = std::min(as_of, range.end);
    if (stored && !last_record && through >= range.start) {
      notes.push_back("no stored spend in the budget's scope in the " +
                      std::to_string((as_of - history_start(range, as_of)).count() + 1) +
                      " days up to " + format_date(as_of) + "; counted as zero");
    } else if (stored && last_record && (through - *last_record).count() > kStaleDays &&
               *last_record < through && through >= range.start) {
      notes.push_back("no stored spend in the budget's scope after " + format_date(*last_record) +
                      " (" + std::to_string((as_of - *last_record).count()) +
                      " days before the as-of date); the days since count as zero. Ingest "
                      "recent usage, or set --as-of");
    }
    j["notes"] = notes;
    res->out.push_back(std::move(j));
  }
  return kExitOk;
}

int run_budget_status(const BudgetCmd& o) {
  const std::string taken[] = {"budget", "currency", "level", "threshold", "basis"};
  auto constant = constant_labels(o.labels, o.format, taken);
  if (!constant) {
    report(constant.status());
    return kExitUsage;
  }
  BudgetResults res;
  if (int rc = budget_statuses(o, &res); rc != kExitOk) return rc;
  o.money.note_stale();
  const std::vector<json>& out = res.out;
  const std::string& over = res.over;
  if (o.format == "json") {
    std::printf("%s\n",
                (res.stored && !res.ad_hoc ? json{{"budgets", out}} : out[0]).dump(2).c_str());
  } else if (o.format == "prometheus") {
    print_status_prometheus(res.lines, res.stored, std::move(*constant));
  } else if (o.format == "csv") {
    print_status_csv(res.lines, res.stored);
  } else {
    for (const auto& j : out) print_status(j);
  }
  if (!over.empty()) {
    report(out_of_range(over + ": spent or projected at " + report::figure_text(*o.fail_at) +
                        "% of the amount or more (--fail-at)"));
    return kExitOverBudget;
  }
  return kExitOk;
}

void add_budget(CLI::App& app, int& rc) {
  CLI::App* budget = app.add_subcommand("budget", "Budgets: add, list, remove, status");
  budget->require_subcommand(1);

  auto add = std::make_shared<BudgetCmd>();
  CLI::App* a = budget->add_subcommand("add", "Add or replace a budget");
  a->add_option("name", add->name, "Budget name")->required();
  a->add_option("--amount", add->amount, "Amount per period (exact decimal)")->required();
  a->add_option("--currency", add->currency, "Currency (default USD)");
  a->add_option(
       "--period", add->period,
       "month, quarter, year (calendar, rolling), YYYY-MM, YYYY-Qn, YYYY, YYYY-MM-DD or FROM..TO")
      ->check(suggest({"month", "quarter", "year"}));
  add_filter(*a, add->filters,
             std::string("Scope: ") + kFilterHelp +
                 " on provider, model, organization, project, user, tag:KEY or tier; default all "
                 "spend");
  a->add_option("--thresholds", add->thresholds, "Alert thresholds in percent (default 50,80,100)");
  add_db_to(*a, add->db);
  a->callback([add, &rc] { rc = run_budget_add(*add); });

  auto list = std::make_shared<BudgetCmd>();
  CLI::App* l = budget->add_subcommand("list", "List budgets");
  l->add_option("--format", list->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  add_db_to(*l, list->db);
  l->callback([list, &rc] { rc = run_budget_list(*list); });

  auto rm = std::make_shared<BudgetCmd>();
  CLI::App* r = budget->add_subcommand("remove", "Remove a budget");
  r->add_option("name", rm->name, "Budget name")->required()->check(complete_from("budgets"));
  add_db_to(*r, rm->db);
  r->callback([rm, &rc] { rc = run_budget_remove(*rm); });

  auto st = std::make_shared<BudgetCmd>();
  CLI::App* s = budget->add_subcommand("status", "Spend, projection and exhaustion date");
  s->footer(R"(
Stored budgets are evaluated on stored daily spend in their scope (UTC days, or --tz); --amount
evaluates a budget of the command line's instead (--period, --thresholds, and on stored spend
--filter and --currency, as budget add takes them), storing nothing; --series evaluates a
date,value CSV of daily spend instead of stored spend, with --amount. When the as-of
date is today, today is still running: its spend so far counts, the model is fitted to the days
before, and the rest of today is projected as its forecast less that spend.
What moved ("change" in JSON): the projection against the one as of a week earlier, the last 7
whole days' spend against the 7 before, and for stored budgets the provider/model pairs (or
--drivers-by's dimensions) whose spend changed most between those weeks (drivers, the largest
change first, up to 5; the other parts that changed are summed in "others", so the changes add
up to the week's).
Examples:
  cost-ops budget status
  cost-ops budget status --fail-at 100
  cost-ops budget status --amount 500 --filter project=search --fail-at 80
  cost-ops budget status search --drivers-by project,model --format json
  cost-ops budget status --rates eurofxref-hist.csv   # spend in each budget's currency
  cost-ops budget status --series spend.csv --amount 12000 --period 2025-04 --as-of 2025-04-16 --format json
  cost-ops budget status --format prometheus > budgets.prom  # gauges for alert rules)");
  CLI::Option* name =
      s->add_option("name", st->name, "Only this budget")->check(complete_from("budgets"));
  s->add_option("--as-of", st->as_of,
                "Last day of data to use (default: today; with --series its last day)");
  s->add_option("--tz", st->tz,
                "The time zone whose days stored spend is summed in, and whose today it is "
                "(default UTC)");
  // A stored budget has its own amount, period and thresholds (budget add replaces them);
  // --amount makes one of the command line's instead.
  CLI::Option* series =
      s->add_option("--series", st->series_file, "Daily spend CSV instead of stored data")
          ->type_name("FILE")
          ->excludes(name);
  CLI::Option* amount =
      s->add_option("--amount", st->amount,
                    "A budget of this amount instead of the stored ones: of --series, or of "
                    "stored spend in --filter's scope (nothing is stored)")
          ->excludes(name);
  s->add_option("--period", st->period, "With --amount: the period (default month)")->needs(amount);
  s->add_option("--thresholds", st->thresholds, "With --amount: thresholds (default 50,80,100)")
      ->needs(amount);
  add_filter(*s, st->filters,
             std::string("With --amount on stored spend, its scope: ") + kFilterHelp)
      ->needs(amount)
      ->excludes(series);
  s->add_option("--currency", st->currency,
                "With --amount on stored spend: its currency (default USD)")
      ->needs(amount)
      ->excludes(series);
  s->add_option("--level", st->level, "Interval level of the projection in percent (default 95)");
  s->add_option("--fail-at", st->fail_at,
                "Exit with status 4 when a budget's spend or projected total reaches this percent "
                "of its amount (for CI)");
  s->add_option("--drivers-by", st->drivers_by, kDriversByHelp)->excludes(series);
  st->money.add_to(*s, nullptr, "each budget's currency");
  s->get_option("--rates")->excludes(series);
  s->get_option("--rate")->excludes(series);
  s->add_option("--format", st->format,
                "table, json, csv (a row per budget), or prometheus (gauges in Prometheus' text "
                "format, labelled by budget and currency)")
      ->check(CLI::IsMember({"table", "json", "csv", "prometheus"}));
  add_prometheus_labels(*s, st->labels);
  add_db_to(*s, st->db);
  s->callback([st, &rc] { rc = run_budget_status(*st); });
}

}  // namespace

int stored_budget_lines(const std::shared_ptr<std::string>& db, const std::string& tz,
                        const std::string& as_of, const CurrencyOptions& money,
                        const std::vector<Filter>& within, std::vector<report::BudgetLine>* lines) {
  BudgetCmd o;
  o.db = db;
  o.money = money;
  o.tz = tz;
  o.as_of = as_of;
  o.with_change = false;
  if (!within.empty()) o.within = within;
  BudgetResults res;
  if (int rc = budget_statuses(o, &res); rc != kExitOk) return rc;
  if (!res.outside.empty()) {
    std::string names;
    for (const auto& n : res.outside) names += (names.empty() ? "" : ", ") + n;
    std::fprintf(stderr,
                 "note: --budgets leaves out %zu budget%s whose scope is not within "
                 "--filter's (%s): %s\n",
                 res.outside.size(), res.outside.size() == 1 ? "" : "s",
                 filters_text(within).c_str(), names.c_str());
  }
  for (size_t i = 0; i < res.out.size(); ++i) {
    for (const auto& n : res.out[i]["notes"]) {
      std::fprintf(stderr, "note: budget %s: %s\n", res.lines[i].name.c_str(),
                   n.get<std::string>().c_str());
    }
  }
  *lines = std::move(res.lines);
  return kExitOk;
}

void add_forecast_commands(CLI::App& app, int& rc) {
  add_forecast(app, rc);
  add_anomalies(app, rc);
  add_budget(app, rc);
}

}  // namespace costops::cli
