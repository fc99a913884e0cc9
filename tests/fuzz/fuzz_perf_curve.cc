// libFuzzer target: performance-curve JSON (PerfCurveFromJson). An accepted curve must
// survive its own serialisation.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "generator/perf_curve.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The same path as the commands: text -> ParseJsonText -> the typed reader.
  auto json = sfsg::ParseJsonText(std::string_view(reinterpret_cast<const char*>(data), size),
                                  "fuzz-curve.json");
  if (!json) return 0;
  auto curve = sfsg::PerfCurveFromJson(*json, "fuzz-curve.json");
  if (!curve) return 0;
  if (!sfsg::PerfCurveFromJson(sfsg::PerfCurveToJson(*curve), "roundtrip.json")) std::abort();
  return 0;
}
