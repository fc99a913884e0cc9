// Forecasting models on an evenly spaced series: the candidates the backtest chooses from.
//
// Each model is fitted to a training window y[0..n) and forecasts y[n..n+steps). They are
// pure functions of their inputs (Theil–Sen samples pairs with a seeded SplitMix stream),
// thread-safe, and O(n) apart from the parameter search of the smoothing models, which
// runs a fixed grid of O(n) passes (about 100). Nothing here allocates more than O(n).
//
// References: Theil (1950) and Sen (1968) for the median-of-slopes line; Assimakopoulos &
// Nikolopoulos (2000) and Hyndman & Billah (2003) for Theta; Gardner & McKenzie (1985) for
// damped trend smoothing and Hurvich & Tsai (1989) for AICc; Holt (1957) and Winters (1960) for
// additive seasonal smoothing, in the error-correction form of Hyndman et al.,
// "Forecasting with Exponential Smoothing" (2008), ch. 2.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "generator/util/status.h"

namespace sfsg {

enum class ModelKind {
  kDrift,           // the line from the first to the last point, from the last point
  kNaive,           // the last value
  kSeasonalNaive,   // the value one season earlier (the last value when season is 1)
  kLinear,          // least-squares line over the whole history (+ seasonal indices),
                    // moved by the median residual of the last k = clamp(n/10, 3, season or 24)
                    // points: the forecast starts from the recent level
  kRecentLinear,    // least-squares slope since the growth rate last changed (a two-segment
                    // fit's break, so over at least the recent third; over at least
                    // min_recent_window), from the last point; with a season and no
                    // min_recent_window, plus the season's profile from the last level
  kCompound,        // growth at a constant rate: recent_linear's window on the logarithms,
                    // from the recent level as kLinear (the season a factor); for a positive
                    // series with a positive rate, else recent_linear itself
  kTheilSen,        // median of pairwise slopes (+ seasonal indices): robust to bursts;
                    // from the recent level as kLinear
  kTheta,           // Theta method: exponential smoothing plus half the line's slope
  kEts,             // exponential smoothing, trend none / additive / damped, by AICc
  kHoltWinters,     // level + trend + additive season exponential smoothing
  kDailyWeekly,     // last level + hour-of-day and day-of-week profiles together
  kCombination,     // mean of the three best candidates' forecasts (see forecast.h)
  kPredictLinear,   // Prometheus predict_linear: least squares over a trailing window
  kRecentMedian,    // flat at the median of the last tenth (3-24 points): robust to bursts
  kSeasonalMedian,  // per phase of the season, the median of the last 2-4 seasons
};

inline constexpr ModelKind kAllModels[] = {
    ModelKind::kDrift,         ModelKind::kNaive,        ModelKind::kSeasonalNaive,
    ModelKind::kLinear,        ModelKind::kRecentLinear, ModelKind::kCompound,
    ModelKind::kTheilSen,      ModelKind::kTheta,        ModelKind::kEts,
    ModelKind::kHoltWinters,   ModelKind::kDailyWeekly,  ModelKind::kCombination,
    ModelKind::kPredictLinear, ModelKind::kRecentMedian, ModelKind::kSeasonalMedian};

// The simple baselines a chosen model must not lose to.
inline constexpr ModelKind kBaselineModels[] = {
    ModelKind::kDrift, ModelKind::kNaive, ModelKind::kSeasonalNaive, ModelKind::kPredictLinear};
bool IsBaseline(ModelKind kind);

// "drift", "naive", "seasonal_naive", "linear", "recent_linear", "compound", "theil_sen",
// "theta", "ets", "holt_winters", "daily_weekly", "combination", "predict_linear",
// "recent_median", "seasonal_median".
std::string_view ModelName(ModelKind kind);

struct ModelOptions {
  size_t season = 1;         // period in steps; 1 = none
  size_t linear_window = 0;  // predict_linear's window in steps; 0 = whole training set
  double step_s = 0;         // the grid step (kDailyWeekly needs whole steps per day)
  uint64_t seed = 1;         // Theil–Sen pair sampling
  // recent_linear fits over at least this many steps (at most the training set): the
  // planning horizon when the backtest cannot score that far ahead (see forecast.h).
  size_t min_recent_window = 0;
};

// What a fit found, for reports. Unused fields stay 0.
struct ModelFit {
  double level = 0;  // at the last training point
  double slope = 0;  // per step, at the last training point
  double alpha = 0, beta = 0, gamma = 0, phi = 0;
  std::string form;  // kEts: "none", "additive" or "damped" (the trend AICc chose)
};

// True when the model can be fitted to n points with these options (Holt–Winters needs
// two full seasons and season > 1; kDailyWeekly two weeks of a grid that divides a day;
// kCombination is never fitted here; the others need 3 points).
bool ModelApplies(ModelKind kind, size_t n, const ModelOptions& options);

// Fits `kind` to train and returns the forecasts for the next `steps` points.
// REQUIRES: ModelApplies(kind, train.size(), options). Output is finite for finite input.
std::vector<double> FitAndForecast(ModelKind kind, std::span<const double> train, size_t steps,
                                   const ModelOptions& options, ModelFit* fit = nullptr);

// A least-squares line through y (at x = 0, 1, ...): its slope per step, the standard
// deviation of its residuals, and their lag-1 autocorrelation (zeros below 3 points).
struct LineNoise {
  double slope = 0, residual_sd = 0, lag1 = 0;
};
LineNoise FitLineNoise(std::span<const double> y);

// The standard error of a least-squares slope over n evenly spaced points with residuals
// of this sd, inflated by (1 + rho) / (1 - rho) for their lag-1 autocorrelation rho
// (clamped to [0, 0.95]: a daily cycle in the residuals counts as correlated noise).
double SlopeStderr(const LineNoise& noise, size_t n);

// How far a history curves upward beyond its noise: the quadratic coefficient of a least-
// squares fit (to the history less its season's profile when season > 1 and it spans two
// seasons) over its standard error, inflated for lag-1 autocorrelated residuals (rho up to
// 0.999). Positive: accelerating growth. 0 under 8 points. `steps`: the indices of modelled
// level steps, each fitted with the curve as a step of its own.
double CurvatureStderrs(std::span<const double> y, size_t season,
                        std::span<const size_t> steps = {});

// Whether growth at a constant rate (a line of the logarithms) describes the history (less
// its season's profile, as above) at least as well as two lines with a break between a
// tenth and two thirds of it, by BIC (n ln SSE + k ln n; 2 parameters against 5: two lines
// and where they break): accelerating growth that compounds, not a line that steepened
// once. False for a series not all positive or under 20 points.
bool CurveOverTwoLines(std::span<const double> y, size_t season);

}  // namespace sfsg
