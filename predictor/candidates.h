// Candidate device configurations at the planning horizon: which change to today's
// device (a calibrated DeviceModel) is the smallest that keeps the latency objective at
// the horizon's peak demand, in device terms.
//
// Each candidate is today's model scaled (DeviceScale: servers x K, bandwidth and IOPS
// ceilings x K, the page cache resized) and is evaluated offline by the same emulator
// that times a mounted shadow (generator/device/device_emulator.h): an open-loop stream
// of `requests` device requests with Poisson arrivals at the peak rate, each a read or a
// write of the load's mean sizes (random, or sequential in the load's share), from a
// seeded stream. The first tenth is discarded as warm-up; the objective's quantile of the
// rest is compared with the objective. A candidate whose completions fall behind the
// arrivals (served below 95% of the offered rate) is "saturated" and never meets it.
// Demand measured below the page cache (diskstats) is sent with O_DIRECT, so the cache
// candidate is offered only for a model with a page cache and a load with a working set
// (its reads then go through the cache, spread uniformly over the working set).
//
// "Smallest": candidates carry a size, the product of their factors (today 1, one
// dimension doubled 2, two doubled or one quadrupled 4); the recommended one is the
// smallest size that meets the objective, the earlier in the list on a tie. None meets
// it: no recommendation, and the plan says so.
//
// Pure and deterministic (a seed); thread-safe. Cost: requests x candidates emulator
// steps, ~20 ms for the defaults.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "generator/device/device_model.h"
#include "generator/util/json_io.h"
#include "generator/util/status.h"
#include "predictor/objective.h"
#include "predictor/series.h"

namespace sfsg {

// What the device serves at the horizon's peak, in device requests.
struct DeviceLoad {
  double requests_per_s = 0;  // reads + writes reaching the device
  double read_fraction = 1;   // of requests, [0, 1]
  uint64_t read_bytes = 4096, write_bytes = 4096;  // mean request sizes (> 0)
  double sequential_fraction = 0;                   // [0, 1]
  uint64_t working_set_bytes = 0;  // > 0: reads are buffered over this many bytes
};

// The read/write mix and mean request sizes of the last `intervals` intervals of a usage
// table's diskstats counters (read_ops, write_ops, read_bytes, write_bytes), at
// `requests_per_s`. Errors (kBadInput): the columns are missing or hold no I/O.
Result<DeviceLoad> DeviceLoadFromUsage(const UsageTable& table, double requests_per_s,
                                       size_t intervals = 24);

struct DeviceCandidate {
  std::string name;  // "today", "parallelism x2", ...
  DeviceScale scale;
  double size = 1;  // the product of the factors (cache: its factor)
};

// today, parallelism x2, bandwidth x2, iops x2, cache x2 (when the model has a cache),
// parallelism x2 + bandwidth x2, parallelism x4.
std::vector<DeviceCandidate> DefaultCandidates(const DeviceModel& model);

struct CandidateResult {
  DeviceCandidate candidate;
  double latency_us = 0;       // the objective's quantile (a lower bound when saturated)
  double mean_us = 0;
  double served_per_s = 0;     // completions per second over the measured part
  bool saturated = false;
  bool meets = false;
};

struct CandidatePlan {
  Objective objective;
  DeviceLoad load;
  std::vector<CandidateResult> results;  // in the order given
  std::optional<size_t> recommended;     // index into results
  std::string statement;                 // one sentence: the recommendation or that none meets
};

// Errors: kUsage (no candidates, a load with no requests, a bad objective quantile), and
// a candidate the model cannot be scaled to (ScaleDeviceModel's error).
Result<CandidatePlan> PlanDeviceCandidates(const DeviceModel& model,
                                           const std::vector<DeviceCandidate>& candidates,
                                           const DeviceLoad& load, const Objective& objective,
                                           uint64_t seed = 1, size_t requests = 20000);

// {"objective": {"quantile", "latency_us"}, "load": {"requests_per_s", "read_fraction",
//  "read_bytes", "write_bytes", "sequential_fraction", "working_set_bytes"},
//  "candidates": [{"name", "size", "scale": {"parallelism", "bandwidth", "iops",
//                  "cache_bytes": number | null}, "latency_us", "mean_us",
//                  "served_per_s", "saturated", "meets"}],
//  "recommended": string | null, "statement": string}
Json CandidatePlanToJson(const CandidatePlan& plan);

}  // namespace sfsg
