#include "costops/forecasting/anomalies.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "forecasting/decompose.h"
#include "forecasting/stats.h"

namespace costops::forecasting {
namespace {

using detail::median;
using detail::median_inplace;
using detail::quantile;

constexpr double kMadScale = 1.4826;
// The mean absolute deviation times this estimates sigma (sqrt(pi / 2)); the scale used when
// more than half the deviations are zero.
constexpr double kMeanAbsScale = 1.2533;

// The 2*half+1 points around i: centered, shifted inward at the ends (not truncated), so edge
// estimates rest on as many points as inner ones; the slope correction handles the asymmetry.
std::pair<size_t, size_t> window(size_t i, size_t n, size_t half) {
  const size_t len = std::min(n, 2 * half + 1);
  const size_t lo = std::min(i >= half ? i - half : 0, n - len);
  return {lo, lo + len};
}

double median_sorted(std::span<const double> s) {
  return detail::median_of_sorted(s.size(), [&](size_t i) { return s[i]; });
}

// For each point, the median slope over its centered window (truncated at the ends), from
// lag-`lag` differences of `raw`: a whole season apart, so seasonality cancels. The windows only
// move right, so the differences in the current one are kept sorted and updated as it moves.
std::vector<double> window_slopes(std::span<const double> raw, size_t half, size_t lag) {
  const size_t n = raw.size();
  std::vector<double> out(n), sorted;
  auto diff = [&](size_t j) { return (raw[j + lag] - raw[j]) / static_cast<double>(lag); };
  size_t in_lo = 0, in_hi = 0;  // the differences j in [in_lo, in_hi) are in `sorted`
  for (size_t i = 0; i < n; ++i) {
    const auto [lo, hi] = window(i, n, half);
    const size_t dhi = hi > lag ? std::max(lo, hi - lag) : lo;  // j + lag < hi
    if (lo >= in_hi) {
      sorted.clear();
      in_lo = in_hi = lo;
    }
    for (; in_lo < lo; ++in_lo) {
      sorted.erase(std::lower_bound(sorted.begin(), sorted.end(), diff(in_lo)));
    }
    for (; in_hi < dhi; ++in_hi) {
      const double d = diff(in_hi);
      sorted.insert(std::upper_bound(sorted.begin(), sorted.end(), d), d);
    }
    out[i] = median_sorted(sorted);
  }
  return out;
}

// A robust local-linear trend: for each point, the median over its centered window of the values
// moved along the window's slope. Unlike a plain rolling median it does not flatten a trend where
// the window is truncated.
std::vector<double> robust_trend(std::span<const double> v, std::span<const double> slope,
                                 size_t half, bool leave_out_self = false) {
  const size_t n = v.size();
  std::vector<double> out(n), w;
  for (size_t i = 0; i < n; ++i) {
    const auto [lo, hi] = window(i, n, half);
    const size_t len = hi - lo - (leave_out_self ? 1 : 0);
    w.resize(len);
    // The moved values go below or above the last median as they are written, without a branch:
    // each is written to the next free place at the front and at the back, and the wrong one of
    // the two is overwritten later (they are the same place for the last value).
    const double guess = i == 0 ? 0.0 : out[i - 1];
    size_t below = 0, above = 0;
    for (size_t j = lo; j < hi; ++j) {
      if (leave_out_self && j == i) continue;
      const double x = v[j] - slope[i] * (static_cast<double>(j) - static_cast<double>(i));
      w[below] = x;
      w[len - 1 - above] = x;
      const size_t is_below = x < guess ? 1 : 0;
      below += is_below;
      above += 1 - is_below;
    }
    out[i] = i == 0 ? median_inplace(w) : detail::median_split(w, below);
  }
  return out;
}

}  // namespace

namespace detail {

double Decomposition::seasonal_strength() const {
  const size_t n = remainder.size();
  if (n < 2) return 0;
  auto var = [&](bool with_season) {
    double mean = 0, sq = 0;
    for (size_t i = 0; i < n; ++i) mean += remainder[i] + (with_season ? seasonal[i] : 0.0);
    mean /= static_cast<double>(n);
    for (size_t i = 0; i < n; ++i) {
      const double v = remainder[i] + (with_season ? seasonal[i] : 0.0) - mean;
      sq += v * v;
    }
    return sq;
  };
  const double total = var(true);
  return total > 0 ? std::max(0.0, 1 - var(false) / total) : 0.0;
}

double Decomposition::step_scale() const {
  std::vector<double> steps;
  const size_t n = baseline.size();
  for (size_t i = 1; i < n; ++i) {
    if (exact[i] || exact[i - 1]) continue;
    steps.push_back(std::abs(deseasonalized(i) - deseasonalized(i - 1)));
  }
  return steps.empty() ? 0.0 : median_inplace(steps) * kMadScale / std::sqrt(2.0);
}

double Decomposition::step_at(size_t i, const std::vector<bool>& skip) const {
  const size_t n = baseline.size();
  auto usable = [&](size_t j) { return !exact[j] && !skip[j]; };
  double out = 0;
  size_t j = i;
  while (j > 0 && !usable(j - 1)) --j;
  if (j > 0) out = std::abs(deseasonalized(i) - deseasonalized(j - 1));
  j = i + 1;
  while (j < n && !usable(j)) ++j;
  if (j < n) out = std::max(out, std::abs(deseasonalized(i) - deseasonalized(j)));
  return out;
}

// The median of value(i) over each phase p < m (i = p, p + m, ...; i < n).
template <typename Value>
std::vector<double> phase_medians(size_t m, size_t n, Value value) {
  std::vector<double> out(m), bucket;
  for (size_t p = 0; p < m; ++p) {
    bucket.clear();
    for (size_t i = p; i < n; i += m) bucket.push_back(value(i));
    out[p] = median_inplace(bucket);
  }
  return out;
}

// Robust decomposition: a first robust trend of the raw values gives the per-phase median season;
// the final trend is taken from the deseasonalized values, and each point's baseline (trend and
// season) leaves the point itself out.
Decomposition decompose(std::span<const double> y, int season) {
  Decomposition d;
  const size_t n = y.size();
  const size_t m =
      season >= 2 && n >= 2 * static_cast<size_t>(season) ? static_cast<size_t>(season) : 0;
  // Phases whose median value is zero (no spend at weekends) expect zero: their zeros follow no
  // trend, which the trend of the other days would give them in logs.
  std::vector<bool> off(m, false);
  size_t stray_zeros = 0;  // zeros on the other phases
  size_t on = n;           // the points of the other phases
  const auto zeros = static_cast<size_t>(std::count(y.begin(), y.end(), 0.0));
  const bool any_zero = zeros != 0;
  if (any_zero) {
    const auto med = phase_medians(m, n, [&](size_t i) { return y[i]; });
    for (size_t p = 0; p < m; ++p) off[p] = med[p] == 0;
    on = 0;
    for (size_t i = 0; i < n; ++i) {
      const bool off_phase = m != 0 && off[i % m];
      on += off_phase ? 0 : 1;
      stray_zeros += y[i] == 0 && !off_phase ? 1 : 0;
    }
  }
  // Logs when no value is negative and zeros are either a phase's rule or rare enough on the
  // other phases (at most 10% of their days) to be anomalies: then logs shifted by 1% of the
  // median positive value, so a season that scales with the level still has a place for them.
  // Spend that is often zero without a pattern (intermittent: a weekday with spend one week in
  // two) stays on its own scale, where zeros are ordinary.
  const bool nonnegative = std::all_of(y.begin(), y.end(), [](double v) { return v >= 0; });
  d.logs = nonnegative && static_cast<double>(stray_zeros) <= 0.1 * static_cast<double>(on);
  d.intermittent = nonnegative && 2 * zeros > n;
  std::vector<double> w(y.begin(), y.end());
  if (d.logs) {
    if (any_zero) {
      std::vector<double> pos;
      for (double v : y) {
        if (v > 0) pos.push_back(v);
      }
      d.shift = pos.empty() ? 1.0 : 0.01 * median_inplace(pos);
    }
    for (double& v : w) v = std::log(v + d.shift);
  }
  const size_t half = std::max<size_t>(2 * m, 3);
  std::vector<double> seas(n, 0.0);
  // The local slopes come from differences a season apart, which no seasonal estimate changes.
  const std::vector<double> slopes = window_slopes(w, half, m ? m : half);
  if (m != 0) {
    const std::vector<double> trend = robust_trend(w, slopes, half);
    const auto phase_med = phase_medians(m, n, [&](size_t i) { return w[i] - trend[i]; });
    const double center =
        std::accumulate(phase_med.begin(), phase_med.end(), 0.0) / static_cast<double>(m);
    for (size_t i = 0; i < n; ++i) seas[i] = phase_med[i % m] - center;
  }
  d.seasonal = seas;
  // Each point's baseline leaves the point itself out (of its trend window and of its phase), so
  // a spike cannot pull its own expected value, and the remainders' spread is not shrunk by the
  // fit: their MAD estimates the noise without the downward bias of in-sample medians.
  std::vector<double> des(n);
  for (size_t i = 0; i < n; ++i) des[i] = w[i] - seas[i];
  const std::vector<double> trend_out = robust_trend(des, slopes, half, /*leave_out_self=*/true);
  std::vector<double> seas_out(n, 0.0);
  if (m != 0) {
    // Each phase's values sorted once: the median without one of them is read off directly.
    std::vector<std::vector<double>> phase(m);
    double center = 0;
    for (size_t p = 0; p < m; ++p) {
      for (size_t i = p; i < n; i += m) phase[p].push_back(w[i] - trend_out[i]);
      std::sort(phase[p].begin(), phase[p].end());
      center += median_sorted(phase[p]);
    }
    center /= static_cast<double>(m);
    for (size_t i = 0; i < n; ++i) {
      const std::vector<double>& s = phase[i % m];
      const size_t r = static_cast<size_t>(
          std::lower_bound(s.begin(), s.end(), w[i] - trend_out[i]) - s.begin());
      const size_t k = s.size() - 1;                             // values left
      auto at = [&](size_t t) { return s[t < r ? t : t + 1]; };  // t-th smallest of those
      seas_out[i] = detail::median_of_sorted(k, at) - center;
    }
  }
  d.baseline.resize(n);
  d.remainder.resize(n);
  const double zero = d.shift > 0 ? std::log(d.shift) : 0.0;
  d.exact.assign(n, false);
  for (size_t i = 0; i < n; ++i) {
    const bool expect_zero = d.shift > 0 && m != 0 && off[i % m];
    d.baseline[i] = expect_zero ? zero : trend_out[i] + seas_out[i];
    d.remainder[i] = w[i] - d.baseline[i];
    d.exact[i] = expect_zero && y[i] == 0;
  }
  return d;
}

}  // namespace detail

namespace {

double robust_scale(std::span<const double> v, double center) {
  std::vector<double> dev(v.size());
  for (size_t i = 0; i < v.size(); ++i) dev[i] = std::abs(v[i] - center);
  double s = kMadScale * median(dev);
  if (s <= 0) {
    // More than half the deviations are zero: fall back to the mean absolute deviation.
    s = kMeanAbsScale * std::accumulate(dev.begin(), dev.end(), 0.0) /
        static_cast<double>(v.size());
  }
  return s;
}

// The biweight midvariance (Mosteller and Tukey 1977) of `v` as an sd: around their median
// `med`, with weights from their scaled MAD `mad_sd` (> 0; points beyond 9 MADs weigh nothing,
// without a branch). `mad_sd` itself when no point off the median has weight.
double biweight_scale(std::span<const double> v, double med, double mad_sd) {
  const double inv_c = kMadScale / (9 * mad_sd);
  double num = 0, den = 0;
  for (double y : v) {
    const double x = y - med, u = x * inv_c;
    const double w = std::max(0.0, 1 - u * u);
    num += x * x * (w * w) * (w * w);
    den += w * (1 - 5 * u * u);
  }
  const double s = std::sqrt(static_cast<double>(v.size()) * num) / std::abs(den);
  return num > 0 && std::isfinite(s) ? s : mad_sd;
}

Severity grade(double ratio) {
  return ratio < 1.5 ? Severity::kLow : ratio < 3 ? Severity::kMedium : Severity::kHigh;
}

}  // namespace

std::string_view anomaly_method_name(AnomalyMethod m) {
  switch (m) {
    case AnomalyMethod::kZScore:
      return "zscore";
    case AnomalyMethod::kMad:
      return "mad";
    case AnomalyMethod::kIqr:
      return "iqr";
    case AnomalyMethod::kSeasonal:
      return "seasonal";
  }
  return "seasonal";
}

Result<AnomalyMethod> parse_anomaly_method(std::string_view name) {
  for (auto m : {AnomalyMethod::kZScore, AnomalyMethod::kMad, AnomalyMethod::kIqr,
                 AnomalyMethod::kSeasonal}) {
    if (anomaly_method_name(m) == name) return m;
  }
  return invalid_argument("unknown anomaly method \"" + std::string(name) +
                          "\"; valid: zscore, mad, iqr, seasonal");
}

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::kLow:
      return "low";
    case Severity::kMedium:
      return "medium";
    case Severity::kHigh:
      return "high";
  }
  return "low";
}

