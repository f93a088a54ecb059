// The robust seasonal decomposition behind the seasonal anomaly detector, shared with model
// selection (private to the forecasting module).
#pragma once

#include <span>
#include <vector>

#include "costops/forecasting/anomalies.h"

namespace costops::forecasting::detail {

struct Decomposition {
  bool logs = false;              // decomposed log(value + shift) (see decompose)
  double shift = 0;               // 0 unless some value is 0: 1% of the median positive value
  std::vector<double> seasonal;   // on the working scale; zeros without a season
  std::vector<double> baseline;   // trend + season, on the working scale
  std::vector<double> remainder;  // working value - baseline
  std::vector<bool> exact;        // a zero on a phase whose median is zero: expected, not tested
  // No value is negative and most are zero (spend on fewer than half the days): the seasonal
  // detector tests the sizes of the positive values instead (a day without spend is ordinary).
  bool intermittent = false;
  /// The working value without its season.
  double deseasonalized(size_t i) const { return baseline[i] + remainder[i] - seasonal[i]; }
  /// Strength of the season (Wang, Smith & Hyndman 2006): max(0, 1 - var(R) / var(S + R)).
  double seasonal_strength() const;
  /// How far the deseasonalized working series moves in one step, as a noise sd: the median
  /// absolute one-step change times 1.4826 / sqrt(2), which is sigma for white noise (and larger
  /// when a trend moves the series). Steps to or from an expected zero are left out.
  double step_scale() const;
  /// The larger absolute change of the deseasonalized working series from point i to its
  /// nearest neighbour on either side that is neither an expected zero nor `skip`ped (other
  /// anomalies: a burst of several days stands out from the days around it); 0 without one.
  double step_at(size_t i, const std::vector<bool>& skip) const;
};

/// Robust local-linear trend and per-phase median season, on logs when no value is negative and
/// zeros fill whole phases or are at most 10% of the other days (then shifted); a phase whose
/// median is zero expects zero.
/// Seasons need two full cycles; with fewer (or season < 2) the season is zero.
Decomposition decompose(std::span<const double> y, int season);

/// detect_anomalies with the seasonal decomposition already computed (for kSeasonal; null:
/// computed here).
Result<std::vector<Anomaly>> detect_anomalies(std::span<const double> y,
                                              const AnomalyOptions& options,
                                              const Decomposition* decomposition);

}  // namespace costops::forecasting::detail
