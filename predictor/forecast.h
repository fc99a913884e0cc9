// Forecast: one usage series projected over a horizon, with the model chosen by
// backtest, honest 80%/95% bands, and the time a threshold is crossed.
//
// ForecastSeries() runs the whole method:
//   1. the series goes on a regular grid (ToRegularGrid; long series are aggregated to at
//      most max_points points, gaps are filled and counted);
//   2. level shifts (clean-ups) are detected and undone for level series, so a periodic
//      deletion does not flatten the growth (DetectLevelShifts);
//   3. daily or weekly seasonality is detected (DetectSeasonality);
//   4. every model is backtested on rolling origins (RunBacktest); the candidate with the
//      lowest mean MASE is chosen; predict_linear and seasonal naive are scored on the
//      same folds for comparison;
//   5. the chosen model is refitted on the whole history and projected to the search
//      limit, with bands from its backtest errors (CalibrateIntervals).
// Results carry warnings and a low_confidence flag instead of failing when the data is
// thin (few points or folds, many filled points, a horizon far beyond the history); only
// an unusable series (fewer than 10 grid points) is an error.
//
// Pure and thread-safe; cost is dominated by the backtest: about folds x 220 passes over
// at most max_points points (under 0.2 s for 10,000 points).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "generator/util/status.h"
#include "predictor/backtest.h"
#include "predictor/decompose.h"
#include "predictor/models.h"
#include "predictor/series.h"
#include "predictor/config.h"

namespace sfsg {

enum class LevelShiftMode { kAuto, kOn, kOff };  // auto: on for used_bytes, files, capacity

struct ForecastOptions {
  double horizon_s = config::kHorizonSeconds;
  double search_s = 0;  // how far to look for threshold crossings; 0: max(4 x horizon, 1 y)
  size_t folds = 10;    // backtest origins (fewer when the series is short)
  double backtest_horizon_s = 0;  // lead time scored per fold; 0: min(horizon, history / 4)
  size_t max_points = 10000;      // grid size before aggregation; 0: never aggregate
  double linear_window_s = 0;     // predict_linear's window; 0: the backtest horizon
  LevelShiftMode level_shifts = LevelShiftMode::kAuto;
  uint64_t seed = 1;
  std::vector<ModelKind> candidates = {ModelKind::kLinear, ModelKind::kTheilSen,
                                       ModelKind::kDampedHolt, ModelKind::kHoltWinters};
};

struct ModelScore {
  ModelKind model = ModelKind::kLinear;
  bool candidate = false;  // eligible for choice (predict_linear and seasonal naive are not)
  bool applies = false;    // could be fitted on every fold
  double mase = 0, smape = 0;
  double coverage80 = 0, coverage95 = 0;  // out of sample; 0 with fewer than 3 folds
};

struct BacktestSummary {
  size_t folds = 0;
  size_t horizon_steps = 0;
  std::vector<ModelScore> scores;  // every model in kAllModels order
};

// A forecast value with its bands.
struct Band {
  double expected = 0, lower80 = 0, upper80 = 0, lower95 = 0, upper95 = 0;
};

struct ShiftEvent {
  double time_s = 0;
  double size = 0;  // negative: a drop
};

struct ForecastResult {
  std::string column, unit;
  SeriesQuality quality;
  RegularGrid grid;  // the history as modelled (before level-shift removal)
  Seasonality seasonality;
  std::vector<ShiftEvent> level_shifts;
  ModelKind model = ModelKind::kLinear;
  ModelFit fit;
  IntervalModel intervals;
  BacktestSummary backtest;
  double origin_s = 0;    // time of the last grid point
  double last_value = 0;  // its value
  double horizon_s = 0;
  std::vector<Band> path;  // path[i] at origin_s + (i + 1) * grid.step_s, to the search limit
  bool low_confidence = false;
  std::vector<std::string> warnings;

  // The band at a time after origin_s (interpolated; clamped to the path's end).
  Band At(double time_s) const;
  // The largest band values (field by field) over (origin_s, time_s]: peaks for demand.
  Band PeakUntil(double time_s) const;
};

Result<ForecastResult> ForecastSeries(const Series& series, const ForecastOptions& options);

// When the forecast first reaches `threshold` (rising): the upper 95% band gives the
// earliest time, the expected path the expected time, the lower 95% band the latest.
// Unset: not reached within the search limit. already: the last value is at or above it.
struct Crossing {
  bool already = false;
  std::optional<double> earliest_s, expected_s, latest_s;
};
Crossing TimeToThreshold(const ForecastResult& forecast, double threshold);

}  // namespace sfsg
