// Constructed storage series with a known future: what a capacity planner meets (a one-off
// import, a weekly retention sawtooth, a one-off clean-up) with the true date the volume
// reaches its threshold. The unit tests hold the forecasts to them and scripts/bench-forecast
// scores them with the real data.
//
// Deterministic: the noise is Box–Muller over a SplitMix stream seeded by `seed` (never
// std::*_distribution). Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "predictor/series.h"

namespace sfsg {

inline constexpr double kTiB = 1099511627776.0;

struct Scenario {
  std::string name;              // "import", "retention", "cleanup", "migration", "weekly import",
                                 // "compound", "daily and weekly", "bursty"
  Series history;                // used_bytes, ending at the origin
  double capacity = 0;           // bytes
  double threshold = 0;          // bytes: 80% of capacity
  double truth_s = 0;            // seconds from the last sample until the noise-free usage first
                                 // reaches the threshold
  std::vector<double> future;    // noise-free usage after the history, one per step, 400 days
  bool future_realized = false;  // future is the process continued (bursty), noise and all
  double step_s = 0;
};

// 1. A 10 TiB volume growing 0.01 TiB/day from 5 TiB, 60 daily points, a 1 TiB import
//    15 days before the end.
// 2. Hourly for 60 days: permanent data +0.02 TiB/day from 4 TiB, temporary data
//    +0.1 TiB/day deleted every 7 days (the sawtooth); 10 TiB.
// 3. +0.05 TiB/day from 4 TiB, one 2 TiB clean-up on day 40 of 60 (daily); 10 TiB.
// 4. +0.01 TiB/day from 5 TiB, 1.5 TiB migrated in over the 5 days up to day 40 of 60
//    (daily); 10 TiB.
// 5. The volume of 1 swinging +-0.2 TiB with the week (a sine of 7 days: weekday writes,
//    weekend clean-ups), 84 daily points, a 1.5 TiB import on day 60.
// 6. Compound growth: 2.5 TiB growing 3% a week (the SaaS case), 180 daily points; 10 TiB.
// 7. Hourly for 60 days: +0.03 TiB/day from 4 TiB with a weekly swing of +-0.3 TiB and a
//    daily one of +-0.1 TiB (sines); the weekly peaks reach 8 TiB days before the trend.
// 8. Bursty writes (NAB-like): 14 days of 5-minute samples from 3 TiB at a mean 5 TiB in
//    48 days, a daily cycle times log-normal bursts an hour or two long; the truth is the
//    mean rate's from the last value (about 34 days).
// noise: the standard deviation in TiB (0.002 to 0.005 as the issue asks).
Scenario ImportScenario(uint64_t seed, double noise_tib = 0.003);
// The same volume with an import of `size_tib` on `day` (of 60).
Scenario ImportScenario(uint64_t seed, double noise_tib, double size_tib, double day);
Scenario RetentionScenario(uint64_t seed, double noise_tib = 0.003);
Scenario CleanupScenario(uint64_t seed, double noise_tib = 0.003);
Scenario MigrationScenario(uint64_t seed, double noise_tib = 0.003);
Scenario WeeklyImportScenario(uint64_t seed, double noise_tib = 0.003);
Scenario CompoundScenario(uint64_t seed, double noise_tib = 0.003);
// Compounding `per_week` from 2.5 TiB over `history_days` at `step_s`, with a daily swing
// of +-daily_tib (a sine).
Scenario CompoundScenario(uint64_t seed, double noise_tib, double per_week, double history_days,
                          double step_s, double daily_tib);
Scenario DailyWeeklyScenario(uint64_t seed, double noise_tib = 0.003);
Scenario BurstyScenario(uint64_t seed);

}  // namespace sfsg
