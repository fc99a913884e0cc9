// DeviceModel: what a storage device (a filesystem on a disk, as a client sees it) costs
// per request, so a shadow can answer at the device's times instead of memory's.
//
// Written by sfsg-calibrate (active, passive or fio calibration), read by sfsg-mount
// --device (the emulator in generator/device/device_emulator.h) and by the planner's
// what-ifs. On disk: versioned JSON, {"format": "sfsg-device", "version": 1, ...}; the
// full layout is in DeviceModelToJson (device_model.cc) and man/sfsg-mount.8 (DEVICE MODEL).
//
// The model, per request:
//   * a service time drawn from a distribution chosen by the operation class: data reads
//     and writes per access pattern (sequential/random) and request size (buckets measured
//     at given sizes, interpolated between them), metadata operations one distribution each;
//   * `servers` parallel servers (the device's effective parallelism) serving a FCFS queue;
//     while k requests are in service each takes longer by 1 + contention*(k-1) +
//     coherency*k*(k-1) (Gunther's Universal Scalability Law, so throughput at k <= servers
//     follows X(k) = k / (S * (1 + a(k-1) + b k(k-1))));
//   * bandwidth and IOPS ceilings per direction (token buckets);
//   * a page cache of `cache.size_bytes`: reads of cached blocks take the cached-hit times.
//
// Units are in the names: *_us microseconds, *_bytes bytes, *_per_s per second. A zero
// ceiling means "no ceiling". Plain value types: copyable, thread-compatible. Reading and
// writing are pure functions plus file I/O; every error is a value naming the field.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "generator/util/json_io.h"
#include "generator/util/status.h"

namespace sfsg {

inline constexpr const char* kDeviceFormat = "sfsg-device";
inline constexpr int kDeviceVersion = 1;
// The most device reads one inode miss may cost (ext4's inode_readahead_blks is at most
// 2^31 in principle, 32 by default; a model above this is a mistake).
inline constexpr double kMaxInodeReadsPerMiss = 1024;

// A service-time distribution, in microseconds. One of three kinds:
//   constant:  every draw is `constant_us`            {"kind": "constant", "us": 150}
//   lognormal: ln(time) ~ N(ln(median_us), sigma^2)   {"kind": "lognormal", "median_us": 150,
//                                                       "sigma": 0.3}
//   quantiles: a measured inverse CDF, piecewise linear between the points
//              {"kind": "quantiles", "q": [0, 0.5, 0.99, 1], "us": [90, 150, 400, 900]}
//              q strictly increasing within [0, 1], us non-decreasing; a probability below
//              the first q or above the last takes the first or last time.
// Valid: times >= 0 and finite, sigma >= 0, at least two quantile points.
struct ServiceTime {
  enum class Kind { kConstant, kLognormal, kQuantiles };
  Kind kind = Kind::kConstant;
  double constant_us = 0;           // kConstant
  double median_us = 0;             // kLognormal: exp(mu)
  double sigma = 0;                 // kLognormal: standard deviation of ln(time)
  std::vector<double> quantile_q;   // kQuantiles: probabilities
  std::vector<double> quantile_us;  // kQuantiles: times, same length as quantile_q

  static ServiceTime Constant(double us);
  static ServiceTime Lognormal(double median_us, double sigma);
  static ServiceTime Quantiles(std::vector<double> q, std::vector<double> us);

