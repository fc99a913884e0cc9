// Latency against load: where the latency objective breaks.
//
// Each latency quantile is fitted against throughput with a fixed time plus an M/M/1
// queueing delay:
//
//   R(X) = R0 + W rho / (1 - rho),   rho = X / Xs
//
// R0 is the latency at light load, W scales the wait (an M/M/1 queue waits S rho /
// (1 - rho) on average, and every quantile of its response time is proportional to
// 1 / (1 - rho); Kleinrock, "Queueing Systems" vol. 1, 1975, section 3.2), Xs is the
// saturation throughput, kept above the largest measured throughput. W = R0 gives the pure
// M/M/1 shape R0 / (1 - rho), used when there are fewer than 4 points; a smaller W gives
// the sharper knee of a closed-loop ladder. Residuals are taken on log latency, so
// microseconds and seconds weigh alike. The objective L breaks where the wait term
// reaches L - R0: X = Xs q / (1 + q), q = (L - R0) / W.
//
// Pure, thread-safe; cost O(points) per Levenberg–Marquardt iteration.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "generator/perf_curve.h"
#include "generator/util/status.h"

namespace sfsg {

struct LatencyPoint {
  double throughput = 0;  // ops/s
  double latency_us = 0;  // the quantile at that load
};

struct LatencyFit {
  std::string quantile;             // "p50", "p99", ...
  double base_us = 0;               // R0
  double wait_us = 0;               // W
  double saturation_ops_per_s = 0;  // Xs
  double rms_log_error = 0;         // root-mean-square of log(measured / fitted)
  size_t points = 0;
  std::vector<std::string> warnings;

  double LatencyAt(double throughput) const;  // +inf at or beyond Xs
  // The throughput where the fitted latency reaches objective_us; 0 when even light load
  // exceeds it.
  double ThroughputAt(double objective_us) const;
};

// REQUIRES nothing. Errors (kBadInput): fewer than 2 points with positive throughput
// and latency. Fewer than 4 points or a poor fit (rms log error above 0.3) give warnings.
Result<LatencyFit> FitLatency(std::span<const LatencyPoint> points, std::string_view quantile);

// The quantile ("mean", "p50", "p90", "p99", "p999") of every step of a curve against its
// achieved throughput. Closed-loop steps past the throughput peak (in concurrency order)
// count at the peak throughput: a saturated server whose extra workers only queue.
// Errors: kUsage for an unknown quantile name.
Result<std::vector<LatencyPoint>> LatencyPointsFromCurve(const PerfCurve& curve,
                                                         std::string_view quantile);

// The largest measured throughput whose latency quantile met the objective (0 if none).
double MeasuredThroughputWithin(std::span<const LatencyPoint> points, double objective_us);

}  // namespace sfsg
