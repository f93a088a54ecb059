// Reports: exact totals from the aggregator, gaps as zero days, every format, escaping.
#include "costops/report/report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "costops/engine/aggregator.h"

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
  EXPECT_NE(csv.find("total,,USD,0.300000000000000001,4,0,400,0\n"), std::string::npos) << csv;
  const std::string jsonl = ReportGenerator::render(r, Format::kJsonl);
  size_t lines = 0;
  for (char c : jsonl) lines += c == '\n';
  EXPECT_EQ(lines, 1u + 3u + 2u + 2u);
  const std::string md = ReportGenerator::render(r, Format::kMarkdown);
  EXPECT_NE(md.find("| 2026-09-02 | 0 | 0 |"), std::string::npos) << md;
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

}  // namespace
}  // namespace costops::report
