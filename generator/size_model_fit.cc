// Fitting the spliced lognormal-body / Pareto-tail size model (declared in size_model.h).
//
// Following Clauset, Shalizi & Newman (SIAM Review 2009), every candidate threshold
// xmin gets its maximum-likelihood tail exponent and the threshold with the smallest KS
// distance wins; here the distance is measured for the whole spliced model, so the body
// fit takes part in the choice, and "no tail" (a plain lognormal) is a candidate too.
// The data are log-linear histogram buckets (3% wide), so every sum runs over at most a
// couple of thousand buckets, not over files: a fit costs milliseconds for any tree.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "generator/size_model.h"

namespace sfsg {
namespace {

// The non-empty buckets of a histogram with a representative value each.
struct Bucket {
  int index;       // LogBuckets index
  double count;    // files in the bucket
  double log_mid;  // ln of the bucket's representative size
};

std::vector<Bucket> NonEmptyBuckets(const LogHistogram& h) {
  std::vector<Bucket> out;
  const auto& counts = h.counts();
  for (int b = 1; b < LogBuckets::kCount; ++b) {
    if (counts[b] == 0) continue;
    const double low = static_cast<double>(LogBuckets::Low(b));
    const double high = static_cast<double>(LogBuckets::High(b));
    // Integer sizes low .. high-1: their midpoint (exact for the one-value buckets).
    out.push_back({b, static_cast<double>(counts[b]), std::log((low + high - 1) / 2)});
  }
  return out;
}

struct BodyFit {
  double mu;
  double sigma;
  bool ok;
};

// Maximum likelihood for a normal truncated above at c, from the sample's mean and
// variance: for the truncated normal the MLE matches the first two moments,
//   E[Y] = mu - sigma l,  Var[Y] = sigma^2 (1 - b l - l^2),  b = (c - mu)/sigma,
//   l = phi(b) / Phi(b),
// solved by damped fixed-point iteration from the untruncated estimate.
BodyFit TruncatedNormalFit(double mean, double variance, double c) {
  const double sd = std::sqrt(std::max(variance, 1e-12));
  double mu = mean, sigma = sd;
  for (int i = 0; i < 200; ++i) {
    const double b = (c - mu) / sigma;
    const double cdf = NormalCdf(b);
    if (cdf < 1e-12) return {mean, sd, false};
    const double l = std::exp(-b * b / 2) / std::sqrt(2 * M_PI) / cdf;
    const double shrink = 1 - b * l - l * l;
    if (!(shrink > 1e-6)) return {mean, sd, false};
    const double next_sigma = std::sqrt(variance / shrink);
    const double next_mu = mean + next_sigma * l;
    const double step = std::abs(next_mu - mu) + std::abs(next_sigma - sigma);
    mu = 0.5 * mu + 0.5 * next_mu;
    sigma = 0.5 * sigma + 0.5 * next_sigma;
    // A body that runs away (mu far beyond the cut) is no lognormal: reject it.
    if (!(sigma < 20) || !(mu < c + 10 * sd)) return {mean, sd, false};
    if (step < 1e-9) break;
  }
  return {mu, sigma, true};
}

// Moments of ln(size) over buckets [0, end).
void LogMoments(const std::vector<Bucket>& buckets, size_t end, double* n, double* mean,
                double* variance) {
  double s0 = 0, s1 = 0, s2 = 0;
  for (size_t i = 0; i < end; ++i) {
    s0 += buckets[i].count;
    s1 += buckets[i].count * buckets[i].log_mid;
    s2 += buckets[i].count * buckets[i].log_mid * buckets[i].log_mid;
  }
  *n = s0;
  *mean = s0 > 0 ? s1 / s0 : 0;
  *variance = s0 > 0 ? std::max(0.0, s2 / s0 - *mean * *mean) : 0;
}

}  // namespace

double SizeFitKsDistance(const SizeFit& fit, const LogHistogram& nonempty_sizes) {
  const double n = static_cast<double>(nonempty_sizes.count() - nonempty_sizes.counts()[0]);
  if (n <= 0) return 0.0;
  const auto& counts = nonempty_sizes.counts();
  const int last = LogBuckets::Of(std::max<uint64_t>(1, nonempty_sizes.max()));
  // The generator rounds a sampled size to the nearest integer, so "at most k bytes"
  // has model probability F(k + 0.5). Compare at every bucket's upper edge; inside an
  // empty run both CDFs are monotone, so the edges bound the distance.
  double seen = 0, distance = 0;
  for (int b = 1; b <= last; ++b) {
    seen += static_cast<double>(counts[b]);
    const double k = static_cast<double>(LogBuckets::High(b)) - 1;
    distance = std::max(distance, std::abs(seen / n - SizeFitCdf(fit, k + 0.5)));
  }
  return distance;
}

SizeFit FitSizes(const LogHistogram& nonempty_sizes) {
  const std::vector<Bucket> buckets = NonEmptyBuckets(nonempty_sizes);
  SizeFit best;
  if (buckets.empty()) return best;

  double n = 0, mean = 0, variance = 0;
  LogMoments(buckets, buckets.size(), &n, &mean, &variance);
  // Candidate "no tail": the plain lognormal MLE. One distinct size is a degenerate
  // lognormal; a small sigma keeps it valid.
  best.lognormal_mu = mean;
  best.lognormal_sigma = std::max(std::sqrt(variance), 0.05);
  best.pareto_xmin_bytes = 0;
  best.tail_fraction = 0;
  best.ks_distance = SizeFitKsDistance(best, nonempty_sizes);
  // Parsimony: a tail must beat the plain lognormal by more than the KS statistic's
  // sampling noise (about 1/sqrt(n)), or it is fitting noise.
  const double noise = 1.0 / std::sqrt(n);
  const double plain_ks = best.ks_distance;

  // Tail candidates: every non-empty bucket's low edge, with enough files on both sides
  // for the estimates to mean something and at most half of the files in the tail.
  const double min_side = std::max(10.0, 0.001 * n);
  double tail_n = n, tail_log_sum = 0;  // over buckets [i, end)
  for (const Bucket& b : buckets) tail_log_sum += b.count * b.log_mid;
  double body_n = 0, body_s1 = 0, body_s2 = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (i > 0) {
      const Bucket& prev = buckets[i - 1];
      body_n += prev.count;
      body_s1 += prev.count * prev.log_mid;
      body_s2 += prev.count * prev.log_mid * prev.log_mid;
      tail_n -= prev.count;
      tail_log_sum -= prev.count * prev.log_mid;
    }
    if (body_n < min_side || tail_n < min_side || tail_n > 0.5 * n) continue;
    const double xmin = static_cast<double>(LogBuckets::Low(buckets[i].index));
    const double log_xmin = std::log(xmin);
    // Pareto MLE (continuous; Clauset et al. eq. 3.1 in CCDF form), with the unbiased
    // (n - 1)/n factor.
    const double excess = tail_log_sum - tail_n * log_xmin;
    if (!(excess > 0)) continue;
    const double alpha = (tail_n - 1) / excess;
    const double body_mean = body_s1 / body_n;
    const double body_var = std::max(0.0, body_s2 / body_n - body_mean * body_mean);
    const BodyFit body = TruncatedNormalFit(body_mean, body_var, log_xmin);
    if (!body.ok) continue;
    SizeFit candidate;
    candidate.lognormal_mu = body.mu;
    candidate.lognormal_sigma = std::max(body.sigma, 0.05);
    candidate.pareto_xmin_bytes = xmin;
    candidate.pareto_alpha = std::clamp(alpha, 0.06, 20.0);
    candidate.tail_fraction = tail_n / n;
    candidate.ks_distance = SizeFitKsDistance(candidate, nonempty_sizes);
    if (candidate.ks_distance < best.ks_distance && candidate.ks_distance < plain_ks - noise)
      best = candidate;
  }
  return best;
}

}  // namespace sfsg
