// Objective: a latency objective, the one figure both the capacity plan and the device
// candidates are held to. Plain value type; ParseObjective is pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "generator/util/status.h"
#include "predictor/config.h"

namespace sfsg {

// A latency objective: "p99=20ms" means the 99th percentile stays at or under 20 ms.
struct Objective {
  std::string quantile = config::kObjectiveQuantile;  // mean, p50, p90, p99, p999
  double latency_us = 0;
};
// Errors: kUsage naming the text (unknown quantile, unknown unit, non-positive latency).
Result<Objective> ParseObjective(std::string_view text);

}  // namespace sfsg
