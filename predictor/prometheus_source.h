// Prometheus as a usage source: node_exporter's filesystem and disk series, from a
// query_range export on disk or live from a server's HTTP API, as one UsageTable per
// volume (see series.h for the columns).
//
// One parser serves both: a query_range response is read into PromSeries (a metric
// name, its labels, its samples), and GroupVolumes() sorts series into volumes:
//   node_filesystem_*  one volume per (instance, job, mountpoint):
//     size_bytes, free_bytes, avail_bytes -> used_bytes = size - free and
//       capacity_bytes = used + avail (as df: root-reserved blocks are not available);
//       an export without free_bytes gives used = size - avail, capacity = size
//     files, files_free -> files = files - files_free, capacity_files = files
//   node_disk_*        joined to the volume on the same instance whose filesystem
//                      device is /dev/DEVICE (or, with one volume and one disk, to it):
//     reads/writes_completed_total -> read_ops/write_ops, read_bytes_total,
//     written_bytes_total -> read_bytes/write_bytes, read/write_time_seconds_total,
//     io_time_seconds_total, io_time_weighted_seconds_total -> read_time_ms,
//     write_time_ms, io_time_ms, io_weighted_ms (x1000, cumulative as diskstats)
//   other metrics      keep their __name__ (NAB-style "value" series), in the only
//                      volume; with several volumes they are refused.
// With no filesystem series, each disk is a volume of its own.
//
// Pure functions are thread-safe; FetchPrometheusVolumes does network I/O (one
// query_range request per metric, each with the connect and read timeouts of
// HttpOptions) and is thread-safe too.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "generator/util/status.h"
#include "predictor/http_client.h"
#include "predictor/series.h"

namespace sfsg {

struct PromSeries {
  std::string name;                           // __name__ ("value" when absent)
  std::map<std::string, std::string> labels;  // without __name__
  std::vector<double> time_s, values;         // NaN for "NaN" and infinities
};

// One volume's usage: its name ("/srv", or "host:9100 /srv" when several instances
// are present, or the disk device), the identifying labels, and the table.
struct UsageVolume {
  std::string name;
  std::map<std::string, std::string> labels;
  UsageTable table;
};

// Reads a query_range response (resultType "matrix"). Errors: kBadInput (malformed,
// timestamps out of range or going backwards within a series, as a CSV's),
// kUnsupported (another resultType), kRemote when status is "error" (the API's
// errorType and error are quoted).
Result<std::vector<PromSeries>> ParseQueryRange(std::string_view text, std::string_view source);

// The volumes of a set of series, sorted by name. Errors: kBadInput naming the source,
// the metric and its labels (two series of one metric in a volume; metrics that belong
// to no volume when there are several), no series at all.
Result<std::vector<UsageVolume>> GroupVolumes(const std::vector<PromSeries>& series,
                                              std::string_view source);

// ParseQueryRange then GroupVolumes: what a query_range export file holds.
Result<std::vector<UsageVolume>> ParsePrometheusVolumes(std::string_view text,
                                                        std::string_view source);

// Every volume of a usage file: a CSV is one volume named after the file; a Prometheus
// export may hold several. Errors: as LoadUsageTable.
Result<std::vector<UsageVolume>> LoadUsageVolumes(const std::string& path);

// A live source: a server, the label matchers that pick the filesystems, and the window.
struct PromSelector {
  std::string label;  // mountpoint, device, instance, job or fstype
  std::string op;     // "=", "!=", "=~", "!~"
  std::string value;
};

// "mountpoint=/srv", "instance=~host.*:9100", "fstype!=tmpfs". Errors: kUsage naming
// the text (an unknown label, no operator, an empty value).
Result<PromSelector> ParsePromSelector(std::string_view text);

struct PrometheusSource {
  HttpEndpoint endpoint;
  std::vector<PromSelector> selectors;  // none: every filesystem the server has
  HttpOptions http;
  double end_unix = 0;  // the window's end (aligned down to the step)
  double range_s = 0;   // history to fetch
  double step_s = 0;    // query_range resolution
};

// The window a plan needs for a horizon: twice the horizon of history (the backtest's
// folds), at least 7 days, and a step that keeps it within max_points (Prometheus'
// own limit is 11,000 points per series), rounded to a round duration and at least 15 s.
struct PromWindow {
  double range_s = 0, step_s = 0;
};
PromWindow ChoosePromWindow(double horizon_s, size_t max_points);

// The PromQL of one metric with the selectors: node_filesystem_size_bytes{mountpoint="/srv"}.
std::string PromQuery(std::string_view metric, const std::vector<PromSelector>& selectors);

// Fetches the filesystem series (size, avail, free, files, files_free) matching the
// selectors, then the disk series of their devices, and groups them. Errors (kRemote),
// each one line naming the URL and the query: the server unreachable, an HTTP or API
// error, a filesystem metric with no series (an empty result); kBadInput for a reply
// that is not a query_range response. A volume whose device has no disk series (an
// LVM or network filesystem) simply has no operation columns.
Result<std::vector<UsageVolume>> FetchPrometheusVolumes(const PrometheusSource& source);

// A table as usage CSV (sfsg-meter's columns first, then any others; %.17g numbers,
// empty cells for NaN), so a fetched history can be kept and re-read.
std::string UsageTableToCsv(const UsageTable& table);

}  // namespace sfsg
