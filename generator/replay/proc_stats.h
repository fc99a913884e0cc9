// Process usage from /proc: CPU time and resident memory of a process by PID, for the
// filesystem serving a target and for the replayer itself.
//
// Pure readers of /proc; thread-safe. Linux only.
#pragma once

#include <cstdint>

#include "generator/util/status.h"

namespace sfsg {

struct ProcSample {
  double cpu_s = 0;        // user + system CPU seconds consumed so far
  uint64_t rss_bytes = 0;  // resident set size now
  double wall_s = 0;       // CLOCK_MONOTONIC seconds when sampled
};

// Samples /proc/PID/stat and /proc/PID/status. Errors: kIo (no such process or /proc
// unreadable), kBadInput (a format this parser does not know).
Result<ProcSample> SampleProcess(int64_t pid);

// CPU use between two samples in percent of one core (100 = one core busy).
double CpuPercent(const ProcSample& before, const ProcSample& after);

// CLOCK_MONOTONIC in nanoseconds and seconds.
uint64_t MonotonicNs();
// Sleeps until CLOCK_MONOTONIC reaches deadline_ns (through signals).
void SleepUntilNs(uint64_t deadline_ns);
double MonotonicSeconds();

}  // namespace sfsg
