#include "generator/size_model.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace sfsg {

double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double NormalQuantile(double p) {
  // P. J. Acklam, "An algorithm for computing the inverse normal cumulative
  // distribution function" (2003): coefficients of the rational approximations.
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  p = std::clamp(p, 1e-300, 1.0 - 1e-16);
  const double low = 0.02425, high = 1 - low;
  double x;
  if (p < low) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= high) {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // One Halley step against the exact CDF.
  const double e = NormalCdf(x) - p;
  const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

double SizeFitCdf(const SizeFit& fit, double x) {
  if (x <= 0) return 0.0;
  const double t = fit.pareto_xmin_bytes > 0 ? fit.tail_fraction : 0.0;
  const double ln = NormalCdf((std::log(x) - fit.lognormal_mu) / fit.lognormal_sigma);
  if (t <= 0) return ln;
  const double ln_xmin =
      NormalCdf((std::log(fit.pareto_xmin_bytes) - fit.lognormal_mu) / fit.lognormal_sigma);
  if (x < fit.pareto_xmin_bytes) return ln_xmin > 0 ? (1 - t) * ln / ln_xmin : 0.0;
  return (1 - t) + t * (1 - std::pow(fit.pareto_xmin_bytes / x, fit.pareto_alpha));
}

double SizeFitQuantile(const SizeFit& fit, double u) {
  u = std::clamp(u, 0.0, 1.0 - 1e-15);
  const double t = fit.pareto_xmin_bytes > 0 ? fit.tail_fraction : 0.0;
  if (t > 0 && u >= 1 - t) {
    const double tail_u = (u - (1 - t)) / t;  // in [0, 1)
    return fit.pareto_xmin_bytes * std::pow(1 - tail_u, -1.0 / fit.pareto_alpha);
  }
  double body_u = u;
  if (t > 0) {
    const double ln_xmin =
        NormalCdf((std::log(fit.pareto_xmin_bytes) - fit.lognormal_mu) / fit.lognormal_sigma);
    body_u = u / (1 - t) * ln_xmin;
  }
  return std::exp(fit.lognormal_mu + fit.lognormal_sigma * NormalQuantile(body_u));
}

SizeSampler::SizeSampler(const SizeStats& sizes) {
  if (!sizes.log2_quantiles.empty()) {
    table_ = sizes.log2_quantiles;
  } else {
    // Tabulate the fit in log2 space: uniform steps to 0.99, then geometric steps
    // toward 1 so the heavy tail keeps its shape (and its share of the mean).
    const double cap = sizes.max_bytes > 0 ? std::log2(static_cast<double>(sizes.max_bytes)) : 62.0;
    std::vector<double> grid;
    for (int i = 0; i < 1980; ++i) grid.push_back(i * (0.99 / 1980));
    for (int j = 0; j <= 8 * 34; ++j) grid.push_back(1.0 - 0.01 * std::exp2(-j / 8.0));
    grid.push_back(1.0);
    for (const double u : grid) {
      const double at = std::min(u, 1.0 - 1e-12);
      const double v =
          std::clamp(std::log2(std::max(1.0, SizeFitQuantile(sizes.fit, at))), 0.0, cap);
      table_.p.push_back(u);
      table_.value.push_back(table_.value.empty() ? v : std::max(v, table_.value.back()));
    }
  }
  // Mean of 2^v(u) on the piecewise-linear table: each segment integrates in closed form.
  double mean = 0;
  for (size_t i = 1; i < table_.p.size(); ++i) {
    const double dp = table_.p[i] - table_.p[i - 1];
    const double v0 = table_.value[i - 1], v1 = table_.value[i];
    const double dv = v1 - v0;
    const double seg = std::abs(dv) < 1e-9 ? std::exp2(v0)
                                           : (std::exp2(v1) - std::exp2(v0)) / (dv * std::log(2.0));
    mean += dp * seg;
  }
  mean_bytes_ = std::max(1.0, mean);
}

uint64_t SizeSampler::Bytes(double u) const {
  const double v = table_.At(u);
  const double bytes = std::exp2(v);
  return std::max<uint64_t>(1, static_cast<uint64_t>(bytes + 0.5));
}

}  // namespace sfsg
