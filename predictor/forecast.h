// Forecast: one usage series projected over a horizon, with the model chosen by
// backtest, honest 80%/95% bands, and the time a threshold is crossed.
//
// ForecastSeries() runs the whole method:
//   1. the series goes on a regular grid (ToRegularGrid; long series are aggregated to at
//      most max_points points, gaps are filled and counted);
//   2. steps in level are found and told apart (DetectLevelShifts: clean-up, import,
//      migration, retention) and the user's declared events added; the lasting ones are
//      modelled as interventions (a step that persists), retention stays in the series;
//   3. daily or weekly seasonality is detected (DetectSeasonality);
//   4. every model is backtested on the series as observed, at lead times up to the
//      planning horizon (or a third of the history when that is shorter; recent_linear's
//      slope then rests on at least the horizon's worth of history, since a lead that
//      short cannot validate a shorter window), on origins
//      spread over the whole history (RunBacktest), with one MASE scale for every fold
//      and model; the mean of the three best candidates (without predict_linear when the
//      lead is shorter than the horizon) is scored as one more; the
//      candidate with the lowest mean MASE is chosen (of equal ones, the one with fewer
//      parameters: naive, seasonal naive, drift, then the rest in order), then shrunk
//      toward the best simple baseline among the candidates (drift, naive, seasonal naive,
//      predict_linear) by the weight of 0, 1/4, 1/2 or 3/4 that scores best (compound is not
//      shrunk: a curve blended with a line bends away from both beyond the lead). The choice
//      itself (model, baseline and weight) is scored out of sample (each fold judged by a
//      choice made on the folds that do not overlap it): when that scores worse than the best
//      baseline chosen the same way, or (when the lead scored is the horizon) worse than the
//      best baseline's own backtest score, the best baseline is chosen instead, unshrunk;
//      with the lead short of the horizon, growth that accelerates beyond its noise
//      (CurvatureStderrs above 2.5) picks compound when it scored within 25% of the choice,
//      and compound ranked first on growth that does not curve that far gives way to the
//      best other candidate;
//   5. the chosen model (and the baseline, by its weight) is refitted on the whole
//      history (predict_linear on the horizon's worth of it, or the lead's after a
//      change of rate within that) and projected to the search limit, with bands from
//      the blend's backtest errors (CalibrateIntervals), widened beyond the lead by the
//      growth rate's standard error and by the disagreement of the models scored within
//      25% of the best single model.
// The lead time scored does not depend on --horizon once the horizon exceeds a third of
// the history, nor recent_linear's window once it exceeds the whole history, so from there
// on neither does the model nor the fill date.
// Results carry warnings and a low_confidence flag instead of failing when the data is
// thin (few points or folds, many filled points, a horizon far beyond the history, a step
// in level too recent to measure); only an unusable series (fewer than 10 grid points) is
// an error.
//
// Pure and thread-safe; cost is dominated by the backtest: about folds x 500 passes over
// at most max_points points (a year of minutes, aggregated to 10,000 points, 90 days ahead
// with 30 folds: about 0.3 s in predictor_bench's BM_ForecastYearOfMinutes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "generator/util/status.h"
#include "predictor/backtest.h"
#include "predictor/config.h"
#include "predictor/decompose.h"
#include "predictor/models.h"
#include "predictor/series.h"

