// libFuzzer target: fio iolog traces (versions 2 and 3) as sfsg-replay --iolog reads
// them (ParseIolog). Any text gives a trace or kBadInput; never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "generator/replay/iolog.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)sfsg::ParseIolog(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.iolog");
  return 0;
}
