// PerfCurve: what a load ladder measured, step by step: the "performance curve" that
// sfsg-replay writes, fio results import into, and the predictor fits (USL, latency knee).
//
// On disk: versioned JSON {"format": "sfsg-curve", "version": 1, "source": ..., "steps": [...]}.
// Each step is one rung of the ladder: closed loop (concurrency N, offered rate 0) or
// open loop (offered_ops_per_s > 0). Latencies are in microseconds.
// Plain value types; loading validates and names the file and field on error.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "generator/util/json_io.h"
#include "generator/util/status.h"

namespace sfsg {

inline constexpr const char* kCurveFormat = "sfsg-curve";
inline constexpr int kCurveVersion = 1;

struct LatencySummary {
  double mean_us = 0, p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
};

struct OpStats {
  uint64_t ops = 0;
  uint64_t errors = 0;
  double ops_per_s = 0;
  double bytes_per_s = 0;
  LatencySummary latency;
};

struct ProcessUsage {
  int64_t pid = 0;         // 0: not measured
  double cpu_percent = 0;  // of one core, averaged over the step
  uint64_t rss_bytes = 0;  // at the end of the step
};

struct CurveStep {
  std::string mode = "closed";            // "closed" or "open"
  uint32_t concurrency = 1;               // closed loop: workers; open loop: workers available
  double offered_ops_per_s = 0;           // open loop: the target rate; 0 for closed loop
  double duration_s = 0;                  // measured part (warm-up excluded)
  OpStats total;                          // all operations
  std::map<std::string, OpStats> per_op;  // "read", "write", "stat", ...
  ProcessUsage filesystem;                // the filesystem process serving the target
  ProcessUsage replayer;
  // On a device-timed shadow: the time the model charged over the measured part (its
  // response times summed, sfsg_device_model_seconds_total) over the time the calls took
  // (their latencies summed). About 1: the model timed the rung; well below: the shadow's
  // own request path did, and the rung describes sfsg, not the device (see
  // kDeviceTimedShare). In the file: "device": {"model_seconds", "model_share"}, absent
  // when not measured.
  std::optional<double> device_model_s, device_model_share;
};

// A rung whose model share is below this was timed by the shadow's own request path
// (CPU, the FUSE round trips) more than by the device model: it describes sfsg, not the
// device. The share is below 1 even when the emulation is faithful (stat answered in the
// kernel, open and release charge nothing). scripts/bench-device: every rung above half
// within 15% of its real target, rungs below it anywhere from 0.51 to 1.45 (BENCHMARKS.md).
inline constexpr double kDeviceTimedShare = 0.5;

// The model's share of a step's call time (device_model_s over ops x mean latency), or
// nullopt when either is missing.
std::optional<double> DeviceModelShare(const CurveStep& step);

struct PerfCurve {
  std::string source;  // "sfsg-replay", "fio"
  std::string target;  // the directory measured
  double created_unix = 0;
  std::string workload;  // a short description of what was run
  std::vector<CurveStep> steps;
  // Measured on a shadow timed by a device model (sfsg-mount --device, or a passive one):
  // that model's name and the device requests it served per file operation over the
  // ladder, so a planner can map diskstats demand onto this curve. 0: not measured.
  // In the file: "device": {"model": string, "requests_per_file_op": number > 0}, absent
  // when not measured.
  std::string device_model;
  double device_requests_per_op = 0;
};

Json PerfCurveToJson(const PerfCurve& curve);
Result<PerfCurve> PerfCurveFromJson(const Json& json, std::string_view source_name);
Result<PerfCurve> LoadPerfCurve(const std::string& path);
Status SavePerfCurve(const PerfCurve& curve, const std::string& path);

}  // namespace sfsg
