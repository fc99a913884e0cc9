// sfsg_replay: the load ladder. Applies a Workload through real system calls against a
// directory (a shadow, or a real scratch directory for calibration) and measures each
// step into a PerfCurve: per-operation log-linear latency histograms (p50 ... p99.9,
// max), ops/s, MiB/s, errors, and the CPU and resident memory of the filesystem process
// and of the replayer.
//
// Closed loop: N workers issue operations back to back (the ladder 1, 2, 4, ...).
// Open loop: operations are due at the times of an arrival schedule (Poisson or uniform
// at the step's rate) and a pool of workers sends them; latency runs from the intended
// send time, so a slow target's queueing is counted instead of hidden (no coordinated
// omission). Sends still due when the step's drain time runs out are reported as
// "missed", with their waiting time so far as a lower bound, and count as errors.
// Each step discards its warm-up.
//
// Safety: every write, create and unlink happens inside a scratch directory the run
// creates in the target (TARGET/.sfsg-replay-<pid>-<n>/) and removes at the end; the
// rest of the target is only read, stat'ed and listed. A target that is not a directory
// is refused.
//
// Thread-safety: RunLadder may be called from any thread (sfsg-mount runs it in the
// background); it starts and joins its own workers. Concurrent runs on one target are
// fine (each has its own scratch directory). `progress` is called from the calling
// thread about twice a second.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "generator/namespace.h"
#include "generator/perf_curve.h"
#include "generator/util/status.h"
#include "generator/workload.h"

namespace sfsg {

struct ReplayOptions {
  std::string target;                     // directory to load
  Workload workload = DefaultWorkload();  // what to send
  // The synthetic tree under `target` (files are picked by index and named by it).
  // Must outlive the call. Null: `target` is a plain directory, and the run lays out
  // its own `layout_files` files of `layout_file_bytes` in its scratch directory.
  const Namespace* shadow = nullptr;
  uint64_t hot_files = 0;      // >0: only the K most popular regular files (as --emit-fio)
  uint64_t layout_files = 16;  // plain directories only
  uint64_t layout_file_bytes = 1 << 20;
  std::vector<uint32_t> ladder;   // closed-loop steps (concurrency); both empty: 1,2,4,8
  std::vector<double> rates;      // open-loop steps (ops/s), run after the ladder
  uint32_t max_concurrency = 64;  // open loop: the worker pool
  double step_s = 5;              // measured part of each step
  double warmup_s = 1;            // discarded start of each step
  uint32_t keep_open = 0;         // descriptors each worker keeps open (0: open per op)
  uint64_t seed = 1;              // popularity permutation and random streams
  int64_t fs_pid = 0;             // filesystem process to measure; 0: none
  uint64_t scratch_file_bytes = 8 << 20;
  uint32_t scratch_files = 2;  // write files per worker
  // Set from another thread to end the run early (sfsg-mount's shutdown): the workers
  // stop within one operation, the scratch directory is removed, and RunLadder returns
  // a kIo error saying it was cancelled. Null: never.
  const std::atomic<bool>* cancel = nullptr;
  // The time a device-timed shadow's model has charged so far, in seconds (its
  // sfsg_device_model_seconds_total), read when each step's measured part starts and
  // ends: the step then records the model's share of its calls' time
  // (CurveStep::device_model_share). Empty, or nullopt: not measured.
  std::function<std::optional<double>()> device_seconds;
};

struct ReplayProgress {
  size_t step = 0, steps = 0;  // 0-based step, number of steps
  std::string mode;            // "closed", "open", "iolog"
  uint32_t concurrency = 0;
  double offered_ops_per_s = 0;
  double elapsed_s = 0, step_total_s = 0;  // warm-up included
  uint64_t ops = 0;                        // operations done so far in this step
  double ops_per_s = 0;                    // recent rate
};
using ProgressFn = std::function<void(const ReplayProgress&)>;

// Runs the ladder, then the rate steps. Errors: kUsage (bad options, a target that is
// not a directory, a namespace that does not match the target), kIo (the scratch
// directory cannot be made or the layout written).
Result<PerfCurve> RunLadder(const ReplayOptions& options, const ProgressFn& progress);

// The human table of a curve, one row per step.
std::string FormatCurveTable(const PerfCurve& curve);

// A one-line description of a workload for PerfCurve::workload.
std::string DescribeWorkload(const Workload& w);

}  // namespace sfsg
