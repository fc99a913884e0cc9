// The forecaster's load ladder in a process of its own: sfsg-replay, run as a child of
// sfsg-mount against the mount, so the filesystem's CPU (the daemon) and the load
// generator's (the child) are measured apart, and the replayer never competes with the
// filesystem for the daemon's locks or allocator. The curve it writes is the one
// `sfsg-replay --target MOUNTPOINT` would write by hand: it rebuilds the shadow's
// namespace from /.sfsg/status and records both processes' CPU per step.
//
// Thread-safety: RunLadderProcess blocks its caller until the child exits; it may run on
// any thread (the child inherits that thread's mount namespace: the forecaster's private
// view). No shared state.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "generator/perf_curve.h"
#include "generator/util/status.h"
#include "generator/workload.h"

namespace sfsg {

struct LadderProcessOptions {
  std::string replay_binary;  // the sfsg-replay to run ("": ReplayBinaryBesideSelf())
  std::string target;         // the directory to load (the shadow's mountpoint)
  Workload workload = DefaultWorkload();
  std::vector<uint32_t> ladder{1, 2, 4, 8};
  double step_s = 5, warmup_s = 1;
  int64_t fs_pid = 0;  // the filesystem process measured beside the replayer; 0: none
  // Where the workload, the curve and the child's messages go while it runs; removed
  // afterwards. "": a fresh directory under /tmp.
  std::string work_dir;
  // Set from another thread: the child gets SIGTERM (it removes its scratch directory
  // and exits), SIGKILL 5 s later; RunLadderProcess then returns a kIo error saying so.
  const std::atomic<bool>* cancel = nullptr;
};

// sfsg-replay in the directory of the running executable (/proc/self/exe), where
// `cmake --install` puts all the commands; else the build tree's; else "sfsg-replay"
// (looked up in PATH).
std::string ReplayBinaryBesideSelf();

// The command line the child runs (for the log and the tests): the workload is read from
// its stdin and the curve written to its stdout.
std::vector<std::string> LadderCommand(const LadderProcessOptions& options);

// Runs the ladder as a child process and returns its curve. The child's files (its
// workload on stdin, its curve on stdout, its messages on stderr) are opened first, then
// `within` is called with the function that starts and waits for the child: it may run
// that function elsewhere (the forecaster runs it in a private view of the mounts, where
// /tmp may not be mounted); empty: called directly. Errors: kIo (the child cannot start,
// fails, is cancelled or outlives twice the ladder's length plus a minute; the message
// has its exit status and its last line on stderr), kBadInput (its curve does not load).
using RunWithin = std::function<void(const std::function<void()>& spawn)>;
Result<PerfCurve> RunLadderProcess(const LadderProcessOptions& options,
                                   const RunWithin& within = {});

}  // namespace sfsg
