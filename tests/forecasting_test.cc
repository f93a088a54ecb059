// Forecasting: series parsing, textbook recursions, fits against statsmodels, model selection on
// the shared real series, anomalies and budgets.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <set>

#include "costops/forecasting/anomalies.h"
#include "costops/forecasting/budget.h"
#include "costops/forecasting/drivers.h"
#include "costops/forecasting/forecast.h"
#include "costops/forecasting/series.h"
#include "forecasting/decompose.h"
#include "forecasting/stats.h"
#include "test_util.h"

namespace costops::forecasting {
namespace {

Series load(const std::string& name) {
  auto s = read_series_csv(testing::shared_path("data/series/" + name + ".csv"));
  EXPECT_TRUE(s.has_value()) << s.status().to_string();
  return s ? *s : Series{};
}

std::vector<double> head(const Series& s, size_t drop) {
  return {s.values.begin(), s.values.end() - static_cast<std::ptrdiff_t>(drop)};
}

double holdout_smape(const Series& s, int h, int season) {
  const auto train = head(s, static_cast<size_t>(h));
  AutoOptions o;
  o.season = season;
  o.horizon = h;
  auto sel = select_model(train, o);
  EXPECT_TRUE(sel.has_value()) << sel.status().to_string();
  const auto fc = forecast(sel->fit, h, {});
  std::vector<double> pred, actual(s.values.end() - h, s.values.end());
  for (const auto& p : fc) pred.push_back(p.value);
  return accuracy(actual, pred, train, season).smape;
}

TEST(SeriesTest, ParsesCsvAndInfersFrequency) {
  auto s = parse_series_csv("date,value\n2025-01-01,1\n2025-02-01,2.5\n2025-03-01,3\n", "m.csv");
  ASSERT_TRUE(s.has_value()) << s.status().to_string();
  EXPECT_EQ(s->frequency, Frequency::kMonthly);
  EXPECT_EQ(s->values, (std::vector<double>{1, 2.5, 3}));
  EXPECT_EQ(format_date(advance(s->dates.back(), s->frequency, 1)), "2025-04-01");
}

// Period dates (the first day of the month, quarter or year) and two-column headers named
// otherwise, as exported by spreadsheets and statistics packages.
TEST(SeriesTest, ReadsPeriodDatesAndOtherHeaders) {
  auto m = parse_series_csv("Month,#Passengers\n1949-01,112\n1949-02,118\n", "air.csv");
  ASSERT_TRUE(m.has_value()) << m.status().to_string();
  EXPECT_EQ(m->frequency, Frequency::kMonthly);
  EXPECT_EQ(format_date(m->dates[1]), "1949-02-01");
  EXPECT_EQ(m->values, (std::vector<double>{112, 118}));
  auto q = parse_series_csv("quarter,gdp\n1959Q4,1\n1960-Q1,2\n1960 Q2,3\n", "q.csv");
  ASSERT_TRUE(q.has_value()) << q.status().to_string();
  EXPECT_EQ(q->frequency, Frequency::kQuarterly);
  EXPECT_EQ(format_date(q->dates[0]), "1959-10-01");
  auto y = parse_series_csv("flow,year\n1120,1871\n1160,1872\n", "nile.csv");
  ASSERT_TRUE(y.has_value()) << y.status().to_string();
  EXPECT_EQ(y->frequency, Frequency::kYearly);
  EXPECT_EQ(y->values, (std::vector<double>{1120, 1160}));
  // Periods are named back as the input named them, every date the same way.
  EXPECT_EQ(m->date_style, DateStyle::kMonth);
  EXPECT_EQ(format_date(m->dates[1], m->date_style), "1949-02");
  EXPECT_EQ(q->date_style, DateStyle::kQuarter);
  EXPECT_EQ(format_date(advance(q->dates[2], q->frequency, 3), q->date_style), "1961-Q1");
  EXPECT_EQ(y->date_style, DateStyle::kYear);
  EXPECT_EQ(format_date(y->dates[1], y->date_style), "1872");
  auto mixed = parse_series_csv("date,v\n2025-01,1\n2025-02-01,2\n", "mixed.csv");
  ASSERT_TRUE(mixed.has_value()) << mixed.status().to_string();
  EXPECT_EQ(mixed->date_style, DateStyle::kDay);
  auto days_as_months = parse_series_csv("date,v\n2025-01,1\n2025-01,2\n", "x.csv");
  EXPECT_FALSE(days_as_months.has_value());  // a repeated date, not a finer series
  auto bad = parse_series_csv("Month,Passengers\n1949-13,1\n", "air.csv");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.status().message(),
            "air.csv:2: field \"Month\": expected a date YYYY-MM-DD (or YYYY-MM, YYYY-Qn, YYYY), "
            "got \"1949-13\"");
  EXPECT_FALSE(parse_series_csv("a,b,c\n2025-01-01,1,2\n", "x.csv").has_value());
  auto headless = parse_series_csv("2025-01-01,1\n2025-01-02,2\n", "h.csv");
  ASSERT_FALSE(headless.has_value());
  EXPECT_EQ(headless.status().message(),
            "h.csv:1: expected a header row such as date,value; got data \"2025-01-01,1\"");
}

TEST(SeriesTest, FillsGapsAndSaysSo) {
  auto s = parse_series_csv("date,value\n2025-01-01,1\n2025-01-03,3\n2025-01-04,4\n", "d.csv");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->values, (std::vector<double>{1, 2, 3, 4}));
  ASSERT_EQ(s->notes.size(), 1u);
}

// Rows in any order are read in date order, and the result says so (a log exported newest
// first, or two files concatenated, forecasts the same as the sorted file).
TEST(SeriesTest, ReadsRowsInDateOrderAndSaysSo) {
  auto s = parse_series_csv("date,value\n2025-01-03,3\n2025-01-01,1\n2025-01-02,2\n", "d.csv");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->values, (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(format_date(s->dates.front()), "2025-01-01");
  ASSERT_EQ(s->notes.size(), 1u);
  EXPECT_NE(s->notes[0].find("not in date order"), std::string::npos);
  auto sorted = parse_series_csv("date,value\n2025-01-01,1\n2025-01-02,2\n", "d.csv");
  ASSERT_TRUE(sorted.has_value());
  EXPECT_TRUE(sorted->notes.empty());
}

TEST(SeriesTest, ZeroFilledDailyCountsADayWithoutRecordsAsNoSpend) {
  const Date d0 = *parse_date("2026-10-01");
  const std::map<Date, Decimal> by_day{{d0, *Decimal::parse("1.5")},
                                       {d0 + std::chrono::days(2), *Decimal::parse("2.5")},
                                       {d0 + std::chrono::days(5), Decimal::from_int(9)}};
  const Series s = zero_filled_daily(by_day, d0 + std::chrono::days(3));
  EXPECT_EQ(s.values, (std::vector<double>{1.5, 0, 2.5, 0}));  // the 6th is after `last`
  EXPECT_EQ(s.exact, (std::vector<Decimal>{by_day.at(d0), Decimal(),
                                           by_day.at(d0 + std::chrono::days(2)), Decimal()}));
  EXPECT_EQ(s.dates.front(), d0);
  EXPECT_EQ(s.frequency, Frequency::kDaily);
  EXPECT_TRUE(s.filled.empty() && s.notes.empty());
  EXPECT_EQ(zero_filled_daily({}, d0).size(), 0u);
}

// A CSV's decimal text is kept exactly beside the doubles (budgets count spend from it): 0.1 +
// 0.2 is 0.3, and a gap is interpolated exactly, half-even at the 24th digit. A value with more
// digits than a Decimal holds leaves the series without exact values (the doubles still serve).
TEST(SeriesTest, KeepsTheCsvValuesExactly) {
  auto s = parse_series_csv("date,value\n2025-01-01,0.1\n2025-01-02,0.2\n2025-01-05,1e-3\n",
                            "spend.csv");
  ASSERT_TRUE(s.has_value()) << s.status().to_string();
  std::vector<std::string> text;
  for (const auto& d : s->exact) text.push_back(d.to_string());
  EXPECT_EQ(text, (std::vector<std::string>{"0.1", "0.2", "0.133666666666666666666667",
                                            "0.067333333333333333333333", "0.001"}));
  auto thirds = parse_series_csv(
      "date,value\n2025-01-01,0\n2025-01-02,0\n2025-01-05,1\n2025-01-06,1\n", "s.csv");
  ASSERT_TRUE(thirds.has_value()) << thirds.status().to_string();
  EXPECT_EQ(thirds->exact[2].to_string(), "0.333333333333333333333333");
  EXPECT_EQ(thirds->exact[3].to_string(), "0.666666666666666666666667");
  auto fine = parse_series_csv("date,value\n2025-01-01,0.1234567890123456789012345\n2025-01-02,1\n",
                               "s.csv");
  ASSERT_TRUE(fine.has_value());
  EXPECT_TRUE(fine->exact.empty());
  EXPECT_EQ(fine->values.size(), 2u);
}

// Spend so far is exact money from the exact values (the doubles' sum of 0.1, 0.2 and 0.005 is
// not 0.305); the forecast's days enter through to_money, half-even at 9 digits.
TEST(BudgetTest, SpendIsExactAndForecastsBecomeMoneyInOnePlace) {
  auto s = parse_series_csv("date,value\n2025-03-01,0.1\n2025-03-02,0.2\n2025-03-03,0.005\n",
                            "spend.csv");
  ASSERT_TRUE(s.has_value()) << s.status().to_string();
  BudgetOptions o;
  o.amount = Decimal::from_int(1);
  o.as_of = *parse_date("2025-03-03");
  o.period = *resolve_period("2025-03-01..2025-03-03", o.as_of);
  auto st = budget_status(*s, o);
  ASSERT_TRUE(st.has_value()) << st.status().to_string();
  EXPECT_EQ(st->spent.to_string(), "0.305");
  EXPECT_EQ(st->projected_total, st->spent);  // the period has ended
  EXPECT_EQ(st->run_rate_total, st->spent);
  EXPECT_EQ(to_money(0.1 + 0.2)->to_string(), "0.3");
  EXPECT_EQ(to_money(1e300).status().code(), StatusCode::kOutOfRange);
  EXPECT_FALSE(to_money(std::nan("")).has_value());
  EXPECT_EQ(percent_of(*Decimal::parse("333.33"), 50)->to_string(), "166.665");
  EXPECT_EQ(percent_of(Decimal::from_int(12000), 12.5)->to_string(), "1500");
  // Exact values that are not the values are refused, not silently preferred.
  Series off = *s;
  off.exact[1] = Decimal::from_int(7);
  auto refused = budget_status(off, o);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.status().message().find("2025-03-02"), std::string::npos);
}

