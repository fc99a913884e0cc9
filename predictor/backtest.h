// Rolling-origin backtests and the prediction intervals calibrated from them.
//
// A backtest refits every model on y[0..o) for several origins o spread over the whole
// series (from the shortest training window to the last origin with a full test window)
// and compares its next `horizon` forecasts with the series as observed
// (Tashman, "Out-of-sample tests of forecasting accuracy", IJF 2000). Errors are scored
// with MASE, scaled by the in-sample mean absolute error of the seasonal naive forecast
// (Hyndman & Koehler, IJF 2006) on the longest training window (one scale for every fold
// and model), and sMAPE.
//
// Intervals: the root-mean-square error at each lead time h, smoothed over neighbouring
// lead times and made non-decreasing, is the scale sigma(h); beyond the backtest's lead
// times it grows by the power law h^a fitted to the second half of the curve (a in
// [0, 1.5]: flat for a well-specified trend, sqrt(h) for a random walk, h for a drifting
// slope). Errors divided by sigma(h) are pooled; their empirical 2.5/10/90/97.5%
// quantiles, widened to at least the symmetric quantiles of their magnitude (errors of
// overlapping folds share a sign, which would otherwise skew the band) and by a Student-t
// factor for the number of independent folds, times sigma(h) give the 95% and 80% bands.
// Coverage is checked out of sample: fold k's bands are calibrated on the other folds.
//
// Pure functions, thread-safe. Cost: folds x (sum of the models' fitting costs).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "predictor/decompose.h"
#include "predictor/models.h"

namespace sfsg {

struct BacktestSetup {
  size_t horizon = 1;     // lead times scored per fold
  size_t folds = 10;      // at most; fewer when the series is short
  size_t min_train = 10;  // shortest training window
  // Steps in level (see decompose.h). At each origin the lasting steps before it are
  // modelled (taken out of the training window, which keeps its last value); a fold whose
  // test window holds a lasting step, or whose training ends within 3 points after one,
  // is left out: a one-off event is not forecastable, and the forecast is conditional on
  // none happening. predict_linear sees the training window as observed (as Prometheus
  // would); retention drops stay in every window.
  std::vector<LevelShift> shifts;
  ModelOptions model;
};

// Where the origins fall: up to `folds` evenly spread over the allowed ones. Empty when
// the series is too short for min_train + horizon or every origin is left out.
std::vector<size_t> FoldOrigins(size_t n, const BacktestSetup& setup);

struct ModelErrors {
  ModelKind model = ModelKind::kLinear;
  bool applies = false;                     // false: not fitted (e.g. no season)
  std::vector<std::vector<double>> errors;  // [fold][h]: actual - forecast
  std::vector<std::vector<double>> actual;  // [fold][h]
  std::vector<size_t> origins;              // [fold]
  std::vector<double> mase;                 // per fold
  std::vector<double> scale;                // per fold: the MASE denominator (one value)
  std::vector<double> smape;                // per fold, percent
};

// Runs the backtest of each model over FoldOrigins(y.size(), setup).
std::vector<ModelErrors> RunBacktest(std::span<const double> y, const BacktestSetup& setup,
                                     std::span<const ModelKind> models);

struct IntervalModel {
  std::vector<double> scale;  // sigma(h) for h = 1..scale.size(), smoothed and non-decreasing
  double exponent = 0.5;      // growth beyond: sigma(h) = scale.back() (h / H)^exponent
  double q025 = -1.96, q10 = -1.2816, q90 = 1.2816, q975 = 1.96;  // standardised errors
  double extra_sigma = 0;  // added in quadrature at every lead time (e.g. a step's error)
  // Added in quadrature at lead h (index h - 1; the last entry beyond): what a step's size
  // error does to the path through the model's fit (a slope bent by a misplaced level).
  std::vector<double> extra_by_lead;
  // Beyond the lead scored (scale.size()), the growth rate's own standard error per step:
  // (h - H) x rate_sigma added in quadrature. The backtest sees at most H steps of a
  // misjudged rate; its error grows with the lead, faster than the noise's sqrt(h).
  double rate_sigma = 0;
  size_t samples = 0;
};

// Calibrates from a model's backtest errors, leaving out fold `skip` (or none when skip
// is out of range).
IntervalModel CalibrateIntervals(const ModelErrors& errors, size_t skip = static_cast<size_t>(-1));

// sigma(h) for lead time h >= 1 (with extra_sigma added in quadrature).
double IntervalScale(const IntervalModel& model, size_t h);

// Out-of-sample coverage of the 80% and 95% bands: fold k judged by bands calibrated on
// the other folds (with more than kCoverageGroups folds, on the folds outside its group
// of every kCoverageGroups-th fold). Returns {0, 0} with fewer than 3 folds.
inline constexpr size_t kCoverageGroups = 10;
struct Coverage {
  double inside80 = 0, inside95 = 0;
};
Coverage CheckCoverage(const ModelErrors& errors);

}  // namespace sfsg
