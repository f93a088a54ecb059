#include "costops/report/report.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>

#include "costops/forecasting/anomalies.h"
#include "costops/forecasting/forecast.h"
#include "costops/forecasting/series.h"

namespace costops::report {
namespace {

using json = nlohmann::json;

// Days of daily spend a report's forecast is fitted to, at most.

// A report's groupings: by provider and model, and by project.
std::vector<GroupKey> by_model() {
  return {GroupKey{GroupKey::Kind::kProvider, {}}, GroupKey{GroupKey::Kind::kModel, {}}};
}
std::vector<GroupKey> by_project() { return {GroupKey{GroupKey::Kind::kProject, {}}}; }

// Amounts in the report's tables and text: 4 decimals (exact in JSON and CSV).
std::string money_text(const std::map<std::string, Decimal>& cost) {
  return report::money_text(cost, 4);
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string num(double v, int places) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", places, v);
  return buf;
}

// A top-table row's name: provider/model for the model table (the model alone when the records
// name no provider), else the key; `none` when empty.
std::string key_name(const std::vector<std::string>& keys, bool model,
                     const char* none = "(none)") {
  std::string name = keys[0];
  if (model) name = name.empty() ? keys[1] : name + "/" + keys[1];
  return name.empty() ? none : name;
}
std::string row_name(const AggregateRow& row, bool model, const char* none = "(none)") {
  return key_name(row.keys, model, none);
}

// A table by model (a row per model, then the total), as text cells.
using ModelCells = std::vector<std::array<std::string, 7>>;

// The logged costs' table: name, records, logged, exact, difference, difference in percent,
// records off by more than 1%.
ModelCells logged_cells(const Report& r) {
  ModelCells out;
  auto cells = [&](const std::string& name, const LoggedCosts& l) {
    const Decimal diff = l.logged - l.exact;
    out.push_back({name, std::to_string(l.records), l.logged.to_string_fixed(6),
                   l.exact.to_string_fixed(6), diff.to_string_fixed(6),
                   percent_text(diff, l.exact, 2, true).value_or("-"), std::to_string(l.off)});
  };
  for (const auto& row : r.logged) {
    if (row.logged.records > 0) cells(row_name(row, true), row.logged);
  }
  cells("Total", logged_sum(r.logged));
  return out;
}
// `o` with the provider and model of `row`, a row by provider and model (a total has neither).
json with_model(json o, const AggregateRow& row) {
  if (row.keys.size() == 2) {
    o["provider"] = row.keys[0];
    o["model"] = row.keys[1];
  }
  return o;
}
// A model's row of Report::logged as JSON: its logged costs (logged_costs_json), provider and
// model.
json logged_model_json(const AggregateRow& row) {
  return with_model(logged_costs_json(row.logged), row);
}
constexpr const char* kLoggedHeads[] = {"Model",      "Records", "Logged",    "Exact",
                                        "Difference", "Diff %",  "Off by >1%"};
constexpr const char* kLoggedAbout =
    "What the records' gateway or tracer priced them at itself (LiteLLM's spend, Langfuse's "
    "costDetails, ...), against their exact prices; off: more than 1% and 0.000001 away.";

// The sum of Report::split's rows (the stores' sums fit, so do the models').
AggregateRow split_total(const Report& r) {
  AggregateRow total;
  for (const auto& row : r.split) {
    if (!add_row(total, row)) break;
  }
  return total;
}
// The cost split's table: name, records, input, output, other, cost (money_text: 4 decimals, per
// currency), and the output's share of the cost ("-" in several currencies or none).
ModelCells split_cells(const Report& r) {
  ModelCells out;
  auto cells = [&](const std::string& name, const AggregateRow& row) {
    std::string share = "-";
    if (row.cost.size() == 1 && row.output_cost.size() == 1) {
      const auto& [currency, cost] = *row.cost.begin();
      share = percent_text(cost_in(row.output_cost, currency), cost, 1).value_or("-");
    }
    out.push_back({name, std::to_string(row.records), money_text(row.input_cost),
                   money_text(row.output_cost), money_text(row.other_cost), money_text(row.cost),
                   share});
  };
  for (const auto& row : r.split) cells(row_name(row, true), row);
  cells("Total", split_total(r));
  return out;
}
// A model's row of Report::split as JSON (provider and model; total: neither).
json split_json(const AggregateRow& row) {
  json o = {{"records", row.records}, {"cost", money_json(row.cost)}};
  for (const auto& [name, part] : kCostSplit) o[name] = money_json(row.*part);
  return with_model(std::move(o), row);
}
constexpr const char* kSplitHeads[] = {"Model", "Records", "Input",   "Output",
                                       "Other", "Cost",    "Output %"};
constexpr const char* kSplitAbout =
    "Each model's cost in its parts: its input's (cache reads and writes included), its "
    "output's (reasoning included), and the rest (per-request fees, web searches).";
// kSplitAbout, and what contract discounts took off the costs when they took anything.
std::string split_about(const Report& r) {
  const AggregateRow total = split_total(r);
  std::map<std::string, Decimal> list = total.cost;
  bool any = false;
  for (const auto& [currency, off] : total.discount) {
    any = any || !off.is_zero();
    list[currency] += off;
  }
  if (!any) return kSplitAbout;
  return std::string(kSplitAbout) + " Contract discounts took " + money_text(total.discount) +
         " off them: " + money_text(list) + " at list prices.";
}

// A section of a table of cells by model (logged_cells, split_cells), the first column a name and
// the others numbers, under its title and what it is about: in Markdown, and in HTML.
void md_cells(std::ostream& s, const char* title, const char* about, const char* const (&heads)[7],
              const ModelCells& rows) {
  s << "\n## " << title << "\n\n" << md_escape(about) << "\n\n|";
  for (const char* h : heads) s << " " << h << " |";
  s << "\n|---|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& row : rows) {
    s << "|";
    for (const auto& cell : row) s << " " << md_escape(cell) << " |";
    s << "\n";
  }
}
void html_cells(std::ostream& s, const char* title, const char* about,
                const char* const (&heads)[7], const ModelCells& rows) {
  s << "<h2>" << html_escape(title) << "</h2>\n<p>" << html_escape(about) << "</p>\n<table><tr>";
  for (size_t i = 0; i < std::size(heads); ++i)
    s << (i == 0 ? "<th>" : "<th class=\"n\">") << heads[i] << "</th>";
  s << "</tr>\n";
  for (const auto& row : rows) {
    s << "<tr>";
    for (size_t i = 0; i < row.size(); ++i)
      s << (i == 0 ? "<td>" : "<td class=\"n\">") << html_escape(row[i]) << "</td>";
    s << "</tr>\n";
  }
  s << "</table>\n";
}

// The name of a row summing `n` groups a table leaves out: "1 other", "3 others".
std::string others_label(size_t n) { return std::to_string(n) + (n == 1 ? " other" : " others"); }

std::string period_text(const Report& r) {
  auto day = [](Timestamp t) { return format_timestamp(t); };
  if (!r.from && !r.to) return "all time";
  return (r.from ? day(*r.from) : std::string("the beginning")) + " to " +
         (r.to ? day(*r.to) : std::string("now")) + " (end exclusive)";
}

std::string filters_text(const Report& r) {
  const std::string s = costops::filters_text(r.filters);
  return s.empty() ? "none" : s;
}

// " of N requests" after a count of records that counts more (or fewer) requests: rows of a
// provider's usage report, a gateway's rollups.
std::string requests_text(const AggregateRow& r) {
  if (r.requests == static_cast<int64_t>(r.records)) return "";
  return " of " + std::to_string(r.requests) + " requests";
}

// Each row's spend in `currency` in `now` against `before` (rows of the same keys; a row in one
// only spends nothing in the other), the largest changes first, `top` of them, the rest summed.
Result<forecasting::Drivers> row_changes(const std::vector<AggregateRow>& now,
                                         const std::vector<AggregateRow>& before,
                                         const std::string& currency, bool model, size_t top) {
  std::map<std::vector<std::string>, std::pair<Decimal, Decimal>> spend;  // keys: now, before
  for (const auto& row : now) spend[row.keys].first = cost_in(row.cost, currency);
  for (const auto& row : before) spend[row.keys].second = cost_in(row.cost, currency);
  std::vector<forecasting::SpendDriver> parts;
  for (const auto& [keys, v] : spend) {
    auto d = forecasting::spend_change(key_name(keys, model), v.first, v.second);
    if (!d) return d.status();
    parts.push_back(std::move(*d));
  }
  return forecasting::largest_changes(std::move(parts), top);
}

// Daily spend in `currency` from `first` through the report's end, with its filters and time
// zone: per value of `by`'s keys (the empty key without `by`), a date's spend.
Result<std::map<std::vector<std::string>, std::map<forecasting::Date, Decimal>>> daily_spend(
    const AggregateFn& source, const ReportOptions& o, const std::string& currency,
    forecasting::Date first, const std::vector<GroupKey>& by) {
  AggregateQuery q;
  q.filters = o.filters;
  q.time_zone = o.time_zone;
  q.to = o.to;
  // A day early: a time zone's days do not start at UTC midnight (days before `first` are
  // dropped below).
  q.from = Timestamp{first - std::chrono::days(1)};
  q.group_by = {GroupKey{GroupKey::Kind::kDay, {}}};
  q.group_by.insert(q.group_by.end(), by.begin(), by.end());
  auto rows = source(q);
  if (!rows) return rows.status();
  std::map<std::vector<std::string>, std::map<forecasting::Date, Decimal>> out;
  out[{}];  // the whole's, even without spend
  for (const auto& row : *rows) {
    auto d = forecasting::parse_date(row.keys[0]);
    if (!d) return d.status();
    if (*d < first) continue;
    Decimal& day = out[std::vector<std::string>(row.keys.begin() + 1, row.keys.end())][*d];
    if (!Decimal::add_checked(day, cost_in(row.cost, currency), &day)) {
      return out_of_range("spend on " + row.keys[0] + " overflows");
    }
  }
  return out;
}

// The anomalous days of `spend` (daily, in `currency`) from `from` on, by the seasonal detector
// with a weekly season, each with the models that moved it most. None with fewer than two
// weeks of history: too little to tell an unusual day from an ordinary one.
Result<std::vector<UnusualDay>> unusual_days(const AggregateFn& source, const ReportOptions& o,
                                             const std::string& currency,
                                             const forecasting::Series& spend,
                                             forecasting::Date from) {
  using namespace forecasting;
  std::vector<UnusualDay> out;
  if (!holds_two_seasons(spend.size(), 7)) return out;
  AnomalyOptions ao;  // the seasonal detector's defaults, as `cost-ops anomalies` has them
  ao.season = 7;
  auto found = detect_anomalies(spend.values, ao);
  if (!found) return found.status();
  std::erase_if(*found, [&](const Anomaly& a) { return spend.dates[a.index] < from; });
  if (found->empty()) return out;
  auto by_model_day = daily_spend(source, o, currency, spend.dates.front(), by_model());
  if (!by_model_day) return by_model_day.status();
  std::vector<SpendPart> parts;
  for (const auto& [keys, days] : *by_model_day) {
    if (keys.empty()) continue;
    parts.emplace_back(key_name(keys, true), zero_filled_daily(days, spend.dates.back()));
  }
  for (const Anomaly& a : *found) {
    UnusualDay u{format_date(spend.dates[a.index]),      a.value, a.expected, a.score,
                 std::string(severity_name(a.severity)), {}};
    auto drivers = anomaly_drivers(parts, spend.dates[a.index], 7, a.value, a.expected);
    if (!drivers) return drivers.status();
    u.drivers = std::move(*drivers);
    out.push_back(std::move(u));
  }
  return out;
}

// ---- renderers ------------------------------------------------------------------------------

// "5572958 input (1189517 cache reads, 0 cache writes) and 775177 output tokens (90434
// reasoning)": the parts only where there are any.
std::string tokens_text(const AggregateRow& r) {
  return std::to_string(r.input_tokens) + " input" + input_parts_text(r) + " and " +
         std::to_string(r.output_tokens) + " output tokens" + output_parts_text(r);
}

// The compared period's total and the change in the comparison's currency, as one sentence:
// "Previous period (FROM to TO, end exclusive): 12.0000 USD over 1400 records; change +1.5533
// USD (+12.9%)".
std::string comparison_text(const Report& r) {
  const Comparison& c = *r.comparison;
  const Decimal then = cost_in(c.total.cost, c.currency);
  std::string t = "Previous period (" + format_timestamp(c.from) + " to " + format_timestamp(c.to) +
                  ", end exclusive): ";
  if (c.total.records == 0) return t + "no records to compare with";
  t += money_text(c.total.cost) + " over " + std::to_string(c.total.records) + " records; change " +
       signed_text(c.change) + " " + c.currency;
  if (const auto pct = percent_text(c.change, then, 1, true)) t += " (" + *pct + "%)";
  return t;
}

// A change table's rows: name, previous, now, change (4 decimals, or exact: `rounded` false),
// the others last ("3 others").
std::vector<std::array<std::string, 4>> change_rows(const forecasting::Drivers& d,
                                                    bool rounded = true) {
  std::vector<std::array<std::string, 4>> rows;
  auto text = [&](const Decimal& v) { return rounded ? v.to_string_fixed(4) : v.to_string(); };
  auto add = [&](const std::string& name, const forecasting::SpendDriver& x) {
    rows.push_back({name, text(x.baseline), text(x.value),
                    rounded ? signed_text(x.change) : x.change.to_string()});
  };
  for (const auto& x : d.top) add(x.name, x);
  if (d.other_parts > 0) {
    add(others_label(d.other_parts), d.others);
  }
  return rows;
}

// The comparison's two change tables: their column head ("Model"), what a row is ("model") and
// their rows (change_rows).
struct ChangeTable {
  const char* head;
  const char* noun;
  std::vector<std::array<std::string, 4>> rows;
};
std::vector<ChangeTable> change_tables(const Comparison& c) {
  return {{"Model", "model", change_rows(c.models)},
          {"Project", "project", change_rows(c.projects)}};
}

json changes_json(const forecasting::Drivers& d) {
  json a = json::array();
  auto item = [](const forecasting::SpendDriver& x) {
    return json{{"previous", x.baseline.to_string()},
                {"current", x.value.to_string()},
                {"change", x.change.to_string()}};
  };
  for (const auto& x : d.top) {
    json o = item(x);
    o["name"] = x.name;
    a.push_back(std::move(o));
  }
  json j = {{"largest", a}};
  if (d.other_parts > 0) {
    json o = item(d.others);
    o["parts"] = d.other_parts;
    j["others"] = o;
  }
  return j;
}

// "Projected month total (2026-09-01 to 2026-09-30)" and "10.6421 USD", and the rest:
// "95% interval 9.4806 to 11.8036 USD; run rate 11.5830 USD; seasonal-add".
struct ProjectionText {
  std::string head, total, rest;
};
ProjectionText projection_text(const Projection& p) {
  const forecasting::BudgetStatus& st = p.status;
  ProjectionText t;
  t.head = "Projected " + p.label + " total (" + forecasting::format_date(p.period.start) + " to " +
           forecasting::format_date(p.period.end) + ")";
  t.total = st.projected_total.to_string_fixed(4) + " " + p.currency;
  if (st.projected_lower && st.projected_upper) {
    t.rest = "95% interval " + st.projected_lower->to_string_fixed(4) + " to " +
             st.projected_upper->to_string_fixed(4) + " " + p.currency + "; ";
  }
  t.rest += "run rate " + st.run_rate_total.to_string_fixed(4) + " " + p.currency + "; " +
            (st.model.empty() ? "the period has ended" : st.model);
  return t;
}

// A row's cost per request in a table: 6 decimals, or "-" without one (unit_costs).
std::string per_request_text(const AggregateRow& row) {
  const UnitCosts u = unit_costs(row);
  return u.per_request ? u.per_request->to_string_fixed(6) : "-";
}

// A row as JSON; with `allocated` (a row of a breakdown whose shared cost was spread), its
// shared_cost and allocated_cost too.
json row_json(const AggregateRow& r, bool allocated = false) {
  const UnitCosts u = unit_costs(r);
  json j = {{"records", r.records},
            {"unpriced", r.unpriced},
            {"requests", r.requests},
            {"input_tokens", r.input_tokens},
            {"output_tokens", r.output_tokens},
            {"cache_read_tokens", r.cache_read_tokens},
            {"cache_write_tokens", r.cache_write_tokens},
            {"reasoning_tokens", r.reasoning_tokens},
            {"cost", money_json(r.cost)},
            {"cost_per_request", decimal_json(u.per_request)},
            {"cost_per_mtok", decimal_json(u.per_mtok)}};
  if (allocated) {
    j["shared_cost"] = money_json(r.shared);
    j["allocated_cost"] = money_json(allocated_cost(r));
  }
  return j;
}

// A row of the groups a table leaves out in JSON: its sums and how many groups it holds.
json others_json(const OtherRows& o, bool allocated = false) {
  json j = row_json(o.row, allocated);
  j["count"] = o.count;
  return j;
}

// How a breakdown's shared cost was spread: {"spread_by": "cost"|"even", "spread": {currency:
// amount}, "unallocated": {currency: amount}}, amounts exact decimal text.
json allocation_json(const Breakdown& b) {
  return {{"spread_by", std::string(spread_by_name(b.spread_by.value_or(SpreadBy::kCost)))},
          {"spread", money_json(b.spread.spread)},
          {"unallocated", money_json(b.spread.unallocated)}};
}

// A sentence on how a breakdown's shared cost was spread, above its table.
std::string allocation_text(const Breakdown& b) {
  const std::string name = b.key.name();
  const SpreadTotals& t = b.spread;
  std::string text;
  if (!t.spread.empty()) {
    text = "The cost of the records without " + name + ", " + money_text(t.spread) +
           ", is spread over the " + std::to_string(t.takers) + " rows with a value " +
           (b.spread_by == SpreadBy::kEven ? "evenly" : "in proportion to their cost") +
           ": Shared is each one's part, Allocated its cost plus that.";
  }
  if (t.unallocated_rows > 0) {
    text += std::string(text.empty() ? "" : " ") + "The cost of the records without " + name +
            ", " + money_text(t.unallocated) + ", stays unallocated: no record has one.";
  }
  if (text.empty()) text = "Every record has " + name + ": there is no shared cost to spread.";
  return text;
}

// An unusual day as `cost-ops anomalies` writes one.
json unusual_day_json(const UnusualDay& u) {
  return {{"date", u.date},   {"value", u.value},       {"expected", u.expected},
          {"score", u.score}, {"severity", u.severity}, {"drivers", drivers_json(u.drivers)}};
}

json budget_json(const BudgetLine& b) {
  const forecasting::BudgetStatus& st = b.status;
  const double level = b.level * 100;
  json crossed = json::array();
  for (const auto& c : st.thresholds_crossed) {
    crossed.push_back({{"percent", c.percent},
                       {"basis", c.actual ? "actual" : "forecast"},
                       {"date", forecasting::format_date(c.date)}});
  }
  return {
      {"name", b.name},
      {"currency", b.currency},
      {"period", b.period},
      {"period_start", forecasting::format_date(b.range.start)},
      {"period_end", forecasting::format_date(b.range.end)},
      {"as_of", forecasting::format_date(b.as_of)},
      {"amount", b.amount.to_string()},
      {"spent", st.spent.to_string()},
      {"projected_total", st.projected_total.to_string()},
      {"projected_lower", decimal_json(st.projected_lower)},
      {"projected_upper", decimal_json(st.projected_upper)},
      {"interval_level", level == std::floor(level) ? json(static_cast<int>(level)) : json(level)},
      // Four decimals, as budget status gives it.
      {"probability_over", st.probability_over
                               ? json(std::round(*st.probability_over * 10000) / 10000)
                               : json(nullptr)},
      {"exhaustion_date",
       st.exhaustion_date ? json(forecasting::format_date(*st.exhaustion_date)) : json(nullptr)},
      {"exhausted", st.exhausted},
      {"run_rate_total", st.run_rate_total.to_string()},
      {"thresholds_crossed", crossed},
      {"model", st.model.empty() ? json(nullptr) : json(st.model)}};
}

// A budget's row in the Markdown and HTML tables, unescaped: name, period, amount, spent (with
// its share of the amount), projected (with its interval), the probability of going over, the
// day it runs out and the thresholds crossed; amounts in cents, as budget status shows them.
std::vector<std::string> budget_cells(const BudgetLine& b) {
  const forecasting::BudgetStatus& st = b.status;
  auto cents = [](const Decimal& d) { return d.to_string_fixed(2); };
  std::string spent = cents(st.spent);
  if (auto pct = percent_text(st.spent, b.amount, 1)) spent += " (" + *pct + "%)";
  std::string projected = cents(st.projected_total);
  if (st.model.empty()) {
    projected += " (period ended)";
  } else if (st.projected_lower && st.projected_upper) {
    projected += " (" + figure_text(b.level * 100) + "%: " + cents(*st.projected_lower) + " to " +
                 cents(*st.projected_upper) + ")";
  }
  std::string over = "n/a";
  if (st.probability_over) {
    char p[16];
    std::snprintf(p, sizeof p, "%.1f%%", 100 * *st.probability_over);
    over = p;
  }
  std::string out = "not expected";
  if (st.exhaustion_date) {
    out = forecasting::format_date(*st.exhaustion_date) + (st.exhausted ? " (actual)" : "");
  }
  std::string crossed;
  for (const auto& c : st.thresholds_crossed) {
    crossed += (crossed.empty() ? "" : ", ") + figure_text(c.percent) + "% (" +
               (c.actual ? "actual" : "forecast") + ", " + forecasting::format_date(c.date) + ")";
  }
  return {b.name.empty() ? "-" : b.name,
          b.period + " (" + forecasting::format_date(b.range.start) + " to " +
              forecasting::format_date(b.range.end) + ")",
          cents(b.amount) + " " + b.currency,
          spent,
          projected,
          over,
          out,
          crossed.empty() ? "-" : crossed};
}

constexpr const char* kBudgetHeads[] = {"Budget",    "Period",  "Amount",   "Spent",
                                        "Projected", "P(over)", "Runs out", "Thresholds crossed"};

json to_json(const Report& r) {
  json j;
  j["title"] = r.title;
  j["generated"] = format_timestamp(r.generated);
  j["period"] = {{"from", r.from ? json(format_timestamp(*r.from)) : json(nullptr)},
                 {"to", r.to ? json(format_timestamp(*r.to)) : json(nullptr)}};
  json filters = json::array();
  for (const auto& f : r.filters) filters.push_back(f.text());
  j["filters"] = filters;
  j["total"] = row_json(r.total);
  json days = json::array();
  for (const auto& d : r.days) {
    days.push_back({{"date", d.date}, {"records", d.records}, {"cost", money_json(d.cost)}});
  }
  j["days"] = days;
  json models = json::array();
  for (const auto& m : r.models) {
    json o = row_json(m);
    o["provider"] = m.keys[0];
    o["model"] = m.keys[1];
    models.push_back(o);
  }
  j["models"] = models;
  json projects = json::array();
  for (const auto& p : r.projects) {
    json o = row_json(p);
    o["project"] = p.keys[0];
    projects.push_back(o);
  }
  j["projects"] = projects;
  for (const auto& [key, o] :
       {std::pair{"other_models", &r.other_models}, {"other_projects", &r.other_projects}}) {
    if (o->count > 0) j[key] = others_json(*o);
  }
  if (!r.breakdowns.empty()) {
    json all = json::array();
    for (const auto& b : r.breakdowns) {
      json rows = json::array();
      const bool allocated = b.spread_by.has_value();
      for (const auto& row : b.rows) {
        json o = row_json(row, allocated);
        o["value"] = row.keys[0];
        rows.push_back(o);
      }
      json one = {{"by", b.key.name()}, {"rows", rows}};
      if (b.others.count > 0) one["others"] = others_json(b.others, allocated);
      if (allocated) one["allocation"] = allocation_json(b);
      all.push_back(one);
    }
    j["breakdowns"] = all;
  }
  if (!r.forecast.empty()) {
    json f = json::array();
    for (const auto& d : r.forecast) {
      f.push_back({{"date", d.date},
                   {"value", d.value},
                   {"lower_95", d.lower_95},
                   {"upper_95", d.upper_95}});
    }
    j["forecast"] = {{"currency", r.forecast_currency}, {"model", r.forecast_model}, {"days", f}};
  }
  if (r.projection) j["projection"] = projection_json(*r.projection);
  if (r.comparison) j["previous"] = comparison_json(*r.comparison);
  if (!r.anomaly_currency.empty()) {
    json unusual = json::array();
    for (const auto& u : r.anomalies) unusual.push_back(unusual_day_json(u));
    j["anomalies"] = {{"currency", r.anomaly_currency}, {"days", unusual}};
  }
  if (!r.budgets.empty()) {
    json budgets = json::array();
    for (const auto& b : r.budgets) budgets.push_back(budget_json(b));
    j["budgets"] = budgets;
  }
  if (!r.logged.empty()) {
    json by_model = json::array();
    for (const auto& row : r.logged) {
      if (row.logged.records > 0) by_model.push_back(logged_model_json(row));
    }
    j["logged"] = {{"currency", "USD"},
                   {"models", by_model},
                   {"total", logged_costs_json(logged_sum(r.logged))}};
  }
  if (!r.split.empty()) {
    json by_model = json::array();
    for (const auto& row : r.split) by_model.push_back(split_json(row));
    j["cost_split"] = {{"models", by_model}, {"total", split_json(split_total(r))}};
  }
  return j;
}

std::string to_jsonl(const Report& r) {
  std::string out;
  auto line = [&](json j) { out += j.dump() + "\n"; };
  json t = row_json(r.total);
  t["section"] = "total";
  line(t);
  if (r.projection) {
    json p = projection_json(*r.projection);
    p["section"] = "projection";
    line(p);
  }
  for (const auto& b : r.budgets) {
    json j = budget_json(b);
    j["section"] = "budget";
    line(j);
  }
  if (r.comparison) {
    // The compared period's total and change, then a line per change (the others' without a
    // name).
    json p = comparison_json(*r.comparison);
    json changes = {{"model_change", p["models"]}, {"project_change", p["projects"]}};
    p.erase("models");
    p.erase("projects");
    p["section"] = "previous";
    line(p);
    for (const auto& [section, d] : changes.items()) {
      json rows = d["largest"];
      if (d.contains("others")) rows.push_back(d["others"]), rows.back()["name"] = nullptr;
      for (json c : rows) {
        c["section"] = section;
        c["currency"] = r.comparison->currency;
        line(c);
      }
    }
  }
  for (const auto& d : r.days) {
    line({{"section", "day"},
          {"date", d.date},
          {"records", d.records},
          {"cost", money_json(d.cost)}});
  }
  // Each table's rows, then the groups they leave out: a line without a name, with their count.
  auto others = [&](const OtherRows& o, json names, bool allocated = false) {
    if (o.count == 0) return;
    json j = row_json(o.row, allocated);
    j.update(names);
    j["others"] = o.count;
    line(j);
  };
  for (const auto& m : r.models) {
    json o = row_json(m);
    o["section"] = "model";
    o["provider"] = m.keys[0];
    o["model"] = m.keys[1];
    line(o);
  }
  others(r.other_models, {{"section", "model"}, {"provider", nullptr}, {"model", nullptr}});
  for (const auto& p : r.projects) {
    json o = row_json(p);
    o["section"] = "project";
    o["project"] = p.keys[0];
    line(o);
  }
  others(r.other_projects, {{"section", "project"}, {"project", nullptr}});
  for (const auto& b : r.breakdowns) {
    for (const auto& row : b.rows) {
      json o = row_json(row, b.spread_by.has_value());
      o["section"] = "breakdown";
      o["by"] = b.key.name();
      o["value"] = row.keys[0];
      line(o);
    }
    others(b.others, {{"section", "breakdown"}, {"by", b.key.name()}, {"value", nullptr}},
           b.spread_by.has_value());
    if (b.spread_by) {
      json a = allocation_json(b);
      a["section"] = "allocation";
      a["by"] = b.key.name();
      line(a);
    }
  }
  for (const auto& u : r.anomalies) {
    json a = unusual_day_json(u);
    a["section"] = "anomaly";
    a["currency"] = r.anomaly_currency;
    line(a);
  }
  for (const auto& f : r.forecast) {
    line({{"section", "forecast"},
          {"date", f.date},
          {"currency", r.forecast_currency},
          {"value", f.value},
          {"lower_95", f.lower_95},
          {"upper_95", f.upper_95}});
  }
  if (!r.logged.empty()) {
    for (const auto& row : r.logged) {
      if (row.logged.records == 0) continue;
      json o = logged_model_json(row);
      o["section"] = "logged";
      o["currency"] = "USD";
      line(o);
    }
    json all = logged_costs_json(logged_sum(r.logged));
    all["section"] = "logged_total";
    all["currency"] = "USD";
    line(all);
  }
  if (!r.split.empty()) {
    for (const auto& row : r.split) {
      json o = split_json(row);
      o["section"] = "cost_split";
      line(o);
    }
    json all = split_json(split_total(r));
    all["section"] = "cost_split_total";
    line(all);
  }
  return out;
}

std::string to_csv(const Report& r) {
  std::ostringstream s;
  s << "section,key,currency,cost,records,unpriced,input_tokens,output_tokens,requests,"
       "cost_per_request,cost_per_mtok\n";
  // A row of records: its counts, and its unit costs when it has them (unit_costs: priced in
  // one currency). The other sections leave those columns empty.
  auto rows = [&](const std::string& section, const std::string& key, const AggregateRow& row) {
    std::map<std::string, Decimal> cost = row.cost;
    if (cost.empty()) cost[""] = Decimal();
    const UnitCosts u = unit_costs(row);
    for (const auto& [c, v] : cost) {
      s << section << "," << csv_field(key) << "," << c << "," << v.to_string() << ","
        << row.records << "," << row.unpriced << "," << row.input_tokens << "," << row.output_tokens
        << "," << row.requests << "," << (u.per_request ? u.per_request->to_string() : "") << ","
        << (u.per_mtok ? u.per_mtok->to_string() : "") << "\n";
    }
  };
  rows("total", "", r.total);
  if (r.projection) {
    // The projected total, its bounds and the run rate, keyed by the period they are of.
    const Projection& p = *r.projection;
    const std::string key =
        forecasting::format_date(p.period.start) + ".." + forecasting::format_date(p.period.end);
    for (const auto& [section, value] :
         {std::pair{"projection", std::optional<Decimal>(p.status.projected_total)},
          {"projection_lower_95", p.status.projected_lower},
          {"projection_upper_95", p.status.projected_upper},
          {"run_rate", std::optional<Decimal>(p.status.run_rate_total)}}) {
      if (value)
        s << section << "," << key << "," << p.currency << "," << value->to_string() << ",,,,,,,\n";
    }
  }
  for (const auto& b : r.budgets) {
    // Each budget's amount and figures, keyed by its name.
    const forecasting::BudgetStatus& st = b.status;
    for (const auto& [section, value] :
         {std::pair{"budget_amount", std::optional<Decimal>(b.amount)},
          {"budget_spent", std::optional<Decimal>(st.spent)},
          {"budget_projected", std::optional<Decimal>(st.projected_total)},
          {"budget_projected_lower", st.projected_lower},
          {"budget_projected_upper", st.projected_upper},
          {"budget_run_rate", std::optional<Decimal>(st.run_rate_total)}}) {
      if (value) {
        s << section << "," << csv_field(b.name) << "," << b.currency << "," << value->to_string()
          << ",,,,,,,\n";
      }
    }
  }
  if (r.comparison) {
    // The compared period's total (keyed FROM..TO), then each change (cost: the change; the
    // others keyed "N others").
    const Comparison& c = *r.comparison;
    rows("previous", format_timestamp(c.from) + ".." + format_timestamp(c.to), c.total);
    s << "change,," << c.currency << "," << c.change.to_string() << ",,,,,,,\n";
    for (const auto& [section, d] :
         {std::pair{"model_change", &c.models}, {"project_change", &c.projects}}) {
      for (const auto& row : change_rows(*d, false)) {
        s << section << "," << csv_field(row[0]) << "," << c.currency << "," << row[3]
          << ",,,,,,,\n";
      }
    }
  }
  for (const auto& d : r.days) {
    std::map<std::string, Decimal> cost = d.cost;
    if (cost.empty()) cost[""] = Decimal();
    for (const auto& [c, v] : cost) {
      s << "day," << d.date << "," << c << "," << v.to_string() << "," << d.records << ",,,,,,\n";
    }
  }
  for (const auto& m : r.models) rows("model", row_name(m, true, ""), m);
  if (r.other_models.count > 0) rows("model", others_name(r.other_models), r.other_models.row);
  for (const auto& p : r.projects) rows("project", row_name(p, false, ""), p);
  if (r.other_projects.count > 0)
    rows("project", others_name(r.other_projects), r.other_projects.row);
  for (const auto& b : r.breakdowns) {  // section "by:tag:team", keyed by the value
    const std::string section = csv_field("by:" + b.key.name());
    for (const auto& row : b.rows) rows(section, row.keys[0], row);
    if (b.others.count > 0) rows(section, others_name(b.others), b.others.row);
    if (!b.spread_by) continue;
    // With its shared cost spread: each row's shared and allocated cost, in sections
    // "shared:tag:team" and "allocated:tag:team", the amount in the cost column.
    auto spread = [&](const std::string& key, const AggregateRow& row) {
      for (const auto& [c, v] : allocated_cost(row)) {
        s << csv_field("shared:" + b.key.name()) << "," << csv_field(key) << "," << c << ","
          << cost_in(row.shared, c).to_string() << ",,,,,,,\n";
        s << csv_field("allocated:" + b.key.name()) << "," << csv_field(key) << "," << c << ","
          << v.to_string() << ",,,,,,,\n";
      }
    };
    for (const auto& row : b.rows) spread(row.keys[0], row);
    if (b.others.count > 0) spread(others_name(b.others), b.others.row);
  }
  for (const auto& u : r.anomalies) {
    s << "anomaly," << u.date << "," << r.anomaly_currency << "," << num(u.value, 4) << ",,,,,,,\n";
    s << "anomaly_expected," << u.date << "," << r.anomaly_currency << "," << num(u.expected, 4)
      << ",,,,,,,\n";
  }
  if (!r.logged.empty()) {
    // The logged costs per model (keyed provider/model; the total keyed ""): the logged and
    // exact costs with the records compared, and the records off in the records column.
    auto logged = [&](const std::string& key, const LoggedCosts& l) {
      s << "logged," << csv_field(key) << ",USD," << l.logged.to_string() << "," << l.records
        << ",,,,,,\n";
      s << "logged_exact," << csv_field(key) << ",USD," << l.exact.to_string() << "," << l.records
        << ",,,,,,\n";
      s << "logged_off," << csv_field(key) << ",USD,," << l.off << ",,,,,,\n";
    };
    for (const auto& row : r.logged) {
      if (row.logged.records > 0) logged(row_name(row, true, ""), row.logged);
    }
    logged("", logged_sum(r.logged));
  }
  if (!r.split.empty()) {
    // Each model's cost parts (keyed provider/model; the total keyed ""), a row per part and
    // currency: the amount, and the model's records.
    auto parts = [&](const std::string& key, const AggregateRow& row) {
      for (const auto& [section, part] : kCostSplit) {
        for (const auto& [c, v] : row.*part) {
          if (part == &AggregateRow::discount && v.is_zero()) continue;  // with discounts only
          s << section << "," << csv_field(key) << "," << c << "," << v.to_string() << ","
            << row.records << ",,,,,,\n";
        }
      }
    };
    for (const auto& row : r.split) parts(row_name(row, true, ""), row);
    parts("", split_total(r));
  }
  for (const auto& f : r.forecast) {
    s << "forecast," << f.date << "," << r.forecast_currency << "," << num(f.value, 2)
      << ",,,,,,,\n";
  }
  return s.str();
}

std::string to_markdown(const Report& r) {
  std::ostringstream s;
  s << "# " << md_escape(r.title) << "\n\n";
  s << "Period: " << period_text(r) << "  \nFilters: " << md_escape(filters_text(r))
    << "  \nGenerated: " << format_timestamp(r.generated) << "\n\n";
  s << "**Total: " << money_text(r.total.cost) << "** over " << r.total.records << " records"
    << requests_text(r.total);
  if (r.total.unpriced) s << " (" << r.total.unpriced << " unpriced, not counted as $0)";
  s << "; " << tokens_text(r.total) << ".\n\n";
  if (r.comparison) s << md_escape(comparison_text(r)) << ".\n\n";
  if (r.projection) {
    const ProjectionText t = projection_text(*r.projection);
    s << t.head << ": **" << t.total << "** (" << md_escape(t.rest) << ").\n\n";
  }
  if (!r.budgets.empty()) {
    s << "## Budgets (as of " << forecasting::format_date(r.budgets[0].as_of) << ")\n\n|";
    for (const char* h : kBudgetHeads) s << " " << h << " |";
    s << "\n|---|---|---:|---:|---:|---:|---|---|\n";
    for (const auto& b : r.budgets) {
      s << "|";
      for (const auto& cell : budget_cells(b)) s << " " << md_escape(cell) << " |";
      s << "\n";
    }
    s << "\n";
  }
  if (r.comparison && r.comparison->total.records > 0) {
    s << "## Largest changes from the previous period (" << md_escape(r.comparison->currency)
      << ")\n\n";
    for (const auto& [head, noun, rows] : change_tables(*r.comparison)) {
      if (rows.empty()) {
        s << "No " << noun << "'s spend changed.\n\n";
        continue;
      }
      s << "| " << head << " | Previous | Now | Change |\n|---|---:|---:|---:|\n";
      for (const auto& row : rows) {
        s << "| " << md_escape(row[0]) << " | " << row[1] << " | " << row[2] << " | " << row[3]
          << " |\n";
      }
      s << "\n";
    }
  }
  s << "## Daily spend\n\n| Date | Cost | Records |\n|---|---:|---:|\n";
  for (const auto& d : r.days) {
    s << "| " << d.date << " | " << money_text(d.cost) << " | " << d.records << " |\n";
  }
  // A top table; with `spread`, a breakdown whose shared cost was spread (its sentence, and
  // each row's shared and allocated cost).
  auto table = [&](const char* title, const char* head, const std::vector<AggregateRow>& rows,
                   const OtherRows& others, bool model, const Breakdown* spread = nullptr) {
    const bool allocated = spread && spread->spread_by;
    s << "\n## " << title << "\n\n";
    if (allocated) s << md_escape(allocation_text(*spread)) << "\n\n";
    s << "| " << head << " | Cost |" << (allocated ? " Shared | Allocated |" : "")
      << " Share | Per request | Records | Unpriced |\n|---|---:|"
      << (allocated ? "---:|---:|" : "") << "---:|---:|---:|---:|\n";
    auto line = [&](const std::string& name, const AggregateRow& row) {
      s << "| " << md_escape(name) << " | " << money_text(row.cost) << " | ";
      if (allocated)
        s << money_text(row.shared) << " | " << money_text(allocated_cost(row)) << " | ";
      s << share_text(row, r.total, r.currency) << " | " << per_request_text(row) << " | "
        << row.records << " | " << row.unpriced << " |\n";
    };
    for (const auto& row : rows) line(row_name(row, model), row);
    if (others.count > 0) line(others_name(others), others.row);
  };
  if (!r.anomaly_currency.empty()) {
    s << "\n## Unusual days (" << md_escape(r.anomaly_currency) << ")\n\n";
    if (r.anomalies.empty()) {
      s << "None in the period (seasonal detector, weekly season).\n";
    } else {
      s << "| Date | Spend | Expected | Severity | Moved by |\n|---|---:|---:|---|---|\n";
      for (const auto& u : r.anomalies) {
        s << "| " << u.date << " | " << num(u.value, 4) << " | " << num(u.expected, 4) << " | "
          << u.severity << " | " << md_escape(changes_text(u.drivers)) << " |\n";
      }
    }
  }
  table("Top models", "Model", r.models, r.other_models, true);
  table("Top projects", "Project", r.projects, r.other_projects, false);
  for (const auto& b : r.breakdowns) {
    const std::string name = b.key.name();
    table(("Top by " + md_escape(name)).c_str(), md_escape(name).c_str(), b.rows, b.others, false,
          &b);
  }
  if (!r.logged.empty())
    md_cells(s, "Costs the records logged (USD)", kLoggedAbout, kLoggedHeads, logged_cells(r));
  if (!r.split.empty())
    md_cells(s, "Input and output cost", split_about(r).c_str(), kSplitHeads, split_cells(r));
  if (!r.forecast.empty()) {
    s << "\n## Forecast (" << r.forecast_currency << ", " << r.forecast_model
      << ", 95% interval)\n\n| Date | Forecast | Lower | Upper |\n|---|---:|---:|---:|\n";
    for (const auto& f : r.forecast) {
      s << "| " << f.date << " | " << num(f.value, 2) << " | " << num(f.lower_95, 2) << " | "
        << num(f.upper_95, 2) << " |\n";
    }
  }
  return s.str();
}

// A bar chart of daily spend with the forecast as a dashed line in a shaded 95% band.
std::string daily_chart(const Report& r, const std::string& currency) {
  const double W = 760, H = 240, left = 60, bottom = 30, top = 10;
  const size_t n = r.days.size() + r.forecast.size();
  if (n == 0) return "";
  std::vector<double> v;
  for (const auto& d : r.days) v.push_back(cost_in(d.cost, currency).to_double());
  double max = 0;
  for (double x : v) max = std::max(max, x);
  for (const auto& f : r.forecast) max = std::max(max, f.upper_95);
  if (!(max > 0)) max = 1;
  const double pw = (W - left - 10) / static_cast<double>(n);
  const double ph = H - bottom - top;
  auto y = [&](double val) { return top + ph * (1 - std::max(0.0, val) / max); };
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " << W << " " << H
    << "\" role=\"img\" aria-label=\"Daily spend in " << html_escape(currency) << "\">\n";
  for (int i = 0; i <= 4; ++i) {
    const double val = max * i / 4;
    s << "<line x1=\"" << left << "\" x2=\"" << W - 10 << "\" y1=\"" << num(y(val), 1) << "\" y2=\""
      << num(y(val), 1) << "\" stroke=\"#ddd\"/><text x=\"" << left - 6 << "\" y=\""
      << num(y(val) + 4, 1) << "\" text-anchor=\"end\" font-size=\"11\">" << num(val, 2)
      << "</text>\n";
  }
  std::set<std::string> unusual;  // drawn in red
  if (currency == r.anomaly_currency) {
    for (const auto& u : r.anomalies) unusual.insert(u.date);
  }
  for (size_t i = 0; i < v.size(); ++i) {
    const double x = left + pw * static_cast<double>(i);
    const bool odd = unusual.count(r.days[i].date) > 0;
    s << "<rect x=\"" << num(x + pw * 0.1, 1) << "\" y=\"" << num(y(v[i]), 1) << "\" width=\""
      << num(pw * 0.8, 1) << "\" height=\"" << num(top + ph - y(v[i]), 1) << "\" fill=\""
      << (odd ? "#c0392b" : "#3b6fb6") << "\"><title>" << r.days[i].date << ": " << num(v[i], 2)
      << " " << html_escape(currency) << (odd ? " (unusual)" : "") << "</title></rect>\n";
  }
  if (!r.forecast.empty()) {
    std::string band_top, band_bottom, line;
    for (size_t i = 0; i < r.forecast.size(); ++i) {
      const double x = left + pw * (static_cast<double>(v.size() + i) + 0.5);
      band_top += num(x, 1) + "," + num(y(r.forecast[i].upper_95), 1) + " ";
      band_bottom = num(x, 1) + "," + num(y(r.forecast[i].lower_95), 1) + " " + band_bottom;
      line += num(x, 1) + "," + num(y(r.forecast[i].value), 1) + " ";
    }
    s << "<polygon points=\"" << band_top << band_bottom
      << "\" fill=\"#f0a030\" fill-opacity=\"0.25\"/>\n<polyline points=\"" << line
      << "\" fill=\"none\" stroke=\"#d07000\" stroke-width=\"2\" stroke-dasharray=\"5,3\"/>\n";
  }
  const size_t step = std::max<size_t>(1, n / 8);
  for (size_t i = 0; i < n; i += step) {
    const std::string label =
        i < r.days.size() ? r.days[i].date : r.forecast[i - r.days.size()].date;
    const double x = left + pw * (static_cast<double>(i) + 0.5);
    if (x + 35 > W) break;  // a centered date would run off the picture
    s << "<text x=\"" << num(x, 1) << "\" y=\"" << H - 10
      << "\" text-anchor=\"middle\" font-size=\"11\">" << label << "</text>\n";
  }
  s << "</svg>\n";
  return s.str();
}

// `v` as a fraction of `max`, for a chart's bar: divided exactly, and only the fraction (a length,
// not money) made a double; 0 when either is not positive.
double fraction(const Decimal& v, const Decimal& max) {
  if (!(v > Decimal()) || !(max > Decimal())) return 0;
  const auto f = v.div(max, 9);
  return f ? f->to_double() : 0;
}

std::string bars_chart(const std::vector<AggregateRow>& rows, const std::string& currency,
                       bool model) {
  if (rows.empty()) return "";
  const double W = 760, bar = 22, left = 260;
  const double H = bar * static_cast<double>(rows.size()) + 10;
  Decimal max;
  for (const auto& r : rows) max = std::max(max, cost_in(allocated_cost(r), currency));
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " << W << " " << H << "\">\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Decimal v = cost_in(allocated_cost(rows[i]), currency);
    const double len = (W - left - 90) * fraction(v, max);
    const std::string name = row_name(rows[i], model);
    const double yy = 5 + bar * static_cast<double>(i);
    s << "<text x=\"" << left - 8 << "\" y=\"" << num(yy + 15, 1)
      << "\" text-anchor=\"end\" font-size=\"12\">" << html_escape(name) << "</text><rect x=\""
      << left << "\" y=\"" << num(yy + 3, 1) << "\" width=\"" << num(len, 1) << "\" height=\""
      << bar - 6 << "\" fill=\"#5a9e6f\"/><text x=\"" << num(left + len + 6, 1) << "\" y=\""
      << num(yy + 15, 1) << "\" font-size=\"12\">" << v.to_string_fixed(2) << "</text>\n";
  }
  s << "</svg>\n";
  return s.str();
}