TEST(SeriesTest, ErrorsNameFileLineAndField) {
  auto bad = parse_series_csv("date,value\n2025-01-01,1\n2025-01-02,n/a\n", "spend.csv");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.status().message(), "spend.csv:3: field \"value\": expected a number, got \"n/a\"");
  auto date = parse_series_csv("date,value\n2025-13-01,1\n", "spend.csv");
  ASSERT_FALSE(date.has_value());
  EXPECT_NE(date.status().message().find("spend.csv:2: field \"date\""), std::string::npos);
  auto dup =
      parse_series_csv("date,value\n2025-01-01,1\n2025-01-02,5\n2025-01-01,2\n", "spend.csv");
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.status().message(),
            "spend.csv:4: field \"date\": date 2025-01-01 appears more than once (first on line "
            "2); a series has one value per day, week, month, quarter or year (sum the values of a "
            "day into one row)");
  auto step =
      parse_series_csv("Month,Passengers\n1949-01-01,1\n1949-03-15,2\n1949-02-01,3\n", "air.csv");
  ASSERT_FALSE(step.has_value());
  EXPECT_EQ(step.status().message(),
            "air.csv:3: field \"Month\": date 1949-03-15 does not follow 1949-02-01 at a monthly "
            "step");
  auto spacing = parse_series_csv("date,value\n2025-01-01,1\n2025-01-04,2\n", "s.csv");
  ASSERT_FALSE(spacing.has_value());
  EXPECT_EQ(spacing.status().message(),
            "s.csv: dates are 3 days apart; expected daily, weekly, monthly, quarterly or yearly "
            "spacing");
  EXPECT_EQ(make_series({*parse_date("2025-01-01"), *parse_date("2025-01-01")}, {1, 2})
                .status()
                .message(),
            "date 2025-01-01 appears more than once; a series has one value per day, week, month, "
            "quarter or year (sum the values of a day into one row)");
  EXPECT_FALSE(parse_series_csv("", "e.csv").has_value());
  // Quoted fields are one field each: a thousands separator is not a value of 1 and a column.
  auto comma = parse_series_csv("date,value\n2025-01-01,5\n2025-01-02,\"1,000\"\n", "q.csv");
  ASSERT_FALSE(comma.has_value());
  EXPECT_EQ(comma.status().message(), "q.csv:3: field \"value\": expected a number, got \"1,000\"");
  auto extra = parse_series_csv("date,value\n2025-01-01,5\n2025-01-02,1,000\n", "q.csv");
  ASSERT_FALSE(extra.has_value());
  EXPECT_EQ(extra.status().message(), "q.csv:3: expected 2 columns (as the header), got 3");
  auto open = parse_series_csv("date,value\n2025-01-01,\"5\n", "q.csv");
  ASSERT_FALSE(open.has_value());
  EXPECT_EQ(open.status().message(), "q.csv:2: unterminated quoted field");
  // Values whose squares leave double's range (sums of squared errors, variances) are refused,
  // not forecast with an interval of zero width.
  auto huge = parse_series_csv("date,value\n2025-01-01,5\n2025-01-02,-1e308\n", "h.csv");
  ASSERT_FALSE(huge.has_value());
  EXPECT_EQ(huge.status().message(),
            "h.csv:3: field \"value\": value for 2025-01-02 is -1e+308: beyond +-1e100, which a "
            "forecast cannot square");
  auto bom = parse_series_csv(
      "\xEF\xBB\xBF"
      "day,spend\n2025-01-01,5\n2025-01-02,x\n",
      "b.csv");
  ASSERT_FALSE(bom.has_value());
  EXPECT_EQ(bom.status().message(), "b.csv:3: field \"spend\": expected a number, got \"x\"");
  // UTF-16 (Windows PowerShell 5's `>`) reads as UTF-8; line numbers are the file's.
  auto wide = parse_series_csv(
      testing::utf16("day,spend\r\n2025-01-01,5\r\n2025-01-02,x\r\n", false), "w.csv");
  ASSERT_FALSE(wide.has_value());
  EXPECT_EQ(wide.status().message(), "w.csv:3: field \"spend\": expected a number, got \"x\"");
  auto wide_ok =
      parse_series_csv(testing::utf16("date,value\n2025-01-01,5\n2025-01-02,6.5\n"), "w.csv");
  ASSERT_TRUE(wide_ok.has_value()) << wide_ok.status().to_string();
  EXPECT_EQ(wide_ok->values, (std::vector<double>{5, 6.5}));
  // A ';' or tab separator is read from the header; with one, a decimal comma is a decimal mark
  // (a spreadsheet's export in such a locale), exactly; in a ','-separated file it is not, nor
  // beside thousands separators.
  auto semi = parse_series_csv("Datum;Kosten\n2025-01-01;5\n2025-01-02;6,25\n", "s.csv");
  ASSERT_TRUE(semi.has_value()) << semi.status().to_string();
  EXPECT_EQ(semi->values, (std::vector<double>{5, 6.25}));
  ASSERT_EQ(semi->exact.size(), 2u);
  EXPECT_EQ(semi->exact[1].to_string(), "6.25");
  auto tab = parse_series_csv("date\tvalue\n2025-01-01\t-5,5\n2025-01-02\t6,5\n", "t.tsv");
  ASSERT_TRUE(tab.has_value()) << tab.status().to_string();
  EXPECT_EQ(tab->values, (std::vector<double>{-5.5, 6.5}));
  for (const auto& [text, cell] : {std::pair{"date,value\n2025-01-01,\"6,5\"\n", "6,5"},
                                   std::pair{"date;value\n2025-01-01;1.234,5\n", "1.234,5"},
                                   std::pair{"date;value\n2025-01-01;6,\n", "6,"}}) {
    auto refused = parse_series_csv(text, "b.csv");
    ASSERT_FALSE(refused.has_value()) << text;
    EXPECT_EQ(refused.status().message(),
              std::string("b.csv:2: field \"value\": expected a number, got \"") + cell + "\"");
  }
  auto quoted = parse_series_csv("\"date\",\"value\"\n2025-01-01,\"5\"\n2025-01-02, 6 \n", "q.csv");
  ASSERT_TRUE(quoted.has_value()) << quoted.status().to_string();
  EXPECT_EQ(quoted->values, (std::vector<double>{5, 6}));
}

// Hand-computed recursions (Hyndman & Athanasopoulos, component form).
TEST(ForecastTest, SesWithGivenParametersFollowsTheRecursion) {
  FitOptions o;
  o.model = ModelKind::kSes;
  o.fixed.alpha = 0.5;
  o.fixed.initial_level = 10;
  auto f = fit(std::vector<double>{10, 12, 11}, o);
  ASSERT_TRUE(f.has_value()) << f.status().to_string();
  EXPECT_EQ(f->fitted, (std::vector<double>{10, 10, 11}));
  EXPECT_DOUBLE_EQ(f->sse, 4);
  EXPECT_DOUBLE_EQ(forecast(*f, 1, {})[0].value, 11);
}

TEST(ForecastTest, HoltWithGivenParametersFollowsTheRecursion) {
  FitOptions o;
  o.model = ModelKind::kHolt;
  o.fixed.alpha = 0.5;
  o.fixed.beta = 0.5;
  o.fixed.initial_level = 9;
  o.fixed.initial_trend = 1;
  auto f = fit(std::vector<double>{10, 12, 15}, o);
  ASSERT_TRUE(f.has_value()) << f.status().to_string();
  EXPECT_EQ(f->fitted, (std::vector<double>{10, 11, 12.75}));
  EXPECT_DOUBLE_EQ(f->sse, 6.0625);
  const auto fc = forecast(*f, 2, {});
  EXPECT_DOUBLE_EQ(fc[0].value, 15.6875);
  EXPECT_DOUBLE_EQ(fc[1].value, 17.5);
}

TEST(ForecastTest, HoltWintersAdditiveWithGivenParametersFollowsTheRecursion) {
  FitOptions o;
  o.model = ModelKind::kHwAdd;
  o.season = 2;
  o.fixed.alpha = 0.5;
  o.fixed.beta = 0.2;
  o.fixed.gamma = 0.5;
  o.fixed.initial_level = 3;
  o.fixed.initial_trend = 0.5;
  o.fixed.initial_seasonal = {2, -2};
  auto f = fit(std::vector<double>{5, 1, 6, 2}, o);
  ASSERT_TRUE(f.has_value()) << f.status().to_string();
  const std::vector<double> want{5.5, 1.7, 5.48, 2.072};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(f->fitted[i], want[i], 1e-12) << i;
}

TEST(ForecastTest, RejectsParametersOutsideTheirBounds) {
  FitOptions o;
  o.model = ModelKind::kHolt;
  o.fixed.alpha = 0.3;
  o.fixed.beta = 0.5;  // > alpha
  EXPECT_FALSE(fit(std::vector<double>{1, 2, 3, 4}, o).has_value());
  // A parameter the model does not have is an error, not ignored.
  FitOptions ses;
  ses.model = ModelKind::kSes;
  ses.fixed.beta = 0.1;
  auto r = fit(std::vector<double>{1, 2, 3, 4}, ses);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.status().message(), "beta does not apply to ses (no trend)");
  FitOptions holt;
  holt.model = ModelKind::kHolt;
  holt.fixed.phi = 0.9;
  EXPECT_FALSE(fit(std::vector<double>{1, 2, 3, 4}, holt).has_value());
  FitOptions naive;
  naive.model = ModelKind::kNaive;
  naive.fixed.alpha = 0.5;
  EXPECT_FALSE(fit(std::vector<double>{1, 2, 3, 4}, naive).has_value());
}

// statsmodels 0.13.5 ExponentialSmoothing(...).fit() SSE on the whole series
// (tests/reference/statsmodels_es.py). Our fits estimate the initial states with the smoothing
// parameters, so they must never be worse.
TEST(ForecastTest, FittedSseIsNeverWorseThanStatsmodels) {
  COSTOPS_REQUIRE_SHARED_DATA();
  struct Case {
    const char* series;
    ModelKind model;
    double statsmodels_sse;
  };
  const Case cases[] = {
      {"airpassengers", ModelKind::kSes, 162504.001479},
      {"airpassengers", ModelKind::kSeasonalAdd, 28892.582029},
      {"airpassengers", ModelKind::kSeasonalMul, 14161.258425},
      {"airpassengers", ModelKind::kHolt, 162374.167750},
      {"airpassengers", ModelKind::kHwAdd, 21564.333585},
      {"airpassengers", ModelKind::kHwMul, 15952.881490},
      {"airpassengers", ModelKind::kHoltDamped, 162477.125168},
      {"airpassengers", ModelKind::kHwAddDamped, 22425.407995},
      {"airpassengers", ModelKind::kHwMulDamped, 16900.279326},
      {"usaccdeaths", ModelKind::kSes, 38047911.262886},
      {"usaccdeaths", ModelKind::kSeasonalAdd, 4680654.312565},
      {"usaccdeaths", ModelKind::kSeasonalMul, 4548379.064678},
      {"usaccdeaths", ModelKind::kHolt, 38891455.361630},
      {"usaccdeaths", ModelKind::kHwAdd, 4732112.339801},
      {"usaccdeaths", ModelKind::kHwMul, 4580621.093930},
      {"usaccdeaths", ModelKind::kHoltDamped, 38790070.989962},
      {"usaccdeaths", ModelKind::kHwAddDamped, 4719805.446282},
      {"usaccdeaths", ModelKind::kHwMulDamped, 4504251.793794},
      {"nile", ModelKind::kSes, 2038674.432056},
      {"nile", ModelKind::kHolt, 2085092.226348},
      {"nile", ModelKind::kHoltDamped, 2068356.887000},
      {"llm_daily_spend_dev", ModelKind::kSes, 2024800.392898},
      {"llm_daily_spend_dev", ModelKind::kSeasonalAdd, 935270.273677},
      {"llm_daily_spend_dev", ModelKind::kSeasonalMul, 914067.628776},
      {"llm_daily_spend_dev", ModelKind::kHolt, 1978391.265837},
      {"llm_daily_spend_dev", ModelKind::kHwAdd, 844446.673230},
      {"llm_daily_spend_dev", ModelKind::kHwMul, 853094.650515},
      {"llm_daily_spend_dev", ModelKind::kHoltDamped, 1930683.655399},
      {"llm_daily_spend_dev", ModelKind::kHwAddDamped, 890348.001279},
      {"llm_daily_spend_dev", ModelKind::kHwMulDamped, 890104.453081},
  };
  for (const auto& c : cases) {
    const Series s = load(c.series);
    FitOptions o;
    o.model = c.model;
    o.season = default_season(s.frequency);
    auto f = fit(s.values, o);
    ASSERT_TRUE(f.has_value()) << c.series << " " << model_name(c.model);
    EXPECT_LE(f->sse, c.statsmodels_sse * (1 + 1e-9)) << c.series << " " << model_name(c.model);
  }
}

// Three years of quarterly values (statsmodels' macrodata: US population 1996Q3-1999Q2, real GDP
// 1984Q1-1986Q4), where the optimum puts the smoothing parameters at their bounds and trades the
// initial trend against beta. Searching the parameters and the states in turn stalled there, at
// 0.044963 and 2488.496; statsmodels 0.13.5 reaches the figures below, and the profiled search
// must too.
TEST(ForecastTest, FitsParametersAndInitialStatesJointly) {
  struct Case {
    std::vector<double> y;
    ModelKind model;
    double statsmodels_sse;
  };
  const Case cases[] = {
      {{270.581, 271.36, 272.083, 272.912, 273.852, 274.626, 275.304, 276.115, 277.003, 277.79,
        278.451, 279.295},
       ModelKind::kHoltDamped,
       0.037203904},
      {{6448.26, 6559.59, 6623.34, 6677.26, 6740.27, 6797.34, 6903.52, 6955.92, 7022.76, 7050.97,
        7118.95, 7153.36},
       ModelKind::kHwAddDamped,
       2102.119415},
  };
  for (const auto& c : cases) {
    FitOptions o;
    o.model = c.model;
    o.season = 4;
    auto f = fit(c.y, o);
    ASSERT_TRUE(f.has_value()) << model_name(c.model);
    EXPECT_LE(f->sse, c.statsmodels_sse) << model_name(c.model);
  }
}

