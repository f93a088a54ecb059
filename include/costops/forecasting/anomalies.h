// Anomaly detection on a regular series: z-score, robust z (median/MAD), IQR fences, and a
// seasonal detector in the manner of Seasonal Hybrid ESD (Hochenbaum, Vallis, Kejariwal 2017).
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "costops/domain/status.h"

namespace costops::forecasting {

enum class AnomalyMethod {
  kZScore,    // |x - mean| / sd > threshold (default 3)
  kMad,       // |x - median| / (1.4826 MAD) > threshold (default 3.5, Iglewicz-Hoaglin)
  kIqr,       // outside [Q1 - k IQR, Q3 + k IQR], k = threshold (default 1.5)
  kSeasonal,  // seasonal + trend decomposition, then generalized ESD on the robust remainder
              // (median and biweight scale; critical values for a deviation from the others)
};

/// "zscore", "mad", "iqr", "seasonal".
std::string_view anomaly_method_name(AnomalyMethod m);
Result<AnomalyMethod> parse_anomaly_method(std::string_view name);

enum class Direction { kBoth, kUp, kDown };

struct AnomalyOptions {
  AnomalyMethod method = AnomalyMethod::kSeasonal;
  /// Season length for kSeasonal (0 or 1: trend only).
  int season = 7;
  /// Method threshold; unset uses the method's default (above). For kSeasonal it is the ESD
  /// significance level alpha (default 0.01: a clean series raises a false alarm in about 1 of 100
  /// series; the usual 0.05 flags ordinary noise too often for alerting).
  std::optional<double> threshold;
  /// kSeasonal: at most this fraction of the points can be anomalies (default 0.1, max 0.49).
  double max_anomalies = 0.1;
  /// Ignore deviations smaller than this (in the series' unit, e.g. dollars).
  double min_deviation = 0;
  Direction direction = Direction::kBoth;
  /// Indexes of values that were not observed (gaps filled, Series::filled): never reported, and
  /// left out of the centers and scales, which values on a line between their neighbours would
  /// shrink. Errors (kInvalidArgument) for an index beyond the series.
  std::vector<size_t> unobserved;
};

enum class Severity { kLow, kMedium, kHigh };
/// "low", "medium", "high".
std::string_view severity_name(Severity s);

/// One anomalous point. `score` is in the method's unit (z, robust z, IQRs beyond the fence);
/// severity grades score / threshold: < 1.5 low, < 3 medium, else high (for kSeasonal the
/// robust z of the remainder graded against 3).
struct Anomaly {
  size_t index = 0;
  double value = 0;
  double expected = 0;
  double score = 0;
  Severity severity = Severity::kLow;
};

/// Finds anomalies in `y`, oldest first, in index order. kSeasonal decomposes in logs when no
/// value is negative (seasons that scale with the level; with zero values, log(value + 1% of the
/// median positive value), unless zeros are common outside the phases that are mostly zero,
/// where they are ordinary) and needs at least two seasons; with
/// fewer it falls back to trend only. Errors (kInvalidArgument) for options out of range.
/// Fewer than 3 observed values: no anomalies.
Result<std::vector<Anomaly>> detect_anomalies(std::span<const double> y,
                                              const AnomalyOptions& options);

}  // namespace costops::forecasting