  // The time at probability u in [0, 1) (the inverse CDF): pure, O(log points), no
  // allocation. REQUIRES: a valid distribution (ValidateDeviceModel passed).
  double TimeAtUs(double u) const;
  // The distribution's mean, in microseconds (exact for constant and lognormal; the
  // trapezoid mean of the table for quantiles).
  double MeanUs() const;
};

// A service time measured at one request size.
struct SizeBucket {
  uint64_t size_bytes = 0;  // the request size this bucket stands for (> 0)
  ServiceTime service;
};

// Service times of one data direction and pattern: buckets in strictly ascending
// size_bytes, at least one. A request of size s takes, at the same probability u: the first
// bucket's time below the first size, the linear interpolation in s between two buckets,
// and above the last size L the last bucket's time plus (s / L - 1) times its median
// (transfer-bound: the extra bytes move at the median rate, while a request's stall, the
// tail, is drawn once; scaling the tail by s / L made one 64 KiB stall a 6-second read).
struct SizeCurve {
  std::vector<SizeBucket> buckets;
  // REQUIRES: valid (ValidateDeviceModel passed). Pure, O(log buckets).
  double TimeAtUs(uint64_t size_bytes, double u) const;
};

enum class AccessPattern { kSequential, kRandom };

// The data side: all four curves are required (calibration may copy one into another
// when it measured only one, and says so in provenance.notes).
struct DataModel {
  SizeCurve read_sequential, read_random, write_sequential, write_random;
  const SizeCurve& Curve(bool write, AccessPattern pattern) const;
};

// Metadata operations. A request of the shadow maps to one (see the emulator header):
// lookup/getattr -> stat, mkdir/mknod/symlink/link/create -> create, rmdir -> unlink, ...
enum class MetadataOp { kCreate, kUnlink, kStat, kReaddir, kFsync, kRename, kOpen };
inline constexpr int kMetadataOpCount = 7;
// "create", "unlink", "stat", "readdir", "fsync", "rename", "open" (the JSON keys).
std::string_view MetadataOpName(MetadataOp op);

// Each metadata operation's service time; an absent entry (nullopt) is answered with no
// device time (documented; calibration writes every operation it measured).
struct MetadataModel {
  std::array<std::optional<ServiceTime>, kMetadataOpCount> ops;
  const std::optional<ServiceTime>& Get(MetadataOp op) const { return ops[static_cast<int>(op)]; }
  std::optional<ServiceTime>& Get(MetadataOp op) { return ops[static_cast<int>(op)]; }
};

// How service time grows with requests in service (USL coefficients, both >= 0).
struct ConcurrencyModel {
  double contention = 0;  // alpha: serialisation
  double coherency = 0;   // beta: crosstalk
  // The service-time multiplier while `in_service` requests (>= 1) are being served.
  double Slowdown(uint32_t in_service) const;
};

// Ceilings; 0 = none. With slice_s = 0, token buckets of depth rate * burst_s (a burst of
// up to burst_s seconds' worth passes at once, the rest is spaced evenly). With slice_s
// > 0, the ceilings admit in slices as the kernel's blk-throttle does: each slice of
// slice_s seconds lets rate * slice_s through at once and the rest wait for the next
// slice; a slice starts when a request finds the ceiling idle and the last slice over.
// Valid: all >= 0, burst_s > 0, slice_s <= 10.
struct DeviceCaps {
  double read_bytes_per_s = 0;
  double write_bytes_per_s = 0;
  double read_ops_per_s = 0;
  double write_ops_per_s = 0;
  double burst_s = 0.01;
  double slice_s = 0;
};

// The page cache the device's host has for it. Reads of cached blocks take read_hit times
// and no device time; O_DIRECT requests bypass the cache. Buffered writes take write_hit
// times while the dirty data not yet written back stays under dirty_limit_bytes (0: the
// cache is write-through, every write waits for the device). A buffered read that misses
// costs the device's time plus read_miss (optional): the caller's own work on a miss
// beyond the device (allocating and filling pages, reclaiming others when memory is full,
// the copy), which occupies no server.
//
// Inode records (optional, inodes_per_miss > 0): a lookup, getattr, open or readdir of an
// inode whose on-disk record is not cached reads it first: inode_reads_per_miss device
// reads (the record's block and the filesystem's readahead of its neighbours: ext4 reads
// up to 32 inode-table blocks), which draw inode_ios_per_miss operations from the read
// ceilings (a throttle counts the bios before they merge) and all complete before the
// caller's request is served. One miss caches the aligned run of inodes_per_miss inode
// numbers around it, holding inode_reads_per_miss * block_bytes of the same LRU as data.
struct PageCacheModel {
  uint64_t size_bytes = 0;      // memory available to cache this device's data; 0: no cache
  uint64_t block_bytes = 4096;  // the cache's granularity (a page), > 0
  SizeCurve read_hit;           // required when size_bytes > 0
  SizeCurve write_hit;          // required when dirty_limit_bytes > 0
  SizeCurve read_miss;          // empty: a miss costs the device's time alone
  uint64_t dirty_limit_bytes = 0;
  uint64_t inodes_per_miss = 0;     // 0: inode records always cached
  double inode_reads_per_miss = 0;  // >= 1 when inodes_per_miss > 0
  double inode_ios_per_miss = 0;    // >= inode_reads_per_miss when inodes_per_miss > 0
};

// Where the model came from. mode: "active" (sfsg-calibrate ran a load ladder on the
// target), "passive" (fitted from observed counters), "fio" (imported from fio results),
// "manual" (written by hand, e.g. in tests and what-ifs).
struct DeviceProvenance {
  std::string mode = "manual";
  std::string created_utc;      // ISO 8601, e.g. "2026-12-04T16:20:00Z"; may be empty
  std::string tool;             // e.g. "sfsg-calibrate 0.1.0"
  std::string target_path;      // the directory measured
  std::string filesystem_type;  // e.g. "xfs"
  std::string device;           // e.g. "/dev/loop0", "nvme0n1"
  // The load the calibration covered; a model says nothing reliable beyond it. 0 = unknown.
  uint32_t concurrency_min = 0;
  uint32_t concurrency_max = 0;
  double ops_per_s_max = 0;
  uint64_t request_bytes_min = 0;
  uint64_t request_bytes_max = 0;
  std::string notes;
};

// How well the model predicted held-out workloads (filled by the validation benchmark,
// scripts/bench-device). Errors are the largest absolute relative error as a fraction
// (0.15 = 15%); nullopt = not validated. Written as null.
struct DeviceValidation {
  std::optional<double> throughput_error;  // per rung, worst
  std::optional<double> p99_error;         // per rung, worst
  std::optional<double> usl_peak_error;
  std::string workloads;  // what was held out
  std::string validated_utc;
};

struct DeviceModel {
  std::string name;      // a short label shown in /.sfsg/status
  uint32_t servers = 1;  // effective parallelism, >= 1
  ConcurrencyModel concurrency;
  DataModel data;
  MetadataModel metadata;
  DeviceCaps caps;
  PageCacheModel cache;
  DeviceProvenance provenance;
  DeviceValidation validation;
};

// Checks every number (non-negative, finite, servers >= 1, buckets ascending, quantiles
// monotone, the cache's curves present when needed). Errors: kBadInput naming
// `where`.field, e.g. "model.json: data.read.random[0].service.us: negative time -1".
Status ValidateDeviceModel(const DeviceModel& model, std::string_view where);

Json DeviceModelToJson(const DeviceModel& model);
// Parses and validates. Errors: kBadInput naming source_name and the field (a wrong
// format or version is kBadInput too, so a mount refuses it with exit 4).
Result<DeviceModel> DeviceModelFromJson(const Json& json, std::string_view source_name);
// Errors: kIo (cannot read), kBadInput (parse error, a field as above).
Result<DeviceModel> ReadDeviceModel(const std::string& path);
// Validates, then writes atomically. Errors: kBadInput (invalid model), kIo.
Status WriteDeviceModel(const DeviceModel& model, const std::string& path);

// What-if scaling, applied to a model at mount (--device-scale, --device-cache) and by
// the planner: servers * parallelism (rounded, at least 1), bandwidth ceilings * bandwidth,
// IOPS ceilings * iops (a zero ceiling stays none), the cache resized when cache_bytes is
// set. Factors must be > 0 and finite.
struct DeviceScale {
  double parallelism = 1;
  double bandwidth = 1;
  double iops = 1;
  std::optional<uint64_t> cache_bytes;
};
// Errors: kUsage naming the factor when one is not > 0 and finite.
Result<DeviceModel> ScaleDeviceModel(const DeviceModel& model, const DeviceScale& scale);
// Parses "parallelism=2,bandwidth=1.5,iops=2" (any subset, any order) into `scale`
// (other fields untouched). Errors: kUsage naming the key or value.
Status ParseDeviceScale(std::string_view text, DeviceScale& scale);

}  // namespace sfsg