// Three years of a steep quarterly series (statsmodels' danish_data lpy, 1980Q3-1983Q2): the line
// through its first two seasons' means is below zero before the first value, where the heuristic
// states once started a multiplicative season, so every such fit broke down. statsmodels 0.13.5
// fits them (SSE below); so must we, no worse.
TEST(ForecastTest, MultiplicativeSeasonsStartOnASteepShortSeries) {
  const std::vector<double> y = {0.0141051, 0.0332749, 0.0620056, 0.103996, 0.125533, 0.150715,
                                 0.174404,  0.197887,  0.220125,  0.245492, 0.258963, 0.269753};
  const std::pair<ModelKind, double> cases[] = {{ModelKind::kSeasonalMul, 0.006555539734},
                                                {ModelKind::kHwMul, 0.0007322578685},
                                                {ModelKind::kHwMulDamped, 0.0008598641993}};
  for (const auto& [model, statsmodels_sse] : cases) {
    FitOptions o;
    o.model = model;
    o.season = 4;
    auto f = fit(y, o);
    ASSERT_TRUE(f.has_value()) << model_name(model) << ": " << f.status().message();
    EXPECT_LE(f->sse, statsmodels_sse) << model_name(model);
  }
}

// Fits whose start decides the valley, each against statsmodels 0.13.5's SSE on the same data:
// - realinv: three years of quarterly real investment (statsmodels' macrodata, 1971Q3-1974Q2).
//   statsmodels fits alpha = beta = 0.682, gamma 0. The grid points at alpha 1, four copies of
//   one model (gamma is 0 there whatever its coordinate), once filled all the profiled search's
//   starts, and the fit stayed at alpha 1 (6729.6).
// - damped: six years of a synthetic monthly series with a falling damped trend. statsmodels fits
//   beta 0, phi 0.976; the four best grid points were neighbours in one valley (345.1, beta 0.14).
// - bound: six years of a synthetic quarterly series whose optimum is alpha 0.9975, a slope into
//   the bound alpha 1 too gentle for the simplex, between the sweep's old steps of 0.005 and 0.05.
// - narrow: eight weeks of synthetic daily values with a valley at alpha = beta = 0.124, between
//   the coarse grid's alpha 0 and 0.3 (statsmodels' fine brute grid finds it; we stayed on the
//   line at alpha 0, 183960.8).
// - weekly: the same kind of valley (alpha = beta = 0.119, gamma 0) with a weekly season, where
//   alpha, beta and gamma are all free (22760.7 on the line at alpha 0).
// - ends: ten years of a synthetic monthly series whose damped fit has valleys at both ends of
//   phi: statsmodels' at its lower bound 0.8 (beta 0.27), ours was at the upper (5472.8).
TEST(ForecastTest, NamedFitsReachStatsmodelsWhereTheStartDecides) {
  struct Case {
    const char* name;
    ModelKind model;
    int season;
    double statsmodels_sse;
    std::vector<double> y;
  };
  const Case cases[] = {
      {"realinv",
       ModelKind::kHwMul,
       4,
       6603.454297868111,
       {541.01, 524.085, 561.147, 595.495, 603.97, 607.104, 645.654, 675.837, 649.412, 674.253,
        631.23, 628.102}},
      {"damped",
       ModelKind::kHwMulDamped,
       12,
       342.63014729857736,
       {53.2579, 53.886,  48.5249, 56.5133, 47.9461, 51.1249, 42.3741, 27.7242, 48.4054,
        35.0836, 29.2142, 37.4743, 38.5354, 40.343,  35.0314, 42.719,  38.5146, 44.0554,
        39.1566, 27.4593, 46.3187, 40.3349, 31.1154, 32.9353, 44.2532, 43.0309, 37.8618,
        41.7122, 33.0501, 35.5132, 27.9799, 17.4308, 31.1307, 28.0918, 20.7012, 25.4599,
        30.8053, 27.3873, 25.0524, 24.1353, 23.2019, 27.0243, 22.1703, 11.4603, 22.2449,
        16.186,  14.222,  15.2498, 15.4111, 16.5432, 16.0863, 15.025,  15.4874, 16.1909,
        12.2424, 8.19573, 11.8932, 8.18003, 5.70904, 9.76083, 13.6568, 12.4191, 14.836,
        15.1145, 14.2851, 18.2849, 15.9672, 16.4974, 25.8691, 19.2508, 19.2498, 21.4018}},
      {"bound", ModelKind::kHwAdd, 4, 367.56114486271883, {62.3004, 80.9484, 84.5708, 76.6838,
                                                           74.217,  92.373,  86.2644, 77.8209,
                                                           61.2631, 85.0481, 86.5736, 77.3472,
                                                           70.8798, 96.389,  93.0879, 87.5246,
                                                           89.663,  115.279, 115.85,  105.496,
                                                           98.7862, 128.354, 125.135, 116.745}},
      {"narrow",
       ModelKind::kHolt,
       0,
       182853.96721370917,
       {234.942, 185.807, 172.291, 227.771, 293.593, 244.965, 188.288, 235.797, 212.64,  190.987,
        255.641, 317.963, 253.901, 177.956, 242.958, 201.798, 215.115, 246.391, 322.763, 249.871,
        193.511, 266.058, 201.726, 223.11,  253.36,  351.926, 288.638, 221.728, 268.175, 248.963,
        239.769, 290.731, 393.343, 310.048, 229.014, 293.835, 234.598, 255.534, 331.251, 407.543,
        356.861, 277.787, 347.366, 301.46,  331.126, 387.726, 500.059, 398.936, 331.707, 428.446,
        345.405, 355.541, 450.786, 579.384, 495.543, 371.983}},
      {"weekly",
       ModelKind::kHwAdd,
       7,
       22652.389029853934,
       {498.856, 470.217, 531.772, 525.193, 429.639, 423.238, 558.603, 531.29,  489.609, 582.287,
        560.376, 466.847, 453.518, 592.64,  555.992, 488.032, 586.325, 546.564, 503.818, 465.491,
        622.19,  536.749, 491.282, 585.228, 537.16,  515.16,  482.895, 622.589, 594.957, 476.88,
        581.592, 608.527, 524.289, 478.848, 644.75,  589.165, 510.228, 602.881, 579.521, 517.649,
        482.35,  664.506, 555.863, 520.214, 605.267, 582.921, 511.81,  521.46,  692.295, 541.471,
        547.264, 581.301, 573.33,  496.899, 460.24,  675.84}},
      {"ends",
       ModelKind::kHwAddDamped,
       12,
       5441.498314990509,
       {65.3118, 70.2683, 68.0102, 70.6807, 83.1678, 87.5965, 74.4543, 63.6833, 59.2356, 90.8277,
        82.9801, 64.1434, 75.1564, 73.5446, 66.508,  64.8786, 81.9717, 72.3076, 66.1268, 51.4699,
        51.4061, 67.8446, 67.3832, 55.4455, 62.2955, 61.0133, 55.5163, 70.2253, 78.8008, 77.0267,
        60.8726, 59.2244, 57.6644, 83.0097, 83.6751, 64.9281, 79.4337, 72.9395, 61.9474, 66.1283,
        85.7123, 84.3054, 71.323,  68.6403, 61.0503, 95.2784, 91.4383, 68.2458, 76.6368, 74.1915,
        69.4733, 81.2109, 95.3144, 98.032,  86.4918, 73.2767, 81.7217, 119.598, 109.916, 73.1537,
        83.3985, 80.4024, 80.8098, 78.3075, 107.63,  99.9699, 73.5143, 65.8002, 63.4131, 92.9553,
        92.3342, 58.2888, 67.3871, 73.3613, 59.2585, 77.8223, 90.4322, 83.4142, 79.2389, 61.8282,
        70.6911, 106.37,  111.252, 77.1465, 80.5556, 88.3714, 76.9735, 75.6643, 98.4583, 90.9416,
        77.2155, 66.8436, 75.0783, 107.697, 99.8325, 77.0796, 90.9476, 104.348, 92.0879, 100.412,
        127.947, 124.368, 107.392, 93.7872, 107.259, 149.475, 140.369, 97.9367, 126.405, 132.231,
        107.892, 121.319, 150.534, 162.541, 134.649, 120.445, 129.437, 175.457, 172.694, 122.051}},
  };
  for (const auto& c : cases) {
    FitOptions o;
    o.model = c.model;
    o.season = c.season;
    auto f = fit(c.y, o);
    ASSERT_TRUE(f.has_value()) << c.name << ": " << f.status().message();
    EXPECT_LE(f->sse, c.statsmodels_sse * (1 + 1e-9)) << c.name;
  }
}

// Holdout sMAPE of automatic selection (fitted without the last h points). References:
// statsmodels' Holt-Winters additive 2.72% (air), 1.92% (usaccdeaths), 6.97% (daily spend), Holt
// 12.88% (nile); seasonal naive 10.57%, 2.92%, 8.92%. Pinned to our figures so that a change
// that makes them worse fails. Leaving out an undamped trend whose damped model is plausible made
// two worse (usaccdeaths 2.34 to 2.43, the daily spend 4.02 to 4.68) and the held-out real groups
// better (README, "Why the consensus and the AICc").
TEST(ForecastTest, AutomaticSelectionHoldoutAccuracyOnRealSeries) {
  COSTOPS_REQUIRE_SHARED_DATA();
  struct Case {
    const char* series;
    int h;
    double ours;       // measured
    double reference;  // the best of seasonal naive and statsmodels' ES reference
  };
  const Case cases[] = {
      {"airpassengers", 12, 2.24, 2.72},
      {"usaccdeaths", 12, 2.44, 1.92},
      {"nile", 10, 12.89, 12.88},
      {"llm_daily_spend_dev", 14, 4.69, 6.97},
  };
  for (const auto& c : cases) {
    const Series s = load(c.series);
    const double smape = holdout_smape(s, c.h, default_season(s.frequency));
    EXPECT_LE(smape, c.ours + 0.01) << c.series;
    std::printf("[ holdout  ] %-20s sMAPE %.3f%% (reference %.2f%%)\n", c.series, smape,
                c.reference);
  }
}

// The choice comes from the better half (rounded up), by backtest error, of the candidates whose
// AICc is within 10 of the lowest, less an undamped trend whose damped model is among them, and
// the reason names that pool in order.
TEST(ForecastTest, AutomaticSelectionChoosesFromTheBetterHalfOfThePlausible) {
  const double profile[] = {1.15, 1.19, 1.17, 1.16, 1.08, 0.66, 0.59};
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0.0, 0.05);
  for (size_t n : {40, 100}) {
    std::vector<double> y(n);
    for (size_t t = 0; t < n; ++t) {
      y[t] = 200 * std::exp(0.003 * static_cast<double>(t)) * profile[t % 7] * std::exp(noise(rng));
    }
    AutoOptions o;
    o.season = 7;
    o.horizon = 14;
    auto sel = select_model(y, o);
    ASSERT_TRUE(sel.has_value());
    double lowest = std::numeric_limits<double>::infinity();
    for (const auto& c : sel->candidates) {
      lowest = std::min(lowest, c.selection_aicc.value_or(lowest));
    }
    auto within = [&](ModelKind k) {
      for (const auto& c : sel->candidates) {
        if (c.model == k) return c.selection_aicc && *c.selection_aicc <= lowest + 10;
      }
      return false;
    };
    std::vector<CandidateScore> ranked;
    std::string left_out;
    for (const auto& c : sel->candidates) {
      bool plausible = within(c.model);
      const std::optional<ModelKind> damped =
          c.model == ModelKind::kHwAdd   ? ModelKind::kHwAddDamped
          : c.model == ModelKind::kHwMul ? ModelKind::kHwMulDamped
          : c.model == ModelKind::kHolt  ? std::optional(ModelKind::kHoltDamped)
                                         : std::nullopt;
      if (plausible && damped && within(*damped)) {
        plausible = false;
        left_out += (left_out.empty() ? "" : ", ") + std::string(model_name(c.model));
      }
      EXPECT_EQ(c.plausible, plausible) << model_name(c.model);
      if (plausible) ranked.push_back(c);
    }
    ASSERT_LT(ranked.size(), sel->candidates.size()) << "the test needs an implausible model";
    ASSERT_FALSE(left_out.empty()) << "the test needs an undamped trend left out";
    EXPECT_NE(sel->reason.find(", less the undamped trends whose damped model is among them (" +
                               left_out + ")"),
              std::string::npos)
        << sel->reason;
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.backtest_mae < b.backtest_mae; });
    const size_t pool = (ranked.size() + 1) / 2;
    std::string members;
    bool chosen_in_pool = false;
    for (size_t i = 0; i < pool; ++i) {
      members += (i ? ", " : "") + std::string(model_name(ranked[i].model));
      chosen_in_pool |= ranked[i].model == sel->fit.model;
    }
    EXPECT_TRUE(chosen_in_pool) << sel->reason;
    EXPECT_NE(sel->reason.find(std::to_string(ranked.size()) + " of " +
                               std::to_string(sel->candidates.size()) +
                               " candidate models whose selection AICc is within 10 of the lowest"),
              std::string::npos)
        << sel->reason;
    if (pool > 1) {
      EXPECT_NE(sel->reason.find(std::to_string(pool) + " (" + members + ")"), std::string::npos)
          << sel->reason;
    } else {
      EXPECT_NE(sel->reason.find("the lowest rolling-origin backtest error"), std::string::npos)
          << sel->reason;
    }
  }
}

