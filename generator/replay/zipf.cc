#include "generator/replay/zipf.h"

#include <cmath>

namespace sfsg {
namespace {

// log1p(x) / x, continuous at 0.
double Helper1(double x) {
  return std::abs(x) > 1e-8 ? std::log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}

// expm1(x) / x, continuous at 0.
double Helper2(double x) {
  return std::abs(x) > 1e-8 ? std::expm1(x) / x
                            : 1 + x * 0.5 * (1 + x * (1.0 / 3.0) * (1 + 0.25 * x));
}

}  // namespace

ZipfSampler::ZipfSampler(uint64_t n, double theta) : n_(n < 1 ? 1 : n), theta_(theta) {
  if (theta_ > 0) {
    h_integral_x1_ = HIntegral(1.5) - 1;
    h_integral_n_ = HIntegral(static_cast<double>(n_) + 0.5);
    s_ = 2 - HIntegralInverse(HIntegral(2.5) - H(2));
  }
}

double ZipfSampler::H(double x) const { return std::exp(-theta_ * std::log(x)); }

double ZipfSampler::HIntegral(double x) const {
  const double log_x = std::log(x);
  return Helper2((1 - theta_) * log_x) * log_x;
}

double ZipfSampler::HIntegralInverse(double x) const {
  double t = x * (1 - theta_);
  if (t < -1) t = -1;  // rounding can push it just past the domain
  return std::exp(Helper1(t) * x);
}

uint64_t ZipfSampler::Sample(SplitMixStream& rng) const {
  if (theta_ <= 0) return 1 + rng.NextBelow(n_);
  const double max_rank = static_cast<double>(n_);
  for (;;) {
    const double u = h_integral_n_ + rng.NextUnit() * (h_integral_x1_ - h_integral_n_);
    const double x = HIntegralInverse(u);
    double k = std::floor(x + 0.5);
    if (k < 1) k = 1;
    if (k > max_rank) k = max_rank;
    if (k - x <= s_ || u >= HIntegral(k + 0.5) - H(k)) return static_cast<uint64_t>(k);
  }
}

}  // namespace sfsg
