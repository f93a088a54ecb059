// Reports: exact totals from the aggregator, gaps as zero days, every format, escaping.
#include "costops/report/report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "costops/engine/aggregator.h"
#include "costops/engine/cost_calculator.h"
#include "costops/pricing/catalog.h"
#include "costops/report/focus.h"
#include "costops/report/prometheus.h"

namespace costops::report {
namespace {

PricedRecord rec(const char* ts, const char* model, const char* project, const char* cost,
                 const char* currency = "USD") {
  PricedRecord p;
  p.usage.provider = "openai";
  p.usage.model = model;
  p.usage.project_id = project;
  p.usage.timestamp = *parse_timestamp(ts);
  p.usage.has_timestamp = true;
  p.usage.usage.set(units::kInputTokens, 100);
  CostRecord c;
  c.total_cost = Money{*Decimal::parse(cost), *Currency::parse(currency)};
  p.cost = c;
  return p;
}

const std::vector<PricedRecord>& records() {
  static const std::vector<PricedRecord> r = {
      rec("2026-09-01T10:00:00Z", "gpt-4o", "search", "0.1"),
      rec("2026-09-01T11:00:00Z", "gpt-4o", "<script>", "0.2"),
      rec("2026-09-03T12:00:00Z", "gpt-4o-mini", "search", "0.000000000000000001"),
      rec("2026-09-03T13:00:00Z", "gpt-4o-mini", "search", "1.5", "EUR"),
  };
  return r;
}

Report build(ReportOptions o = {}) {
  ReportGenerator gen(
      [](const AggregateQuery& q) { return engine::Aggregator::run(q, records()); });
  o.generated_at = *parse_timestamp("2026-09-10T00:00:00Z");
  auto r = gen.build(o);
  EXPECT_TRUE(r.has_value()) << r.status().to_string();
  return r ? *r : Report{};
}

// Each way's rows, summed from one query grouped by all their keys, are those a query grouped by
// it returns: keys, order, counts and exact costs per currency. One query is made.
TEST(ReportTest, AggregateWaysEqualTheirOwnQueries) {
  int queries = 0;
  const AggregateFn source = [&](const AggregateQuery& q) {
    ++queries;
    return engine::Aggregator::run(q, records());
  };
  const std::vector<std::vector<GroupKey>> ways = {
      {},
      {*GroupKey::parse("day")},
      {*GroupKey::parse("provider"), *GroupKey::parse("model")},
      {*GroupKey::parse("project")},
      {*GroupKey::parse("project"), *GroupKey::parse("day")}};
  AggregateQuery q;
  q.time_zone = *TimeZone::locate("Pacific/Auckland");  // labels the days as a direct query does
  auto got = aggregate_ways(source, q, ways);
  ASSERT_TRUE(got.has_value()) << got.status().to_string();
  EXPECT_EQ(queries, 1);
  ASSERT_EQ(got->size(), ways.size());
  for (size_t i = 0; i < ways.size(); ++i) {
    q.group_by = ways[i];
    auto want = engine::Aggregator::run(q, records());
    ASSERT_TRUE(want.has_value());
    EXPECT_EQ((*got)[i], *want) << "way " << i;
  }
  EXPECT_EQ((*got)[0][0].cost.at("USD").to_string(), "0.300000000000000001");
}

TEST(ReportTest, TotalsAreExactPerCurrencyAndGapsAreZeroDays) {
  const Report r = build();
  EXPECT_EQ(r.total.records, 4u);
  EXPECT_EQ(r.total.cost.at("USD").to_string(), "0.300000000000000001");
  EXPECT_EQ(r.total.cost.at("EUR").to_string(), "1.5");
  ASSERT_EQ(r.days.size(), 3u);
  EXPECT_EQ(r.days[1].date, "2026-09-02");
  EXPECT_EQ(r.days[1].records, 0u);
  ASSERT_EQ(r.models.size(), 2u);
  EXPECT_EQ(r.models[0].keys[1], "gpt-4o-mini");  // sorted by the largest currency (EUR)
}

TEST(ReportTest, EveryFormatRendersTheSameNumbers) {
  const Report r = build();
  const auto j = nlohmann::json::parse(ReportGenerator::render(r, Format::kJson));
  EXPECT_EQ(j["total"]["cost"]["USD"], "0.300000000000000001");
  EXPECT_EQ(j["days"].size(), 3u);
  const std::string csv = ReportGenerator::render(r, Format::kCsv);
  EXPECT_NE(csv.find("total,,USD,0.300000000000000001,4,0,400,0,4,,\n"), std::string::npos) << csv;
  const std::string jsonl = ReportGenerator::render(r, Format::kJsonl);
  size_t lines = 0;
  for (char c : jsonl) lines += c == '\n';
  EXPECT_EQ(lines, 1u + 3u + 2u + 2u);
  const std::string md = ReportGenerator::render(r, Format::kMarkdown);
  EXPECT_NE(md.find("| 2026-09-02 | 0 | 0 |"), std::string::npos) << md;
  // A name is text in Markdown too: no HTML, and no cell, link or emphasis of its own.
  EXPECT_EQ(md.find("<script>"), std::string::npos) << md;
  EXPECT_NE(md.find("| &lt;script&gt; | "), std::string::npos) << md;
  ReportOptions titled;
  titled.title = "Q3 *costs* | team_a\nnext";
  EXPECT_EQ(ReportGenerator::render(build(titled), Format::kMarkdown).substr(0, 31),
            "# Q3 \\*costs\\* \\| team\\_a next\n");
  const std::string html = ReportGenerator::render(r, Format::kHtml);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_FALSE(parse_format("pdf").has_value());
}

TEST(ReportTest, PeriodFiltersAndForecast) {
  ReportOptions o;
  o.from = *parse_timestamp("2026-09-02T00:00:00Z");
  o.filters = {*Filter::parse("project=search")};
  const Report r = build(o);
  EXPECT_EQ(r.total.records, 2u);
  ReportOptions f;
  f.forecast_days = 5;
  const Report with = build(f);
  EXPECT_EQ(with.forecast.size(), 5u);
  for (const auto& d : with.forecast) EXPECT_GE(d.lower_95, 0.0);
}

// A top table shows `top` rows and sums the others in one row, so that it adds up to the total;
// each row's share is of the total in the currency the table is ordered by.
TEST(ReportTest, TopTablesSumTheOthersAndShowShares) {
  ReportOptions o;
  o.top = 1;
  o.forecast_currency = "USD";
  const Report r = build(o);
  EXPECT_EQ(r.currency, "USD");
  ASSERT_EQ(r.models.size(), 1u);
  EXPECT_EQ(r.models[0].keys[1], "gpt-4o");
  EXPECT_EQ(r.other_models.count, 1u);  // gpt-4o-mini
  EXPECT_EQ(r.other_models.row.records, 2u);
  EXPECT_EQ(r.other_models.row.input_tokens, 200);
  EXPECT_EQ(r.other_models.row.cost.at("USD").to_string(), "0.000000000000000001");
  EXPECT_EQ(r.other_models.row.cost.at("EUR").to_string(), "1.5");
  ASSERT_EQ(r.projects.size(), 1u);
  EXPECT_EQ(r.projects[0].keys[0], "<script>");
  EXPECT_EQ(r.other_projects.count, 1u);  // search
  EXPECT_EQ(r.other_projects.row.cost.at("USD").to_string(), "0.100000000000000001");

  const std::string md = ReportGenerator::render(r, Format::kMarkdown);
  // Per request: none for a row of two currencies.
  EXPECT_NE(md.find("| Model | Cost | Share | Per request | Records | Unpriced |\n"
                    "|---|---:|---:|---:|---:|---:|\n"
                    "| openai/gpt-4o | 0.3000 USD | 100.0% | 0.150000 | 2 | 0 |\n"
                    "| 1 other | 1.5000 EUR + 0.0000 USD | 0.0% | - | 2 | 0 |\n"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| &lt;script&gt; | 0.2000 USD | 66.7% | 0.200000 | 1 | 0 |\n"
                    "| 1 other | 1.5000 EUR + 0.1000 USD | 33.3% | - | 3 | 0 |\n"),
            std::string::npos)
      << md;
  const std::string html = ReportGenerator::render(r, Format::kHtml);
  EXPECT_NE(html.find("<tr><td>1 other</td><td class=\"n\">1.5000 EUR + 0.1000 USD</td><td "
                      "class=\"n\">33.3%</td><td class=\"n\">-</td><td class=\"n\">3</td>"),
            std::string::npos)
      << html;
  const auto j = nlohmann::json::parse(ReportGenerator::render(r, Format::kJson));
  EXPECT_EQ(j["other_projects"]["count"], 1);
  EXPECT_EQ(j["other_projects"]["cost"]["USD"], "0.100000000000000001");
  EXPECT_EQ(j["other_models"]["records"], 2);
  EXPECT_EQ(j["models"][0]["cost_per_request"], "0.15");
  EXPECT_EQ(j["models"][0]["cost_per_mtok"], "1500");  // 0.3 for 200 tokens
  EXPECT_TRUE(j["other_models"]["cost_per_request"].is_null());
  const std::string csv = ReportGenerator::render(r, Format::kCsv);
  EXPECT_NE(csv.find("\nproject,1 other,EUR,1.5,3,0,300,0,3,,\n"
                     "project,1 other,USD,0.100000000000000001,3,0,300,0,3,,\n"),
            std::string::npos)
      << csv;
  const std::string jsonl = ReportGenerator::render(r, Format::kJsonl);
  EXPECT_NE(jsonl.find(R"("model":null,"others":1,"output_tokens":0,"provider":null,)"),
            std::string::npos)
      << jsonl;
  EXPECT_NE(jsonl.find(R"("others":1,"output_tokens":0,"project":null,)"), std::string::npos)
      << jsonl;

  // Every group shown: no row of others; with no spend in the currency, no share.
  EXPECT_EQ(build().other_models.count, 0u);
  EXPECT_EQ(ReportGenerator::render(build(), Format::kMarkdown).find(" other |"),
            std::string::npos);
  ReportOptions yen;
  yen.forecast_currency = "JPY";
  EXPECT_NE(ReportGenerator::render(build(yen), Format::kMarkdown)
                .find("| openai/gpt-4o | 0.3000 USD | - | 0.150000 | 2 | 0 |\n"),
            std::string::npos);
}

// More top tables by other keys (spend by team): each in every format, its others summed, a
// value the records lack named as such; keys the report has already are refused.
TEST(ReportTest, BreakdownsByOtherKeys) {
  std::vector<PricedRecord> recs = records();
  recs[0].usage.tags = {{"team", "search"}};
  recs[1].usage.tags = {{"team", "web|ui"}};
  recs[2].usage.tags = {{"team", "search"}};
  ReportGenerator gen([&](const AggregateQuery& q) { return engine::Aggregator::run(q, recs); });
  ReportOptions o;
  o.generated_at = *parse_timestamp("2026-09-10T00:00:00Z");
  o.forecast_currency = "USD";
  o.top = 1;
  o.breakdowns = {*GroupKey::parse("tag:team")};
  auto r = gen.build(o);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  ASSERT_EQ(r->breakdowns.size(), 1u);
  const Breakdown& b = r->breakdowns[0];
  ASSERT_EQ(b.rows.size(), 1u);
  EXPECT_EQ(b.rows[0].keys[0], "web|ui");  // 0.2 USD; search has 0.1 + 10^-18
  EXPECT_EQ(b.others.count, 2u);           // search, and the record without the tag
  EXPECT_EQ(b.others.row.cost.at("USD").to_string(), "0.100000000000000001");
  EXPECT_EQ(b.others.row.cost.at("EUR").to_string(), "1.5");

  const std::string md = ReportGenerator::render(*r, Format::kMarkdown);
  EXPECT_NE(md.find("## Top by tag:team\n\n| tag:team | Cost | Share | Per request | Records | "
                    "Unpriced |\n|---|---:|---:|---:|---:|---:|\n"
                    "| web\\|ui | 0.2000 USD | 66.7% | 0.200000 | 1 | 0 |\n"
                    "| 2 others | 1.5000 EUR + 0.1000 USD | 33.3% | - | 3 | 0 |\n"),
            std::string::npos)
      << md;
  EXPECT_NE(ReportGenerator::render(*r, Format::kHtml).find("<h2>Top by tag:team</h2>"),
            std::string::npos);
  const auto j = nlohmann::json::parse(ReportGenerator::render(*r, Format::kJson));
  EXPECT_EQ(j["breakdowns"][0]["by"], "tag:team");
  EXPECT_EQ(j["breakdowns"][0]["rows"][0]["value"], "web|ui");
  EXPECT_EQ(j["breakdowns"][0]["others"]["count"], 2);
  const std::string csv = ReportGenerator::render(*r, Format::kCsv);
  EXPECT_NE(csv.find("\nby:tag:team,web|ui,USD,0.2,1,0,100,0,1,0.2,2000\n"), std::string::npos)
      << csv;
  EXPECT_NE(csv.find("\nby:tag:team,2 others,EUR,1.5,"), std::string::npos) << csv;
  const std::string jsonl = ReportGenerator::render(*r, Format::kJsonl);
  EXPECT_NE(jsonl.find(R"("by":"tag:team",)"), std::string::npos) << jsonl;
  EXPECT_NE(jsonl.find(R"("section":"breakdown","unpriced":0,"value":null})"), std::string::npos)
      << jsonl;

  o.breakdowns = {*GroupKey::parse("project")};
  EXPECT_FALSE(gen.build(o).has_value());
  EXPECT_FALSE(check_breakdown(*GroupKey::parse("day")).is_ok());
  EXPECT_TRUE(check_breakdown(*GroupKey::parse("tier")).is_ok());
}

// Showback in a report: the breakdown ReportOptions::allocate names spreads the cost of the
// records without a value over the rows with one (exactly, per currency: in proportion to their
// cost, evenly in a currency none of them has), ordered by the allocated cost; every format has
// each row's shared and allocated cost, and says what was spread.
TEST(ReportTest, AllocatedBreakdown) {
  std::vector<PricedRecord> recs = records();
  recs[0].usage.tags = {{"team", "search"}};  // 0.1 USD
  recs[1].usage.tags = {{"team", "web"}};     // 0.2 USD; 10^-18 USD and 1.5 EUR name no team
  ReportGenerator gen([&](const AggregateQuery& q) { return engine::Aggregator::run(q, recs); });
  ReportOptions o;
  o.generated_at = *parse_timestamp("2026-09-10T00:00:00Z");
  o.forecast_currency = "USD";
  o.breakdowns = {*GroupKey::parse("tag:team")};
  o.allocate = *GroupKey::parse("tag:team");
  auto r = gen.build(o);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  const Breakdown& b = r->breakdowns[0];
  ASSERT_EQ(b.spread_by, SpreadBy::kCost);
  EXPECT_EQ(b.spread.takers, 2u);
  EXPECT_EQ(b.spread.spread.at("USD").to_string(), "0.000000000000000001");
  EXPECT_EQ(b.spread.spread.at("EUR").to_string(), "1.5");
  EXPECT_TRUE(b.spread.unallocated.empty());
  ASSERT_EQ(b.rows.size(), 3u);
  EXPECT_EQ(b.rows[0].keys[0], "web");  // by allocated cost: the row without a team last
  EXPECT_EQ(b.rows[0].shared.at("USD").to_string(), "0.000000000000000000666667");
  EXPECT_EQ(b.rows[1].shared.at("USD").to_string(), "0.000000000000000000333333");
  EXPECT_EQ(b.rows[0].shared.at("EUR").to_string(), "0.75");  // none has EUR: evenly
  EXPECT_EQ(b.rows[2].keys[0], "");
  EXPECT_EQ(b.rows[2].shared.at("EUR").to_string(), "-1.5");

  const std::string md = ReportGenerator::render(*r, Format::kMarkdown);
  EXPECT_NE(md.find("## Top by tag:team\n\nThe cost of the records without tag:team, 1.5000 EUR + "
                    "0.0000 USD, is spread over the 2 rows with a value in proportion to their "
                    "cost: Shared is each one's part, Allocated its cost plus that.\n\n"
                    "| tag:team | Cost | Shared | Allocated | Share | Per request | Records | "
                    "Unpriced |\n|---|---:|---:|---:|---:|---:|---:|---:|\n"
                    "| web | 0.2000 USD | 0.7500 EUR + 0.0000 USD | 0.7500 EUR + 0.2000 USD | "
                    "66.7% | 0.200000 | 1 | 0 |\n"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| (none) | 1.5000 EUR + 0.0000 USD | -1.5000 EUR + 0.0000 USD | 0.0000 "
                    "EUR + 0.0000 USD | 0.0% | - | 2 | 0 |\n"),
            std::string::npos)
      << md;
  const std::string html = ReportGenerator::render(*r, Format::kHtml);
  EXPECT_NE(html.find("<th class=\"n\">Shared</th><th class=\"n\">Allocated</th>"),
            std::string::npos);
  EXPECT_NE(html.find("<p>The cost of the records without tag:team"), std::string::npos);
  const auto j = nlohmann::json::parse(ReportGenerator::render(*r, Format::kJson));
  const auto& jb = j["breakdowns"][0];
  EXPECT_EQ(jb["allocation"]["spread_by"], "cost");
  EXPECT_EQ(jb["allocation"]["spread"]["EUR"], "1.5");
  EXPECT_EQ(jb["rows"][1]["value"], "search");
  EXPECT_EQ(jb["rows"][1]["shared_cost"]["USD"], "0.000000000000000000333333");
  EXPECT_EQ(jb["rows"][1]["allocated_cost"]["USD"], "0.100000000000000000333333");
  EXPECT_EQ(jb["rows"][2]["allocated_cost"]["EUR"], "0");
  EXPECT_FALSE(j["models"][0].contains("shared_cost"));  // only the allocated table has them
  const std::string csv = ReportGenerator::render(*r, Format::kCsv);
  EXPECT_NE(
      csv.find("\nshared:tag:team,web,EUR,0.75,,,,,,,\nallocated:tag:team,web,EUR,0.75,,,,,,,\n"
               "shared:tag:team,web,USD,0.000000000000000000666667,,,,,,,\n"
               "allocated:tag:team,web,USD,0.200000000000000000666667,,,,,,,\n"),
      std::string::npos)
      << csv;
  const std::string jsonl = ReportGenerator::render(*r, Format::kJsonl);
  EXPECT_NE(jsonl.find(R"({"by":"tag:team","section":"allocation","spread":{"EUR":"1.5","USD":)"
                       R"("0.000000000000000001"},"spread_by":"cost","unallocated":{}})"),
            std::string::npos)
      << jsonl;

  // Evenly; a key no record has: nothing to spread, said so; a key not among the breakdowns.
  o.allocate_by = SpreadBy::kEven;
  r = gen.build(o);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->breakdowns[0].rows[1].shared.at("USD").to_string(), "0.0000000000000000005");
  o.breakdowns = {*GroupKey::parse("tag:env")};
  o.allocate = *GroupKey::parse("tag:env");
  r = gen.build(o);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->breakdowns[0].spread.unallocated_rows, 1u);
  EXPECT_NE(ReportGenerator::render(*r, Format::kMarkdown)
                .find("The cost of the records without tag:env, 1.5000 EUR + 0.3000 USD, stays "
                      "unallocated: no record has one.\n"),
            std::string::npos);
  o.allocate = *GroupKey::parse("tag:team");
  EXPECT_FALSE(gen.build(o).has_value());
}

