// A passive device fit: the diskstats counters a metering history already holds, for
// production storage that must not be loaded by a calibration.
//
// Input: a usage table (sfsg-meter's CSV, or anything LoadUsageTable reads) with the
// cumulative counters read_ops, write_ops, read_bytes, write_bytes, read_time_ms,
// write_time_ms, io_time_ms, io_weighted_ms (/proc/diskstats fields 4, 8, 6x512, 10x512,
// 7, 11, 13, 14). For each interval between samples with I/O in it:
//   X = d(read_ops + write_ops) / dt                      throughput
//   Q = d(io_weighted_ms) / dt                            mean requests in flight
//   R = d(read_time_ms + write_time_ms) / d(ops)          mean time a request took
// Little's law (Q = X R) ties them; the c-server fit (parallelism_fit.h) on (Q, X) gives
// the service time S and the effective parallelism c. Request sizes and the read/write
// mix come from the byte and op counters. The read and write service times are the
// per-interval means of the intervals whose queue stayed below 1.5 (requests barely
// waited); their spread is that of interval means, not of single requests, and the
// notes say so. The model covers only the load range observed (observed_queue_*,
// observed_ops_per_s_max), and says so when the queue never built up.
//
// Pure, deterministic, thread-safe.
#pragma once

#include <string>

#include "generator/util/status.h"
#include "predictor/calibrate/calibration.h"
#include "predictor/series.h"

namespace sfsg {

// The columns a passive fit needs.
inline constexpr const char* kDiskstatsColumns[] = {"read_ops",    "write_ops",     "read_bytes",
                                                    "write_bytes", "read_time_ms",  "write_time_ms",
                                                    "io_time_ms",  "io_weighted_ms"};

// Errors (kBadInput, naming the source and the field): a missing column (with a hint that
// sfsg-meter writes them), fewer than 3 intervals with I/O, negative cells.
Result<Calibration> FitPassive(const UsageTable& table);

}  // namespace sfsg
