// A storage device's effective parallelism from throughput against concurrency.
//
// The model is c identical servers of mean service time S (the knee of IOPS against
// queue depth): with N requests in flight, throughput X(N) = min(N, c) / S, and by
// Little's law the mean latency R(N) = N / X(N) = S max(1, N / c). FitParallelism()
// searches c on a fine geometric grid (ratio 2^(1/32), from 1 to 4096) and, for each
// c, takes the least-squares S in log space; the c with the smallest squared log error
// wins (the smallest such c within 0.5% of the best, so a ladder that never saturates
// gives the least c that explains it, flagged as a lower bound). Log errors weigh a
// slow point and a fast one alike, which the wide range of IOPS needs.
//
// Pure, deterministic, thread-safe; O(points x grid).
#pragma once

#include <span>

#include "generator/util/status.h"
#include "predictor/calibrate/calibration.h"

namespace sfsg {

// Errors (kBadInput): fewer than 2 points, or a point with non-positive or non-finite
// concurrency or throughput. `what` names the ladder in messages.
Result<ParallelismEstimate> FitParallelism(std::span<const ConcurrencyPoint> points,
                                           std::string_view what);

}  // namespace sfsg
