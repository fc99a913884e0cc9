// libFuzzer target: the quantities users type (ParseBytes, ParseCount,
// ParseDurationSeconds, ParseFraction, ParsePositiveNumber). Any text gives a value or
// an error; never a crash, an overflow or a float-to-integer conversion out of range.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "generator/util/units.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)sfsg::ParseBytes(text, "--bytes");
  (void)sfsg::ParseCount(text, "--files");
  if (auto d = sfsg::ParseDurationSeconds(text, "--timeout"); d && !std::isfinite(*d))
    std::abort();  // a duration is a finite number of seconds
  if (auto f = sfsg::ParseFraction(text, "--fraction"); f && !(*f >= 0 && *f <= 1)) std::abort();
  if (auto p = sfsg::ParsePositiveNumber(text, "--scale"); p && !(*p > 0 && std::isfinite(*p)))
    std::abort();
  if (auto b = sfsg::ParseBytes(text, "--bytes")) (void)sfsg::FormatBytes(static_cast<double>(*b));
  if (auto c = sfsg::ParseCount(text, "--files")) (void)sfsg::FormatCount(static_cast<double>(*c));
  return 0;
}
