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

// A drop in level: y[index] is the first point at the new level; size < 0.
struct LevelShift {
  size_t index = 0;
  double size = 0;
};

// Finds large, persistent drops: runs of first differences more than 6 robust standard
// deviations (1.4826 x MAD) below the typical difference, confirmed by the medians of
// up to 5 points before and after and of up to 20 points before (so the end of a burst
// or of a short plateau is not a shift), and larger than 1% of the level before. Returns them in
// index order.
std::vector<LevelShift> DetectLevelShifts(std::span<const double> y);

// The series with the shifts undone: every point before a shift moves by the shift's
// size, so the history is continuous (the growth between clean-ups is the trend) and the
// last point keeps its actual value.
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
