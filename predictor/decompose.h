// Structure in an evenly spaced series that the models must be told about: level shifts
// (a clean-up deleting data, a counter or volume reset) and daily/weekly seasonality.
//
// Pure functions, thread-safe, O(n) time and memory (seasonality: O(n) per candidate).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <utility>
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
  size_t begin = 0;  // the first point of the transition; y[begin, index) are in between
                     // (a migration's ramp), set to index when the step is one change
  double size = 0;
  ShiftKind kind = ShiftKind::kCleanup;
  bool declared = false;   // given by the user (--event), not detected
  double size_stderr = 0;  // the standard error of size
};

// Finds large, persistent steps either way: runs of first differences more than 6 robust
// standard deviations (1.4826 x MAD) from the typical difference, confirmed by the
// medians of up to 5 points before and after and of up to 20 points before (so the end
// of a burst or of a short plateau is not a shift), and larger than 1% of the level
// before. The changes on either side of the run must be typical again (their median
// within 3 robust standard deviations): a run after which the series keeps rising faster
// is a change in the growth rate, not a step, and so is a run of three changes or more
// that reaches the last point (a migration cannot be told from faster growth before it
// ends). Rises that recur, three or more, are how it grows (bursts of writes), not
// imports; so is, given `steps_per_day`, a rise smaller than two days of the growth
// between the steps: neither is returned. Classifies the rest (see ShiftKind). Returns
// them in index order; `notes` gets what was left out.
struct DetectionNotes {
  size_t growth_steps = 0;  // rises kept in the series as how it grows (three or more)
  size_t burst_steps = 0;   // rises kept as smaller than two days of the growth
  // A run of 3+ changes ending within a point of the end: a migration in progress or
  // faster growth, not confirmed (y[first] .. y[second]).
  std::optional<std::pair<size_t, size_t>> run_at_end;
};
std::vector<LevelShift> DetectLevelShifts(std::span<const double> y,
                                          DetectionNotes* notes = nullptr,
                                          double steps_per_day = 0);

// Excursions: runs of 1 to 3 points that jump more than 6 robust standard deviations of
// the changes (and 1% of the level) away and come back, the points either side agreeing
// within 3 (a scrape glitch such as a 0 from a stale mount, or data held briefly), each
// point of the run more than 6 away from the line between them on the jump's side. Never
// at the ends (a last point cannot be told from a step). With step_s > 0, runs that start
// at the same phase of the day or the week three times or more are left out: they recur
// (a nightly backup's spool) and are part of the usage. Returns [first, last] pairs.
std::vector<std::pair<size_t, size_t>> FindExcursions(std::span<const double> y, double step_s = 0);
// The series with the daily or weekly pattern of its changes taken out, for finding steps
// in a series that swings with the week (weekday writes, weekend clean-ups) or the day: the
// pattern is the median change at each phase of the period (robust to the one step a phase
// holds), less the mean change; the result is y[0] plus the changes less the pattern. Used
// only when the pattern shrinks the changes' robust spread by 30% or more, at least 4
// changes fall on every phase, and no phase dwarfs the others (a drop at the same hour each
// week is retention, a step the detection must see, not a season). Otherwise y unchanged.
std::vector<double> WithoutSeasonalChanges(std::span<const double> y, double step_s);
// The size of a step whose first point at the new level is y[index], by least squares of
// y = a + b i + size [i >= index] over up to 20 points each side within [lo, hi) (the
// neighbouring steps), leaving out the transition y[begin, index), with its standard
// error. With one point on a side (a step at the end, or right after another step), the
// line through the points on the other side extrapolated to it, the error that of one
// point about that line.
struct StepEstimate {
  double size = 0, stderr_ = 0;
};
StepEstimate EstimateStep(std::span<const double> y, size_t index, size_t lo, size_t hi,
                          size_t begin);
inline StepEstimate EstimateStep(std::span<const double> y, size_t index, size_t lo, size_t hi) {
  return EstimateStep(y, index, lo, hi, index);
}
double StepSize(std::span<const double> y, size_t index);  // EstimateStep over all of y

// The series with the lasting steps (every kind but retention) taken out: every point
// before a step moves by its size, so the last point keeps its actual value and the model
// fitted to the result is the intervention model y = trend + sum of steps. A migration's
// ramp (y[begin, index)) becomes the line between the points either side of it.
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
// (chance alone explains about 1 / cycles). A week holds whole days, so the weekly
// profile holds the daily one: weekly wins over daily only when, on the series less its
// weekly moving average, it explains 10 points more than the daily profile does there
// (each explains most of what its own average leaves, which cannot tell them apart).
Seasonality DetectSeasonality(std::span<const double> y, double step_s);

}  // namespace sfsg