// A to-date report is projected to its calendar period's end, as budget status projects a
// budget's: the spend so far, the rest forecast; every format says it, exactly.
TEST(ReportTest, ToDateReportsProjectTheirPeriodsTotal) {
  EXPECT_FALSE(build().projection.has_value());
  ReportOptions o;
  o.from = *parse_timestamp("2026-09-01T00:00:00Z");
  o.to = *parse_timestamp("2026-09-04T00:00:00Z");
  o.project_to = {"month", *forecasting::resolve_period("2026-09", forecasting::Date{})};
  const Report r = build(o);
  ASSERT_TRUE(r.projection.has_value());
  const Projection& p = *r.projection;
  EXPECT_EQ(p.label, "month");
  EXPECT_EQ(forecasting::format_date(p.period.end), "2026-09-30");
  EXPECT_EQ(p.currency, "EUR");  // the report's main currency
  EXPECT_EQ(p.status.spent.to_string(), "1.5");
  EXPECT_GE(p.status.projected_total, p.status.spent);
  // 1.5 on the day its spend starts (Sept 3rd; days before any are unknown, as budget status has
  // them), times that day and the 27 after it.
  EXPECT_EQ(p.status.run_rate_total.to_string(), "42");
  const auto j = nlohmann::json::parse(ReportGenerator::render(r, Format::kJson));
  EXPECT_EQ(j["projection"]["projected_total"], p.status.projected_total.to_string());
  EXPECT_EQ(j["projection"]["run_rate_total"], "42");
  EXPECT_NE(ReportGenerator::render(r, Format::kCsv)
                .find("\nrun_rate,2026-09-01..2026-09-30,EUR,42,,,,,,,\n"),
            std::string::npos);
  EXPECT_NE(ReportGenerator::render(r, Format::kMarkdown)
                .find("Projected month total (2026-09-01 to 2026-09-30): **"),
            std::string::npos);
  EXPECT_NE(ReportGenerator::render(r, Format::kHtml)
                .find("<p>Projected month total (2026-09-01 to 2026-09-30): <b>"),
            std::string::npos);
}

