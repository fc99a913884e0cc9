// Loading usage tables: CSV and Prometheus query_range JSON, and timestamp parsing.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>

#include "generator/util/json_io.h"
#include "predictor/prometheus_source.h"
#include "predictor/series.h"

namespace sfsg {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A whole-string number. Empty, "nan", "na", "null" are an empty cell (NaN); infinities
// and junk are errors.
Result<double> ParseCell(std::string_view text, const std::string& where) {
  text = Trim(text);
  const std::string lower = Lower(text);
  if (lower.empty() || lower == "nan" || lower == "na" || lower == "null") return kNaN;
  std::string s(text);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v))
    return Error::BadInput(where + ": '" + s + "' is not a finite number");
  return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-compatible
// low-level date algorithms").
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// Reads exactly `digits` decimal digits at s[pos].
bool ReadDigits(std::string_view s, size_t& pos, int digits, int& out) {
  if (pos + digits > s.size()) return false;
  out = 0;
  for (int i = 0; i < digits; ++i) {
    const char c = s[pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    out = out * 10 + (c - '0');
  }
  pos += digits;
  return true;
}

bool ParseIso8601(std::string_view s, double& out) {
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(s, pos, 4, year) || pos >= s.size() || s[pos++] != '-' ||
      !ReadDigits(s, pos, 2, month) || pos >= s.size() || s[pos++] != '-' ||
      !ReadDigits(s, pos, 2, day))
    return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1] + (month == 2 && leap))
    return false;  // 2024-02-30 is no day
  double fraction = 0;
  int offset_s = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return false;
    ++pos;
    if (!ReadDigits(s, pos, 2, hour) || pos >= s.size() || s[pos++] != ':' ||
        !ReadDigits(s, pos, 2, minute))
      return false;
    if (pos < s.size() && s[pos] == ':') {
      ++pos;
      if (!ReadDigits(s, pos, 2, second)) return false;
      if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        double scale = 0.1;
        ++pos;
        if (pos >= s.size() || !std::isdigit(static_cast<unsigned char>(s[pos]))) return false;
        while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
          fraction += (s[pos++] - '0') * scale;
          scale /= 10;
        }
      }
    }
    if (hour > 24 || minute > 59 || second > 60) return false;
    if (pos < s.size()) {
      if (s[pos] == 'Z' || s[pos] == 'z') {
        ++pos;
      } else if (s[pos] == '+' || s[pos] == '-') {
        const int sign = s[pos++] == '-' ? -1 : 1;
        int oh = 0, om = 0;
        if (!ReadDigits(s, pos, 2, oh)) return false;
        if (pos < s.size() && s[pos] == ':') ++pos;
        if (pos < s.size() && !ReadDigits(s, pos, 2, om)) return false;
        offset_s = sign * (oh * 3600 + om * 60);
      }
    }
  }
  if (pos != s.size()) return false;
  out = static_cast<double>(DaysFromCivil(year, month, day)) * 86400.0 + hour * 3600.0 +
        minute * 60.0 + second + fraction - offset_s;
  return true;
}

}  // namespace

namespace {

// Refuses a time outside [kEarliestTimestamp, kLatestTimestamp): a value out there is a
// unit mistake or damage, and would forecast from (or to) year 55863.
Status CheckTimestampRange(double unix_s, std::string_view text, std::string_view where) {
  if (unix_s >= kEarliestTimestamp && unix_s < kLatestTimestamp) return Status::Ok();
  std::string message =
      std::string(where) + ": '" + std::string(text) + "' is not a unix time between 1970 and 2200";
  // Exporters often write epoch milliseconds (or micro-, nanoseconds) where seconds are
  // meant: say so when the value divided down would be plausible.
  const struct {
    double divisor;
    const char* unit;
  } kUnits[] = {{1e3, "milliseconds"}, {1e6, "microseconds"}, {1e9, "nanoseconds"}};
  for (const auto& u : kUnits)
    if (unix_s / u.divisor >= kEarliestTimestamp && unix_s / u.divisor < kLatestTimestamp) {
      message += " (looks like " + std::string(u.unit) + "; unix seconds are expected)";
      break;
    }
  return Error::BadInput(message);
}

}  // namespace

// A size or count below zero is damage or a unit mistake, and would be forecast as
// shrinking storage (bands reaching far below zero): refused like any bad cell, naming
// the column, the sample's time and its value. A CSV is checked as it is read, with the
// line; this covers tables built otherwise (a Prometheus export).
Status CheckNonNegative(const UsageTable& table) {
  for (const auto& [name, values] : table.columns) {
    if (!IsNonNegativeColumn(name)) continue;
    for (size_t i = 0; i < values.size(); ++i)
      if (values[i] < 0) {
        char value[32];
        std::snprintf(value, sizeof(value), "%.17g", values[i]);
        return Error::BadInput(table.source + ": " + name + " at " +
                               std::to_string(static_cast<int64_t>(table.time_s[i])) + ": '" +
                               value + "' is negative");
      }
  }
  return Status::Ok();
}