// The selection AICc counts the parameters the fit estimated: with heuristic initial states, the
// smoothing parameters alone. On two years of monthly data the seasonal models then stay in the
// running (with their 12 seasonal states counted, the AICc's small-sample term ruled them all out
// and auto chose the naive forecast for a seasonal series).
TEST(ForecastTest, SelectionAiccCountsTheEstimatedParameters) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> noise(0.0, 2.0);
  std::vector<double> y(24);
  for (size_t t = 0; t < y.size(); ++t) {
    y[t] = 100 + 0.5 * static_cast<double>(t) +
           20 * std::sin(2 * 3.14159265358979 * static_cast<double>(t) / 12) + noise(rng);
  }
  AutoOptions o;
  o.season = 12;
  o.horizon = 12;
  auto sel = select_model(y, o);
  ASSERT_TRUE(sel.has_value());
  bool seasonal_plausible = false;
  for (const auto& c : sel->candidates) {
    if (c.model == ModelKind::kHwAdd) {
      // statsmodels' count: l0, b0, 12 seasonal states, alpha, beta, gamma: 16 parameters.
      ASSERT_TRUE(c.aicc.has_value());
      const double n = 24, k = 3;  // alpha, beta, gamma
      EXPECT_NEAR(*c.selection_aicc,
                  n * std::log(c.sse / n) + 2 * k + 2 * (k + 2) * (k + 3) / (n - k - 3), 1e-9);
      EXPECT_NEAR(*c.aicc - *c.selection_aicc, 2 * 13 + 2.0 * 18 * 19 / 5 - 2.0 * 5 * 6 / 18, 1e-9);
    }
    if (c.model == ModelKind::kSeasonalNaive) {
      // No parameters; the variance from the 12 values that have an error (not 24 with 12 zeros).
      const double n = 24, errors = 12;
      ASSERT_TRUE(c.selection_aicc.has_value());
      EXPECT_NEAR(*c.selection_aicc, n * std::log(c.sse / errors) + 2.0 * 2 * 3 / (n - 3), 1e-9);
      EXPECT_EQ(c.aicc, c.selection_aicc);
    }
    seasonal_plausible |= c.plausible && is_seasonal(c.model) && is_exponential_smoothing(c.model);
  }
  EXPECT_TRUE(seasonal_plausible) << sel->reason;
  EXPECT_TRUE(is_seasonal(sel->fit.model)) << sel->reason;
}

TEST(ForecastTest, MetricsFollowTheirDefinitions) {
  const std::vector<double> train{1, 2, 3, 4};
  const auto a = accuracy(std::vector<double>{10, 20}, std::vector<double>{12, 18}, train, 1);
  EXPECT_DOUBLE_EQ(a.mae, 2);
  EXPECT_DOUBLE_EQ(a.rmse, 2);
  EXPECT_NEAR(a.smape, 100.0 * (2.0 / 22 * 2 + 2.0 / 38 * 2) / 2, 1e-12);
  EXPECT_NEAR(*a.mape, 100.0 * (0.2 + 0.1) / 2, 1e-12);
  EXPECT_DOUBLE_EQ(*a.mase, 2);  // in-sample naive MAE is 1
  const auto z = accuracy(std::vector<double>{0}, std::vector<double>{1}, train, 1);
  EXPECT_FALSE(z.mape.has_value());
}

TEST(ForecastTest, IntervalsAreFiniteNestedAndWiden) {
  COSTOPS_REQUIRE_SHARED_DATA();
  const Series s = load("llm_daily_spend_dev");
  AutoOptions o;
  o.season = 7;
  auto sel = select_model(s.values, o);
  ASSERT_TRUE(sel.has_value());
  const std::vector<double> levels{0.8, 0.95};
  const auto fc = forecast(sel->fit, 30, levels);
  for (size_t i = 0; i < fc.size(); ++i) {
    const auto& p = fc[i];
    ASSERT_TRUE(std::isfinite(p.value) && std::isfinite(p.variance));
    EXPECT_LT(p.bounds[1].first, p.bounds[0].first);
    EXPECT_GT(p.bounds[1].second, p.bounds[0].second);
    if (i >= 7) {
      EXPECT_GE(p.variance, fc[i - 7].variance);
    }
  }
  EXPECT_FALSE(sel->reason.empty());
  // The closed form is wide enough here: the backtest does not widen it.
  EXPECT_EQ(sel->fit.variance_scale, 1.0);
}

// sigma2 is estimated from the residuals, so the intervals use Student's t with their degrees of
// freedom: a line through 8 values has 6, and the 95% bound is 2.4469 sd out, not 1.96.
TEST(ForecastTest, IntervalsUseStudentsTWithTheResidualDegreesOfFreedom) {
  const std::vector<double> y{10, 12, 11, 14, 13, 16, 15, 18};
  FitOptions fo;
  fo.model = ModelKind::kLinear;
  auto f = fit(y, fo);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(residual_df(*f), 6);
  const auto fc = forecast(*f, 3, std::vector<double>{0.8, 0.95});
  for (const auto& p : fc) {
    const double sd = std::sqrt(p.variance);
    EXPECT_NEAR((p.bounds[1].second - p.value) / sd, 2.446912, 1e-6);
    EXPECT_NEAR((p.bounds[0].second - p.value) / sd, 1.439756, 1e-6);
  }
  // Long series: the normal's quantile, near enough.
  std::vector<double> longer;
  for (int i = 0; i < 400; ++i) longer.push_back(i % 2 ? 5 : 7);
  auto g = fit(longer, fo);
  ASSERT_TRUE(g.has_value());
  const auto p = forecast(*g, 1, std::vector<double>{0.95})[0];
  EXPECT_NEAR((p.bounds[0].second - p.value) / std::sqrt(p.variance), 1.966, 1e-3);
}

// The seasonal lines by hand: y = {1, 4, 3, 5, 4, 8}, season 2. Phase 0 holds times 0, 2, 4
// (values 1, 3, 4; means 2 and 8/3), phase 1 times 1, 3, 5 (4, 5, 8; 3 and 17/3). Within the
// phases Sxy = 6 + 8 and Sxx = 8 + 8, so the slope is 14/16; the phases' intercepts are
// 8/3 - 2(7/8) = 11/12 and 17/3 - 3(7/8) = 73/24, whose mean 95/48 is the intercept and
// -/+ 51/48 the seasonal effects. The next two values: 11/12 + 6(7/8) = 37/6 and 73/24 + 7(7/8) =
// 55/6. The residuals' SSE is 13/12 over 6 - 3 degrees of freedom; the step-1 forecast's
// variance is sigma2 (1 + 1/3 + (6 - 2)^2 / 16) = 91/108.
TEST(ForecastTest, SeasonalLinesAreLeastSquaresLinesWithSeasonalEffects) {
  const std::vector<double> y{1, 4, 3, 5, 4, 8};
  FitOptions fo;
  fo.model = ModelKind::kLinearSeason;
  fo.season = 2;
  auto f = fit(y, fo);
  ASSERT_TRUE(f.has_value()) << f.status().message();
  EXPECT_NEAR(*f->params.intercept, 95.0 / 48, 1e-12);
  EXPECT_NEAR(*f->params.slope, 0.875, 1e-12);
  ASSERT_EQ(f->params.seasonal.size(), 2u);
  EXPECT_NEAR(f->params.seasonal[0], -51.0 / 48, 1e-12);
  EXPECT_NEAR(f->params.seasonal[1], 51.0 / 48, 1e-12);
  EXPECT_NEAR(f->sse, 13.0 / 12, 1e-12);
  EXPECT_EQ(f->n_params, 3);
  const auto fc = forecast(*f, 2, std::vector<double>{0.95});
  EXPECT_NEAR(fc[0].value, 37.0 / 6, 1e-12);
  EXPECT_NEAR(fc[1].value, 55.0 / 6, 1e-12);
  EXPECT_NEAR(fc[0].variance, 91.0 / 108, 1e-12);

  // The same on ln y (numpy's least squares on a trend and phase dummies), the intercept raised
  // by half the residual variance (0.23987120575 / 3 / 2) so that exp gives the mean.
  fo.model = ModelKind::kLogLinearSeason;
  auto g = fit(y, fo);
  ASSERT_TRUE(g.has_value()) << g.status().message();
  EXPECT_NEAR(*g->params.intercept, 0.6501664633544203, 1e-12);
  EXPECT_NEAR(*g->params.slope, 0.25993019270997936, 1e-12);
  EXPECT_NEAR(g->params.seasonal[1], 0.3017460978859813, 1e-12);
  const auto gc = forecast(*g, 2, std::vector<double>{0.95});
  EXPECT_NEAR(gc[0].value, 6.739606373954251, 1e-11);
  EXPECT_NEAR(gc[1].value, 15.981373857610947, 1e-11);
  // Relative errors, as the multiplicative seasons: the variance scales with the forecast.
  EXPECT_NEAR(gc[0].variance, g->sigma2 * (1 + 4.0 / 3) * gc[0].value * gc[0].value,
              1e-12 * gc[0].variance);

  // Given parameters are evaluated as given.
  fo.fixed.intercept = 1;
  fo.fixed.slope = 0.5;
  fo.fixed.seasonal = {-1, 1};
  fo.model = ModelKind::kLinearSeason;
  auto given = fit(y, fo);
  ASSERT_TRUE(given.has_value());
  EXPECT_EQ(given->fitted[3], 1 + 0.5 * 3 + 1);
  EXPECT_EQ(forecast(*given, 1, {})[0].value, 1 + 0.5 * 6 - 1);
  fo.fixed.seasonal = {-1, 0, 1};  // not the season's length: an error, not a silent fit
  EXPECT_FALSE(fit(y, fo).has_value());

  // What they cannot fit is a clear error.
  FitOptions bad;
  bad.model = ModelKind::kLinearSeason;
  EXPECT_FALSE(fit(y, bad).has_value());  // no season
  bad.season = 4;
  EXPECT_FALSE(fit(y, bad).has_value());  // fewer than two seasons
  bad.model = ModelKind::kLogLinearSeason;
  bad.season = 2;
  EXPECT_FALSE(fit(std::vector<double>{1, 4, 0, 5, 4, 8}, bad).has_value());  // a zero
}

// Exponential growth times a weekly profile, as LLM spend often grows: the log seasonal line is
// the process, and the automatic selection finds it. The additive line is not among auto's
// candidates (a named model only).
TEST(ForecastTest, AutoFindsExponentialGrowthWithAWeeklyProfile) {
  const double profile[7] = {1.15, 1.19, 1.17, 1.16, 1.09, 0.66, 0.59};
  std::vector<double> y;
  uint32_t state = 7;  // noise: a linear congruential generator's uniforms, +-5%
  for (int t = 0; t < 112; ++t) {
    state = state * 1664525u + 1013904223u;
    const double u = static_cast<double>(state >> 8) / (1 << 24);
    y.push_back(300 * std::exp(0.005 * t) * profile[t % 7] * (0.95 + 0.1 * u));
  }
  AutoOptions o;
  o.season = 7;
  o.horizon = 14;
  auto sel = select_model(y, o);
  ASSERT_TRUE(sel.has_value());
  EXPECT_EQ(sel->fit.model, ModelKind::kLogLinearSeason) << sel->reason;

  EXPECT_NEAR(*sel->fit.params.slope, 0.005, 2e-4);
  for (const auto& c : sel->candidates) EXPECT_NE(c.model, ModelKind::kLinearSeason);
}