// A report compared with the period before says that period's total and the models and projects
// whose spend changed most, exactly, the rest summed so that the changes add up to the total's.
TEST(ReportTest, ComparisonNamesTheLargestChanges) {
  EXPECT_FALSE(build().comparison.has_value());
  ReportOptions o;
  o.from = *parse_timestamp("2026-09-03T00:00:00Z");
  o.to = *parse_timestamp("2026-09-04T00:00:00Z");
  o.compare_to = {*parse_timestamp("2026-09-01T00:00:00Z"), *o.from};
  o.forecast_currency = "USD";  // the changes' currency (EUR is the larger total)
  o.top = 1;
  const Report r = build(o);
  ASSERT_TRUE(r.comparison.has_value());
  const Comparison& c = *r.comparison;
  EXPECT_EQ(c.currency, "USD");
  EXPECT_EQ(c.total.records, 2u);
  EXPECT_EQ(c.total.cost.at("USD").to_string(), "0.3");
  EXPECT_EQ(c.change.to_string(), "-0.299999999999999999");
  ASSERT_EQ(c.models.top.size(), 1u);
  EXPECT_EQ(c.models.top[0].name, "openai/gpt-4o");
  EXPECT_EQ(c.models.top[0].baseline.to_string(), "0.3");
  EXPECT_EQ(c.models.top[0].value.to_string(), "0");
  EXPECT_EQ(c.models.other_parts, 1u);  // gpt-4o-mini, new in the period
  EXPECT_EQ(c.models.others.change.to_string(), "0.000000000000000001");
  ASSERT_EQ(c.projects.top.size(), 1u);
  EXPECT_EQ(c.projects.top[0].name, "<script>");
  EXPECT_EQ(c.projects.top[0].change.to_string(), "-0.2");
  EXPECT_EQ(c.projects.others.change.to_string(), "-0.099999999999999999");

  const auto j = nlohmann::json::parse(ReportGenerator::render(r, Format::kJson));
  EXPECT_EQ(j["previous"]["change"], "-0.299999999999999999");
  EXPECT_EQ(j["previous"]["change_percent"], -100.0);
  EXPECT_EQ(j["previous"]["models"]["largest"][0]["previous"], "0.3");
  EXPECT_EQ(j["previous"]["models"]["others"]["parts"], 1);
  const std::string csv = ReportGenerator::render(r, Format::kCsv);
  EXPECT_NE(
      csv.find(
          "\nprevious,2026-09-01T00:00:00Z..2026-09-03T00:00:00Z,USD,0.3,2,0,200,0,2,0.15,1500\n"
          "change,,USD,-0.299999999999999999,,,,,,,\n"
          "model_change,openai/gpt-4o,USD,-0.3,,,,,,,\n"
          "model_change,1 other,USD,0.000000000000000001,,,,,,,\n"),
      std::string::npos)
      << csv;
  const std::string md = ReportGenerator::render(r, Format::kMarkdown);
  EXPECT_NE(md.find("Previous period (2026-09-01T00:00:00Z to 2026-09-03T00:00:00Z, end "
                    "exclusive): 0.3000 USD over 2 records; change -0.3000 USD (-100.0%)."),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| &lt;script&gt; | 0.2000 | 0.0000 | -0.2000 |\n| 1 other | 0.1000 | "
                    "0.0000 | -0.1000 |\n"),
            std::string::npos)
      << md;
  EXPECT_EQ(ReportGenerator::render(r, Format::kHtml).find("<script>"), std::string::npos);
  const std::string jsonl = ReportGenerator::render(r, Format::kJsonl);
  EXPECT_NE(jsonl.find(R"({"change":"0.000000000000000001","currency":"USD","current":)"
                       R"("0.000000000000000001","name":null,"parts":1,"previous":"0",)"
                       R"("section":"model_change"})"),
            std::string::npos)
      << jsonl;

  // A period before any record: said, without tables of changes from nothing.
  o.compare_to = {*parse_timestamp("2026-08-01T00:00:00Z"),
                  *parse_timestamp("2026-08-02T00:00:00Z")};
  EXPECT_NE(ReportGenerator::render(build(o), Format::kMarkdown)
                .find("end exclusive): no records to compare with.\n\n## Daily spend"),
            std::string::npos);
}

