// The robust seasonal decomposition behind the seasonal anomaly detector, shared with model
// selection (private to the forecasting module).
#pragma once

#include <span>
#include <vector>

#include "costops/forecasting/anomalies.h"

namespace costops::forecasting::detail {

struct Decomposition {
  bool logs = false;              // decomposed log values (every value > 0)
  std::vector<double> seasonal;   // on the working scale; zeros without a season
  std::vector<double> baseline;   // trend + season, on the working scale
  std::vector<double> remainder;  // working value - baseline
  /// Strength of the season (Wang, Smith & Hyndman 2006): max(0, 1 - var(R) / var(S + R)).
  double seasonal_strength() const;
};

/// Robust local-linear trend and per-phase median season, on logs when every value is positive.
/// Seasons need two full cycles; with fewer (or season < 2) the season is zero.
Decomposition decompose(std::span<const double> y, int season);

/// detect_anomalies with the seasonal decomposition already computed (for kSeasonal; null:
/// computed here).
Result<std::vector<Anomaly>> detect_anomalies(std::span<const double> y,
                                              const AnomalyOptions& options,
                                              const Decomposition* decomposition);

}  // namespace costops::forecasting::detail