// A smooth cycle the non-seasonal models cannot follow: their one-step errors are small and the
// closed-form variances with them, but the 14-step errors are not. Automatic selection widens
// the intervals to the errors of its own backtest (and only widens them: the bundled spend
// series keeps its closed form, IntervalsAreFiniteNestedAndWiden checks).
TEST(ForecastTest, IntervalsWidenToTheBacktestErrors) {
  std::vector<double> y;
  for (int i = 0; i < 120; ++i) {
    y.push_back(100 + 10 * std::sin(2 * M_PI * i / 30) + 0.5 * std::sin(i * 2.7));
  }
  AutoOptions o;
  o.horizon = 14;
  auto sel = select_model(y, o);
  ASSERT_TRUE(sel.has_value());
  const double scale = sel->fit.variance_scale;
  EXPECT_GT(scale, 1.2);
  EXPECT_NE(sel->reason.find("intervals widened to the backtest's errors"), std::string::npos)
      << sel->reason;
  FittedModel closed = sel->fit;
  closed.variance_scale = 1;
  const auto wide = forecast(sel->fit, 14, std::vector<double>{0.95});
  const auto narrow = forecast(closed, 14, std::vector<double>{0.95});
  for (size_t i = 0; i < wide.size(); ++i) {
    EXPECT_DOUBLE_EQ(wide[i].value, narrow[i].value);
    EXPECT_NEAR(wide[i].variance, scale * narrow[i].variance, 1e-9 * wide[i].variance);
  }
  EXPECT_NEAR(sum_variance(sel->fit, 14), scale * sum_variance(closed, 14),
              1e-9 * sum_variance(sel->fit, 14));
}

// Two models the data both support (AICc within 10) that forecast differently: the intervals
// widen by the choice's uncertainty, the mean squared difference of the plausible models'
// forecasts from the chosen one's, per unit of its own variance (each taken as equally likely).
TEST(ForecastTest, IntervalsWidenByThePlausibleModelsDisagreement) {
  const std::vector<double> y{100, 104, 98,  103, 101, 97,  104, 100, 102, 106,
                              99,  103, 105, 100, 104, 107, 101, 104, 106, 102};
  AutoOptions o;
  o.horizon = 6;
  o.candidates = {ModelKind::kSes, ModelKind::kLinear};
  auto both = select_model(y, o);
  ASSERT_TRUE(both.has_value());
  size_t plausible = 0;
  for (const auto& c : both->candidates) plausible += c.plausible;
  ASSERT_EQ(plausible, 2u) << both->reason;
  EXPECT_NE(both->reason.find("by the 2 plausible models' disagreement"), std::string::npos)
      << both->reason;
  // Each model alone: the chosen one's backtest scale, and the other's forecast.
  const ModelKind chosen = both->fit.model;
  const ModelKind other = chosen == ModelKind::kSes ? ModelKind::kLinear : ModelKind::kSes;
  o.candidates = {chosen};
  auto alone = select_model(y, o);
  o.candidates = {other};
  auto rival = select_model(y, o);
  ASSERT_TRUE(alone.has_value() && rival.has_value());
  EXPECT_EQ(alone->reason.find("disagreement"), std::string::npos) << alone->reason;
  FittedModel closed = alone->fit;
  closed.variance_scale = 1;
  const auto own = forecast(closed, 6, {});
  const auto theirs = forecast(rival->fit, 6, {});
  double expected = 0;
  for (size_t t = 0; t < 6; ++t) {
    const double d = theirs[t].value - own[t].value;
    expected += d * d / 2 / own[t].variance / 6;
  }
  EXPECT_GT(expected, 0.05);
  EXPECT_NEAR(both->fit.variance_scale, alone->fit.variance_scale + expected, 1e-9);
}

// The models' disagreement is measured over the steps the values can check, so a horizon far
// past the series (where a trend and a level part ever further) does not widen the first day's
// interval: 200 or 2,000 steps give the scale 18 steps give (too many to backtest 20 values, so
// compared from every origin after the first 3, as far as the values go: 17 steps).
TEST(ForecastTest, AHorizonPastTheSeriesDoesNotWidenItsFirstSteps) {
  const std::vector<double> y{100, 104, 98,  103, 101, 97,  104, 100, 102, 106,
                              99,  103, 105, 100, 104, 107, 101, 104, 106, 102};
  AutoOptions o;
  o.candidates = {ModelKind::kSes, ModelKind::kLinear};
  o.horizon = 18;
  auto checked = select_model(y, o);
  ASSERT_TRUE(checked.has_value());
  ASSERT_GT(checked->fit.variance_scale, 1) << checked->reason;
  for (int horizon : {200, 2000}) {
    o.horizon = horizon;
    auto far = select_model(y, o);
    ASSERT_TRUE(far.has_value());
    EXPECT_EQ(far->fit.model, checked->fit.model) << horizon;
    EXPECT_DOUBLE_EQ(far->fit.variance_scale, checked->fit.variance_scale) << horizon;
    const auto f = forecast(far->fit, horizon, std::vector<double>{0.8});
    ASSERT_EQ(f.size(), static_cast<size_t>(horizon));
    EXPECT_TRUE(std::isfinite(f.back().bounds[0].second)) << horizon;
  }
}

// Too short to backtest an 8-step horizon, a bending series is still compared with its own
// forecasts: from every origin after the first 3 values, as far as the values go. A line's
// residuals about a curve are small, its errors a few steps on are not, and the intervals widen.
TEST(ForecastTest, ShortSeriesIntervalsWidenToTheirOwnForecastErrors) {
  std::vector<double> y;
  for (int i = 0; i < 10; ++i) y.push_back(100 + 10 * std::sin(2 * M_PI * i / 16));
  AutoOptions o;
  o.horizon = 8;
  o.candidates = {ModelKind::kLinear};
  auto sel = select_model(y, o);
  ASSERT_TRUE(sel.has_value());
  EXPECT_GT(sel->fit.variance_scale, 1.5);
  EXPECT_NE(sel->reason.find("too few values to backtest"), std::string::npos) << sel->reason;
  EXPECT_NE(sel->reason.find("intervals widened to the errors of its forecasts from every origin "
                             "after the first 3 values"),
            std::string::npos)
      << sel->reason;
}

// Spend falling towards zero is not forecast below it, nor are its bounds; a series with negative
// values (net credits) is forecast as fitted.
TEST(ForecastTest, SpendIsNotForecastBelowZero) {
  std::vector<double> y;
  for (int i = 0; i < 30; ++i) y.push_back(60 - 2.0 * i + (i % 3));
  FitOptions fo;
  fo.model = ModelKind::kLinear;
  auto fit_spend = fit(y, fo);
  ASSERT_TRUE(fit_spend.has_value());
  const std::vector<double> levels{0.8, 0.95};
  const auto fc = forecast(*fit_spend, 20, levels);
  EXPECT_EQ(fc.back().value, 0);
  for (const auto& p : fc) {
    EXPECT_GE(p.value, 0);
    for (const auto& [lo, hi] : p.bounds) EXPECT_TRUE(lo >= 0 && hi >= lo);
  }
  EXPECT_GT(fc.front().value, 0);

  for (double& v : y) v -= 10;  // now the last values are negative
  auto fit_net = fit(y, fo);
  ASSERT_TRUE(fit_net.has_value());
  EXPECT_LT(forecast(*fit_net, 20, levels).back().value, -20);
}

TEST(ForecastTest, DegenerateInputGivesClearResultsNotNan) {
  AutoOptions o;
  o.season = 7;
  auto flat = select_model(std::vector<double>(30, 5.0), o);
  ASSERT_TRUE(flat.has_value());
  EXPECT_EQ(flat->fit.model, ModelKind::kNaive);
  EXPECT_EQ(forecast(flat->fit, 3, std::vector<double>{0.95})[2].bounds[0].second, 5.0);

  auto zeros = select_model(std::vector<double>(30, 0.0), o);
  ASSERT_TRUE(zeros.has_value());
  EXPECT_EQ(forecast(zeros->fit, 1, {})[0].value, 0.0);

  // Fewer values than two seasons: non-seasonal models only.
  auto shortish = select_model(std::vector<double>{3, 4, 5, 4, 6, 7, 6, 8, 9}, o);
  ASSERT_TRUE(shortish.has_value());
  EXPECT_FALSE(is_seasonal(shortish->fit.model));
  for (const auto& p : forecast(shortish->fit, 5, std::vector<double>{0.8})) {
    EXPECT_TRUE(std::isfinite(p.value) && std::isfinite(p.bounds[0].first));
  }

  std::vector<double> negative{-1, 2, -3, 4, -5, 6, -7, 8, -9, 10, -11, 12, -13, 14, -15};
  FitOptions mul;
  mul.model = ModelKind::kHwMul;
  mul.season = 2;
  auto bad = fit(negative, mul);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.status().message().find("every value > 0"), std::string::npos);
  auto ok = select_model(negative, AutoOptions{});
  ASSERT_TRUE(ok.has_value());

  EXPECT_FALSE(select_model(std::vector<double>{}, o).has_value());
  auto one = select_model(std::vector<double>{42}, o);
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(forecast(one->fit, 2, {})[1].value, 42);

  FitOptions hw;
  hw.model = ModelKind::kHwAdd;
  hw.season = 7;
  EXPECT_FALSE(fit(std::vector<double>{1, 2, 3}, hw).has_value());

  const std::vector<double> huge{1e300, 2e300, -1e300, 1e300};
  for (auto r : {select_model(huge, o).status(), fit(huge, FitOptions{}).status(),
                 detect_anomalies(huge, AnomalyOptions{}).status()}) {
    EXPECT_EQ(r.message(),
              "the series has a value that is 1e+300: beyond +-1e100, which a forecast cannot "
              "square");
  }
}

TEST(AnomaliesTest, SeasonalDetectorFindsTheThreeSpikesAndNothingElse) {
  COSTOPS_REQUIRE_SHARED_DATA();
  const Series s = load("llm_daily_spend_dev");
  const auto truth = nlohmann::json::parse(
      testing::read_file(testing::shared_path("data/series/llm_daily_spend_dev.truth.json")));
  AnomalyOptions o;
  o.season = 7;
  auto found = detect_anomalies(s.values, o);
  ASSERT_TRUE(found.has_value());
  std::vector<std::string> dates;
  for (const auto& a : *found) {
    dates.push_back(format_date(s.dates[a.index]));
    EXPECT_GT(a.value, a.expected);
    EXPECT_EQ(a.severity, Severity::kHigh);
  }
  EXPECT_EQ(dates, truth["spike_dates"].get<std::vector<std::string>>());
}

// 120 days of spend like the dev series (300 a day, growth 0.004 a day, weekday profile, log-normal
// noise sd 0.06), each day in `spikes` times spike_size() (drawn after that day's noise).
template <typename SpikeSize>
std::vector<double> spend_series(std::mt19937_64& rng, const std::set<size_t>& spikes,
                                 SpikeSize spike_size) {
  const double profile[] = {1.149, 1.191, 1.170, 1.160, 1.085, 0.660, 0.585};
  std::normal_distribution<double> noise(0.0, 0.06);
  std::vector<double> y(120);
  for (size_t t = 0; t < y.size(); ++t) {
    y[t] = 300 * std::exp(0.004 * static_cast<double>(t)) * profile[t % 7] * std::exp(noise(rng));
    if (spikes.count(t)) y[t] *= spike_size();
  }
  return y;
}

// Beyond the dev series: spend series of the same kind (weekly profile, growth, log-normal noise,
// three 2-2.8x one-day spikes at random days), 400 seeds. Every spike is found, and false alarms
// come at about the test's significance level, 0.01 (with the MAD as the ESD's scale and Rosner's
// critical values, on 22 of the 400 series; now 3).
TEST(AnomaliesTest, SeasonalDetectorOnFreshSpendSeriesKeepsItsFalseAlarmRate) {
  int with_false_alarm = 0;
  for (unsigned seed = 1; seed <= 400; ++seed) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<size_t> day(5, 114);
    std::uniform_real_distribution<double> size(2.0, 2.8);
    std::set<size_t> spikes;
    while (spikes.size() < 3) spikes.insert(day(rng));
    const auto y = spend_series(rng, spikes, [&] { return size(rng); });
    AnomalyOptions o;
    o.season = 7;
    auto found = detect_anomalies(y, o);
    ASSERT_TRUE(found.has_value());
    std::set<size_t> got;
    for (const auto& a : *found) got.insert(a.index);
    for (size_t s : spikes) EXPECT_TRUE(got.count(s)) << "seed " << seed << " day " << s;
    with_false_alarm += got.size() > spikes.size() ? 1 : 0;
  }
  std::printf("series with a false alarm: %d of 400\n", with_false_alarm);
  EXPECT_LE(with_false_alarm, 8);  // 2% (at 1%: 4 expected, sd 2)
}

