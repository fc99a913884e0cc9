// libFuzzer target: fio's JSON output as sfsg-replay --import-fio reads it
// (ImportFioJson), grouped by job and by group. Any document gives a curve or kBadInput.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "generator/replay/fio.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto json = sfsg::ParseJsonText(std::string_view(reinterpret_cast<const char*>(data), size),
                                  "fuzz-fio.json");
  if (!json) return 0;
  for (const auto grouping : {sfsg::FioGrouping::kJob, sfsg::FioGrouping::kGroup}) {
    auto curve = sfsg::ImportFioJson(*json, "fuzz-fio.json", grouping);
    if (curve && !sfsg::PerfCurveFromJson(sfsg::PerfCurveToJson(*curve), "roundtrip.json"))
      std::abort();  // what we import we must be able to save and load
  }
  return 0;
}
