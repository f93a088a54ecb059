// Forecasting models (baselines, exponential smoothing, Holt-Winters), automatic selection,
// prediction intervals and accuracy metrics. Computes in double (see CONVENTIONS: money is
// converted at the edge); every output is finite.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "costops/domain/status.h"

namespace costops::forecasting {

/// The models. Exponential smoothing follows Hyndman & Athanasopoulos, "Forecasting: Principles
/// and Practice" (component form), which is also statsmodels' ExponentialSmoothing:
///   level    l_t = a (y_t - s_{t-m}) + (1 - a)(l_{t-1} + p b_{t-1})      (additive season)
///   trend    b_t = b* (l_t - l_{t-1}) + (1 - b*) p b_{t-1}
///   season   s_t = g (y_t - l_{t-1} - p b_{t-1}) + (1 - g) s_{t-m}
/// with y_t / s_{t-m} and y_t / (l_{t-1} + p b_{t-1}) for multiplicative seasons, p = 1 unless
/// damped, and the initial states l_0, b_0, s_0..s_{m-1} standing before the first value.
enum class ModelKind {
  kNaive,          // last value
  kSeasonalNaive,  // value one season ago
  kMovingAverage,  // mean of the last `window` values
  kLinear,         // OLS line over time
  kLinearSeason,   // OLS line plus an effect per phase of the season (seasonal dummies)
  /// The same on ln y: exponential growth times seasonal factors. Forecasts are the mean,
  /// exp(line + effect + sigma^2 / 2), the half-variance of the log residuals in the intercept.
  kLogLinearSeason,
  kSes,          // simple exponential smoothing
  kHolt,         // additive trend
  kHoltDamped,   // damped additive trend
  kSeasonalAdd,  // level + additive season (no trend)
  kSeasonalMul,  // level x multiplicative season (no trend)
  kHwAdd,        // Holt-Winters, additive season
  kHwMul,        // Holt-Winters, multiplicative season
  kHwAddDamped,  // Holt-Winters, damped trend, additive season
  kHwMulDamped,  // Holt-Winters, damped trend, multiplicative season
};

/// "naive", "seasonal-naive", "moving-average", "linear", "linear-season", "log-linear-season",
/// "ses", "holt", "holt-damped",
/// "seasonal-add", "seasonal-mul", "hw-add", "hw-mul", "hw-add-damped", "hw-mul-damped".
std::string_view model_name(ModelKind k);
/// The inverse of model_name. Errors (kInvalidArgument) list the valid names.
Result<ModelKind> parse_model(std::string_view name);
/// All models, in the order above.
std::span<const ModelKind> all_models();
bool is_seasonal(ModelKind k);
bool is_exponential_smoothing(ModelKind k);
/// Whether n values hold the two full seasons (of length season >= 2) seasonal smoothing needs.
bool holds_two_seasons(size_t n, int season);

/// A model's parameters. Unset fields do not apply to the model (or, when passed to fit(), are
/// estimated). Smoothing parameters are bounded like statsmodels: 0 <= alpha <= 1,
/// 0 <= beta <= alpha, 0 <= gamma <= 1 - alpha, 0.8 <= phi <= 0.995.
struct ModelParams {
  std::optional<double> alpha, beta, gamma, phi;
  std::optional<double> initial_level, initial_trend;
  std::vector<double> initial_seasonal;    // m values, or empty
  std::optional<int> window;               // moving average
  std::optional<double> intercept, slope;  // linear (time index 0 is the first value)
  /// linear-season and log-linear-season: the m seasonal effects (summing to 0), the first for
  /// the phase of the first value; added to intercept + slope t (on ln y for the log model).
  std::vector<double> seasonal;
};

/// Where exponential smoothing's initial states come from.
enum class Initialization {
  /// Estimated with the smoothing parameters by minimizing SSE (the lowest SSE; the default).
  kEstimated,
  /// Hyndman et al. (2008) section 2.6.1: a moving-average decomposition of the first seasons
  /// and a line through the first 10 values, held fixed while the smoothing parameters are
  /// fitted (statsmodels' "heuristic"). Needs 10 + 2 (m / 2) values for seasonal models.
  kHeuristic,
};

/// How to fit.
struct FitOptions {
  ModelKind model = ModelKind::kHwAdd;
  /// Season length m (0 or 1: none). Seasonal models need at least 2m values.
  int season = 0;
  /// Parameters to hold fixed; everything left unset is estimated by minimizing the in-sample
  /// sum of squared one-step errors (SSE). With every parameter set, nothing is estimated and
  /// fit() evaluates the model as given.
  ModelParams fixed;
  Initialization initialization = Initialization::kEstimated;
};

/// A fitted model: parameters, in-sample fit and the state to forecast from.
struct FittedModel {
  ModelKind model = ModelKind::kNaive;
  int season = 0;
  ModelParams params;
  std::vector<double> fitted;  // one-step-ahead predictions, one per input value
  double sse = 0;              // sum of squared one-step errors
  int n_params = 0;            // estimated parameters, counted as statsmodels does
  /// n ln(SSE/e) + 2k + 2(k+2)(k+3)/(n-k-3) (statsmodels' definition, e = n for exponential
  /// smoothing; for the baselines, e counts the values that have a one-step error, n - m for
  /// seasonal naive); unset when n <= k+3 or SSE is 0.
  std::optional<double> aicc;
  double sigma2 = 0;  // residual variance (relative errors for multiplicative seasons)
  /// What forecast() and sum_variance() multiply the closed-form variances by: 1, or as
  /// select_model sets it, the mean ratio of its backtest's squared errors to those variances
  /// when that is above 1, plus the plausible models' disagreement per unit of those variances.
  double variance_scale = 1;