namespace sfsg {

enum class LevelShiftMode { kAuto, kOn, kOff };  // auto: on for used_bytes, files, capacity

// A step in level the user knows of (--event 2024-02-14=import): modelled at the first
// grid point at or after time_s, whatever the detection says. kind kRetention marks a
// drop that belongs to the process (it stays in the series).
struct DeclaredEvent {
  double time_s = 0;
  double within_s = 0;  // a date without a time: the step is somewhere in that day
  ShiftKind kind = ShiftKind::kImport;
  std::string text;  // as given, for the warnings
};
// Parses "DATE=KIND" (DATE as a usage timestamp: unix seconds or ISO-8601, a day
// YYYY-MM-DD meaning anywhere in it; KIND one of import, migration, cleanup, retention).
// Errors: kUsage naming the text.
Result<DeclaredEvent> ParseEvent(std::string_view text);

struct ForecastOptions {
  double horizon_s = config::kHorizonSeconds;
  double search_s = 0;  // how far to look for threshold crossings; 0: max(4 x horizon, 1 y)
  size_t folds = 30;    // backtest origins (fewer when the series is short)
  double backtest_horizon_s = 0;  // lead time scored per fold; 0: min(horizon, history / 3)
  size_t max_points = 10000;      // grid size before aggregation; 0: never aggregate
  // predict_linear's window; 0: as long as the lead scored in the backtest, and as the
  // horizon (at most the history) in the forecast, as predict_linear(v[h], h) for each,
  // unless the rate changed within the horizon's window (the lead's is kept then)
  double linear_window_s = 0;
  LevelShiftMode level_shifts = LevelShiftMode::kAuto;
  std::vector<DeclaredEvent> events;  // honoured in every mode
  uint64_t seed = 1;
  // Models eligible for choice (all by default). predict_linear is scored as Prometheus
  // computes it (on the series as observed, steps and all), so it is left out of the
  // choice when a lasting step is modelled.
  std::vector<ModelKind> candidates = {std::begin(kAllModels), std::end(kAllModels)};
};

struct ModelScore {
  ModelKind model = ModelKind::kLinear;
  bool candidate = false;  // eligible for choice
  bool baseline = false;   // one of the simple baselines (kBaselineModels)
  bool applies = false;    // could be fitted on every fold
  double mase = 0, smape = 0;
  double coverage80 = 0, coverage95 = 0;  // out of sample; 0 with fewer than 3 folds
};

struct BacktestSummary {
  size_t folds = 0;
  size_t horizon_steps = 0;        // lead times scored (the coverage is for these)
  double lead_s = 0;               // horizon_steps x the grid step
  std::vector<ModelScore> scores;  // every model in kAllModels order
  // Out of sample, on the same folds: the model choice itself (nested; 0 with fewer than
  // 3 folds) and the best simple baseline.
  double selection_mase = 0;
  // The best baseline chosen the same way (nested, out of sample): when selection_mase is
  // above it, that baseline is used instead.
  double baseline_selection_mase = 0;
  ModelKind best_baseline = ModelKind::kDrift;
  double best_baseline_mase = 0;
  // The candidate with the lowest backtest MASE, and whether the out-of-sample check
  // replaced it by the best baseline (step 4 above): the reason when it did.
  ModelKind lowest_mase_model = ModelKind::kDrift;
  enum class Fallback { kNone, kLosesToBaselineChoice, kLosesToBaselineScore };
  Fallback fallback = Fallback::kNone;
  std::vector<ModelKind> combined;  // the models kCombination takes the mean of
  // The forecast is (1 - shrink_weight) x the chosen model + shrink_weight x this
  // baseline; the weight (0, 1/4, 1/2 or 3/4) is the one that scores best on the folds.
  double shrink_weight = 0;
  ModelKind shrink_toward = ModelKind::kDrift;
  // With a lead short of the horizon: how far the growth accelerates (CurvatureStderrs),
  // and whether compound replaced curve_over for it (within config::kNearTieMase).
  double curvature_stderrs = 0;
  bool curve_chosen = false;
  ModelKind curve_over = ModelKind::kDrift;
  // With a lead short of the horizon: compound ranked first, but the history does not curve
  // beyond kCurvatureStderrs, so the best other candidate was chosen.
  bool curve_declined = false;
};

// A forecast value with its bands.
struct Band {
  double expected = 0, lower80 = 0, upper80 = 0, lower95 = 0, upper95 = 0;
};

struct ShiftEvent {
  double time_s = 0;
  double size = 0;  // negative: a drop
  ShiftKind kind = ShiftKind::kCleanup;
  bool declared = false;
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
  // recent_linear's expected path (the growth since the rate last changed), as path, when
  // another model is used: the plan says when it would cross the threshold elsewhere.
  std::vector<double> recent_path;
  // False when no error was measured to size the bands (an exact line, no backtest
  // error): they then have zero width, and are reported as n/a, not as certainty.
  bool bands_identified = true;
  bool low_confidence = false;
  std::vector<std::string> warnings;

  // The band at a time after origin_s (interpolated; clamped to the path's end).
  Band At(double time_s) const;
  // The largest band values (field by field) over (origin_s, time_s]: peaks for demand.
  Band PeakUntil(double time_s) const;
  // How far ahead the path looks for threshold crossings, in seconds.
  double search_s() const { return static_cast<double>(path.size()) * grid.step_s; }
};

Result<ForecastResult> ForecastSeries(const Series& series, const ForecastOptions& options);

// When the forecast first reaches `threshold` (rising): the upper 95% band gives the
// earliest time, the expected path the expected time, the lower 95% band the latest (and
// the 80% bands earliest80 and latest80). Unset: not reached within the search limit.
// already: the last value is at or above it.
struct Crossing {
  bool already = false;
  std::optional<double> earliest_s, expected_s, latest_s;
  std::optional<double> earliest80_s, latest80_s;
};
Crossing TimeToThreshold(const ForecastResult& forecast, double threshold);
// When value(i), the i-th of `count` points of a path like `path` (at origin_s + (i + 1)
// steps, from last_value), first reaches threshold, interpolated; nullopt when never.
std::optional<double> FirstCrossing(const ForecastResult& f, size_t count,
                                    const std::function<double(size_t)>& value, double threshold);

}  // namespace sfsg