Result<std::vector<Anomaly>> detect_anomalies(std::span<const double> y, const AnomalyOptions& o) {
  return detail::detect_anomalies(y, o, nullptr);
}

namespace detail {

Result<std::vector<Anomaly>> detect_anomalies(std::span<const double> y, const AnomalyOptions& o,
                                              const Decomposition* given) {
  if (o.threshold && !(*o.threshold > 0)) return invalid_argument("threshold must be > 0");
  if (o.method == AnomalyMethod::kSeasonal && o.threshold && *o.threshold >= 1) {
    return invalid_argument("the seasonal detector's threshold is a significance level in (0, 1)");
  }
  if (!(o.max_anomalies > 0 && o.max_anomalies < 0.5)) {
    return invalid_argument("max anomalies must be a fraction in (0, 0.5)");
  }
  if (o.min_deviation < 0) return invalid_argument("minimum deviation must be >= 0");
  COSTOPS_RETURN_IF_ERROR(detail::check_values(y));
  std::vector<Anomaly> out;
  const size_t n = y.size();
  std::vector<bool> observed(n, true);
  for (size_t i : o.unobserved) {
    if (i >= n) return invalid_argument("an unobserved index is beyond the series");
    observed[i] = false;
  }
  // The observed values: the centers and scales are theirs.
  std::vector<double> obs;
  for (size_t i = 0; i < n; ++i) {
    if (observed[i]) obs.push_back(y[i]);
  }
  if (obs.size() < 3) return out;
  const size_t no = obs.size();

  std::vector<double> expected(n), score(n, 0.0);
  std::vector<bool> flagged(n, false);
  double threshold = 0;
  switch (o.method) {
    case AnomalyMethod::kZScore:
    case AnomalyMethod::kMad: {
      // The same test around a center and a scale: mean and sd, or median and scaled MAD.
      const bool robust = o.method == AnomalyMethod::kMad;
      threshold = o.threshold.value_or(robust ? 3.5 : 3.0);
      double center = 0, scale = 0;
      if (robust) {
        center = median(obs);
        scale = robust_scale(obs, center);
      } else {
        center = std::accumulate(obs.begin(), obs.end(), 0.0) / static_cast<double>(no);
        for (double v : obs) scale += (v - center) * (v - center);
        scale = std::sqrt(scale / static_cast<double>(no - 1));
      }
      for (size_t i = 0; i < n; ++i) {
        expected[i] = center;
        score[i] = scale > 0 ? std::abs(y[i] - center) / scale : 0.0;
        flagged[i] = score[i] > threshold;
      }
      break;
    }
    case AnomalyMethod::kIqr: {
      threshold = o.threshold.value_or(1.5);
      const double q1 = quantile(obs, 0.25), q3 = quantile(obs, 0.75), iqr = q3 - q1;
      const double lo = q1 - threshold * iqr, hi = q3 + threshold * iqr;
      const double med = median(obs);
      for (size_t i = 0; i < n; ++i) {
        expected[i] = med;
        const double beyond = y[i] > hi ? y[i] - hi : y[i] < lo ? lo - y[i] : 0.0;
        score[i] = iqr > 0 ? beyond / iqr : 0.0;
        flagged[i] = y[i] > hi || y[i] < lo;
      }
      // Graded against one IQR beyond the fence.
      threshold = 1.0;
      for (size_t i = 0; i < n; ++i) {
        if (flagged[i]) score[i] = std::max(score[i], 1e-9);
      }
      break;
    }
    case AnomalyMethod::kSeasonal: {
      const double alpha = o.threshold.value_or(0.01);
      Decomposition computed;
      if (!given) computed = decompose(y, o.season);
      const Decomposition& d = given ? *given : computed;
      // Intermittent spend: the days with spend, by how far each is from their median (a day's
      // spend far above the usual one stands out; a day without is ordinary). Too sparse for a
      // trend or a season: the usual spend of a day with spend is that median.
      std::vector<double> sizes;
      double usual = 0;
      if (d.intermittent) {
        std::vector<double> spend;
        for (size_t i = 0; i < n; ++i) {
          if (observed[i] && y[i] > 0) spend.push_back(y[i]);
        }
        if (spend.size() < 3) break;  // too few to test: none
        usual = median(spend);
        sizes.assign(n, 0.0);
        for (size_t i = 0; i < n; ++i) sizes[i] = y[i] - usual;
      }
      const auto& r = d.intermittent ? sizes : d.remainder;
      // The points to test: not the zeros of a phase that expects zero (exactly as expected,
      // they say nothing of the noise, and their zero remainders would shrink its scale), nor
      // the unobserved values (on a line between their neighbours: the same); of intermittent
      // spend, the days with spend.
      std::vector<bool> test(n);
      for (size_t i = 0; i < n; ++i) {
        test[i] = observed[i] && (d.intermittent ? y[i] > 0 : !d.exact[i]);
      }
      std::vector<size_t> order;  // sorted below by remainder, then index
      std::vector<double> tested;
      for (size_t i = 0; i < n; ++i) {
        if (test[i]) order.push_back(i), tested.push_back(r[i]);
      }
      const size_t nt = order.size();
      if (nt < 3) break;  // too few to test: none
      const double center = median(tested);
      const double scale = robust_scale(tested, center);
      for (size_t i : order) score[i] = scale > 0 ? std::abs(r[i] - center) / scale : 0.0;
      // Generalized ESD (Rosner 1983) with robust statistics in place of mean and sd, so spikes
      // beyond max_anomalies cannot mask the others: the median, and the biweight scale started
      // from the MAD. Each step removes the value farthest from the median, which is at one end
      // of the values left, so those stay a range of the sorted remainders: the median is read
      // off, and the MAD is the median of the deviations, which grow outward from the median on
      // both sides.
      const size_t k_max = std::max<size_t>(1, static_cast<size_t>(o.max_anomalies * nt));
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return r[a] < r[b]; });
      std::vector<double> vals(nt);  // r[order[k]], kept alongside order: read in place
      for (size_t k = 0; k < nt; ++k) vals[k] = r[order[k]];
      std::vector<bool> gone(n, false);
      size_t lo = 0, hi = nt;  // the values left: order[lo, hi)
      std::vector<size_t> removed;
      size_t count = 0;
      for (size_t i = 1; i <= k_max && hi - lo > 2; ++i) {
        const size_t left = hi - lo;
        auto val = [&](size_t k) { return vals[lo + k]; };
        const double med = detail::median_of_sorted(left, val);
        // The deviations in increasing order, merged from both sides of the median.
        size_t down = static_cast<size_t>(
            std::lower_bound(vals.begin() + static_cast<std::ptrdiff_t>(lo),
                             vals.begin() + static_cast<std::ptrdiff_t>(hi), med) -
            vals.begin());  // first value >= med
        size_t up = down;
        double dev_lo = 0, dev_hi = 0;
        for (size_t k = 0; k <= left / 2; ++k) {
          const bool take_up =
              up < hi && (down == lo || std::abs(vals[up] - med) <= std::abs(vals[down - 1] - med));
          const double dv = take_up ? std::abs(vals[up++] - med) : std::abs(vals[--down] - med);
          if (k + 1 == left / 2) dev_lo = dv;
          if (k == left / 2) dev_hi = dv;
        }
        double s = kMadScale * (left % 2 == 1 ? dev_hi : (dev_lo + dev_hi) / 2);
        if (s <= 0) {
          // As robust_scale: the mean absolute deviation, summed in index order.
          double sum = 0;
          for (size_t j = 0; j < n; ++j) {
            if (!gone[j] && test[j]) sum += std::abs(r[j] - med);
          }
          s = kMeanAbsScale * sum / static_cast<double>(left);
        }
        if (!(s > 0)) break;
        // The MAD alone is only 37% efficient on Gaussian noise, and its own noise makes the test
        // flag pure noise too often; the biweight midvariance (87% efficient, as robust as the
        // MAD) does not.
        s = biweight_scale(std::span<const double>(vals).subspan(lo, left), med, s);
        // The largest score, and among equal scores the first index: scores fall from each end.
        const double best = std::max(std::abs(val(0) - med) / s, std::abs(val(left - 1) - med) / s);
        size_t pick = hi;  // position in order
        for (size_t k = lo; k < hi && std::abs(vals[k] - med) / s == best; ++k) {
          if (pick == hi || order[k] < order[pick]) pick = k;
        }
        for (size_t k = hi; k > lo && std::abs(vals[k - 1] - med) / s == best; --k) {
          if (pick == hi || order[k - 1] < order[pick]) pick = k - 1;
        }
        const double nn = static_cast<double>(nt);
        const double ii = static_cast<double>(i);
        const double p = 1 - alpha / (2 * (nn - ii + 1));
        const double t = detail::t_quantile(p, nn - ii - 1);
        // Rosner's critical value is for the value's deviation in units of an sd that includes
        // it; the median and a robust scale hardly move with the value, so the deviation here is
        // in units of the others' spread: the t quantile's own scale, t * sqrt(N / (N - 1)) for
        // N values left (Rosner's lambda is the same bound, converted to the inclusive sd).
        const double lambda = t * std::sqrt((nn - ii + 1) / (nn - ii));
        removed.push_back(order[pick]);
        gone[order[pick]] = true;
        // Out of the range, keeping the rest sorted (in both arrays).
        const auto at = [](auto& v, size_t k) {
          return v.begin() + static_cast<std::ptrdiff_t>(k);
        };
        if (pick - lo < hi - 1 - pick) {
          std::rotate(at(order, lo), at(order, pick), at(order, pick + 1));
          std::rotate(at(vals, lo), at(vals, pick), at(vals, pick + 1));
          ++lo;
        } else {
          std::rotate(at(order, pick), at(order, pick + 1), at(order, hi));
          std::rotate(at(vals, pick), at(vals, pick + 1), at(vals, hi));
          --hi;
        }
        if (best > lambda) count = i;
      }
      for (size_t i = 0; i < count; ++i) {
        const size_t j = removed[i];
        flagged[j] = true;
        // Only where reported.
        expected[j] = d.intermittent ? usual
                      : d.logs       ? std::max(0.0, std::exp(d.baseline[j]) - d.shift)
                                     : d.baseline[j];
      }
      threshold = 3.0;
      break;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (!flagged[i] || !observed[i]) continue;
    const double dev = y[i] - expected[i];
    if (std::abs(dev) < o.min_deviation) continue;
    if (o.direction == Direction::kUp && dev <= 0) continue;
    if (o.direction == Direction::kDown && dev >= 0) continue;
    out.push_back({i, y[i], expected[i], score[i], grade(score[i] / threshold)});
  }
  return out;
}

}  // namespace detail
}  // namespace costops::forecasting