// Each budget as a bullet chart, scaled to its own amount: the projected total as a pale bar
// (red when it passes the amount), the spend so far over it, the projection's interval as a
// whisker, and the amount as a dark line.
std::string budgets_chart(const std::vector<BudgetLine>& budgets) {
  const double W = 760, row = 26, left = 160, width = W - left - 20;
  const double H = row * static_cast<double>(budgets.size()) + 10;
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " << W << " " << H << "\">\n";
  for (size_t i = 0; i < budgets.size(); ++i) {
    const BudgetLine& b = budgets[i];
    const forecasting::BudgetStatus& st = b.status;
    const Decimal upper = st.projected_upper.value_or(Decimal());
    // The scale runs 5% past the largest figure.
    const Decimal max = std::max({b.amount, st.projected_total, upper, st.spent});
    auto len = [&](const Decimal& v) { return width * fraction(v, max) / 1.05; };
    auto at = [&](const Decimal& v) { return num(left + len(v), 1); };
    const double y = 5 + row * static_cast<double>(i), mid = y + row / 2;
    s << "<text x=\"" << left - 8 << "\" y=\"" << num(y + 16, 1)
      << "\" text-anchor=\"end\" font-size=\"12\">" << html_escape(b.name) << "</text>"
      << "<rect x=\"" << left << "\" y=\"" << num(y + 4, 1) << "\" width=\""
      << num(len(st.projected_total), 1) << "\" height=\"" << row - 8 << "\" fill=\""
      << (st.projected_total > b.amount ? "#f2b8b5" : "#cfe3d5") << "\"/>"
      << "<rect x=\"" << left << "\" y=\"" << num(y + 8, 1) << "\" width=\""
      << num(len(st.spent), 1) << "\" height=\"" << row - 16 << "\" fill=\""
      << (st.spent > b.amount ? "#c0392b" : "#5a9e6f") << "\"/>";
    if (st.projected_lower && st.projected_upper) {
      s << "<line x1=\"" << at(*st.projected_lower) << "\" x2=\"" << at(upper) << "\" y1=\""
        << num(mid, 1) << "\" y2=\"" << num(mid, 1) << "\" stroke=\"#555\"/>";
    }
    s << "<line x1=\"" << at(b.amount) << "\" x2=\"" << at(b.amount) << "\" y1=\"" << num(y + 1, 1)
      << "\" y2=\"" << num(y + row - 1, 1) << "\" stroke=\"#222\" stroke-width=\"2\"/>\n";
  }
  s << "</svg>\n";
  return s.str();
}

