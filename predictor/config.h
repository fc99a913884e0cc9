// Defaults of the capacity plan, each with its reason, in one place (after LevelDB's
// `namespace config`). sfsg-predict and the forecaster take these unless told otherwise.
#pragma once

#include "generator/config.h"

namespace sfsg::config {

// How far ahead the plan looks: a quarter, the usual budget and procurement cycle.
inline constexpr double kHorizonDays = 90;
inline constexpr double kHorizonSeconds = kHorizonDays * kDaySeconds;

// The fraction of capacity and throughput kept free: room for a forecast's error and a
// burst, the common 80% "full" line of storage operations.
inline constexpr double kBuffer = 0.2;

// The latency objective: the 99th percentile within 20 ms, a service-level objective
// most interactive storage meets on a healthy day.
inline constexpr const char* kObjectiveQuantile = "p99";
inline constexpr double kObjectiveLatencyUs = 20000;

// The recent-rate warning (StoragePlan::recent_rate): the growth since the rate last
// changed is said when its date is more than this share away from the plan's...
inline constexpr double kRecentRateFarShare = 0.25;
// ...and its slope differs from the whole history's by more than this many standard
// errors: noise alone (0.5% of capacity on a volume two days from full) moves the recent
// date by a day, and a plain line must not read as a change of rate.
inline constexpr double kRateChangeStderrs = 3;

// Models scored within this factor of the best single model's backtest MASE are ones the
// backtest could not tell apart: their disagreement beyond the lead widens the bands, and
// with accelerating growth the curve is chosen from among them (kCurvatureStderrs).
inline constexpr double kNearTieMase = 1.25;
// Growth accelerates beyond the noise when the history's curvature (CurvatureStderrs) is
// above this many standard errors (and the curve describes it better than two lines): at 3,
// one seed of 8 of 4%-a-week compounding with noise (2.99) kept a line, 86% late; at 2.5
// no line of 20 noisy seeds (ModelsTest.CurvatureTells...) and no audit configuration
// changed.
inline constexpr double kCurvatureStderrs = 2.5;

// recent_median takes its level from the points after a clean step within its window (all
// of them beyond every point before it) when the step is this many times the one-step
// noise: rds_cpu 1 day ahead at 30 origins 1.148 -> 0.901 of naive; at 3 or 5 (bench
// ratios in BENCHMARKS) the choice among near-ties moved.
inline constexpr double kRecentChangeSigmas = 4;

}  // namespace sfsg::config