// The forecast is fitted to the days before the period too: three days of September alone show
// no weekly season, eight weeks of August and September do (weekdays 2, weekends 0.5).
TEST(ReportTest, ForecastLearnsFromTheDaysBeforeThePeriod) {
  std::vector<std::string> stamps;
  std::vector<PricedRecord> recs;
  for (int day = 0; day < 59; ++day) {  // 2026-07-06 (a Monday) to 2026-09-02 (a Wednesday)
    const auto d = std::chrono::sys_days{std::chrono::year{2026} / 7 / 6} + std::chrono::days(day);
    const bool weekend = day % 7 >= 5;
    stamps.push_back(format_timestamp(Timestamp{d} + std::chrono::hours(12)));
    recs.push_back(rec(stamps.back().c_str(), "gpt-4o", "search",
                       weekend ? "0.5" : (day % 3 ? "2.01" : "1.99")));
  }
  ReportGenerator gen([&](const AggregateQuery& q) { return engine::Aggregator::run(q, recs); });
  ReportOptions o;
  o.from = *parse_timestamp("2026-09-01T00:00:00Z");
  o.to = *parse_timestamp("2026-10-01T00:00:00Z");
  o.forecast_days = 7;
  o.generated_at = *parse_timestamp("2026-09-10T00:00:00Z");
  auto r = gen.build(o);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_EQ(r->days.size(), 2u);  // the period's days: September 1 and 2
  ASSERT_EQ(r->forecast.size(), 7u);
  EXPECT_EQ(r->forecast[0].date, "2026-09-03");
  for (const auto& f : r->forecast) {  // 09-05 and 09-06 are the weekend
    const bool weekend = f.date == "2026-09-05" || f.date == "2026-09-06";
    EXPECT_NEAR(f.value, weekend ? 0.5 : 2.0, 0.1) << f.date;
  }
  // Made on 09-02 with a third of its spend in: the day is still running, forecast whole.
  recs.back().cost->total_cost.amount = *Decimal::parse("0.6");
  o.generated_at = *parse_timestamp("2026-09-02T08:00:00Z");
  r = gen.build(o);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  ASSERT_EQ(r->forecast.size(), 7u);
  EXPECT_EQ(r->forecast[0].date, "2026-09-02");
  EXPECT_NEAR(r->forecast[0].value, 2.0, 0.1);
}

