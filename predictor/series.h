// Usage series: what was metered over time, and how trustworthy the sampling was.
//
// A UsageTable is the raw input as loaded: one timestamp column and named value columns
// (NaN marks an empty cell). ExtractSeries() turns one column into a Series of finite
// (time, value) points: counters are differenced into per-second rates with resets
// handled, duplicate timestamps collapse to the last sample, and every irregularity
// (gaps, jitter, duplicates, resets, empty cells) is counted in SeriesQuality rather than
// silently smoothed away. ToRegularGrid() then puts a series on the evenly spaced grid the
// forecasting models need, aggregating long series and reporting every filled gap.
//
// Column conventions (CSV header names and Prometheus metric mapping):
//   used_bytes, files, capacity_bytes,     gauges (levels)
//   capacity_files
//   read_ops, write_ops, read_bytes,       cumulative counters (as in /proc/diskstats),
//   write_bytes                            differenced into per-second rates
//   read_time_ms, write_time_ms,           cumulative milliseconds (sfsg-meter), gauges
//   io_time_ms, io_weighted_ms             here
//   ops (derived)                          read_ops + write_ops rates: the demand, ops/s
//   NAME_per_s                             a gauge that is already a rate
//   any other name                         a gauge ("value" in NAB exports)
//
// All functions are pure and thread-safe. Errors are kBadInput values naming the source,
// the line or field, and the value.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "generator/util/status.h"

