#include "predictor/latency_fit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "predictor/least_squares.h"

namespace sfsg {

double LatencyFit::LatencyAt(double throughput) const {
  if (throughput >= saturation_ops_per_s) return std::numeric_limits<double>::infinity();
  const double rho = std::max(throughput, 0.0) / saturation_ops_per_s;
  return base_us + wait_us * rho / (1 - rho);
}

double LatencyFit::ThroughputAt(double objective_us) const {
  if (objective_us <= base_us) return 0;
  const double q = (objective_us - base_us) / wait_us;
  return saturation_ops_per_s * q / (1 + q);
}

Result<LatencyFit> FitLatency(std::span<const LatencyPoint> input, std::string_view quantile) {
  std::vector<LatencyPoint> points;
  for (const LatencyPoint& p : input)
    if (p.throughput > 0 && p.latency_us > 0 && std::isfinite(p.throughput) &&
        std::isfinite(p.latency_us))
      points.push_back(p);
  if (points.size() < 2)
    return Error::BadInput("latency fit (" + std::string(quantile) +
                           "): " + std::to_string(points.size()) +
                           " usable steps; at least 2 with positive throughput and latency");
  double max_x = 0, min_latency = std::numeric_limits<double>::infinity();
  for (const LatencyPoint& p : points) {
    max_x = std::max(max_x, p.throughput);
    min_latency = std::min(min_latency, p.latency_us);
  }
  // x = (log R0, u[, log W]) with Xs = max_x (1 + e^u) > max_x; W = R0 when not free.
  const bool free_wait = points.size() >= 4;
  struct Model {
    double r0, wait, xs, dxs_du;
  };
  auto unpack = [&](const Eigen::VectorXd& x) {
    const double e = std::exp(x[1]);
    return Model{std::exp(x[0]), free_wait ? std::exp(x[2]) : std::exp(x[0]), max_x * (1 + e),
                 max_x * e};
  };
  LeastSquaresProblem problem;
  problem.residual_count = points.size();
  problem.residuals = [&](const Eigen::VectorXd& x, Eigen::VectorXd& r) {
    const Model m = unpack(x);
    for (size_t i = 0; i < points.size(); ++i) {
      const double q = points[i].throughput / (m.xs - points[i].throughput);
      r[i] = std::log(m.r0 + m.wait * q) - std::log(points[i].latency_us);
    }
  };
  problem.jacobian = [&](const Eigen::VectorXd& x, Eigen::MatrixXd& j) {
    const Model m = unpack(x);
    for (size_t i = 0; i < points.size(); ++i) {
      const double xi = points[i].throughput;
      const double q = xi / (m.xs - xi);
      const double latency = m.r0 + m.wait * q;
      const double dq_dxs = -xi / ((m.xs - xi) * (m.xs - xi));
      j(i, 0) = (m.r0 + (free_wait ? 0 : m.wait * q)) / latency;
      j(i, 1) = m.wait * dq_dxs * m.dxs_du / latency;
      if (free_wait) j(i, 2) = m.wait * q / latency;
    }
  };
  // Start as if the largest throughput ran at 90% utilisation.
  Eigen::VectorXd x0(free_wait ? 3 : 2);
  x0[0] = std::log(min_latency);
  x0[1] = std::log(1 / 0.9 - 1);
  if (free_wait) x0[2] = std::log(min_latency);
  auto solved = SolveLeastSquares(problem, x0);
  if (!solved) return solved.error();
  const Model m = unpack(solved->x);
  LatencyFit fit;
  fit.quantile = std::string(quantile);
  fit.base_us = m.r0;
  fit.wait_us = m.wait;
  fit.saturation_ops_per_s = m.xs;
  fit.points = points.size();
  fit.rms_log_error = std::sqrt(solved->sse / static_cast<double>(points.size()));
  if (!std::isfinite(fit.base_us) || !std::isfinite(fit.saturation_ops_per_s) || !(fit.wait_us > 0))
    return Error::BadInput("latency fit (" + fit.quantile + "): did not converge");
  if (points.size() < 4)
    fit.warnings.push_back("only " + std::to_string(points.size()) + " steps for the " +
                           fit.quantile + " latency fit");
  if (fit.rms_log_error > 0.3) {
    char buf[160];
    std::snprintf(buf, sizeof(buf), "%s latency fit is poor (rms error %.0f%%)",
                  fit.quantile.c_str(), 100 * (std::exp(fit.rms_log_error) - 1));
    fit.warnings.push_back(buf);
  }
  return fit;
}

Result<std::vector<LatencyPoint>> LatencyPointsFromCurve(const PerfCurve& curve,
                                                         std::string_view quantile) {
  double LatencySummary::*field = nullptr;
  if (quantile == "mean") field = &LatencySummary::mean_us;
  if (quantile == "p50") field = &LatencySummary::p50_us;
  if (quantile == "p90") field = &LatencySummary::p90_us;
  if (quantile == "p99") field = &LatencySummary::p99_us;
  if (quantile == "p999") field = &LatencySummary::p999_us;
  if (!field)
    return Error::Usage("unknown latency quantile '" + std::string(quantile) +
                        "' (use mean, p50, p90, p99, p999)");
  std::vector<LatencyPoint> points;
  for (const CurveStep& step : curve.steps)
    if (step.mode != "closed") points.push_back({step.total.ops_per_s, step.total.latency.*field});
  // Closed loop past the throughput peak: more workers only queue, so those steps are
  // the saturated server at its peak throughput (the curve is single-valued in X).
  std::vector<const CurveStep*> closed;
  for (const CurveStep& step : curve.steps)
    if (step.mode == "closed") closed.push_back(&step);
  std::stable_sort(closed.begin(), closed.end(), [](const CurveStep* a, const CurveStep* b) {
    return a->concurrency < b->concurrency;
  });
  double peak = 0;
  for (const CurveStep* step : closed) {
    peak = std::max(peak, step->total.ops_per_s);
    points.push_back({peak, step->total.latency.*field});
  }
  return points;
}

double MeasuredThroughputWithin(std::span<const LatencyPoint> points, double objective_us) {
  double best = 0;
  for (const LatencyPoint& p : points)
    if (p.latency_us > 0 && p.latency_us <= objective_us) best = std::max(best, p.throughput);
  return best;
}

}  // namespace sfsg
