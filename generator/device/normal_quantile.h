// The standard normal quantile function (inverse CDF), for drawing lognormal service
// times from a uniform key. Pure, thread-safe, O(1), allocation-free; deterministic
// across machines (plain IEEE arithmetic and libm's log/sqrt/exp, which are correctly
// rounded or near it on every platform we build).
#pragma once

#include <cmath>

namespace sfsg {

// Acklam's rational approximation (P. J. Acklam, "An algorithm for computing the inverse
// normal cumulative distribution function", 2003), relative error below 1.15e-9, which
// is far below what a service-time draw needs. u is clamped into (0, 1): u = 0 gives the
// quantile of 2^-53 (about -8.2), so a draw is always finite.
inline double NormalQuantile(double u) {
  constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                          1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                          6.680131188771972e+01, -1.328068155288572e+01};
  constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                          -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                          3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  constexpr double kTiny = 0x1.0p-53;
  if (!(u > kTiny)) u = kTiny;
  if (!(u < 1 - kTiny)) u = 1 - kTiny;
  if (u < kLow) {
    const double q = std::sqrt(-2 * std::log(u));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (u > 1 - kLow) {
    const double q = std::sqrt(-2 * std::log(1 - u));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double q = u - 0.5;
  const double r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

}  // namespace sfsg