std::string to_html(const Report& r) {
  const std::string cur =
      r.forecast_currency.empty() ? main_currency({r.total}) : r.forecast_currency;
  std::ostringstream s;
  s << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
    << html_escape(r.title)
    << "</title>\n<style>body{font-family:system-ui,sans-serif;max-width:820px;margin:2em "
       "auto;color:#222}table{border-collapse:collapse;width:100%;margin:.5em "
       "0}td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left}td.n,th.n{text-"
       "align:right}.total{font-size:1.4em}</style></head><body>\n";
  s << "<h1>" << html_escape(r.title) << "</h1>\n<p>Period: " << html_escape(period_text(r))
    << "<br>Filters: " << html_escape(filters_text(r))
    << "<br>Generated: " << format_timestamp(r.generated) << "</p>\n";
  s << "<p class=\"total\">Total: <b>" << html_escape(money_text(r.total.cost)) << "</b> over "
    << r.total.records << " records" << requests_text(r.total);
  if (r.total.unpriced) s << " (" << r.total.unpriced << " unpriced, not counted as $0)";
  s << "</p>\n<p>Tokens: " << tokens_text(r.total) << ".</p>\n";
  if (r.comparison) s << "<p>" << html_escape(comparison_text(r)) << ".</p>\n";
  if (r.projection) {
    const ProjectionText t = projection_text(*r.projection);
    s << "<p>" << html_escape(t.head) << ": <b>" << html_escape(t.total) << "</b> ("
      << html_escape(t.rest) << ").</p>\n";
  }
  if (!r.budgets.empty()) {
    s << "<h2>Budgets (as of " << forecasting::format_date(r.budgets[0].as_of) << ")</h2>\n"
      << budgets_chart(r.budgets)
      << "<p>Spent (dark), projected (pale; red past the amount) with its interval, and the "
         "amount (line).</p>\n<table><tr>";
    for (size_t i = 0; i < std::size(kBudgetHeads); ++i) {
      s << (i >= 2 && i <= 5 ? "<th class=\"n\">" : "<th>") << kBudgetHeads[i] << "</th>";
    }
    s << "</tr>\n";
    for (const auto& b : r.budgets) {
      const auto cells = budget_cells(b);
      s << "<tr>";
      for (size_t i = 0; i < cells.size(); ++i) {
        s << (i >= 2 && i <= 5 ? "<td class=\"n\">" : "<td>") << html_escape(cells[i]) << "</td>";
      }
      s << "</tr>\n";
    }
    s << "</table>\n";
  }
  s << "<h2>Daily spend (" << html_escape(cur) << ")</h2>\n" << daily_chart(r, cur);
  if (!r.forecast.empty()) {
    s << "<p>Dashed: " << r.forecast.size() << "-day forecast (" << html_escape(r.forecast_model)
      << ") with its 95% interval.</p>\n";
  }
  if (!r.anomaly_currency.empty()) {
    s << "<h2>Unusual days (" << html_escape(r.anomaly_currency) << ")</h2>\n";
    if (r.anomalies.empty()) {
      s << "<p>None in the period (seasonal detector, weekly season).</p>\n";
    } else {
      s << "<table><tr><th>Date</th><th class=\"n\">Spend</th><th class=\"n\">Expected</th>"
           "<th>Severity</th><th>Moved by</th></tr>\n";
      for (const auto& u : r.anomalies) {
        s << "<tr><td>" << u.date << "</td><td class=\"n\">" << num(u.value, 4)
          << "</td><td class=\"n\">" << num(u.expected, 4) << "</td><td>" << u.severity
          << "</td><td>" << html_escape(changes_text(u.drivers)) << "</td></tr>\n";
      }
      s << "</table>\n";
    }
  }
  // A top table, as the Markdown report's (`spread`: a breakdown whose shared cost was spread,
  // its bars the allocated cost).
  auto table = [&](const char* title, const char* head, const std::vector<AggregateRow>& rows,
                   const OtherRows& others, bool model, const Breakdown* spread = nullptr) {
    const bool allocated = spread && spread->spread_by;
    s << "<h2>" << title << "</h2>\n";
    if (allocated) s << "<p>" << html_escape(allocation_text(*spread)) << "</p>\n";
    s << bars_chart(rows, cur, model) << "<table><tr><th>" << head
      << "</th><th class=\"n\">Cost</th>"
      << (allocated ? "<th class=\"n\">Shared</th><th class=\"n\">Allocated</th>" : "")
      << "<th class=\"n\">Share</th><th class=\"n\">Per request</th><th "
         "class=\"n\">Records</th><th class=\"n\">Unpriced</th></tr>\n";
    auto line = [&](const std::string& name, const AggregateRow& row) {
      s << "<tr><td>" << html_escape(name) << "</td><td class=\"n\">"
        << html_escape(money_text(row.cost)) << "</td><td class=\"n\">";
      if (allocated) {
        s << html_escape(money_text(row.shared)) << "</td><td class=\"n\">"
          << html_escape(money_text(allocated_cost(row))) << "</td><td class=\"n\">";
      }
      s << share_text(row, r.total, r.currency) << "</td><td class=\"n\">" << per_request_text(row)
        << "</td><td class=\"n\">" << row.records << "</td><td class=\"n\">" << row.unpriced
        << "</td></tr>\n";
    };
    for (const auto& row : rows) line(row_name(row, model), row);
    if (others.count > 0) line(others_name(others), others.row);
    s << "</table>\n";
  };
  table("Top models", "Model", r.models, r.other_models, true);
  table("Top projects", "Project", r.projects, r.other_projects, false);
  for (const auto& b : r.breakdowns) {
    const std::string name = html_escape(b.key.name());
    table(("Top by " + name).c_str(), name.c_str(), b.rows, b.others, false, &b);
  }
  if (!r.logged.empty())
    html_cells(s, "Costs the records logged (USD)", kLoggedAbout, kLoggedHeads, logged_cells(r));
  if (!r.split.empty())
    html_cells(s, "Input and output cost", split_about(r).c_str(), kSplitHeads, split_cells(r));
  if (r.comparison && r.comparison->total.records > 0) {
    s << "<h2>Largest changes from the previous period (" << html_escape(r.comparison->currency)
      << ")</h2>\n";
    for (const auto& [head, noun, rows] : change_tables(*r.comparison)) {
      if (rows.empty()) {
        s << "<p>No " << noun << "'s spend changed.</p>\n";
        continue;
      }
      s << "<table><tr><th>" << head
        << "</th><th class=\"n\">Previous</th><th class=\"n\">Now</th><th "
           "class=\"n\">Change</th></tr>\n";
      for (const auto& row : rows) {
        s << "<tr><td>" << html_escape(row[0]) << "</td>";
        for (size_t k = 1; k < 4; ++k) s << "<td class=\"n\">" << row[k] << "</td>";
        s << "</tr>\n";
      }
      s << "</table>\n";
    }
  }
  s << "<h2>Days</h2>\n<table><tr><th>Date</th><th class=\"n\">Cost</th><th "
       "class=\"n\">Records</th></tr>\n";
  for (const auto& d : r.days) {
    s << "<tr><td>" << d.date << "</td><td class=\"n\">" << html_escape(money_text(d.cost))
      << "</td><td class=\"n\">" << d.records << "</td></tr>\n";
  }
  s << "</table>\n</body></html>\n";
  return s.str();
}

}  // namespace

