#include "predictor/calibrate/parallelism_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace sfsg {

namespace {

constexpr double kMaxParallelism = 4096;
constexpr double kGridStepsPerDoubling = 32;
constexpr double kTieTolerance = 0.005;  // relative, on the summed squared log error

struct Candidate {
  double c = 1, log_s = 0, sse = 0;
};

// The least-squares log S for a given c: mean of log(min(N, c)) - log X.
Candidate Evaluate(std::span<const ConcurrencyPoint> points, double c) {
  Candidate out{c, 0, 0};
  for (const ConcurrencyPoint& p : points)
    out.log_s += std::log(std::min(p.concurrency, c)) - std::log(p.ops_per_s);
  out.log_s /= static_cast<double>(points.size());
  for (const ConcurrencyPoint& p : points) {
    const double model = std::log(std::min(p.concurrency, c)) - out.log_s;
    const double e = std::log(p.ops_per_s) - model;
    out.sse += e * e;
  }
  return out;
}

}  // namespace

Result<ParallelismEstimate> FitParallelism(std::span<const ConcurrencyPoint> points,
                                           std::string_view what) {
  const std::string name(what);
  if (points.size() < 2)
    return Error::BadInput(name + ": " + std::to_string(points.size()) +
                           " concurrency level(s); the parallelism fit needs at least 2");
  double max_n = 0;
  for (const ConcurrencyPoint& p : points) {
    if (!(p.concurrency > 0) || !std::isfinite(p.concurrency))
      return Error::BadInput(name + ": concurrency " + std::to_string(p.concurrency) +
                             " is not a positive number");
    if (!(p.ops_per_s > 0) || !std::isfinite(p.ops_per_s))
      return Error::BadInput(name + ": throughput " + std::to_string(p.ops_per_s) +
                             " at concurrency " + std::to_string(p.concurrency) +
                             " is not a positive number");
    max_n = std::max(max_n, p.concurrency);
  }
  std::vector<Candidate> grid;
  const int steps = static_cast<int>(std::log2(kMaxParallelism) * kGridStepsPerDoubling);
  for (int i = 0; i <= steps; ++i)
    grid.push_back(Evaluate(points, std::exp2(i / kGridStepsPerDoubling)));
  double best_sse = std::numeric_limits<double>::infinity();
  for (const Candidate& c : grid) best_sse = std::min(best_sse, c.sse);
  // The smallest c whose error is within the tolerance of the best.
  const double floor = 1e-12 * static_cast<double>(points.size());
  const Candidate* chosen = &grid.back();
  for (const Candidate& c : grid) {
    if (c.sse <= best_sse * (1 + kTieTolerance) + floor) {
      chosen = &c;
      break;
    }
  }
  ParallelismEstimate out;
  out.parallelism = chosen->c;
  out.service_time_us = std::exp(chosen->log_s) * 1e6;
  out.peak_ops_per_s = chosen->c / std::exp(chosen->log_s);
  // Beyond the deepest queue measured, c only flattens the curve where nothing was seen.
  out.lower_bound = chosen->c * std::exp2(1 / kGridStepsPerDoubling) > max_n;
  if (out.lower_bound) out.parallelism = max_n;
  if (out.lower_bound) out.peak_ops_per_s = max_n / std::exp(chosen->log_s);
  out.rms_log_error = std::sqrt(chosen->sse / static_cast<double>(points.size()));
  out.points = points.size();
  return out;
}

}  // namespace sfsg
