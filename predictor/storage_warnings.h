// The storage plan's checks on its own figures: the growth since the rate last changed,
// inodes that run out before bytes, a capacity that drifts. Each gives what the plan
// prints (a figure or a warning) from a StoragePlan already made. Pure functions.
#pragma once

#include <optional>
#include <string>

#include "predictor/capacity_plan.h"

namespace sfsg {

// When the growth since the rate last changed (recent_linear) crosses the threshold, and
// whether its slope differs from the whole history's beyond the noise (see
// RecentRateCrossing). Null when the plan's model is that rate itself or the threshold is
// already reached.
std::optional<RecentRateCrossing> RecentRate(const StoragePlan& s);
// The warning when that date is far from the plan's and the rate did change.
std::optional<std::string> RecentRateWarning(const StoragePlan& s);
// When inodes run out before bytes (BindingLimitOf).
std::optional<std::string> InodesFirstWarning(const StoragePlan& s);
// When the series' capacity_bytes drifts by more than 1% over the search limit (a shared
// pool): the date at the capacity's own forecast, beside the plan's at today's capacity.
std::optional<std::string> CapacityDriftWarning(const PlanInputs& in, const StoragePlan& s,
                                                const ForecastOptions& options);

}  // namespace sfsg