// The period's unusual days, as `cost-ops anomalies` finds them in the spend before and in it,
// each with the model that moved it; days before the period are context, not reported.
TEST(ReportTest, UnusualDaysNameTheModelsThatMovedThem) {
  std::vector<PricedRecord> recs;
  for (int day = 0; day < 56; ++day) {  // 2026-07-06 (a Monday) to 2026-08-30
    const auto d = std::chrono::sys_days{std::chrono::year{2026} / 7 / 6} + std::chrono::days(day);
    const std::string at = format_timestamp(Timestamp{d} + std::chrono::hours(12));
    const bool weekend = day % 7 >= 5;
    recs.push_back(
        rec(at.c_str(), "gpt-4o", "search", weekend ? "0.5" : (day % 3 ? "2.01" : "1.99")));
    recs.push_back(rec(at.c_str(), "gpt-4o-mini", "search", day % 2 ? "0.3" : "0.31"));
    // Spikes: July 15 (before the period) and August 19, each of gpt-4o-mini's.
    if (day == 9 || day == 44) recs.push_back(rec(at.c_str(), "gpt-4o-mini", "batch", "9"));
  }
  ReportGenerator gen([&](const AggregateQuery& q) { return engine::Aggregator::run(q, recs); });
  ReportOptions o;
  o.from = *parse_timestamp("2026-08-01T00:00:00Z");
  o.to = *parse_timestamp("2026-09-01T00:00:00Z");
  o.generated_at = *parse_timestamp("2026-09-10T00:00:00Z");
  auto r = gen.build(o);
  ASSERT_TRUE(r.has_value()) << r.status().to_string();
  EXPECT_EQ(r->anomaly_currency, "USD");
  ASSERT_EQ(r->anomalies.size(), 1u);
  const UnusualDay& u = r->anomalies[0];
  EXPECT_EQ(u.date, "2026-08-19");
  EXPECT_NEAR(u.value, 11.32, 1e-9);  // 2.01 + 0.31 + 9
  EXPECT_NEAR(u.expected, 2.3, 0.05);
  ASSERT_EQ(u.drivers.size(), 1u);  // gpt-4o spent as usual
  EXPECT_EQ(u.drivers[0].name, "openai/gpt-4o-mini");
  // 9.31 against 0.305, the median of the same weekday's four weeks before (0.3, 0.31, 0.3, 0.31)
  EXPECT_EQ(u.drivers[0].change.to_string(), "9.005");
  const auto j = nlohmann::json::parse(ReportGenerator::render(*r, Format::kJson));
  EXPECT_EQ(j["anomalies"]["days"][0]["drivers"][0]["value"], "9.31");
  EXPECT_NE(ReportGenerator::render(*r, Format::kMarkdown).find("| 2026-08-19 | 11.3200 | "),
            std::string::npos);
  EXPECT_NE(ReportGenerator::render(*r, Format::kCsv).find("\nanomaly,2026-08-19,USD,11.3200,"),
            std::string::npos);
  EXPECT_NE(ReportGenerator::render(*r, Format::kHtml).find("(unusual)"), std::string::npos);
  // Off, or with under two weeks of history: none, and no section.
  o.anomalies = false;
  EXPECT_FALSE(nlohmann::json::parse(ReportGenerator::render(*gen.build(o), Format::kJson))
                   .contains("anomalies"));
  EXPECT_TRUE(build().anomalies.empty());
}