json money_json(const std::map<std::string, Decimal>& cost) {
  json j = json::object();
  for (const auto& [c, v] : cost) j[c] = v.to_string();
  return j;
}

std::string money_text(const std::map<std::string, Decimal>& cost, int places) {
  if (cost.empty()) return "0";
  std::string s;
  for (const auto& [c, v] : cost) {
    s += (s.empty() ? "" : " + ") + v.to_string_fixed(places) + " " + c;
  }
  return s;
}

json decimal_json(const std::optional<Decimal>& d) {
  return d ? json(d->to_string()) : json(nullptr);
}

std::string figure_text(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

json projection_json(const Projection& p) {
  const forecasting::BudgetStatus& st = p.status;
  return {{"label", p.label},
          {"period_start", forecasting::format_date(p.period.start)},
          {"period_end", forecasting::format_date(p.period.end)},
          {"currency", p.currency},
          {"spent", st.spent.to_string()},
          {"projected_total", st.projected_total.to_string()},
          {"projected_lower", decimal_json(st.projected_lower)},
          {"projected_upper", decimal_json(st.projected_upper)},
          {"interval_level", 95},
          {"run_rate_total", st.run_rate_total.to_string()},
          {"model", st.model}};
}

json comparison_json(const Comparison& c) {
  const auto pct = percent_of(c.change, cost_in(c.total.cost, c.currency), 1);
  json j = {{"from", format_timestamp(c.from)},
            {"to", format_timestamp(c.to)},
            {"total", row_json(c.total)},
            {"currency", c.currency},
            {"change", c.change.to_string()},
            {"change_percent", pct ? json(pct->to_double()) : json(nullptr)},
            {"models", changes_json(c.models)},
            {"projects", changes_json(c.projects)}};
  return j;
}

Result<std::vector<std::vector<AggregateRow>>> aggregate_ways(
    const AggregateFn& source, AggregateQuery q, const std::vector<std::vector<GroupKey>>& ways) {
  q.group_by.clear();
  for (const auto& way : ways)
    for (const GroupKey& k : way)
      if (std::find(q.group_by.begin(), q.group_by.end(), k) == q.group_by.end())
        q.group_by.push_back(k);
  auto rows = source(q);
  if (!rows) return rows.status();
  std::vector<std::vector<AggregateRow>> out;
  for (const auto& way : ways) {
    std::vector<size_t> at;
    for (const GroupKey& k : way)
      at.push_back(static_cast<size_t>(std::find(q.group_by.begin(), q.group_by.end(), k) -
                                       q.group_by.begin()));
    std::map<std::vector<std::string>, AggregateRow> sums;
    for (const AggregateRow& row : *rows) {
      std::vector<std::string> keys;
      for (size_t i : at) keys.push_back(row.keys[i]);
      if (!add_row(sums[keys], row)) return out_of_range("aggregate cost overflows");
    }
    auto& way_rows = out.emplace_back();
    for (auto& [keys, sum] : sums) {
      sum.keys = keys;
      way_rows.push_back(std::move(sum));
    }
  }
  return out;
}

Result<Comparison> compare_with(const AggregateFn& source, const AggregateQuery& scope,
                                std::pair<Timestamp, Timestamp> before, const AggregateRow& total,
                                const std::vector<AggregateRow>& models,
                                const std::vector<AggregateRow>& projects,
                                const std::string& currency, size_t top) {
  Comparison c;
  std::tie(c.from, c.to) = before;
  c.currency = currency;
  AggregateQuery q = scope;
  q.from = c.from;
  q.to = c.to;
  auto before_rows = aggregate_ways(source, q, {{}, by_model(), by_project()});
  if (!before_rows) return before_rows.status();
  if (!(*before_rows)[0].empty()) c.total = (*before_rows)[0][0];
  auto change = forecasting::spend_change("total", cost_in(total.cost, currency),
                                          cost_in(c.total.cost, currency));
  if (!change) return change.status();
  c.change = change->change;
  for (auto [rows_before, now, out, model] :
       {std::tuple{&(*before_rows)[1], &models, &c.models, true},
        std::tuple{&(*before_rows)[2], &projects, &c.projects, false}}) {
    auto changes = row_changes(*now, *rows_before, currency, model, top);
    if (!changes) return changes.status();
    *out = std::move(*changes);
  }
  return c;
}

std::string signed_text(const Decimal& d, int places) {
  const std::string t = d.to_string_fixed(places);
  return t.front() == '-' ? t : "+" + t;
}

std::string changes_text(std::span<const forecasting::SpendDriver> changes, int places) {
  std::string t;
  for (const auto& d : changes)
    t += (t.empty() ? "" : ", ") + d.name + " " + signed_text(d.change, places);
  return t;
}

std::string input_parts_text(const AggregateRow& r) {
  if (!r.cache_read_tokens && !r.cache_write_tokens) return "";
  return " (" + std::to_string(r.cache_read_tokens) + " cache reads, " +
         std::to_string(r.cache_write_tokens) + " cache writes)";
}

std::string output_parts_text(const AggregateRow& r) {
  return r.reasoning_tokens ? " (" + std::to_string(r.reasoning_tokens) + " reasoning)" : "";
}

std::string md_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '<') {
      out += "&lt;";  // no HTML of a name's reaches the page a renderer makes
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '\n' || c == '\r') {
      out += ' ';  // a table row is one line
    } else {
      // Characters that would end a cell or start a link, code or emphasis stand for themselves.
      if (std::string_view("|\\`*_[]").find(c) != std::string_view::npos) out += '\\';
      out += c;
    }
  }
  return out;
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string_view format_name(Format f) {
  switch (f) {
    case Format::kCsv:
      return "csv";
    case Format::kJson:
      return "json";
    case Format::kJsonl:
      return "jsonl";
    case Format::kMarkdown:
      return "markdown";
    case Format::kHtml:
      return "html";
  }
  return "markdown";
}

