// An active calibration: a short, bounded measurement of a real storage target in a
// scratch directory on it.
//
// RunActiveCalibration() creates `<target>/.sfsg-calibrate-XXXXXX`, writes one data file
// of at most `size_bytes` (less when the time runs short), and measures, each phase
// within its share of `time_s`:
//   - data classes at one request in flight: read and write x 4 KiB, 64 KiB, 1 MiB x
//     sequential and random, with O_DIRECT where the filesystem takes it (so the device
//     is measured, not the page cache; without it the notes say so);
//   - ladders of 4 KiB and 1 MiB random reads and writes at concurrency 1, 2, 4, ... up to
//     `max_concurrency` (psync threads, one request each), fitted to the device's
//     effective parallelism (parallelism_fit.h);
//   - the bandwidth and IOPS ceilings: longer runs of 4 KiB and 1 MiB random reads and
//     writes at `max_concurrency`, each at the rate it settled at (SustainedRate below);
//   - metadata: create, stat, open, readdir, rename, fsync (of a 4 KiB write), unlink;
//   - the page cache apart from the device: 4 KiB and 1 MiB reads and buffered writes of
//     data just read through the cache, 4 KiB reads of it with O_DIRECT, and the memory
//     available to cache (/proc/meminfo, bounded by the caller's memory cgroup).
// The scratch directory is removed before returning, on success and on every error,
// including an interruption through `stop` (a flag a signal handler sets: the phases
// poll it between requests). Before creating anything the target's free space
// (statvfs f_bavail) and write permission are checked, so a refusal leaves nothing.
//
// Blocking, uses up to max_concurrency threads of its own; call from one thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "generator/util/status.h"
#include "predictor/calibrate/calibration.h"

namespace sfsg {

struct ActiveOptions {
  std::string target;                         // an existing directory on the storage to measure
  uint64_t size_bytes = uint64_t{256} << 20;  // the data file (the scratch space used)
  double time_s = 60;                         // all phases together (the fill may cut it short)
  uint32_t max_concurrency = 32;              // deepest rung of the ladders
  uint64_t seed = 1;                          // offsets of random requests, bytes written
  const std::atomic<bool>* stop = nullptr;    // set -> stop, clean up, return kInterrupted
};

// Extra room the calibration needs beyond size_bytes (metadata files, the fsync file).
inline constexpr uint64_t kScratchMarginBytes = uint64_t{16} << 20;
// The smallest data file that can hold a few 1 MiB requests.
inline constexpr uint64_t kMinScratchBytes = uint64_t{4} << 20;

// Errors: kIo (target missing, not a directory, not writable; an I/O error), kNoSpace
// (less free space than size_bytes + kScratchMarginBytes), kUsage (size or time out of
// range), kInternal with message "interrupted" when `stop` was set.
Result<Calibration> RunActiveCalibration(const ActiveOptions& options);

// The exit status sfsg-calibrate gives an interrupted calibration (128 + SIGINT).
inline constexpr int kInterruptedExit = 130;

// Reads MemTotal, MemAvailable and Cached from a /proc/meminfo-format file into `cache`;
// false when the file cannot be read.
bool ReadMemInfo(const std::string& path, CacheMeasurement& cache);

// The memory limit of the calling process's cgroup (v2 memory.max, v1
// memory.limit_in_bytes) read through `proc_cgroup` (/proc/self/cgroup) under
// `cgroup_root` (/sys/fs/cgroup); the smallest when both are set; 0 when there is none.
uint64_t ReadCgroupMemoryLimit(const std::string& proc_cgroup, const std::string& cgroup_root);

// The rate at which requests completed from `from_ns` on, per second: the least-squares
// slope of the completion count against time over the completion times at or after
// `from_ns` (`done_ns` is sorted in place); `fallback` when fewer than 20 are there. A
// throttle that admits a slice's worth of requests at once when a run starts (the
// kernel's blk-throttle does) makes count / duration of a short run overstate the rate
// it keeps; the slope after the start does not.
double SustainedRate(std::vector<int64_t>& done_ns, int64_t from_ns, double fallback);

}  // namespace sfsg