// A FOCUS dataset: a row per day, model, project, user, tags and charge (input, output, the
// rest), every cost column the priced cost summed exactly; unpriced records counted, left out.
// A budget's line in each format: exact amounts in JSON, JSON Lines and CSV, cents (half-even:
// 95.125 is 95.12) and the thresholds crossed in the tables, its name escaped.
TEST(ReportTest, BudgetsInEveryFormat) {
  Report r;
  r.title = "t";
  BudgetLine b;
  b.name = "<ops> & co";
  b.currency = "USD";
  b.period = "month";
  b.range = {*forecasting::parse_date("2026-09-01"), *forecasting::parse_date("2026-09-30")};
  b.as_of = *forecasting::parse_date("2026-09-20");
  b.amount = *Decimal::parse("100");
  b.status.spent = *Decimal::parse("61.004");
  b.status.projected_total = *Decimal::parse("95.125");
  b.status.projected_lower = *Decimal::parse("90");
  b.status.projected_upper = *Decimal::parse("100.5");
  b.status.probability_over = 0.031;
  b.status.run_rate_total = *Decimal::parse("91.5");
  b.status.model = "hw-add";
  b.status.thresholds_crossed = {{50, true, *forecasting::parse_date("2026-09-15")},
                                 {80, false, *forecasting::parse_date("2026-09-26")}};
  r.budgets = {b};
  const std::string md = ReportGenerator::render(r, Format::kMarkdown);
  EXPECT_NE(md.find("| &lt;ops&gt; & co | month (2026-09-01 to 2026-09-30) | 100.00 USD | 61.00 "
                    "(61.0%) | 95.12 (95%: 90.00 to 100.50) | 3.1% | not expected | 50% (actual, "
                    "2026-09-15), 80% (forecast, 2026-09-26) |\n"),
            std::string::npos)
      << md;
  const std::string html = ReportGenerator::render(r, Format::kHtml);
  EXPECT_NE(html.find("<tr><td>&lt;ops&gt; &amp; co</td><td>month (2026-09-01 to 2026-09-30)</td>"
                      "<td class=\"n\">100.00 USD</td>"),
            std::string::npos)
      << html;
  const auto j = nlohmann::json::parse(ReportGenerator::render(r, Format::kJson));
  EXPECT_EQ(j["budgets"][0]["spent"], "61.004");
  EXPECT_EQ(j["budgets"][0]["projected_upper"], "100.5");
  EXPECT_EQ(j["budgets"][0]["exhaustion_date"], nullptr);
  EXPECT_EQ(j["budgets"][0]["thresholds_crossed"][1]["basis"], "forecast");
  const std::string csv = ReportGenerator::render(r, Format::kCsv);
  EXPECT_NE(csv.find("\nbudget_projected,<ops> & co,USD,95.125,,,,,,,\n"), std::string::npos)
      << csv;
  const std::string jsonl = ReportGenerator::render(r, Format::kJsonl);
  EXPECT_NE(jsonl.find(R"("section":"budget")"), std::string::npos) << jsonl;
}

// The text exposition format: a family's HELP and TYPE once before its samples (however they
// were added), label values and help texts escaped, values written as given.
TEST(PrometheusTest, GroupsSamplesByFamilyAndEscapes) {
  PrometheusText p;
  EXPECT_EQ(p.str(), "");
  p.gauge("costops_cost", "Cost\\ in\nUSD", {{"team", "a\"b\\c\nd"}, {"currency", "USD"}},
          "0.000000000000000001");
  p.gauge("costops_records", "Records", {}, "3");
  p.gauge("costops_cost", "Cost\\ in\nUSD", {{"team", ""}, {"currency", "USD"}}, "-1.5");
  EXPECT_EQ(p.str(),
            "# HELP costops_cost Cost\\\\ in\\nUSD\n"
            "# TYPE costops_cost gauge\n"
            "costops_cost{team=\"a\\\"b\\\\c\\nd\",currency=\"USD\"} 0.000000000000000001\n"
            "costops_cost{team=\"\",currency=\"USD\"} -1.5\n"
            "# HELP costops_records Records\n"
            "# TYPE costops_records gauge\n"
            "costops_records 3\n");
}