Result<Format> parse_format(std::string_view name) {
  for (auto f : {Format::kCsv, Format::kJson, Format::kJsonl, Format::kMarkdown, Format::kHtml}) {
    if (format_name(f) == name) return f;
  }
  if (name == "md") return Format::kMarkdown;
  return invalid_argument("unknown report format \"" + std::string(name) +
                          "\"; valid: csv, json, jsonl, markdown, html");
}

Result<std::optional<Projection>> project_spend(
    const AggregateFn& source, const std::vector<Filter>& filters, const TimeZone& tz,
    std::string label, forecasting::DateRange period, forecasting::Date as_of,
    const std::string& currency, forecasting::Date today) {
  using namespace forecasting;
  const Date first = as_of - std::chrono::days(std::max(kForecastHistoryDays, period.days()) - 1);
  AggregateQuery q;
  q.filters = filters;
  q.time_zone = tz;
  q.from = tz.from_local(Timestamp{first});
  q.to = tz.from_local(Timestamp{as_of + std::chrono::days(1)});
  q.group_by = {GroupKey{GroupKey::Kind::kDay, {}}};
  auto rows = source(q);
  if (!rows) return rows.status();
  std::map<Date, Decimal> by_day;
  for (const auto& row : *rows) {
    auto d = parse_date(row.keys[0]);
    if (!d) return d.status();
    if (auto it = row.cost.find(currency); it != row.cost.end()) by_day[*d] = it->second;
  }
  if (by_day.empty()) return std::optional<Projection>();
  BudgetOptions bo;
  bo.period = period;
  bo.as_of = as_of;
  bo.as_of_partial = as_of == today;  // its spend so far counts; the model is fitted before it
  auto st = project_period(zero_filled_daily(by_day, as_of), bo);
  if (!st) return st.status();
  Projection p{std::move(label), period, currency, std::move(*st), by_day.rbegin()->first, {}};
  if (p.last_spend + std::chrono::days(7) < as_of) {
    p.note = "no stored spend after " + format_date(p.last_spend) + " (" +
             std::to_string((as_of - p.last_spend).count()) +
             " days before the as-of date): the projection counts the days since as zero";
  }
  return std::optional<Projection>(std::move(p));
}