// More spikes than max_anomalies allows (24 in 120 days, 10%: 12) do not mask each other: the
// test's scale is robust, so the 12 largest are flagged (with the mean and sd they masked all).
TEST(AnomaliesTest, SeasonalDetectorIsNotMaskedByManySpikes) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<size_t> day(3, 116);
  std::set<size_t> spikes;
  while (spikes.size() < 24) spikes.insert(day(rng));
  const auto y = spend_series(rng, spikes, [] { return 2.5; });
  AnomalyOptions o;
  o.season = 7;
  auto found = detect_anomalies(y, o);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->size(), 12u);
  for (const auto& a : *found) EXPECT_TRUE(spikes.count(a.index)) << a.index;
}

// Spend on weekdays only, growing 1.5% a day: the zero weekends are the season, not anomalies
// (decomposed as log(value + 1% of the median positive value); without logs an additive season
// expected spend on them). A weekday spike and a weekday with no spend are found.
TEST(AnomaliesTest, ZeroWeekendsAreTheSeasonAndAZeroWeekdayIsAnAnomaly) {
  std::mt19937_64 rng(2);
  std::normal_distribution<double> noise(0.0, 0.06);
  std::vector<double> y(90);
  for (size_t t = 0; t < y.size(); ++t) {
    const bool weekend = t % 7 == 3 || t % 7 == 4;  // 2025-01-01 is a Wednesday
    y[t] = weekend ? 0.0 : 100 * std::exp(0.015 * static_cast<double>(t) + noise(rng));
  }
  y[40] *= 2.5;
  y[62] = 0;
  AnomalyOptions o;
  o.season = 7;
  auto found = detect_anomalies(y, o);
  ASSERT_TRUE(found.has_value());
  std::vector<size_t> got;
  for (const auto& a : *found) got.push_back(a.index);
  EXPECT_EQ(got, (std::vector<size_t>{40, 62}));
  for (const auto& a : *found) EXPECT_GT(a.expected, 150) << a.index;

  // Intermittent spend (zero on 30% of days, no pattern): zeros are ordinary, none is flagged.
  std::uniform_real_distribution<double> u(0, 1);
  for (double& v : y) v = u(rng) < 0.3 ? 0.0 : 20 * std::exp(4 * noise(rng));
  found = detect_anomalies(y, o);
  ASSERT_TRUE(found.has_value());
  for (const auto& a : *found) EXPECT_GT(a.value, 0) << a.index;
}

// Spend on fewer than half the days (one request now and then, in no weekly pattern): the days
// with spend are compared with their median; a day without spend is never an anomaly, nor an
// ordinary day with spend, though nearly every day of the season's phases is zero.
TEST(AnomaliesTest, MostlyZeroSpendFlagsOnlyADayFarAboveItsUsualSpend) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> y(84);
  for (double& v : y) v = u(rng) < 0.35 ? 0.0005 + 0.0015 * u(rng) : 0.0;
  // A weekday with spend on half its days (its median is not zero, so its zeros were tested as
  // drops, in logs).
  for (size_t t = 5; t < y.size(); t += 14) y[t] = 0.001;
  for (size_t t = 12; t < y.size(); t += 14) y[t] = 0.0;
  AnomalyOptions o;
  o.season = 7;
  auto found = detect_anomalies(y, o);
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(found->empty()) << found->front().index << " " << found->front().value;
  y[40] = 0.02;
  found = detect_anomalies(y, o);
  ASSERT_TRUE(found.has_value());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().index, 40u);
  std::vector<double> spend;
  for (size_t t = 0; t < y.size(); ++t) {
    if (y[t] > 0 && t != 40) spend.push_back(y[t]);
  }
  EXPECT_GT(found->front().expected, *std::min_element(spend.begin(), spend.end()));
  EXPECT_LT(found->front().expected, *std::max_element(spend.begin(), spend.end()));
}

// A named model fitted with --clean on sees the same series auto fits: clean_anomalies replaces
// exactly what select_model replaces (only clear spikes, not every flagged value).
TEST(ForecastTest, CleanAnomaliesReplacesWhatAutomaticSelectionReplaces) {
  COSTOPS_REQUIRE_SHARED_DATA();
  for (const char* name : {"llm_daily_spend_dev", "nile", "airpassengers"}) {
    const Series s = load(name);
    const int season = default_season(s.frequency);
    AutoOptions ao;
    ao.season = season;
    auto sel = select_model(s.values, ao);
    ASSERT_TRUE(sel.has_value()) << name;
    std::vector<double> y = s.values;
    const auto replaced = clean_anomalies(y, season);
    ASSERT_EQ(replaced.size(), sel->cleaned.size()) << name;
    for (size_t i = 0; i < replaced.size(); ++i) {
      EXPECT_EQ(replaced[i].first, sel->cleaned[i]) << name;
      EXPECT_EQ(replaced[i].second, sel->cleaned_with[i]) << name;
      EXPECT_EQ(y[replaced[i].first], replaced[i].second) << name;
    }
  }
  // The dev series' three spikes are clear enough to be cleaned.
  std::vector<double> y = load("llm_daily_spend_dev").values;
  EXPECT_EQ(clean_anomalies(y, 7).size(), 3u);
  std::vector<double> few = {1, 2, 100, 3};
  EXPECT_TRUE(clean_anomalies(few, 0).empty());
}

// On a smooth series the remainders' MAD is near zero, so the detector gives a bend a large
// robust z; cleaning keeps it (a spike must also stand out from the series' one-step moves), and
// still replaces a spike in the same curve with noise.
TEST(ForecastTest, CleaningKeepsTheBendsOfASmoothSeries) {
  std::vector<double> y;
  for (int t = 0; t < 43; ++t) {
    const double v = t < 38 ? 4.5 - 0.08 * t : 4.5 - 0.08 * 37 + 0.1 * (t - 37);
    y.push_back(std::round(v * 100) / 100);
  }
  AnomalyOptions ao;
  ao.method = AnomalyMethod::kSeasonal;
  ao.season = 0;
  const auto found = detect_anomalies(y, ao);
  ASSERT_TRUE(found.has_value());
  ASSERT_TRUE(std::any_of(found->begin(), found->end(), [](const Anomaly& a) {
    return a.score >= 5;
  })) << "the test needs a bend the detector scores highly";
  std::vector<double> kept = y;
  EXPECT_TRUE(clean_anomalies(kept, 0).empty());
  EXPECT_EQ(kept, y);

  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0.0, 0.02);
  for (double& v : y) v += noise(rng);
  y[20] += 1.0;
  const auto replaced = clean_anomalies(y, 0);
  ASSERT_EQ(replaced.size(), 1u);
  EXPECT_EQ(replaced[0].first, 20u);
}

// The end of a series has one neighbour: a turn there is not a spike unless the last value
// also jumps from the one before. Kazakhstan's fertility, 1960-2001, ends 2.0, 1.8, 1.7, 1.8, 1.9;
// the detector's local-linear trend carries the decline on to 1.61 and scores 1.9 highly.
TEST(ForecastTest, CleaningKeepsATurnAtTheEndOfTheSeries) {
  std::vector<double> y = {4.563, 4.514, 4.437, 4.331, 4.201, 4.059, 3.918, 3.79,  3.683,
                           3.6,   3.538, 3.489, 3.44,  3.385, 3.32,  3.249, 3.175, 3.106,
                           3.048, 3.019, 2.9,   2.95,  3,     3.04,  3.08,  3.08,  3.135,
                           3.19,  3.13,  2.82,  2.72,  2.61,  2.5,   2.3,   2.28,  2.26,
                           2.13,  2,     1.8,   1.7,   1.8,   1.9};
  AnomalyOptions ao;
  ao.method = AnomalyMethod::kSeasonal;
  ao.season = 0;
  const auto found = detect_anomalies(y, ao);
  ASSERT_TRUE(found.has_value());
  ASSERT_TRUE(std::any_of(found->begin(), found->end(), [&](const Anomaly& a) {
    return a.index == y.size() - 1 && a.score >= 5;
  })) << "the test needs the detector to score the last value highly";
  std::vector<double> kept = y;
  for (const auto& [i, v] : clean_anomalies(kept, 0)) EXPECT_NE(i, y.size() - 1) << v;
  EXPECT_EQ(kept.back(), 1.9);
  AutoOptions o;
  o.season = 0;
  auto sel = select_model(y, o);
  ASSERT_TRUE(sel.has_value()) << sel.status().to_string();
  EXPECT_GT(forecast(sel->fit, 1, {})[0].value, 1.8) << sel->reason;
}

// Spikes on several days in a row are each replaced: each stands out from the nearest days that
// are not anomalies, though not from its neighbour in the burst.
TEST(ForecastTest, CleaningReplacesABurstOfSpikes) {
  std::mt19937_64 rng(11);
  auto y = spend_series(rng, {60, 61, 62}, [] { return 2.5; });
  const auto replaced = clean_anomalies(y, 7);
  std::vector<size_t> at;
  for (const auto& [i, v] : replaced) at.push_back(i);
  EXPECT_EQ(at, (std::vector<size_t>{60, 61, 62}));
}

TEST(AnomaliesTest, SimpleDetectorsAndOptions) {
  std::vector<double> y(40, 100.0);
  for (size_t i = 0; i < y.size(); ++i) y[i] += static_cast<double>(i % 5);
  y[17] = 400;
  for (auto m : {AnomalyMethod::kZScore, AnomalyMethod::kMad, AnomalyMethod::kIqr,
                 AnomalyMethod::kSeasonal}) {
    AnomalyOptions o;
    o.method = m;
    o.season = 5;
    auto found = detect_anomalies(y, o);
    ASSERT_TRUE(found.has_value()) << anomaly_method_name(m);
    ASSERT_EQ(found->size(), 1u) << anomaly_method_name(m);
    EXPECT_EQ((*found)[0].index, 17u);
    o.direction = Direction::kDown;
    EXPECT_TRUE(detect_anomalies(y, o)->empty());
    o.direction = Direction::kBoth;
    o.min_deviation = 1000;
    EXPECT_TRUE(detect_anomalies(y, o)->empty());
  }
  AnomalyOptions trend_only;  // no season: trend and remainder only
  trend_only.season = 0;
  auto found = detect_anomalies(y, trend_only);
  ASSERT_TRUE(found.has_value());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].index, 17u);
  AnomalyOptions bad;
  bad.threshold = -1;
  EXPECT_FALSE(detect_anomalies(y, bad).has_value());
}

TEST(AnomaliesTest, FilledGapsAreNeitherTestedNorReported) {
  // Four observed days and a three-day gap: the filled values lie on a line, and counted in the
  // scale they shrank it until the 4 scored a robust z of 7.4.
  auto s = parse_series_csv("date,value\n2025-01-01,1\n2025-01-05,2\n2025-01-06,4\n2025-01-07,3\n",
                            "gap.csv");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->filled, (std::vector<size_t>{1, 2, 3}));
  AnomalyOptions o;
  auto counted = detect_anomalies(s->values, o);
  ASSERT_TRUE(counted.has_value());
  ASSERT_EQ(counted->size(), 1u);
  EXPECT_EQ((*counted)[0].index, 5u);
  o.unobserved = s->filled;
  EXPECT_TRUE(detect_anomalies(s->values, o)->empty());
  // A filled value far from the rest is not reported, by any method.
  std::vector<double> y(40, 100.0);
  for (size_t i = 0; i < y.size(); ++i) y[i] += static_cast<double>(i % 5);
  y[17] = 400;
  for (auto m : {AnomalyMethod::kZScore, AnomalyMethod::kMad, AnomalyMethod::kIqr,
                 AnomalyMethod::kSeasonal}) {
    AnomalyOptions u;
    u.method = m;
    u.season = 5;
    u.unobserved = {17};
    auto found = detect_anomalies(y, u);
    ASSERT_TRUE(found.has_value()) << anomaly_method_name(m);
    EXPECT_TRUE(found->empty()) << anomaly_method_name(m);
  }
  o.unobserved = {7};
  EXPECT_FALSE(detect_anomalies(s->values, o).has_value());
}

