#include "predictor/objective.h"

#include "generator/util/units.h"

namespace sfsg {

Result<Objective> ParseObjective(std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos)
    return Error::Usage("objective '" + std::string(text) +
                        "': expected QUANTILE=LATENCY, e.g. p99=20ms");
  Objective o;
  o.quantile = std::string(text.substr(0, eq));
  if (o.quantile != "mean" && o.quantile != "p50" && o.quantile != "p90" && o.quantile != "p99" &&
      o.quantile != "p999")
    return Error::Usage("objective '" + std::string(text) + "': unknown quantile '" + o.quantile +
                        "' (use mean, p50, p90, p99, p999)");
  auto latency = ParseDurationSeconds(text.substr(eq + 1), "objective " + o.quantile);
  if (!latency) return latency.error();
  if (!(*latency > 0))
    return Error::Usage("objective '" + std::string(text) + "': the latency must be positive");
  o.latency_us = *latency * 1e6;
  return o;
}

}  // namespace sfsg