Result<OtherRows> keep_top(std::vector<AggregateRow>& rows, const std::string& currency,
                           size_t top) {
  order_rows(rows, RowOrder::kCost, currency);
  OtherRows others;
  for (size_t i = top; i < rows.size(); ++i) {
    ++others.count;
    if (!add_row(others.row, rows[i])) return out_of_range("the others' cost overflows");
  }
  if (rows.size() > top) rows.resize(top);
  return others;
}

Status check_breakdown(const GroupKey& key) {
  using K = GroupKey::Kind;
  if (key.kind == K::kOrganization || key.kind == K::kUser || key.kind == K::kTag ||
      key.kind == K::kTier)
    return Status::ok();
  return invalid_argument("a report's breakdown is by organization, user, tag:KEY or tier, not " +
                          key.name() + " (the report has its models, projects and days)");
}

std::string others_name(const OtherRows& others) { return others_label(others.count); }

json drivers_json(std::span<const forecasting::SpendDriver> drivers) {
  json a = json::array();
  for (const auto& d : drivers) {
    a.push_back({{"name", d.name},
                 {"value", d.value.to_string()},
                 {"usual", d.baseline.to_string()},
                 {"change", d.change.to_string()}});
  }
  return a;
}

nlohmann::json logged_costs_json(const engine::LoggedCosts& l) {
  const Decimal diff = l.logged - l.exact;
  const auto pct = percent_of(diff, l.exact, 2);
  return {{"records", l.records},
          {"logged_cost", l.logged.to_string()},
          {"exact_cost", l.exact.to_string()},
          {"difference", diff.to_string()},
          {"difference_percent", pct ? nlohmann::json(pct->to_double()) : nlohmann::json(nullptr)},
          {"records_off", l.off}};
}