Result<double> ParseTimestamp(std::string_view text, std::string_view where) {
  const std::string_view t = Trim(text);
  const bool looks_like_date = t.size() >= 8 && t.find('-', 1) != std::string_view::npos;
  double seconds = 0;
  if (looks_like_date) {
    if (!ParseIso8601(t, seconds))
      return Error::BadInput(std::string(where) + ": '" + std::string(t) +
                             "' is not an ISO-8601 time (2024-03-01T17:34:00Z)");
  } else {
    auto v = ParseCell(t, std::string(where));
    if (!v) return v.error();
    if (std::isnan(*v)) return Error::BadInput(std::string(where) + ": empty timestamp");
    seconds = *v;
  }
  if (Status s = CheckTimestampRange(seconds, t, where); !s) return s.error();
  return seconds;
}

Result<UsageTable> ParseUsageCsv(std::string_view text, std::string_view source_name) {
  UsageTable table;
  table.source = std::string(source_name);
  std::vector<std::string> names;
  int time_index = -1;
  size_t line_number = 0;
  double previous_time = -std::numeric_limits<double>::infinity();
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (Trim(line).empty() || Trim(line)[0] == '#') continue;
    std::vector<std::string_view> cells;
    for (size_t start = 0;;) {
      const size_t comma = line.find(',', start);
      cells.push_back(
          line.substr(start, comma == std::string_view::npos ? line.npos : comma - start));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    const std::string where = table.source + ":" + std::to_string(line_number);
    if (names.empty()) {
      for (size_t i = 0; i < cells.size(); ++i) {
        std::string name = Lower(Trim(cells[i]));
        if (name.empty()) return Error::BadInput(where + ": empty column name");
        if (std::find(names.begin(), names.end(), name) != names.end())
          return Error::BadInput(where + ": column '" + name + "' appears twice");
        if (name == "timestamp" || name == "time" || name == "ts") {
          if (time_index >= 0) return Error::BadInput(where + ": two timestamp columns");
          time_index = static_cast<int>(i);
        }
        names.push_back(name);
      }
      if (time_index < 0)
        return Error::BadInput(where + ": no timestamp column (name one 'timestamp')");
      if (names.size() < 2) return Error::BadInput(where + ": no value columns");
      for (size_t i = 0; i < names.size(); ++i)
        if (static_cast<int>(i) != time_index) table.columns[names[i]];
      continue;
    }
    if (cells.size() != names.size())
      return Error::BadInput(where + ": " + std::to_string(cells.size()) +
                             (cells.size() == 1 ? " cell" : " cells") + ", header has " +
                             std::to_string(names.size()));
    auto time = ParseTimestamp(cells[time_index], where + ": " + names[time_index]);
    if (!time) return time.error();
    if (*time < previous_time)
      return Error::BadInput(where + ": timestamp goes backwards (" +
                             std::string(Trim(cells[time_index])) +
                             "); timestamps must be non-decreasing");
    previous_time = *time;
    table.time_s.push_back(*time);
    for (size_t i = 0; i < names.size(); ++i) {
      if (static_cast<int>(i) == time_index) continue;
      const std::string cell_where = where + ": " + names[i];
      auto v = ParseCell(cells[i], cell_where);
      if (!v) return v.error();
      if (*v < 0 && IsNonNegativeColumn(names[i]))
        return Error::BadInput(cell_where + ": '" + std::string(Trim(cells[i])) + "' is negative");
      table.columns[names[i]].push_back(*v);
    }
  }
  if (names.empty()) return Error::BadInput(table.source + ": empty file (no CSV header)");
  if (table.time_s.empty()) return Error::BadInput(table.source + ": no data rows");
  return table;
}

Result<UsageTable> ParsePrometheusRange(std::string_view text, std::string_view source_name) {
  auto volumes = ParsePrometheusVolumes(text, source_name);
  if (!volumes) return volumes.error();
  if (volumes->size() == 1) {
    UsageTable table = std::move(volumes->front().table);
    table.source = std::string(source_name);
    return table;
  }
  std::string names;
  for (const UsageVolume& v : *volumes) {
    std::string labels;
    for (const auto& [key, value] : v.labels)
      labels += (labels.empty() ? "" : ",") + key + "=" + value;
    names += (names.empty() ? "" : ", ") + v.name + " {" + labels + "}";
  }
  return Error::BadInput(std::string(source_name) + ": " + std::to_string(volumes->size()) +
                         " volumes (" + names +
                         "); one is needed here (sfsg-predict plans each of several)");
}

Result<UsageTable> LoadUsageTable(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text) return text.error();
  const size_t first = text->find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (*text)[first] == '{') return ParsePrometheusRange(*text, path);
  return ParseUsageCsv(*text, path);
}

}  // namespace sfsg
