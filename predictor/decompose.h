// Structure in an evenly spaced series that the models must be told about: level shifts
// (a clean-up deleting data, a counter or volume reset) and daily/weekly seasonality.
//
// Pure functions, thread-safe, O(n) time and memory (seasonality: O(n) per candidate).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace sfsg {

// What a step in the level was, as far as the series (or the user) can tell.
//   cleanup    a one-off drop (data deleted): modelled as a lasting step
//   import     a one-off rise within one or two steps: modelled as a lasting step
//   migration  a rise or drop spread over three steps or more: a lasting step
//   retention  drops that recur at a regular interval (3 or more, intervals within 35% of
//              their median): part of the process, so they stay in the series and the
//              net growth between and across them is what the models see
enum class ShiftKind { kCleanup, kImport, kMigration, kRetention };
// "cleanup", "import", "migration", "retention".
const char* ShiftKindName(ShiftKind kind);

// A step in level: y[index] is the first point at the new level. size is the step net of
// the typical growth over it (negative: a drop).
struct LevelShift {
  size_t index = 0;
  double size = 0;
  ShiftKind kind = ShiftKind::kCleanup;
  bool declared = false;   // given by the user (--event), not detected
  double size_stderr = 0;  // the standard error of size
};

// Finds large, persistent steps either way: runs of first differences more than 6 robust
// standard deviations (1.4826 x MAD) from the typical difference, confirmed by the
// medians of up to 5 points before and after and of up to 20 points before (so the end
// of a burst or of a short plateau is not a shift), and larger than 1% of the level
// before. Classifies them (see ShiftKind). Returns them in index order.
std::vector<LevelShift> DetectLevelShifts(std::span<const double> y);

// The size of a step whose first point at the new level is y[index], by least squares of
// y = a + b i + size [i >= index] over up to 20 points each side within [lo, hi) (the
// neighbouring steps), with its standard error.
struct StepEstimate {
  double size = 0, stderr_ = 0;
};
StepEstimate EstimateStep(std::span<const double> y, size_t index, size_t lo, size_t hi);
double StepSize(std::span<const double> y, size_t index);  // EstimateStep over all of y

// The series with the lasting steps (every kind but retention) taken out: every point
// before a step moves by its size, so the last point keeps its actual value and the model
// fitted to the result is the intervention model y = trend + sum of steps.
std::vector<double> RemoveLevelShifts(std::span<const double> y,
                                      const std::vector<LevelShift>& shifts);

struct Seasonality {
  size_t period = 1;          // in steps; 1 = none
  std::string name = "none";  // "none", "daily", "weekly"
  double strength = 0;        // share of detrended variance explained by the profile, 0..1
};

// Tests the daily and weekly periods that fit step_s (at least 2 steps per period and 3
// full periods of data) by classical decomposition: a centred moving average of one
// period removes the trend, the mean profile by phase is the season. A period counts
// when its profile explains at least max(30%, 2 / cycles) of the detrended variance
// (chance alone explains about 1 / cycles); weekly wins over daily only when it explains
// 10 points more.
Seasonality DetectSeasonality(std::span<const double> y, double step_s);

}  // namespace sfsg