std::optional<Decimal> percent_of(const Decimal& part, const Decimal& whole, int places) {
  if (whole.is_zero()) return std::nullopt;
  auto pct = part.as_percent_of(whole, places);
  if (!pct) return std::nullopt;
  return *pct;
}

std::optional<std::string> percent_text(const Decimal& part, const Decimal& whole, int places,
                                        bool sign) {
  const auto pct = percent_of(part, whole, places);
  if (!pct) return std::nullopt;
  // The sign of the exact percentage, before rounding, as printf writes it (-0.0).
  const bool negative = part.is_negative() != whole.is_negative() && !part.is_zero();
  const Decimal size = pct->is_negative() ? -*pct : *pct;
  return (negative ? "-" : sign ? "+" : "") + size.to_string_fixed(places);
}

std::string share_text(const AggregateRow& row, const AggregateRow& total,
                       const std::string& currency) {
  const auto pct =
      percent_text(cost_in(allocated_cost(row), currency), cost_in(total.cost, currency), 1);
  return pct ? *pct + "%" : "-";
}

Result<Report> ReportGenerator::build(const ReportOptions& o) const {
  for (const GroupKey& key : o.breakdowns) COSTOPS_RETURN_IF_ERROR(check_breakdown(key));
  if (o.allocate &&
      std::find(o.breakdowns.begin(), o.breakdowns.end(), *o.allocate) == o.breakdowns.end()) {
    return invalid_argument("the breakdown to allocate, " + o.allocate->name() +
                            ", is not among the report's breakdowns");
  }
  Report r;
  r.title = o.title;
  r.generated = o.generated_at.value_or(
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()));
  r.from = o.from;
  r.to = o.to;
  r.filters = o.filters;
  AggregateQuery q;
  q.filters = o.filters;
  q.from = o.from;
  q.to = o.to;
  q.time_zone = o.time_zone;

  // The total, days, models and projects: one query grouped by day, model and project.
  auto ways = aggregate_ways(source_, q,
                             {{}, {GroupKey{GroupKey::Kind::kDay, {}}}, by_model(), by_project()});
  if (!ways) return ways.status();
  if (!(*ways)[0].empty()) r.total = (*ways)[0][0];
  const std::string cur =
      o.forecast_currency.empty() ? main_currency({r.total}) : o.forecast_currency;

  // Every day from the first to the last, so gaps show as zero.
  std::optional<forecasting::Date> prev;
  for (const auto& row : (*ways)[1]) {
    auto d = forecasting::parse_date(row.keys[0]);
    if (!d) return d.status();
    if (prev) {
      for (auto g = *prev + std::chrono::days(1); g < *d; g += std::chrono::days(1)) {
        r.days.push_back({forecasting::format_date(g), 0, {}});
      }
    }
    r.days.push_back({row.keys[0], row.records, row.cost});
    prev = *d;
  }

  r.models = std::move((*ways)[2]);
  r.projects = std::move((*ways)[3]);

  if (o.compare_to) {
    auto c = compare_with(source_, q, *o.compare_to, r.total, r.models, r.projects, cur, o.top);
    if (!c) return c.status().with_context("the period before");
    r.comparison = std::move(*c);
  }
  r.currency = cur;
  for (const GroupKey& key : o.breakdowns) {
    q.group_by = {key};
    auto rows = source_(q);
    if (!rows) return rows.status();
    Breakdown b{key, std::move(*rows), {}, {}, {}};
    if (o.allocate && key == *o.allocate) {
      COSTOPS_RETURN_IF_ERROR(spread_shared(b.rows, 0, o.allocate_by));
      b.spread_by = o.allocate_by;
      b.spread = spread_totals(b.rows, 0);
    }
    auto rest = keep_top(b.rows, cur, o.top);
    if (!rest) return rest.status();
    b.others = std::move(*rest);
    r.breakdowns.push_back(std::move(b));
  }
  for (auto [rows, others] :
       {std::pair{&r.models, &r.other_models}, {&r.projects, &r.other_projects}}) {
    auto rest = keep_top(*rows, cur, o.top);
    if (!rest) return rest.status();
    *others = std::move(*rest);
  }

  if ((o.forecast_days > 0 || o.anomalies) && !r.days.empty()) {
    // The history of the forecast and the anomaly scan: daily spend over up to
    // kForecastHistoryDays ending with the report's last day, not the period's days alone (a
    // month holds four weeks of the weekly season, the start of a month a few days), from the
    // first day with spend, gaps as zero. A last day that is the day the report is made on is
    // still running: left out.
    auto last = *forecasting::parse_date(r.days.back().date);
    const auto running = o.time_zone.local_day(r.generated);
    if (last == running) last -= std::chrono::days(1);
    const auto first = last - std::chrono::days(kForecastHistoryDays - 1);
    auto history = daily_spend(source_, o, cur, first, {});
    if (!history) {
      return history.status().with_context(
          "the daily spend before the report's end, for its forecast and unusual days");
    }
    const forecasting::Series spend = forecasting::zero_filled_daily(history->at({}), last);
    if (o.forecast_days > 0) {
      forecasting::AutoOptions ao;
      ao.season = 7;
      ao.horizon = o.forecast_days;
      // Fewer than 3 days, or nothing to fit: no forecast (not an error).
      auto sel = forecasting::select_model(spend.values, ao);
      if (spend.size() >= 3 && sel) {
        const double level[] = {0.95};
        const auto fc = forecasting::forecast(sel->fit, o.forecast_days, level);
        r.forecast_currency = cur;
        r.forecast_model = std::string(forecasting::model_name(sel->fit.model));
        for (int i = 0; i < o.forecast_days; ++i) {
          const auto& p = fc[static_cast<size_t>(i)];
          // Without an error variance (an exact fit of a few days) the band is the forecast.
          const auto band = p.bounds.empty() ? std::pair{p.value, p.value} : p.bounds[0];
          r.forecast.push_back({forecasting::format_date(last + std::chrono::days(i + 1)),
                                std::max(0.0, p.value), std::max(0.0, band.first),
                                std::max(0.0, band.second)});
        }
      }
    }
    if (o.anomalies) {
      auto found =
          unusual_days(source_, o, cur, spend, *forecasting::parse_date(r.days.front().date));
      if (!found) return found.status().with_context("the period's unusual days");
      r.anomalies = std::move(*found);
      r.anomaly_currency = cur;
    }
  }
  if (o.project_to && o.to) {
    // As of the report's last day (the day before its end), in its time zone.
    const auto as_of = o.time_zone.local_day(*o.to - std::chrono::microseconds(1));
    const auto today = o.time_zone.local_day(r.generated);
    auto p = project_spend(source_, o.filters, o.time_zone, o.project_to->first,
                           o.project_to->second, as_of, cur, today);
    if (!p) return p.status().with_context("the period's projection");
    r.projection = std::move(*p);
  }
  return r;
}

std::string ReportGenerator::render(const Report& report, Format format) {
  switch (format) {
    case Format::kCsv:
      return to_csv(report);
    case Format::kJson:
      return to_json(report).dump(2) + "\n";
    case Format::kJsonl:
      return to_jsonl(report);
    case Format::kMarkdown:
      return to_markdown(report);
    case Format::kHtml:
      return to_html(report);
  }
  return to_markdown(report);
}

}  // namespace costops::report