TEST(BudgetTest, AprilProjectionAndExhaustionMatchTheTruth) {
  COSTOPS_REQUIRE_SHARED_DATA();
  const Series s = load("llm_daily_spend_dev");
  const auto truth = nlohmann::json::parse(testing::read_file(
      testing::shared_path("data/series/llm_daily_spend_dev.truth.json")))["budget_truth"];
  BudgetOptions o;
  o.amount = Decimal::from_int(12000);
  o.as_of = *parse_date("2025-04-16");
  o.period = *resolve_period("2025-04", o.as_of);
  auto st = budget_status(s, o);
  ASSERT_TRUE(st.has_value()) << st.status().to_string();
  EXPECT_EQ(st->spent, *Decimal::parse(truth["mtd_actual_before_holdout"].dump()));
  const double actual = truth["actual_month_total"].get<double>();
  const double projected = st->projected_total.to_double();
  EXPECT_LE(std::abs(projected - actual) / actual, 0.03) << projected;
  ASSERT_TRUE(st->projected_lower && st->projected_upper && st->probability_over);
  EXPECT_LE(st->projected_lower->to_double(), actual);
  EXPECT_GE(st->projected_upper->to_double(), actual);
  ASSERT_TRUE(st->exhaustion_date.has_value());
  const auto want = *parse_date(truth["actual_exhaustion_date"].get<std::string>());
  EXPECT_LE(std::abs((*st->exhaustion_date - want).count()), 1);
  EXPECT_GT(*st->probability_over, 0.9);
  EXPECT_EQ(st->run_rate_total, *Decimal::parse("14429.6625"));  // 7695.82 / 16 * 30
  ASSERT_EQ(st->thresholds_crossed.size(), 3u);
  EXPECT_TRUE(st->thresholds_crossed[0].actual);
  EXPECT_FALSE(st->thresholds_crossed[2].actual);
  // Without a budget the projection is the same; what needs an amount is left unset.
  o.amount = Decimal();
  o.thresholds = {-1};  // not read
  auto projected_only = project_period(s, o);
  ASSERT_TRUE(projected_only.has_value()) << projected_only.status().to_string();
  EXPECT_EQ(projected_only->spent, st->spent);
  EXPECT_EQ(projected_only->projected_total, st->projected_total);
  EXPECT_EQ(projected_only->projected_lower, st->projected_lower);
  EXPECT_EQ(projected_only->projected_upper, st->projected_upper);
  EXPECT_EQ(projected_only->run_rate_total, st->run_rate_total);
  EXPECT_EQ(projected_only->model, st->model);
  EXPECT_FALSE(projected_only->probability_over || projected_only->exhaustion_date ||
               projected_only->exhausted);
  EXPECT_TRUE(projected_only->thresholds_crossed.empty());
  EXPECT_FALSE(budget_status(s, o).has_value());  // a budget needs its amount
}

// A budget of `amount` for the month of `as_of` (YYYY-MM-DD).
BudgetOptions month_budget(int64_t amount, const char* as_of) {
  BudgetOptions o;
  o.amount = Decimal::from_int(amount);
  o.as_of = *parse_date(as_of);
  o.period = *resolve_period("month", o.as_of);
  return o;
}

// `s` with day i's spend cut to `tenths` tenths of it (values and exact values alike).
Series part_of_day(const Series& s, size_t i, int tenths) {
  Series out = s;
  out.values[i] *= tenths / 10.0;
  out.exact[i] = *out.exact[i].mul_div(tenths, 10);
  return out;
}

// Run as of today, the as-of day holds part of a day's spend: fitted as a day it would drag the
// forecast and leave the rest of the day out. With as_of_partial the projection stays within 1%
// of the whole day's (and within 3% of the truth) whether 30% or none of the day is in.
TEST(BudgetTest, ARunningAsOfDayNeitherDragsNorDropsTheProjection) {
  COSTOPS_REQUIRE_SHARED_DATA();
  const Series full = load("llm_daily_spend_dev");
  const auto truth = nlohmann::json::parse(testing::read_file(
      testing::shared_path("data/series/llm_daily_spend_dev.truth.json")))["budget_truth"];
  const double actual = truth["actual_month_total"].get<double>();
  BudgetOptions o = month_budget(12000, "2025-04-16");
  const auto whole = budget_status(full, o);
  ASSERT_TRUE(whole.has_value());
  const double whole_total = whole->projected_total.to_double();
  const size_t today = static_cast<size_t>((o.as_of - full.dates.front()).count());
  for (int tenths : {3, 0}) {
    const Series s = part_of_day(full, today, tenths);
    auto dragged = budget_status(s, o);
    o.as_of_partial = true;
    auto st = budget_status(s, o);
    o.as_of_partial = false;
    ASSERT_TRUE(st.has_value() && dragged.has_value());
    EXPECT_EQ(st->spent, whole->spent - (full.exact[today] - s.exact[today]));
    const double total = st->projected_total.to_double();
    EXPECT_LE(std::abs(total - whole_total) / whole_total, 0.01)
        << tenths << ": " << total << " against " << whole_total;
    EXPECT_LE(std::abs(total - actual) / actual, 0.03) << total;
    EXPECT_GT(std::abs(dragged->projected_total.to_double() - whole_total),
              std::abs(total - whole_total));
    EXPECT_NE(st->reason.find("the as-of day is still running"), std::string::npos);
    ASSERT_TRUE(st->exhaustion_date.has_value());
    EXPECT_LE(std::abs((*st->exhaustion_date - *whole->exhaustion_date).count()), 1);
  }
  // The as-of day as the period's last: only the rest of it is projected.
  o = month_budget(12000, "2025-04-30");
  const size_t last = static_cast<size_t>((o.as_of - full.dates.front()).count());
  o.as_of_partial = true;
  auto end = budget_status(part_of_day(full, last, 5), o);
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->days_remaining, 0);
  EXPECT_GT(end->projected_total, end->spent);
  const double total = end->projected_total.to_double();
  EXPECT_LE(std::abs(total - actual) / actual, 0.01) << total;
}

// Daily spend from 2025-03-01: `before` for `n_before` days, then `after` for `n_after` days, as a
// CSV reads it (exact values).
Series steps(const char* before, int n_before, const char* after, int n_after) {
  std::string csv = "date,value\n";
  for (int i = 0; i < n_before + n_after; ++i) {
    csv += format_date(*parse_date("2025-03-01") + std::chrono::days(i)) + "," +
           (i < n_before ? before : after) + "\n";
  }
  auto s = parse_series_csv(csv, "steps.csv");
  EXPECT_TRUE(s.has_value()) << s.status().to_string();
  return s ? *s : Series{};
}

// What moved: the last 7 days' spend against the 7 before (exact), the projection against the
// one a week earlier, and the parts whose spend changed most, either way, first.
TEST(BudgetTest, ChangeComparesTheLastWeekWithTheOneBeforeAndNamesItsDrivers) {
  const Series a = steps("10", 13, "12.5", 7);
  BudgetOptions o = month_budget(1000, "2025-03-20");
  auto st = budget_status(a, o);
  ASSERT_TRUE(st.has_value()) << st.status().to_string();
  auto c = budget_change(a, o, *st);
  ASSERT_TRUE(c.has_value()) << c.status().to_string();
  EXPECT_EQ(format_date(c->since), "2025-03-13");
  EXPECT_EQ(format_date(c->last_day), "2025-03-20");
  EXPECT_EQ(c->last.to_string(), "87.5");
  EXPECT_EQ(c->previous.to_string(), "70");
  ASSERT_TRUE(c->projected_then && c->projected_change);
  EXPECT_EQ(*c->projected_change, st->projected_total - *c->projected_then);
  EXPECT_GT(*c->projected_change, Decimal());  // spend stepped up
  // Today still running: the windows end at the last whole day.
  o.as_of_partial = true;
  c = budget_change(a, o, *st);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(format_date(c->last_day), "2025-03-19");
  EXPECT_EQ(c->last.to_string(), "85");
  o.as_of_partial = false;
  // A series that starts after the earlier as-of date has no earlier projection.
  const Series late = steps("1", 0, "2", 5);
  auto lst = budget_status(late, month_budget(100, "2025-03-05"));
  ASSERT_TRUE(lst.has_value());
  c = budget_change(late, month_budget(100, "2025-03-05"), *lst);
  ASSERT_TRUE(c.has_value());
  EXPECT_FALSE(c->projected_then || c->projected_change);
  EXPECT_EQ(c->last.to_string(), "10");
  EXPECT_TRUE(c->previous.is_zero());

  c = budget_change(a, o, *st);
  ASSERT_TRUE(c.has_value());
  const std::vector<SpendPart> parts = {
      {"a", a}, {"flat", steps("5", 20, "5", 0)}, {"falling", steps("8", 13, "4", 7)}};
  auto drivers = window_drivers(parts, c->last_day, c->days);
  ASSERT_TRUE(drivers.has_value());
  const auto& top = drivers->top;
  ASSERT_EQ(top.size(), 2u);  // "flat" did not change
  EXPECT_EQ(top[0].name, "falling");
  EXPECT_EQ(top[0].change.to_string(), "-28");
  EXPECT_EQ(top[1].name, "a");
  EXPECT_EQ(top[1].change.to_string(), "17.5");
  EXPECT_EQ(top[0].value.to_string(), "28");  // 7 days of 4 against 7 of 8
  EXPECT_EQ(top[0].baseline.to_string(), "56");
  EXPECT_EQ(drivers->other_parts, 0u);
  EXPECT_TRUE(drivers->others.change.is_zero());
  // Past the limit the rest is summed, so the changes add up to the whole's: the total of the
  // three parts went from 70 + 35 + 56 to 87.5 + 35 + 28, by -10.5.
  auto one = window_drivers(parts, c->last_day, c->days, 1);
  ASSERT_TRUE(one.has_value());
  ASSERT_EQ(one->top.size(), 1u);
  EXPECT_EQ(one->other_parts, 1u);
  EXPECT_EQ(one->others.name, "others");
  EXPECT_EQ(one->others.value.to_string(), "87.5");
  EXPECT_EQ(one->others.baseline.to_string(), "70");
  EXPECT_EQ((one->top[0].change + one->others.change).to_string(), "-10.5");
}

// One day against its usual: each part's spend that day against the median of the same weekday
// over the 4 weeks before (days before a part's first count as no spend), the parts that moved
// the anomaly's way only, the largest change first.
TEST(DriversTest, DayDriversCompareADayWithTheSameWeekdayBefore) {
  const Date day = *parse_date("2025-03-29");  // the 29th of 30 days from 2025-03-01
  auto part = [&](const char* usual, const char* on_day, const char* week_before) {
    std::string csv = "date,value\n";
    for (int i = 0; i < 30; ++i) {
      const Date d = *parse_date("2025-03-01") + std::chrono::days(i);
      csv += format_date(d) + "," +
             (d == day                          ? on_day
              : d == day - std::chrono::days(7) ? week_before
                                                : usual) +
             "\n";
    }
    auto s = parse_series_csv(csv, "part.csv");
    EXPECT_TRUE(s.has_value()) << s.status().to_string();
    return s ? *s : Series{};
  };
  const std::vector<SpendPart> parts = {{"spiked", part("1", "9.5", "1")},
                                        {"flat", part("2", "2", "2")},
                                        {"dropped", part("3", "0.5", "3")},
                                        {"grew", part("1", "2", "1.4")}};
  auto up = day_drivers(parts, day, 7, true);
  ASSERT_TRUE(up.has_value()) << up.status().to_string();
  ASSERT_EQ(up->size(), 2u);
  EXPECT_EQ((*up)[0].name, "spiked");
  EXPECT_EQ((*up)[0].change.to_string(), "8.5");
  EXPECT_EQ((*up)[1].name, "grew");
  EXPECT_EQ((*up)[1].baseline.to_string(), "1");  // the median of 1.4, 1, 1, 1
  auto down = day_drivers(parts, day, 7, false);
  ASSERT_TRUE(down.has_value());
  ASSERT_EQ(down->size(), 1u);
  EXPECT_EQ((*down)[0].name, "dropped");
  EXPECT_EQ((*down)[0].value.to_string(), "0.5");
  EXPECT_EQ((*down)[0].baseline.to_string(), "3");
  EXPECT_EQ(day_drivers(parts, day, 7, true, 1)->size(), 1u);
  // The 22nd has three weeks before it in the series; the fourth counts as no spend, and the
  // median of 0, 1, 1, 1 is the mean of the middle two.
  auto early = day_drivers({{"grew", part("1", "2", "1.4")}}, *parse_date("2025-03-22"), 7, true);
  ASSERT_TRUE(early.has_value());
  ASSERT_EQ(early->size(), 1u);
  EXPECT_EQ((*early)[0].value.to_string(), "1.4");
  EXPECT_EQ((*early)[0].baseline.to_string(), "1");
  // Without a season: the median of the 7 days before.
  auto plain = day_drivers(parts, day, 0, true);
  ASSERT_TRUE(plain.has_value());
  ASSERT_EQ(plain->size(), 2u);
  EXPECT_EQ((*plain)[1].name, "grew");
  EXPECT_EQ((*plain)[1].change.to_string(), "1");
}