// --label's labels: first on every sample; names checked, not converted.
TEST(PrometheusTest, ConstantLabelsComeFirstOnEverySample) {
  const std::string taken[] = {"provider", "currency"};
  const std::vector<std::string> given = {"period=month-to-date", "env=a\"b", "empty="};
  auto labels = parse_prometheus_labels(given, taken);
  ASSERT_TRUE(labels.has_value()) << labels.status().to_string();
  PrometheusText p(*labels);
  p.gauge("costops_records", "Records", {{"provider", "openai"}}, "3");
  p.gauge("costops_requests", "Requests", {}, "4");
  EXPECT_EQ(p.str(),
            "# HELP costops_records Records\n# TYPE costops_records gauge\n"
            "costops_records{period=\"month-to-date\",env=\"a\\\"b\",empty=\"\",provider="
            "\"openai\"} 3\n"
            "# HELP costops_requests Requests\n# TYPE costops_requests gauge\n"
            "costops_requests{period=\"month-to-date\",env=\"a\\\"b\",empty=\"\"} 4\n");
  for (const auto& [text, message] :
       {std::pair{"period", "--label \"period\": expected NAME=VALUE, such as period=today"},
        std::pair{"=x", "--label \"=x\": expected NAME=VALUE, such as period=today"},
        std::pair{"tag:team=a",
                  "--label \"tag:team=a\": a label name is letters, digits and underscores, not "
                  "beginning with a digit or with __"},
        std::pair{"__name__=a",
                  "--label \"__name__=a\": a label name is letters, digits and underscores, not "
                  "beginning with a digit or with __"},
        std::pair{"currency=EUR",
                  "--label \"currency=EUR\": the samples have a label currency "
                  "already"}}) {
    const std::vector<std::string> one = {text};
    auto bad = parse_prometheus_labels(one, taken);
    ASSERT_FALSE(bad.has_value()) << text;
    EXPECT_EQ(bad.status().message(), message);
  }
  const std::vector<std::string> twice = {"a=1", "a=2"};
  EXPECT_EQ(parse_prometheus_labels(twice, taken).status().message(),
            "--label \"a=2\": the samples have a label a already (given twice)");
}

TEST(PrometheusTest, LabelNamesFromGroupKeys) {
  struct Case {
    const char* in;
    const char* want;
  } cases[] = {{"provider", "provider"},
               {"tag:team", "tag_team"},
               {"tag:cost-center", "tag_cost_center"},
               {"9lives", "l_9lives"},
               {"", "l_"},
               {"__name__", "l___name__"},
               {"caf\xC3\xA9", "caf__"}};
  for (const auto& c : cases) EXPECT_EQ(prometheus_label_name(c.in), c.want) << c.in;
  const std::string reserved[] = {"currency"};
  const std::vector<std::string> ok = {"provider", "tag:team", "tag:currency"};
  auto names = prometheus_label_names(ok, reserved);
  ASSERT_TRUE(names.has_value()) << names.status().to_string();
  EXPECT_EQ(*names, (std::vector<std::string>{"provider", "tag_team", "tag_currency"}));
  const std::vector<std::string> clash = {"tag:a-b", "model", "tag:a.b"};
  auto bad = prometheus_label_names(clash, reserved);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.status().message(),
            "tag:a-b and tag:a.b are both the Prometheus label \"tag_a_b\"; group by one of them");
  const std::vector<std::string> takes = {"currency"};
  bad = prometheus_label_names(takes, reserved);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.status().message(),
            "currency would be the Prometheus label \"currency\", which cost-ops adds itself");
}

