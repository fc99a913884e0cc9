// libFuzzer target: the usage series sfsg-predict and sfsg-meter read: CSV
// (ParseUsageCsv), a Prometheus query_range export (ParsePrometheusRange) and single
// timestamps (ParseTimestamp). Any text gives a table or kBadInput.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "predictor/series.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto table = sfsg::ParseUsageCsv(text, "fuzz.csv"))
    (void)sfsg::ExtractSeries(*table, "used_bytes");
  if (auto table = sfsg::ParsePrometheusRange(text, "fuzz.json"))
    (void)sfsg::ExtractSeries(*table, "used_bytes");
  (void)sfsg::ParseTimestamp(text.substr(0, 64), "fuzz");
  return 0;
}
