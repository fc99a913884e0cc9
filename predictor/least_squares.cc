#include "predictor/least_squares.h"

#include <cmath>
#include <unsupported/Eigen/NonLinearOptimization>

namespace sfsg {
namespace {

// The functor shape Eigen's LevenbergMarquardt expects.
struct Functor {
  using Scalar = double;
  const LeastSquaresProblem* problem;
  int parameter_count;
  int inputs() const { return parameter_count; }
  int values() const { return static_cast<int>(problem->residual_count); }
  int operator()(const Eigen::VectorXd& x, Eigen::VectorXd& f) const {
    problem->residuals(x, f);
    return f.allFinite() ? 0 : -1;  // a negative return stops the iteration
  }
  int df(const Eigen::VectorXd& x, Eigen::MatrixXd& j) const {
    problem->jacobian(x, j);
    return j.allFinite() ? 0 : -1;
  }
};

}  // namespace

Result<LeastSquaresSolution> SolveLeastSquares(const LeastSquaresProblem& problem,
                                               const Eigen::VectorXd& x0) {
  const int p = static_cast<int>(x0.size());
  const int m = static_cast<int>(problem.residual_count);
  if (p == 0 || m < p) return Error::BadInput("least squares: fewer observations than parameters");
  Functor functor{&problem, p};
  Eigen::LevenbergMarquardt<Functor> lm(functor);
  lm.parameters.maxfev = 2000;
  lm.parameters.xtol = 1e-12;
  lm.parameters.ftol = 1e-12;
  LeastSquaresSolution solution;
  solution.x = x0;
  solution.status = lm.minimize(solution.x);
  Eigen::VectorXd r(m);
  problem.residuals(solution.x, r);
  if (!solution.x.allFinite() || !r.allFinite())
    return Error::BadInput("least squares: the fit diverged (non-finite values)");
  solution.sse = r.squaredNorm();
  Eigen::MatrixXd j(m, p);
  problem.jacobian(solution.x, j);
  solution.covariance = Eigen::MatrixXd::Zero(p, p);
  const Eigen::MatrixXd jtj = j.transpose() * j;
  Eigen::FullPivLU<Eigen::MatrixXd> lu(jtj);
  if (m > p && lu.isInvertible()) {
    solution.covariance = lu.inverse() * (solution.sse / (m - p));
    solution.covariance_ok = solution.covariance.allFinite();
    if (!solution.covariance_ok) solution.covariance.setZero();
  }
  return solution;
}

}  // namespace sfsg
