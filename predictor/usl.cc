#include "predictor/usl.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

#include "predictor/least_squares.h"

namespace sfsg {
namespace {

struct Candidate {
  double lambda = 0, sigma = 0, kappa = 0;
  double lambda_se = 0, sigma_se = 0, kappa_se = 0;
  double sse = std::numeric_limits<double>::infinity();
  int parameters = 0;  // free ones
};

// Fits with sigma and/or kappa pinned at zero when the flags say so.
std::optional<Candidate> FitPinned(std::span<const UslPoint> points, const Candidate& start,
                                   bool sigma_free, bool kappa_free) {
  // Parameter vector: lambda, then the free ones among sigma, kappa.
  const int p = 1 + sigma_free + kappa_free;
  auto unpack = [=](const Eigen::VectorXd& x, double& l, double& s, double& k) {
    int i = 0;
    l = x[i++];
    s = sigma_free ? x[i++] : 0;
    k = kappa_free ? x[i++] : 0;
  };
  LeastSquaresProblem problem;
  problem.residual_count = points.size();
  problem.residuals = [=](const Eigen::VectorXd& x, Eigen::VectorXd& r) {
    double l, s, k;
    unpack(x, l, s, k);
    for (size_t i = 0; i < points.size(); ++i) {
      const double n = points[i].concurrency;
      r[i] = l * n / (1 + s * (n - 1) + k * n * (n - 1)) - points[i].throughput;
    }
  };
  problem.jacobian = [=](const Eigen::VectorXd& x, Eigen::MatrixXd& j) {
    double l, s, k;
    unpack(x, l, s, k);
    for (size_t i = 0; i < points.size(); ++i) {
      const double n = points[i].concurrency;
      const double d = 1 + s * (n - 1) + k * n * (n - 1);
      int c = 0;
      j(i, c++) = n / d;
      if (sigma_free) j(i, c++) = -l * n * (n - 1) / (d * d);
      if (kappa_free) j(i, c++) = -l * n * n * (n - 1) / (d * d);
    }
  };
  Eigen::VectorXd x0(p);
  int i = 0;
  x0[i++] = start.lambda;
  if (sigma_free) x0[i++] = std::max(start.sigma, 1e-4);
  if (kappa_free) x0[i++] = std::max(start.kappa, 1e-7);
  auto solved = SolveLeastSquares(problem, x0);
  if (!solved) return std::nullopt;
  Candidate c;
  unpack(solved->x, c.lambda, c.sigma, c.kappa);
  if (c.sigma < 0 || c.kappa < 0 || !(c.lambda > 0)) return std::nullopt;
  c.sse = solved->sse;
  c.parameters = p;
  if (solved->covariance_ok) {
    int k = 0;
    c.lambda_se = std::sqrt(std::max(0.0, solved->covariance(k, k)));
    ++k;
    if (sigma_free) c.sigma_se = std::sqrt(std::max(0.0, solved->covariance(k, k))), ++k;
    if (kappa_free) c.kappa_se = std::sqrt(std::max(0.0, solved->covariance(k, k)));
  }
  return c;
}

// Gunther's linearisation: N lambda / X - 1 = sigma (N - 1) + kappa N (N - 1).
Candidate InitialGuess(std::span<const UslPoint> points) {
  Candidate c;
  double lambda = 0;
  for (const UslPoint& p : points)
    if (p.concurrency == 1) lambda = std::max(lambda, p.throughput);
  if (lambda == 0)
    for (const UslPoint& p : points) lambda = std::max(lambda, p.throughput / p.concurrency);
  c.lambda = lambda;
  double a11 = 0, a12 = 0, a22 = 0, b1 = 0, b2 = 0;
  for (const UslPoint& p : points) {
    if (p.throughput <= 0) continue;
    const double n = p.concurrency;
    const double y = n * lambda / p.throughput - 1;
    const double u = n - 1, v = n * (n - 1);
    a11 += u * u, a12 += u * v, a22 += v * v, b1 += u * y, b2 += v * y;
  }
  const double det = a11 * a22 - a12 * a12;
  if (std::fabs(det) > 1e-300) {
    c.sigma = (b1 * a22 - b2 * a12) / det;
    c.kappa = (a11 * b2 - a12 * b1) / det;
  }
  if (!std::isfinite(c.sigma)) c.sigma = 0;
  if (!std::isfinite(c.kappa)) c.kappa = 0;
  return c;
}

std::string Format(const char* format, double a, double b = 0) {
  char buf[200];
  std::snprintf(buf, sizeof(buf), format, a, b);
  return buf;
}

}  // namespace

double UslFit::Throughput(double n) const {
  return lambda * n / (1 + sigma * (n - 1) + kappa * n * (n - 1));
}

std::vector<UslPoint> UslPointsFromCurve(const PerfCurve& curve) {
  std::vector<UslPoint> points;
  for (const CurveStep& step : curve.steps)
    if (step.mode == "closed" && step.concurrency > 0)
      points.push_back({static_cast<double>(step.concurrency), step.total.ops_per_s});
  return points;
}

Result<UslFit> FitUsl(std::span<const UslPoint> points) {
  std::set<double> levels;
  double max_throughput = 0;
  for (const UslPoint& p : points) {
    if (!(p.concurrency > 0) || !std::isfinite(p.concurrency))
      return Error::BadInput(Format("USL: concurrency %g is not positive", p.concurrency));
    if (!(p.throughput >= 0) || !std::isfinite(p.throughput))
      return Error::BadInput(
          Format("USL: throughput %g at N = %g is not a finite rate", p.throughput, p.concurrency));
    levels.insert(p.concurrency);
    max_throughput = std::max(max_throughput, p.throughput);
  }
  if (levels.size() < 3)
    return Error::BadInput("USL: " + std::to_string(levels.size()) +
                           " distinct concurrency levels; at least 3 are needed for "
                           "sigma, kappa and lambda");
  if (!(max_throughput > 0)) return Error::BadInput("USL: every throughput is zero");

  const Candidate start = InitialGuess(points);
  std::optional<Candidate> best;
  for (int pins = 0; pins < 4; ++pins) {
    auto c = FitPinned(points, start, (pins & 1) == 0, (pins & 2) == 0);
    if (c && (!best || c->sse < best->sse * (1 - 1e-12))) best = c;
  }
  if (!best) return Error::BadInput("USL: the fit did not converge");

  UslFit fit;
  fit.lambda = best->lambda, fit.sigma = best->sigma, fit.kappa = best->kappa;
  fit.points = points.size();
  fit.residual_dof = static_cast<int>(points.size()) - best->parameters;
  if (fit.residual_dof > 0) {
    fit.lambda_stderr = best->lambda_se, fit.sigma_stderr = best->sigma_se;
    fit.kappa_stderr = best->kappa_se;
  }
  fit.sigma_at_bound = fit.sigma == 0;
  fit.kappa_at_bound = fit.kappa == 0;
  for (const UslPoint& p : points)
    fit.max_concurrency = std::max(fit.max_concurrency, p.concurrency);
  if (fit.kappa > 0 && fit.sigma < 1) {
    fit.n_star = std::sqrt((1 - fit.sigma) / fit.kappa);
    fit.x_max = fit.Throughput(*fit.n_star);
  } else if (fit.sigma > 0) {
    fit.x_max = fit.lambda / fit.sigma;
  }
  double mean = 0;
  for (const UslPoint& p : points) mean += p.throughput;
  mean /= static_cast<double>(points.size());
  double total = 0;
  for (const UslPoint& p : points) total += (p.throughput - mean) * (p.throughput - mean);
  if (fit.residual_dof > 0) fit.r_squared = total > 0 ? std::max(0.0, 1 - best->sse / total) : 0;

  auto& w = fit.warnings;
  if (points.size() < 6)
    w.push_back("only " + std::to_string(points.size()) +
                " points: the parameters are weakly determined");
  if (*levels.begin() > 2)
    w.push_back(
        Format("no point near N = 1 (lowest N = %g): lambda is extrapolated", *levels.begin()));
  if (fit.n_star && fit.max_concurrency < *fit.n_star)
    w.push_back(
        Format("the ladder stops at N = %g, below the fitted peak N* = %.1f: "
               "kappa and X_max are extrapolated",
               fit.max_concurrency, *fit.n_star));
  if (fit.residual_dof <= 0)
    w.push_back("as many points as parameters: the fit passes through every point; its "
                "standard errors and R^2 are not identified");
  if (!fit.sigma_at_bound && fit.sigma_stderr && *fit.sigma_stderr > fit.sigma)
    w.push_back("sigma is within one standard error of 0");
  if (!fit.kappa_at_bound && fit.kappa_stderr && *fit.kappa_stderr > fit.kappa)
    w.push_back("kappa is within one standard error of 0");
  if (fit.r_squared && *fit.r_squared < 0.9)
    w.push_back(Format("poor fit: R^2 = %.2f", *fit.r_squared));
  return fit;
}

}  // namespace sfsg