TEST(FocusTest, RowsSumThePricedCostsPerDayAndCharge) {
  auto priced = [](const char* ts, const char* model, int64_t in, int64_t out, int64_t searches,
                   const char* user, const char* provider = "openai") {
    PricedRecord p;
    p.usage.provider = provider;
    p.usage.model = model;
    p.usage.project_id = "search";
    p.usage.user_id = user;
    p.usage.tags = {{"team", "a,b"}};
    p.usage.timestamp = *parse_timestamp(ts);
    p.usage.has_timestamp = true;
    p.usage.usage.set(units::kInputTokens, in);
    p.usage.usage.set(units::kOutputTokens, out);
    if (searches) p.usage.usage.set(units::kWebSearches, searches);
    auto c = engine::CostCalculator::price_record(pricing::Catalog::builtin(), p.usage,
                                                  p.usage.timestamp);
    EXPECT_TRUE(c.has_value()) << c.status().to_string();
    if (c) p.cost = *c;
    return p;
  };
  std::string csv;  // what the dataset has written
  auto sink = [&csv](std::string_view text) {
    csv += text;
    return Status::ok();
  };
  FocusDataset data([](const std::string& id) { return id == "openai" ? "OpenAI" : ""; }, sink);
  // gpt-4o: $2.5 per M input, $10 per M output. Two calls of one group on 2026-09-01 (the second
  // a day's last microsecond), one on 2026-09-02.
  ASSERT_TRUE(data.add(priced("2026-09-01T10:00:00Z", "gpt-4o", 1000, 100, 0, "u1")).is_ok());
  ASSERT_TRUE(data.add(priced("2026-09-01T23:59:59.999999Z", "gpt-4o-2024-08-06", 3000, 0, 0, "u1"))
                  .is_ok());
  EXPECT_EQ(csv, "") << "nothing before the day is whole";
  ASSERT_TRUE(data.add(priced("2026-09-02T00:00:00Z", "gpt-4o", 2, 1, 0, "u1")).is_ok());
  // A record of a later day writes the day before: memory holds one charge period's rows.
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4) << csv;
  EXPECT_EQ(data.rows(), 3u);
  // claude-sonnet-4-5: $3 per M input, $15 per M output, $10 per 1000 web searches (a third
  // row: the rest of the cost, counted in requests).
  ASSERT_TRUE(
      data.add(priced("2026-09-02T08:00:00Z", "claude-sonnet-4-5", 1000, 10, 2, "u2", "anthropic"))
          .is_ok());
  PricedRecord unpriced;
  unpriced.usage.model = "gpt-9";
  unpriced.unpriced_reason = "unknown model";
  ASSERT_TRUE(data.add(unpriced).is_ok());
  EXPECT_EQ(data.records(), 4u);
  EXPECT_EQ(data.unpriced(), 1u);
  // Records come oldest first, as Store::scan gives them: one of a day already written is an
  // error rather than a second row of that day's group.
  auto late = priced("2026-09-01T12:00:00Z", "gpt-4o", 1, 1, 0, "u1");
  late.usage.source = "log.jsonl";
  const Status out_of_order = data.add(late);
  EXPECT_EQ(out_of_order.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out_of_order.message(),
            "log.jsonl: a record of 2026-09-01T12:00:00Z after those of 2026-09-02T00:00:00Z: "
            "FOCUS rows are summed from records oldest first");
  ASSERT_TRUE(data.finish().is_ok());
  std::vector<std::string> lines;
  for (size_t at = 0, nl; (nl = csv.find('\n', at)) != std::string::npos; at = nl + 1) {
    lines.push_back(csv.substr(at, nl - at));
  }
  ASSERT_EQ(lines.size(), 9u) << csv;
  EXPECT_EQ(data.rows(), 8u);
  EXPECT_EQ(lines[0].substr(0, 60), "BilledCost,BillingAccountId,BillingAccountName,BillingCurren");
  // The stored names differ (gpt-4o, gpt-4o-2024-08-06): two groups of the one catalog model.
  // By day, then provider: anthropic's row of 2026-09-02 comes after openai's of 2026-09-01.
  EXPECT_EQ(lines[1],
            "0.0025,openai,openai,USD,2026-10-01T00:00:00Z,2026-09-01T00:00:00Z,Usage,,gpt-4o "
            "input tokens (cache reads and writes included),Usage-Based,2026-09-02T00:00:00Z,"
            "2026-09-01T00:00:00Z,1000,Tokens,0.0025,0.0025,OpenAI,0.0025,Standard,1000,Tokens,"
            "OpenAI,OpenAI,AI and Machine Learning,gpt-4o,Generative AI,openai/gpt-4o/input,"
            "search,search,\"{\"\"team\"\":\"\"a,b\"\"}\",gpt-4o,1,1,standard,u1");
  EXPECT_EQ(lines[2].substr(0, 5), "0.001") << lines[2];  // its 100 output tokens
  EXPECT_NE(lines[2].find(",gpt-4o output tokens (reasoning included),"), std::string::npos);
  EXPECT_EQ(lines[3].substr(0, 7), "0.0075,") << lines[3];  // 3000 input; no output row
  EXPECT_NE(lines[3].find(",gpt-4o-2024-08-06,1,1,"), std::string::npos) << lines[3];
  EXPECT_EQ(lines[4].substr(0, 6), "0.003,") << lines[4];  // anthropic on 2026-09-02
  EXPECT_NE(lines[4].find(",anthropic,anthropic,AI and Machine Learning,"), std::string::npos)
      << "no name: the id";
  EXPECT_NE(lines[4].find(",anthropic,anthropic,USD,"), std::string::npos) << lines[4];
  EXPECT_EQ(lines[5].substr(0, 8), "0.00015,") << lines[5];
  EXPECT_EQ(lines[6].substr(0, 5), "0.02,") << lines[6];
  EXPECT_NE(lines[6].find(",claude-sonnet-4-5 requests and tools (per-request fees and searches),"),
            std::string::npos)
      << lines[6];
  EXPECT_NE(lines[6].find(",1,Requests,"), std::string::npos) << lines[6];
  EXPECT_NE(lines[6].find(",anthropic/claude-sonnet-4-5/other,"), std::string::npos);
  EXPECT_EQ(lines[7].substr(0, 9), "0.000005,") << lines[7];  // 2 input tokens, 2026-09-02
  EXPECT_NE(lines[7].find(",2026-09-03T00:00:00Z,2026-09-02T00:00:00Z,"), std::string::npos);
  EXPECT_EQ(lines[8].substr(0, 8), "0.00001,") << lines[8];

  // Without users, and with the tag keys named (none here): the users and tag sets of a day's
  // model and project are one row per charge.
  FocusOptions fewer;
  fewer.users = false;
  fewer.tag_keys.emplace();
  std::string two;
  FocusDataset summed(
      nullptr,
      [&two](std::string_view text) {
        two += text;
        return Status::ok();
      },
      fewer);
  auto other = priced("2026-09-01T12:00:00Z", "gpt-4o", 1000, 100, 0, "u2");
  other.usage.tags = {{"trace", "t-1"}};
  ASSERT_TRUE(summed.add(priced("2026-09-01T10:00:00Z", "gpt-4o", 1000, 100, 0, "u1")).is_ok());
  ASSERT_TRUE(summed.add(other).is_ok());
  ASSERT_TRUE(summed.finish().is_ok());
  EXPECT_EQ(summed.rows(), 2u);
  EXPECT_NE(two.find("\n0.005,openai,openai,USD,"), std::string::npos) << two;
  EXPECT_NE(two.find(",search,search,,gpt-4o,2,2,standard,\n"), std::string::npos) << two;

  // No records: the header alone. The sink's error stops the dataset.
  std::string header;
  FocusDataset none(nullptr, [&header](std::string_view text) {
    header += text;
    return Status::ok();
  });
  ASSERT_TRUE(none.finish().is_ok());
  EXPECT_EQ(header, two.substr(0, two.find('\n') + 1));
  FocusDataset failing(nullptr, [](std::string_view) { return io_error("out.csv: disk full"); });
  ASSERT_TRUE(failing.add(priced("2026-09-01T10:00:00Z", "gpt-4o", 1, 1, 0, "u1")).is_ok());
  EXPECT_EQ(failing.add(priced("2026-09-02T10:00:00Z", "gpt-4o", 1, 1, 0, "u1")).message(),
            "out.csv: disk full");
}

}  // namespace
}  // namespace costops::report
