// Universal Scalability Law: throughput against concurrency, and how far a system scales.
//
//   X(N) = lambda N / (1 + sigma (N - 1) + kappa N (N - 1))
//
// (N. J. Gunther, "Guerrilla Capacity Planning", Springer 2007, ch. 4): lambda is the
// throughput of one worker, sigma the contention (serialised fraction, Amdahl), kappa the
// coherency cost (pairwise exchange). Throughput peaks at N* = sqrt((1 - sigma) / kappa)
// with X_max = X(N*); with kappa = 0 it approaches lambda / sigma and never falls.
//
// FitUsl() minimises the squared throughput residuals with Levenberg–Marquardt (Eigen),
// starting from Gunther's linearisation, with sigma, kappa >= 0 enforced by an active
// set (a negative estimate is pinned at 0 and the rest refitted). Standard errors come
// from s^2 (J'J)^-1. Pure, thread-safe, O(points) per iteration.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "generator/perf_curve.h"
#include "generator/util/status.h"

namespace sfsg {

struct UslPoint {
  double concurrency = 0;  // N > 0
  double throughput = 0;   // X >= 0, operations per second
};

struct UslFit {
  double sigma = 0, kappa = 0, lambda = 0;
  // Standard errors; 0 for a parameter pinned at its bound or when undetermined; unset
  // (with r_squared) when the fit has no residual degrees of freedom (as many points as
  // free parameters: the curve passes through every point and says nothing of its error).
  std::optional<double> sigma_stderr, kappa_stderr, lambda_stderr;
  bool sigma_at_bound = false, kappa_at_bound = false;
  std::optional<double> n_star;  // unset when kappa == 0 (no retrograde region)
  std::optional<double> x_max;   // unset when sigma == kappa == 0 (linear scaling)
  std::optional<double> r_squared;
  size_t points = 0;
  int residual_dof = 0;  // points - free parameters (lambda and the unpinned sigma, kappa)
  double max_concurrency = 0;         // largest N measured
  std::vector<std::string> warnings;  // weak-data diagnostics, each a sentence

  double Throughput(double concurrency) const;
};

// REQUIRES nothing. Errors (kBadInput): fewer than 3 distinct concurrency levels, a
// non-positive concurrency, a negative or non-finite throughput, all throughputs zero.
// Weak data (fewer than 6 points, no point at N <= 2, a ladder ending before N*,
// parameters within one standard error of zero, R^2 below 0.9) gives warnings.
Result<UslFit> FitUsl(std::span<const UslPoint> points);

// Closed-loop steps of a performance curve as (concurrency, total ops/s).
std::vector<UslPoint> UslPointsFromCurve(const PerfCurve& curve);

}  // namespace sfsg