namespace sfsg {

// The loaded input, before any column is interpreted. time_s is non-decreasing (loaders
// reject a timestamp that goes backwards); each column has time_s.size() entries.
struct UsageTable {
  std::string source;  // file name, for messages
  std::vector<double> time_s;
  std::map<std::string, std::vector<double>> columns;  // NaN: empty cell
};

enum class SeriesKind { kGauge, kCounter };

// How the sampling of one extracted series looked. Everything here is reported to the
// user; nothing is hidden by interpolation.
struct SeriesQuality {
  size_t samples = 0;         // finite samples read from the column
  size_t empty_cells = 0;     // NaN / empty cells skipped
  size_t duplicates = 0;      // samples sharing a timestamp with the next (last one kept)
  size_t counter_resets = 0;  // counter decreases, treated as restarts from zero
  // Of those, restarts whose new value the interval could not hold (over 10 times the
  // fastest rate seen between other samples: another device's counter, or one that
  // restarted long before): the interval is left out (a gap) instead of counted from zero.
  size_t implausible_resets = 0;
  size_t gaps = 0;           // intervals longer than 2x the median step
  double median_step_s = 0;  // typical sampling interval
  double longest_gap_s = 0;  // longest interval between kept samples
  double step_jitter = 0;    // median |step - median_step| / median_step
  bool irregular = false;    // jitter above 10%
};

struct Series {
  std::string name;    // the column
  std::string source;  // the file it came from, for messages ("" when built in memory)
  SeriesKind kind = SeriesKind::kGauge;
  std::string unit;            // "bytes", "files", "ops/s", "bytes/s", "" (unknown)
  std::vector<double> time_s;  // strictly increasing
  std::vector<double> values;  // finite
  SeriesQuality quality;
};

// The median of `values` (the mean of the two middle ones for an even count); 0 for none.
double Median(std::vector<double> values);

// Parses CSV text: a header line naming a timestamp column ("timestamp", "time" or
// "ts"; unix seconds, or ISO-8601 "2024-03-01T17:34:00Z", "2024-03-01 17:34:00" taken as
// UTC, with an optional "+hh:mm" offset) and value columns (see above). Blank lines and
// lines starting with '#' are skipped. Errors: no timestamp column, a malformed number
// or date (naming line and column), a negative value in a column that cannot have one
// (IsNonNegativeColumn), a timestamp earlier than the previous one.
Result<UsageTable> ParseUsageCsv(std::string_view text, std::string_view source_name);

// Parses a Prometheus HTTP API query_range response (resultType "matrix"). Known
// node_exporter metrics map onto the columns above: node_filesystem_size_bytes and
// _avail_bytes give capacity_bytes and used_bytes, node_filesystem_files and
// _files_free give files, node_disk_{reads,writes}_completed_total,
// node_disk_read_bytes_total and node_disk_written_bytes_total give the counters; other
// metrics keep their __name__. Samples are aligned by timestamp. Errors: not a matrix
// response, several volumes (mountpoints or devices; prometheus_source.h reads them all),
// a timestamp out of range or going backwards within a series (as in a CSV), a negative
// value in a column that cannot have one (naming the column and the sample's time).
Result<UsageTable> ParsePrometheusRange(std::string_view text, std::string_view source_name);

// Loads a file, choosing the parser from its first non-blank character ('{' → JSON).
// Errors: kIo if unreadable, else as the parsers.
Result<UsageTable> LoadUsageTable(const std::string& path);

// Interprets one column ("ops" sums the read_ops and write_ops rates). Errors: unknown
// column (the message lists the available ones), fewer than kMinSeriesPoints usable
// points (the message also says that a forecast needs kMinForecastPoints).
Result<Series> ExtractSeries(const UsageTable& table, std::string_view column);

// The semantic kind and unit of a column name (see the conventions above).
SeriesKind KindOfColumn(std::string_view column);
std::string UnitOfColumn(std::string_view column);
// The column sfsg plans that an unknown column name most likely meant: the same words in
// another order ("files_capacity": "capacity_files") or a common other name ("inodes":
// "files", "size_bytes": "capacity_bytes"). Empty for known names and unrelated ones.
std::string LikelyMeantColumn(std::string_view column);

// Whether a column is a size, a count or a counter, which cannot be below zero: the
// levels and capacities, the I/O counters and sfsg-meter's cumulative milliseconds. The
// loaders refuse a negative value in one (kBadInput, "FILE:LINE: used_bytes: '-5' is
// negative"). Other names ("value", NAME_per_s) may be negative.
bool IsNonNegativeColumn(std::string_view column);
// kBadInput naming the source, column, time and value of the first negative value in a
// column IsNonNegativeColumn names.
Status CheckNonNegative(const UsageTable& table);

// The fewest usable points a series may have, and the fewest grid points a forecast
// needs (ForecastSeries refuses fewer). Stated together so that every "too few points"
// message names the same minimum for a forecast.
constexpr size_t kMinSeriesPoints = 2;
constexpr size_t kMinForecastPoints = 10;

// The plausible range of a timestamp: 1970-01-01 to 2200-01-01 (unix seconds). Times
// outside it are refused (epoch milliseconds are the usual cause).
constexpr double kEarliestTimestamp = 0;
constexpr double kLatestTimestamp = 7258118400;

// Parses a timestamp cell: unix seconds or ISO-8601 (see ParseUsageCsv), within
// [kEarliestTimestamp, kLatestTimestamp). Errors: kBadInput.
Result<double> ParseTimestamp(std::string_view text, std::string_view where);

// An evenly spaced copy of a series, ready for the models.
struct RegularGrid {
  double start_s = 0;  // time of values[0]
  double step_s = 0;
  std::vector<double> values;
  size_t filled = 0;      // grid points with no sample, filled by linear interpolation
  size_t aggregated = 1;  // typical samples per grid point (1: native resolution)
};

// Buckets the samples on a grid of the median step, or of the smallest round step (1 s,
// 5 s, ..., 1 h, 1 d, ...) that keeps at most max_points points when the series is longer
// (max_points == 0: never aggregate), and never finer than min_step_s (then also rounded).
// Each grid point is the mean of its samples; aggregated, the grid ends at the last sample
// and its last point is that sample (a forecast starts from the last observation).
// REQUIRES: series.time_s.size() >= 2.
RegularGrid ToRegularGrid(const Series& series, size_t max_points, double min_step_s = 0);

}  // namespace sfsg
