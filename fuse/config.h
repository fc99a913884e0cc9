// Defaults of the shadow filesystem and of the forecaster beside it, each with its
// reason, in one place (after LevelDB's `namespace config`). sfsg-mount's options start
// from these; the plan's own defaults (horizon, buffer, objective) are predictor/config.h.
#pragma once

#include "generator/config.h"

namespace sfsg::config {

// FUSE worker threads: enough to overlap a few clients' requests on a small machine.
inline constexpr unsigned kFuseThreads = 4;
// How long the kernel may cache names and attributes (s): the synthetic tree changes
// only on a re-scale, which invalidates what it changed.
inline constexpr double kEntryTimeoutSeconds = 3600;

// The forecaster: one round every 5 minutes (metering more often adds cost, not
// information, for a series forecast in days).
inline constexpr double kForecasterIntervalSeconds = 300;
// Each load ladder step: measured for 3 s after a 0.5 s warm-up that is discarded.
inline constexpr double kLadderStepSeconds = 3;
inline constexpr double kLadderWarmupSeconds = 0.5;
// Alerts: storage full within 30 days; resolve 10% past the threshold; fire again no
// sooner than an hour; a hook is killed after a minute.
inline constexpr double kAlertDaysToFull = 30;
inline constexpr double kAlertHysteresis = 0.1;
inline constexpr double kAlertCooldownSeconds = 3600;
inline constexpr double kHookTimeoutSeconds = 60;

}  // namespace sfsg::config
