// What sfsg-calibrate measured or fitted about one storage target, before it is written
// as a device model (generator/device/device_model.h, "format": "sfsg-device").
//
// Three sources fill the same value: an active calibration in a scratch directory
// (active.h), a passive fit of the diskstats counters a metering history holds
// (passive.h), and the user's own fio json+ results (fio_import.h). Each says what it
// could not measure by leaving a part empty and adding a sentence to `notes`, never by
// inventing a figure. Plain value types, thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "generator/util/log_histogram.h"

namespace sfsg {

// A service-time distribution: the mean and quantiles (q in [0, 1], microseconds).
struct MeasuredTime {
  uint64_t samples = 0;
  double mean_us = 0;
  std::vector<std::pair<double, double>> quantiles_us;  // ascending q

  // The quantile at q, interpolated between the stored ones; 0 when empty.
  double QuantileUs(double q) const;
};

// The quantiles an active calibration keeps from its histograms. Dense in the tail: the
// emulator draws between them linearly, and a rare stall (a throttle's slice, a flush)
// seen only at 0.999 would be spread by the draw over the whole interval from 0.99, and
// the mean service time would grow by up to half the stall times 0.9%.
inline constexpr double kServiceQuantiles[] = {0.01, 0.05, 0.10,  0.25,  0.50,  0.75,   0.90, 0.95,
                                               0.98, 0.99, 0.995, 0.998, 0.999, 0.9995, 1.0};

// REQUIRES: latencies in nanoseconds.
MeasuredTime MeasuredTimeFromNs(const LogHistogram& latency_ns);

// `buffered` less `device_us` at every quantile up to kMissCostTop, clamped at 0, and held
// at that value above it: the part of a buffered miss that is not the device's. The tail
// above is the device's (its own distribution, its ceilings): a throttle's waits there,
// which buffered and direct reads meet alike, would otherwise be charged twice.
inline constexpr double kMissCostTop = 0.98;
MeasuredTime MissCost(MeasuredTime buffered, double device_us);

// Uncached inode records. A probe: one stat of a file just after the kernel's caches were
// dropped, with the device's read requests completed and bios merged into them while it
// ran (/sys/dev/block/M:m/stat fields 1 and 2). A probe that read anything missed.
struct InodeProbe {
  uint64_t ino = 0;
  uint64_t requests = 0;
  uint64_t merged = 0;
};
struct InodeFit {
  uint64_t inodes_per_miss = 0;  // the aligned run of inode numbers one miss caches
  double reads_per_miss = 0;     // device requests per miss (mean)
  double ios_per_miss = 0;       // bios per miss (requests + merged; a throttle counts these)
  uint32_t probes = 0, misses = 0;
  uint32_t mismatches = 0;  // probes the fitted run length predicts wrongly
};
// Fits the run length (on a grid of quarter octaves up to 2^20: the geometric middle of
// the lengths that predict the probes' misses and hits in their order within 10% of the
// best) and the reads per miss. nullopt
// with fewer than kMinInodeMisses misses (nothing to fit).
inline constexpr uint32_t kMinInodeMisses = 3;
std::optional<InodeFit> FitInodeRecords(const std::vector<InodeProbe>& probes);

// One data operation class: direction x request size x access pattern, measured at
// queue depth 1 (one request in flight), so it is the device's service time.
struct OpClass {
  std::string op;  // "read" or "write"
  uint64_t request_bytes = 0;
  bool sequential = false;
  MeasuredTime service;
  double ops_per_s = 0;
  double bytes_per_s = 0;
};

// One metadata operation class: "create", "unlink", "stat", "open", "readdir" (per entry
// returned), "fsync", "rename".
struct MetaClass {
  std::string op;
  MeasuredTime service;
};

// Throughput at one concurrency: closed-loop workers (active, fio) or the average queue
// d(io_weighted)/dt (passive, Little's law).
struct ConcurrencyPoint {
  double concurrency = 0;
  double ops_per_s = 0;
  double mean_latency_us = 0;
  double p99_latency_us = 0;  // 0: not known (passive)
};

// A ladder of ConcurrencyPoints for one class (e.g. 4 KiB random reads).
struct ConcurrencyLadder {
  std::string op;  // "read" or "write"
  uint64_t request_bytes = 0;
  bool sequential = false;
  std::vector<ConcurrencyPoint> points;
};

// The device's effective parallelism from a ladder (parallelism_fit.h).
struct ParallelismEstimate {
  double parallelism = 1;      // c: requests served at once
  double service_time_us = 0;  // S: one request alone
  double peak_ops_per_s = 0;   // c / S
  bool lower_bound = false;    // the ladder never saturated: c is at least this
  double rms_log_error = 0;    // fit quality: RMS of log(measured / model throughput)
  size_t points = 0;
};

// The page cache apart from the device.
inline constexpr uint64_t kLargeCacheRequestBytes = uint64_t{1} << 20;

struct CacheMeasurement {
  std::optional<MeasuredTime> cached_read;    // 4 KiB reads of data the cache holds
  std::optional<MeasuredTime> uncached_read;  // the same reads bypassing it (O_DIRECT)
  std::optional<MeasuredTime> cached_write;   // 4 KiB buffered writes (into the cache)
  // The same at kLargeCacheRequestBytes: a hit's time is mostly the call at 4 KiB and
  // mostly the copy at 1 MiB, so two sizes give the curve between them.
  std::optional<MeasuredTime> cached_read_large;
  std::optional<MeasuredTime> cached_write_large;
  // What a buffered read that misses costs beyond the device, per request size (bytes,
  // time): buffered reads of uncached ranges less the median O_DIRECT read of the same
  // size (MissCost). Empty without O_DIRECT.
  std::vector<std::pair<uint64_t, MeasuredTime>> read_miss;
  uint64_t dirty_limit_bytes = 0;    // vm.dirty_bytes or dirty_ratio x available
  uint64_t mem_total_bytes = 0;      // /proc/meminfo MemTotal
  uint64_t mem_available_bytes = 0;  // what can cache: MemAvailable, or less in a cgroup
  uint64_t cached_bytes = 0;         // /proc/meminfo Cached at calibration time
  uint64_t cgroup_limit_bytes = 0;   // the caller's memory cgroup limit, 0 if none
  std::optional<InodeFit> inodes;    // uncached inode records; nullopt: not measured
};

struct Calibration {
  std::string mode;  // "active", "passive", "fio"
  std::string target;
  std::string filesystem;  // e.g. "ext4" (active), "" when unknown
  std::string device;      // e.g. "/dev/loop0" (active: the mount's source), "" when unknown
  double created_unix = 0;
  double duration_s = 0;   // active: wall time measured; passive: span of the history
  bool direct_io = false;  // active: O_DIRECT bypassed the page cache
  std::vector<OpClass> classes;
  std::vector<MetaClass> metadata;
  std::vector<ConcurrencyLadder> ladders;
  std::optional<ParallelismEstimate> read_parallelism, write_parallelism;
  double read_bytes_per_s_max = 0, write_bytes_per_s_max = 0;  // highest seen
  double read_ops_per_s_max = 0, write_ops_per_s_max = 0;
  CacheMeasurement cache;
  // Passive: the load range the fit saw (the model covers only it).
  double observed_queue_min = 0, observed_queue_max = 0;
  double observed_ops_per_s_max = 0;
  double read_fraction = 0;        // of requests; 0 when unknown
  std::vector<std::string> notes;  // one sentence each: what is missing or approximate
};

}  // namespace sfsg
