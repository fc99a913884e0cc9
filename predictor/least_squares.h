// Nonlinear least squares: a thin wrapper over Eigen's MINPACK-derived Levenberg–Marquardt
// (unsupported/Eigen/NonLinearOptimization, lmder with an analytic Jacobian), returning the
// solution with the parameter covariance s^2 (J'J)^-1 used for standard errors.
//
// Stateless and thread-safe; cost O(iterations x residuals x parameters^2).
#pragma once

#include <Eigen/Dense>
#include <cstddef>
#include <functional>

#include "generator/util/status.h"

namespace sfsg {

struct LeastSquaresProblem {
  size_t residual_count = 0;
  // r(x): residuals (model - observation), size residual_count.
  std::function<void(const Eigen::VectorXd& x, Eigen::VectorXd& residuals)> residuals;
  // J(x): d r_i / d x_j, residual_count x x.size().
  std::function<void(const Eigen::VectorXd& x, Eigen::MatrixXd& jacobian)> jacobian;
};

struct LeastSquaresSolution {
  Eigen::VectorXd x;
  double sse = 0;              // sum of squared residuals at x
  Eigen::MatrixXd covariance;  // s^2 (J'J)^-1 with s^2 = sse / (m - p); zeros if m <= p
  bool covariance_ok = false;  // J'J invertible and m > p
  int status = 0;              // Eigen's LevenbergMarquardtSpace::Status
};

// Minimises |r(x)|^2 from x0. Errors: kBadInput when the problem is malformed (fewer
// residuals than parameters) or the iteration produces non-finite values.
Result<LeastSquaresSolution> SolveLeastSquares(const LeastSquaresProblem& problem,
                                               const Eigen::VectorXd& x0);

}  // namespace sfsg
