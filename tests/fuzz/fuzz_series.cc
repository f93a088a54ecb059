// Fuzz target: any bytes as a date,value CSV, read as `cost-ops forecast --series`, `anomalies
// --series` and `budget status --series` read it, then forecast (automatic selection and each
// model), searched for anomalies (each method) and evaluated as a budget. The first byte picks
// the season (0..13) and whether the values are cleaned. The same bytes as a CSV of exchange
// rates (--rates), through which amounts are converted between the currencies it names.
// Checks: no crash, no sanitizer report, and no forecast, bound or score that is NaN or
// infinite.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "costops/domain/decimal.h"
#include "costops/engine/exchange.h"
#include "costops/forecasting/anomalies.h"
#include "costops/forecasting/budget.h"
#include "costops/forecasting/forecast.h"
#include "costops/forecasting/series.h"

using namespace costops;
using namespace costops::forecasting;

namespace {

void check_finite(double v) {
  if (!std::isfinite(v)) std::abort();
}

void check_forecast(const FittedModel& m, int h) {
  const double levels[] = {0.8, 0.95};
  for (const auto& p : forecast(m, h, levels)) {
    check_finite(p.value);
    for (const auto& [lower, upper] : p.bounds) {
      check_finite(lower);
      check_finite(upper);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int season = data[0] % 14;
  const bool clean = (data[0] / 14) % 2 == 1;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (auto rates = engine::ExchangeRates::parse(text, "rates.csv")) {
    const char* codes[] = {"EUR", "USD", "GBP", "JPY"};
    const auto day = std::chrono::sys_days(std::chrono::days(20'000 + data[0] * 40));
    for (const char* from : codes) {
      for (const char* to : codes) {
        (void)rates->convert(*Decimal::parse("123456.789"), *Currency::parse(from),
                             *Currency::parse(to), day);
      }
    }
  }
  auto series = parse_series_csv(text, "fuzz.csv");
  if (!series) return 0;
  const auto& y = series->values;
  const int h = std::max(1, season);

  AutoOptions ao;
  ao.season = season;
  ao.horizon = h;
  ao.clean_anomalies = clean;
  if (auto sel = select_model(y, ao)) {
    check_forecast(sel->fit, h);
    if (sel->fit.aicc) check_finite(*sel->fit.aicc);
  }
  for (ModelKind k : all_models()) {
    FitOptions fo;
    fo.model = k;
    fo.season = season;
    if (auto f = fit(y, fo)) check_forecast(*f, h);
  }
  for (auto method : {AnomalyMethod::kZScore, AnomalyMethod::kMad, AnomalyMethod::kIqr,
                      AnomalyMethod::kSeasonal}) {
    AnomalyOptions opt;
    opt.method = method;
    opt.season = season;
    opt.unobserved = series->filled;
    if (auto found = detect_anomalies(y, opt)) {
      for (const auto& a : *found) {
        check_finite(a.expected);
        check_finite(a.score);
      }
    }
  }
  if (series->frequency == Frequency::kDaily) {
    BudgetOptions bo;
    bo.amount = Decimal::from_int(1000);
    bo.as_of = series->dates[series->size() / 2];
    if (auto period = resolve_period("month", bo.as_of)) {
      bo.period = *period;
      (void)budget_status(*series, bo);
    }
  }
  return 0;
}
