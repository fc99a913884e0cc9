// libFuzzer target: workload JSON (WorkloadFromJson), read the way sfsg-replay reads
// --workload files. An accepted workload must survive its own serialisation.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "generator/workload.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto json = sfsg::ParseJsonText(std::string_view(reinterpret_cast<const char*>(data), size),
                                  "fuzz-workload.json");
  if (!json) return 0;
  auto workload = sfsg::WorkloadFromJson(*json, "fuzz-workload.json");
  if (!workload) return 0;
  if (!sfsg::WorkloadFromJson(sfsg::WorkloadToJson(*workload), "roundtrip.json")) std::abort();
  return 0;
}
