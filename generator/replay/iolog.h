// fio iolog traces: parsing (versions 2 and 3, as fio's write_iolog writes them) and
// replay against a target directory.
//
// Version 2: first line "fio version 2 iolog", then "FILE add|open|close" and
// "FILE read|write|trim|sync|datasync|wait OFFSET LENGTH" lines (wait: OFFSET
// microseconds after the previous wait). Version 3 puts a timestamp first on every line,
// in microseconds since the job started (fio writes utime_since_now), and has no wait.
//
// Replay runs the entries in order on one thread, as fio replays one job's log: as fast
// as possible, or timed (each entry due at its trace time; latency counts from then).
// File names are mapped into the target: a relative name below it; an absolute name
// below it as is, else by its longest tail that exists there. A file the trace writes,
// trims or syncs, or that the target lacks, is replaced by a file in the run's scratch
// directory, so a replay never modifies anything it did not create.
//
// Parsing is a pure function; replay is thread-compatible (one call, one scratch dir).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "generator/perf_curve.h"
#include "generator/replay/replay.h"
#include "generator/util/status.h"

namespace sfsg {

enum class IologAction : uint8_t {
  kAdd,
  kOpen,
  kClose,
  kRead,
  kWrite,
  kTrim,
  kSync,
  kDatasync,
  kWait
};
const char* IologActionName(IologAction a);

struct IologEntry {
  IologAction action = IologAction::kAdd;
  uint32_t file = 0;  // index into Iolog::files (unused by wait)
  uint64_t offset = 0, length = 0;
  double time_s = 0;  // when the entry is due, from the trace's start
};

struct Iolog {
  int version = 2;
  std::vector<std::string> files;  // as named in the trace
  std::vector<IologEntry> entries;
  std::map<std::string, uint64_t> counts;  // by action name
};

// Errors (kBadInput), naming the source and line: not an iolog (first line), an
// unknown action, a missing or non-numeric field, I/O on a file never added, wait in v3.
Result<Iolog> ParseIolog(std::string_view text, std::string_view source_name);
Result<Iolog> LoadIolog(const std::string& path);

struct IologReplayOptions {
  std::string target;
  bool timed = false;
  int64_t fs_pid = 0;
  std::string source;  // the trace's path, for the curve's description
  // Set (from a signal handler, say) to stop early: the replay removes its scratch
  // directory and returns a kIo error saying it was cancelled. Null: never.
  const std::atomic<bool>* cancel = nullptr;
};

// Replays `log` into a one-step curve: per_op counts (read, write, open, ...) equal the
// trace's, errors counted, latency histograms per action. Errors: kUsage (target not a
// directory), kIo (scratch directory).
Result<PerfCurve> ReplayIolog(const Iolog& log, const IologReplayOptions& options,
                              const ProgressFn& progress);

}  // namespace sfsg
