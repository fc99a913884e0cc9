// The inode forecast as Prometheus gauges, for /.sfsg/metrics beside the plan's own
// (PlanToPrometheus): the storage plan forecasts files against capacity_files, and the
// loop alerts on it (files_days_to_full), so its figures are served like storage's.
//
// Pure and thread-safe.
#pragma once

#include <string>

#include "predictor/capacity_plan.h"

namespace sfsg {

// sfsg_forecast_files_used, _files_capacity, _files_threshold (capacity_files x
// (1 - buffer)) and _files_threshold_seconds{bound="earliest"|"expected"|"latest"}
// (seconds from the last sample; +Inf: not within the search limit; 0: already past),
// the same shapes as the storage_* gauges. "" when the plan has no files forecast with
// a capacity_files, or when `plan_text` (the plan's own exposition) already carries
// them, so a name is never served twice.
std::string InodeForecastPrometheus(const CapacityPlan& plan, const std::string& plan_text);

}  // namespace sfsg
