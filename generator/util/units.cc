#include "generator/util/units.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>

namespace sfsg {
namespace {

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

// Splits "1.5GiB" into 1.5 and "GiB". Rejects empty, negative, NaN and junk.
bool SplitNumber(std::string_view text, double& number, std::string& suffix) {
  std::string s(text);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  s = s.substr(start);
  if (s.empty() || s[0] == '-' || s[0] == '+') return false;
  size_t end = 0;
  while (end < s.size() && (std::isdigit(static_cast<unsigned char>(s[end])) || s[end] == '.' ||
                            s[end] == 'e' || s[end] == 'E')) {
    // An 'e' or 'E' is an exponent only when a digit follows ("1e3"); "1E" is exa.
    if ((s[end] == 'e' || s[end] == 'E') &&
        !(end + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[end + 1]))))
      break;
    ++end;
  }
  if (end == 0) return false;
  char* parse_end = nullptr;
  const std::string digits = s.substr(0, end);
  number = std::strtod(digits.c_str(), &parse_end);
  if (parse_end != digits.c_str() + digits.size() || !std::isfinite(number)) return false;
  suffix = s.substr(end);
  for (char& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return true;
}

int PowerOfSuffix(const std::string& suffix, bool& ok) {
  ok = true;
  if (suffix.empty()) return 0;
  static const char kLetters[] = "kmgtpe";
  const std::string head = suffix.substr(0, 1);
  const std::string tail = suffix.substr(1);
  if (!(tail.empty() || tail == "b" || tail == "i" || tail == "ib")) {
    ok = false;
    return 0;
  }
  for (int i = 0; kLetters[i]; ++i)
    if (head[0] == kLetters[i]) return i + 1;
  if (suffix == "b") return 0;
  ok = false;
  return 0;
}

Result<uint64_t> ParseScaled(std::string_view text, std::string_view what, double base,
                             const char* kind) {
  double number = 0;
  std::string suffix;
  if (!SplitNumber(text, number, suffix))
    return Error::Usage(std::string(what) + ": " + Quote(text) + " is not a " + kind);
  bool ok = false;
  const int power = PowerOfSuffix(suffix, ok);
  if (!ok)
    return Error::Usage(std::string(what) + ": unknown suffix " + Quote(suffix) + " in " +
                        Quote(text));
  const double value = number * std::pow(base, power);
  if (!(value < 1.8446744073709552e19))
    return Error::Usage(std::string(what) + ": " + Quote(text) + " is too large");
  // A count is whole ("2.5k" is, "1.5" is not); a size rounds to the byte. The
  // tolerance absorbs the binary rounding of decimal fractions ("1.1k").
  const double whole = std::nearbyint(value);
  if (base == 1000.0 && std::fabs(value - whole) > 1e-9 * std::max(1.0, value))
    return Error::Usage(std::string(what) + ": " + Quote(text) + " is not a whole number");
  return static_cast<uint64_t>(whole);
}

}  // namespace

Result<uint64_t> ParseBytes(std::string_view text, std::string_view what) {
  return ParseScaled(text, what, 1024.0, "size");
}

Result<uint64_t> ParseCount(std::string_view text, std::string_view what) {
  return ParseScaled(text, what, 1000.0, "count");
}

Result<double> ParseDurationSeconds(std::string_view text, std::string_view what) {
  double number = 0;
  std::string suffix;
  if (!SplitNumber(text, number, suffix))
    return Error::Usage(std::string(what) + ": " + Quote(text) + " is not a duration");
  double unit = 0;
  if (suffix.empty() || suffix == "s")
    unit = 1;
  else if (suffix == "ms")
    unit = 1e-3;
  else if (suffix == "us")
    unit = 1e-6;
  else if (suffix == "m" || suffix == "min")
    unit = 60;
  else if (suffix == "h")
    unit = 3600;
  else if (suffix == "d")
    unit = 86400;
  else if (suffix == "w")
    unit = 7 * 86400;
  else if (suffix == "y")
    unit = 365 * 86400;
  else
    return Error::Usage(std::string(what) + ": unknown unit " + Quote(suffix) + " in " +
                        Quote(text) + " (use us, ms, s, m or min, h, d, w, y)");
  const double seconds = number * unit;
  if (!std::isfinite(seconds))
    return Error::Usage(std::string(what) + ": " + Quote(text) + " is out of range");
  return seconds;
}

Result<double> ParseFraction(std::string_view text, std::string_view what) {
  double number = 0;
  std::string suffix;
  if (!SplitNumber(text, number, suffix))
    return Error::Usage(std::string(what) + ": " + Quote(text) + " is not a fraction");
  if (suffix == "%")
    number /= 100.0;
  else if (!suffix.empty())
    return Error::Usage(std::string(what) + ": " + Quote(text) + " is not a fraction");
  if (number < 0 || number > 1)
    return Error::Usage(std::string(what) + ": " + Quote(text) + " is outside 0..100%");
  return number;
}

Result<double> ParsePositiveNumber(std::string_view text, std::string_view what) {
  double number = 0;
  std::string suffix;
  if (!SplitNumber(text, number, suffix) || !suffix.empty() || !(number > 0))
    return Error::Usage(std::string(what) + ": " + Quote(text) + " is not a positive number");
  return number;
}

std::string FormatBytes(double bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 6) {
    bytes /= 1024;
    ++unit;
  }
  char buf[64];
  std::snprintf(buf, sizeof(buf), unit == 0 ? "%.0f %s" : "%.1f %s", bytes, kUnits[unit]);
  return buf;
}

std::string FormatCount(double count) {
  static const char* kUnits[] = {"", "k", "M", "G", "T", "P"};
  int unit = 0;
  while (count >= 1000 && unit < 5) {
    count /= 1000;
    ++unit;
  }
  char buf[64];
  std::snprintf(buf, sizeof(buf), unit == 0 ? "%.0f%s" : "%.1f%s", count, kUnits[unit]);
  return buf;
}

std::string FormatUtc(double unix_s, const char* format) {
  if (!std::isfinite(unix_s)) return "-";
  const std::time_t t = static_cast<std::time_t>(std::floor(unix_s));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  return std::strftime(buf, sizeof(buf), format, &tm) ? buf : "-";
}

}  // namespace sfsg