TEST(BudgetTest, PeriodsAndErrors) {
  const Date d = *parse_date("2025-05-20");
  EXPECT_EQ(format_date(resolve_period("month", d)->end), "2025-05-31");
  EXPECT_EQ(format_date(resolve_period("quarter", d)->start), "2025-04-01");
  EXPECT_EQ(format_date(resolve_period("2024-Q1", d)->end), "2024-03-31");
  EXPECT_EQ(resolve_period("2025-01-10..2025-01-19", d)->days(), 10);
  EXPECT_EQ(format_date(resolve_period("year", d)->start), "2025-01-01");
  EXPECT_EQ(resolve_period("year", d)->days(), 365);
  EXPECT_EQ(format_date(resolve_period("2024", d)->end), "2024-12-31");
  EXPECT_EQ(resolve_period("2024", d)->days(), 366);
  EXPECT_EQ(resolve_period("2024-02-29", d)->days(), 1);  // a day
  EXPECT_EQ(format_date(resolve_period("2024-02-29", d)->end), "2024-02-29");
  EXPECT_FALSE(resolve_period("2025-02-29", d).has_value());
  EXPECT_FALSE(resolve_period("202", d).has_value());
  EXPECT_FALSE(resolve_period("fortnight", d).has_value());

  auto s = make_series({*parse_date("2025-05-01"), *parse_date("2025-05-02")}, {10, 10});
  ASSERT_TRUE(s.has_value());
  BudgetOptions o = month_budget(1000, "2025-05-02");
  auto st = budget_status(*s, o);
  ASSERT_TRUE(st.has_value()) << st.status().to_string();
  EXPECT_EQ(st->spent, Decimal::from_int(20));
  EXPECT_FALSE(st->exhaustion_date.has_value());  // 10 a day never reaches 1000 in May
  EXPECT_EQ(st->projected_total, Decimal::from_int(310));
  EXPECT_EQ(st->run_rate_total, Decimal::from_int(310));
  o.as_of = *parse_date("2025-06-01");
  EXPECT_FALSE(budget_status(*s, o).has_value());
  o.amount = Decimal();
  EXPECT_FALSE(budget_status(*s, o).has_value());

  // One day of spend says nothing about how the next days vary: a projection, no interval, no
  // probability (they were [155, 155] and 100%).
  auto one = make_series({*parse_date("2025-01-01")}, {5});
  ASSERT_TRUE(one.has_value());
  st = budget_status(*one, month_budget(100, "2025-01-01"));
  ASSERT_TRUE(st.has_value()) << st.status().to_string();
  EXPECT_EQ(st->projected_total, Decimal::from_int(155));
  EXPECT_FALSE(st->projected_lower || st->projected_upper || st->probability_over);

  // Spend beyond money's range (about 1.7e14) is an error saying which sum went past it (the
  // days' sum's overflow was lost, and the run rate's reported as a multiplication's).
  auto huge = make_series({*parse_date("2025-01-01"), *parse_date("2025-01-02"),
                           *parse_date("2025-01-03"), *parse_date("2025-01-04")},
                          {5e13, 5e13, 5e13, 5e13});
  ASSERT_TRUE(huge.has_value());
  st = budget_status(*huge, month_budget(100, "2025-01-04"));
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.status().message(), "the period's spend overflows");
  st = budget_status(*huge, month_budget(100, "2025-01-03"));
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.status().message(), "the period's run-rate projection overflows");
}

// A fit with no error variance (one value; a line through two) forecasts without bounds; one
// value more gives them.
TEST(ForecastTest, NoIntervalWithoutAnErrorVariance) {
  const double levels[] = {0.8, 0.95};
  const std::vector<double> one = {5}, two = {5, 7}, three = {5, 7, 6};
  auto naive = select_model(one, AutoOptions{});
  ASSERT_TRUE(naive.has_value());
  EXPECT_FALSE(has_error_variance(naive->fit));
  EXPECT_TRUE(forecast(naive->fit, 3, levels)[0].bounds.empty());
  FitOptions lo;
  lo.model = ModelKind::kLinear;
  auto line = fit(two, lo);
  ASSERT_TRUE(line.has_value());
  EXPECT_FALSE(has_error_variance(*line));
  EXPECT_TRUE(forecast(*line, 3, levels)[2].bounds.empty());
  line = fit(three, lo);
  ASSERT_TRUE(line.has_value());
  EXPECT_TRUE(has_error_variance(*line));
  EXPECT_EQ(forecast(*line, 3, levels)[2].bounds.size(), 2u);
  // A constant series has an error variance: zero.
  const std::vector<double> flat = {4, 4, 4, 4};
  auto same = select_model(flat, AutoOptions{});
  ASSERT_TRUE(same.has_value());
  EXPECT_TRUE(has_error_variance(same->fit));
  EXPECT_EQ(forecast(same->fit, 1, levels)[0].bounds[1], std::make_pair(4.0, 4.0));
}

// Net spend below zero (credits larger than usage) is projected like any series; the interval
// holds the projection (it was clamped at the spend so far, which is a floor only for spend
// that is never negative).
TEST(BudgetTest, NegativeSpendKeepsTheIntervalAroundTheProjection) {
  std::vector<Date> dates;
  std::vector<double> values;
  for (int i = 0; i < 40; ++i) {
    dates.push_back(*parse_date("2025-01-01") + std::chrono::days(i));
    values.push_back(-100 + 10 * std::sin(i));
  }
  auto s = make_series(dates, values);
  ASSERT_TRUE(s.has_value());
  auto st = budget_status(*s, month_budget(1000, "2025-02-05"));
  ASSERT_TRUE(st.has_value()) << st.status().to_string();
  EXPECT_LT(st->spent, Decimal());
  ASSERT_TRUE(st->projected_lower && st->projected_upper);
  EXPECT_LT(*st->projected_lower, st->projected_total);
  EXPECT_GT(*st->projected_upper, st->projected_total);
  EXPECT_LT(st->projected_total, st->spent);  // more credit to come
  EXPECT_FALSE(st->exhaustion_date.has_value());
}

}  // namespace
}  // namespace costops::forecasting

namespace costops::forecasting {
namespace {

// The decompositions' medians (a branch-free quickselect, also after a first partition around a
// pivot) equal std::nth_element's on every size, with ties, sorted and reversed input.
TEST(MedianTest, QuickselectEqualsNthElement) {
  std::mt19937_64 rng(11);
  for (size_t n = 1; n <= 130; ++n) {
    for (int shape = 0; shape < 4; ++shape) {
      std::vector<double> v(n);
      for (size_t i = 0; i < n; ++i) {
        const double x = std::normal_distribution<double>()(rng);
        v[i] = shape == 0 ? x : shape == 1 ? std::round(x * 2) : static_cast<double>(i);
      }
      if (shape == 3) std::reverse(v.begin(), v.end());
      std::vector<double> ref = v;
      std::nth_element(ref.begin(), ref.begin() + static_cast<std::ptrdiff_t>(n / 2), ref.end());
      double want = ref[n / 2];
      if (n % 2 == 0)
        want = (*std::max_element(ref.begin(), ref.begin() + static_cast<std::ptrdiff_t>(n / 2)) +
                want) /
               2;
      std::vector<double> w = v;
      EXPECT_EQ(detail::median_inplace(v), want) << "n " << n << " shape " << shape;
      // Partitioned first around a pivot: far below and above the median, and at the values a
      // few places either side of it (the split then falls near the middle).
      std::vector<double> sorted = w;
      std::sort(sorted.begin(), sorted.end());
      std::vector<double> pivots = {-10.0, want, want + 0.3, 1e9};
      for (size_t r = n / 2 >= 5 ? n / 2 - 5 : 0; r < std::min(n, n / 2 + 6); ++r)
        pivots.push_back(sorted[r]);
      for (double pivot : pivots) {
        std::vector<double> g = w;
        const auto mid = std::partition(g.begin(), g.end(), [&](double x) { return x < pivot; });
        const auto split = static_cast<size_t>(mid - g.begin());
        EXPECT_EQ(detail::median_split(g, split), want) << "n " << n << " pivot " << pivot;
      }
    }
  }
}

// The generalized ESD as first written (copying the values left at each step and taking their
// median, MAD and biweight scale afresh, and the t quantile's critical value): the detector's
// sorted-range version must flag exactly the same points.
std::vector<size_t> reference_esd(const std::vector<double>& r, double alpha, size_t k_max) {
  const size_t n = r.size();
  std::vector<size_t> alive(n), removed;
  std::iota(alive.begin(), alive.end(), 0);
  size_t count = 0;
  for (size_t i = 1; i <= k_max && alive.size() > 2; ++i) {
    std::vector<double> vals;
    for (size_t j : alive) vals.push_back(r[j]);
    const double med = detail::median(vals);
    std::vector<double> dev;
    for (double v : vals) dev.push_back(std::abs(v - med));
    double s = 1.4826 * detail::median(dev);
    if (s <= 0)
      s = 1.2533 * std::accumulate(dev.begin(), dev.end(), 0.0) / static_cast<double>(vals.size());
    if (!(s > 0)) break;
    double num = 0, den = 0;
    for (double v : vals) {
      const double u = (v - med) / (9 * s / 1.4826);
      if (std::abs(u) >= 1) continue;
      num += (v - med) * (v - med) * std::pow(1 - u * u, 4);
      den += (1 - u * u) * (1 - 5 * u * u);
    }
    if (num > 0) s = std::sqrt(static_cast<double>(vals.size()) * num) / std::abs(den);
    size_t arg = 0;
    double best = -1;
    for (size_t a = 0; a < alive.size(); ++a) {
      const double z = std::abs(r[alive[a]] - med) / s;
      if (z > best) best = z, arg = a;
    }
    const double nn = static_cast<double>(n), ii = static_cast<double>(i);
    const double t = detail::t_quantile(1 - alpha / (2 * (nn - ii + 1)), nn - ii - 1);
    const double lambda = t * std::sqrt((nn - ii + 1) / (nn - ii));
    removed.push_back(alive[arg]);
    alive.erase(alive.begin() + static_cast<std::ptrdiff_t>(arg));
    if (best > lambda) count = i;
  }
  std::vector<size_t> flagged(removed.begin(),
                              removed.begin() + static_cast<std::ptrdiff_t>(count));
  std::sort(flagged.begin(), flagged.end());
  return flagged;
}

TEST(AnomalyTest, SeasonalEsdFlagsWhatTheReferenceFlags) {
  std::mt19937_64 rng(5);
  size_t flagged_total = 0;
  for (int series = 0; series < 300; ++series) {
    const size_t n = 20 + rng() % 150;
    std::vector<double> y(n);
    const bool ties = series % 3 == 0;  // small integer counts: many equal remainders
    for (size_t i = 0; i < n; ++i) {
      double v = 100 + 20 * std::sin(static_cast<double>(i % 7)) +
                 std::normal_distribution<double>(0, 5)(rng);
      if (rng() % 15 == 0) v *= 1 + static_cast<double>(rng() % 4);  // spikes, some large
      y[i] = ties ? std::round(v / 10) : v;
    }
    AnomalyOptions o;
    o.method = AnomalyMethod::kSeasonal;
    o.season = 7;
    o.threshold = series % 2 == 0 ? 0.05 : 0.01;
    o.max_anomalies = series % 4 == 0 ? 0.3 : 0.1;
    const auto d = detail::decompose(y, 7);
    const auto want = reference_esd(d.remainder, *o.threshold,
                                    std::max<size_t>(1, static_cast<size_t>(o.max_anomalies * n)));
    const auto got = detect_anomalies(y, o);
    ASSERT_TRUE(got.has_value());
    std::vector<size_t> idx;
    for (const auto& a : *got) idx.push_back(a.index);
    EXPECT_EQ(idx, want) << "series " << series;
    flagged_total += idx.size();
  }
  EXPECT_GT(flagged_total, 300u);  // the comparison is not vacuous
}

}  // namespace
}  // namespace costops::forecasting