  // Forecast state (internal to forecast()).
  double level = 0, trend = 0;
  std::vector<double> season_state;  // s for the next m periods, in order
  std::vector<double> history;       // the values fitted (naive, seasonal naive, moving average)
};

/// Whether `model` has the parameters `fixed` sets (the smoothing parameters alpha, beta,
/// gamma, phi): kInvalidArgument naming the first one it has not ("gamma does not apply to ses
/// (no season)"). fit() checks this first; a command line can check it before reading data.
Status check_fixed(ModelKind model, const ModelParams& fixed);

/// Fits `model` to `y` (oldest first). Errors (kInvalidArgument) when the data cannot support
/// the model: too few values (seasonal models need 2m, others 1-3), multiplicative seasons with
/// values <= 0, or fixed parameters outside their bounds.
Result<FittedModel> fit(std::span<const double> y, const FitOptions& options);

/// One forecast step: the point forecast and, per requested level, [lower, upper].
struct ForecastPoint {
  double value = 0;
  double variance = 0;  // of the h-step forecast error
  /// (lower, upper) per requested level; empty when the fit has no error variance
  /// (has_error_variance).
  std::vector<std::pair<double, double>> bounds;
};

/// The degrees of freedom of the residual variance (sigma2 divides by them): the values with a
/// one-step error less the estimated parameters, at least 1.
double residual_df(const FittedModel& m);

/// Whether the fit's errors say anything about its forecasts' spread: false when no value had a
/// one-step error (naive on a single value), or the fit is exact because it has as many
/// parameters as errors (a line through two points). Forecasts from such a fit have no interval.
bool has_error_variance(const FittedModel& m);

/// Forecasts `h` steps ahead with prediction intervals at each level (e.g. 0.8, 0.95): Student's
/// t quantiles with residual_df degrees of freedom (the normal's, for long series) times the
/// forecast error's sd.
/// Variances use the model's closed form (Hyndman et al. 2008, class 1) for additive models;
/// for multiplicative seasons they are the same form applied to relative errors (an approximation).
/// The lines add the variance of their least-squares estimate at that time (log-linear-season's
/// as relative errors too).
/// When the fitted history has no negative value (spend), values and bounds are floored at zero.
/// Without an error variance (has_error_variance), points have no bounds.
std::vector<ForecastPoint> forecast(const FittedModel& m, int h, std::span<const double> levels);

/// Variance of the sum of the next `h` forecast errors (the errors are correlated through the
/// states), for totals such as projected month-end spend.
double sum_variance(const FittedModel& m, int h);

/// Accuracy of `forecast` against `actual` (same length). sMAPE and MAPE in percent (sMAPE as in
/// M4: 200/h * sum |a-f| / (|a|+|f|)); MASE scaled by the in-sample MAE of the seasonal naive
/// forecast of `train` at lag `season` (lag 1 when season <= 1), as in M4. MAPE is unset when an
/// actual is 0, MASE when the scale is 0 or train is too short.
struct Accuracy {
  double mae = 0, rmse = 0, smape = 0;
  std::optional<double> mape, mase;
};
Accuracy accuracy(std::span<const double> actual, std::span<const double> forecast,
                  std::span<const double> train, int season);

/// Options for automatic selection.
struct AutoOptions {
  int season = 0;   // 0 or 1: non-seasonal
  int horizon = 0;  // the horizon the forecast is for (backtests use it); 0: the season, or 1
  /// Before fitting, replace the values the seasonal anomaly detector flags with a robust z of
  /// at least 5 by their expected values, so one-day spikes do not drag the level and trend
  /// (Selection::cleaned lists them). Models are fitted to, and forecast from, the cleaned series.
  bool clean_anomalies = true;
  /// Heuristic by default: held-out accuracy on real series is better than with SSE-optimal
  /// initial states, which overfit the first seasons.
  Initialization initialization = Initialization::kHeuristic;
  /// Models to choose from; empty: every model the data supports but linear-season (an additive
  /// season on a growing level, which daily spend mostly is not, won selections it then lost on
  /// held-out series; log-linear-season is a candidate).
  std::vector<ModelKind> candidates;
};

/// How one candidate scored.
struct CandidateScore {
  ModelKind model = ModelKind::kNaive;
  double sse = 0;
  std::optional<double> aicc;
  double backtest_mae = 0;  // mean absolute error of rolling-origin forecasts
  /// The AICc selection compares: `aicc`'s form with k the parameters the fit estimated (with
  /// heuristic initial states, only the smoothing parameters). Unset as `aicc` is.
  std::optional<double> selection_aicc;
  /// selection_aicc within 10 of the lowest, and not an undamped trend whose damped model is
  /// too: in the running for the pool.
  bool plausible = false;
};

struct Selection {
  FittedModel fit;     // fitted on the (cleaned) values
  std::string reason;  // why this model, in a sentence or two
  std::vector<CandidateScore> candidates;
  std::vector<size_t> cleaned;       // indexes replaced before fitting
  std::vector<double> cleaned_with;  // their replacement values
};

/// The cleaning select_model does before fitting (AutoOptions::clean_anomalies), for fitting a
/// named model the same way: the values the seasonal detector (season `season`, 0: trend only)
/// flags with a robust z of at least 5 are replaced in `y` by their expected values. Returns
/// each index replaced with the value put there. Fewer than 8 values, or a non-finite one: none.
std::vector<std::pair<size_t, double>> clean_anomalies(std::vector<double>& y, int season);

/// Fits every candidate and scores each by its rolling-origin backtest error: from each origin in
/// the last two horizons of the series, forecast `horizon` steps with the candidate's fitted
/// parameters and compare with what followed (in-sample SSE when the series is too short). The
/// plausible candidates are those whose selection AICc (CandidateScore::selection_aicc) is within
/// 10 of the lowest (all of them when no model has one; a perfect fit outranks any), less an
/// undamped trend (holt, hw-add, hw-mul) whose damped model is among them. The better
/// half of those by score (rounded up) forms a pool; the choice is the pool member whose
/// `horizon`-step forecast is closest (sum of absolute differences) to the pool's median forecast,
/// step by step, ties to the better score. One score ranks candidates noisily; the consensus of the
/// good ones forecasts better on held-out series, and the AICc keeps out models the one-step errors
/// rule out (a level model on a smooth trend whose backtest window holds a turn). The chosen
/// model is the fit that was scored (with estimated initial states, an exponential smoothing
/// model is then refit with the full optimizer). Its prediction intervals are
/// widened to its own backtest errors when the closed-form variances are narrower than those
/// (FittedModel::variance_scale; they are never narrowed); a series too short to backtest is
/// compared from every origin after its first season (at least 3 values). They are widened too by
/// the mean squared difference of the plausible models' forecasts from the chosen one's (each
/// taken as equally likely: the uncertainty of the choice). Constant series choose
/// the naive model. Errors (kInvalidArgument) when `y` is empty or a requested candidate cannot be
/// fitted.
Result<Selection> select_model(std::span<const double> y, const AutoOptions& options);

}  // namespace costops::forecasting
