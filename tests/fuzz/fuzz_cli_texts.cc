// libFuzzer target: short texts users configure: latency objectives (ParseObjective,
// "p99=20ms") and hook commands split into argv (SplitCommand, --on-alert/--on-scale).
// A hook's argv must never be empty: it is run without a shell.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuse/forecaster/hooks.h"
#include "predictor/capacity_plan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)sfsg::ParseObjective(text);
  if (auto argv = sfsg::SplitCommand(text); argv && argv->empty()) std::abort();
  return 0;
}
