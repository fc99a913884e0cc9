// Parsing and printing of the quantities users type: byte sizes, counts, durations,
// percentages. Pure functions, thread-safe. Errors name the offending text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "generator/util/status.h"

namespace sfsg {

// "4096", "4k", "1.5M", "2P", "10GiB", "10GB": binary multiples (k = 1024), as fio does.
// `what` names the option or field in the error message.
Result<uint64_t> ParseBytes(std::string_view text, std::string_view what);

// "1000", "1k", "1G" (a billion), "2.5M": decimal multiples, for counts of files.
Result<uint64_t> ParseCount(std::string_view text, std::string_view what);

// "90d", "12h", "30m", "45s", "2w", "500ms", "1.5h"; a bare number is seconds.
Result<double> ParseDurationSeconds(std::string_view text, std::string_view what);

// "20%" or "0.2" -> 0.2. Must lie in [0, 1].
Result<double> ParseFraction(std::string_view text, std::string_view what);

// A positive finite number ("2", "0.5", "1e3").
Result<double> ParsePositiveNumber(std::string_view text, std::string_view what);

// 1536 -> "1.5 KiB"; for human tables only.
std::string FormatBytes(double bytes);
// 1500000 -> "1.5M"; for human tables only.
std::string FormatCount(double count);
// A Unix time as UTC through strftime's `format` (floored to the second); "-" when it is
// not finite.
std::string FormatUtc(double unix_s, const char* format = "%Y-%m-%d %H:%M UTC");

}  // namespace sfsg
