// Turning what workers measured into curve steps and tables. Pure functions.
#pragma once

#include <string>

#include "generator/perf_curve.h"
#include "generator/replay/worker.h"
#include "generator/util/log_histogram.h"

namespace sfsg {

// Latency summary in microseconds of a histogram of nanoseconds.
LatencySummary SummarizeNs(const LogHistogram& ns);

// OpStats of one histogram of nanoseconds over `duration_s`.
OpStats OpStatsFrom(const LogHistogram& ns, uint64_t errors, uint64_t bytes, double duration_s);

// A step (mode and concurrency left for the caller) from a merged tally: one per_op
// entry per operation that ran, "missed" for open-loop sends never made; the total
// merges them all, the misses counted as errors.
CurveStep StepFromTally(const OpTally& tally, double duration_s);

// An empty curve of sfsg-replay's measuring `target`, stamped with the wall clock.
PerfCurve ReplayCurve(const std::string& target);

}  // namespace sfsg
