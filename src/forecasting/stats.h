// Small statistics helpers shared by the forecasting module (private).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "costops/domain/status.h"

namespace costops::forecasting::detail {

/// Inverse of the standard normal CDF (Acklam's rational approximation, refined by one Halley
/// step; |error| < 1e-12). REQUIRES: 0 < p < 1.
double normal_quantile(double p);
/// Standard normal CDF.
double normal_cdf(double x);
/// Student's t CDF with `df` > 0 degrees of freedom (the regularized incomplete beta function).
double t_cdf(double t, double df);
/// Quantile of Student's t with `df` degrees of freedom: a Cornish-Fisher expansion from 20 df,
/// bisection of t_cdf below; the normal quantile when df <= 0.
double t_quantile(double p, double df);
/// Median (copies). 0 for an empty span.
double median(std::span<const double> v);
/// Median of a scratch buffer, reordering it (no copy). 0 when empty.
double median_inplace(std::vector<double>& v);
/// The median of v when v[0, split) are all below v[split, n): v partitioned around a pivot near
/// the median (e.g. the last of a rolling median), for which it is cheaper than median_inplace.
/// Reorders v. 0 when empty.
double median_split(std::span<double> v, size_t split);
/// The median of n sorted values, the i-th smallest being at(i) (0 when n is 0): the middle one,
/// or the mean of the middle two, as median_inplace computes it.
template <typename At>
double median_of_sorted(size_t n, const At& at) {
  if (n == 0) return 0;
  return n % 2 == 1 ? at(n / 2) : (at(n / 2 - 1) + at(n / 2)) / 2;
}
/// The largest magnitude of a value the module forecasts: squares of larger ones (sums of squared
/// errors, variances) leave double's range.
inline constexpr double kMaxValue = 1e100;
/// What is wrong with `v` as a value to forecast ("not a finite number", "1e+300: beyond ..."),
/// or "" when nothing is.
std::string bad_value(double v);
/// Ok when every value of y can be forecast, else an error naming what the first bad one is.
Status check_values(std::span<const double> y);
/// Sample quantile with linear interpolation (type 7, numpy's default), q in [0, 1].
double quantile(std::span<const double> v, double q);

}  // namespace costops::forecasting::detail
