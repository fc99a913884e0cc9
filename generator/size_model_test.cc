#include "generator/size_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "generator/util/hash.h"

namespace sfsg {
namespace {

// n sizes drawn from the spliced model (rounded to whole bytes, as the generator does).
LogHistogram Draw(const SizeFit& fit, int n, uint64_t seed) {
  LogHistogram h;
  SplitMixStream rng(seed);
  for (int i = 0; i < n; ++i) {
    const double x = SizeFitQuantile(fit, rng.NextUnit());
    h.Add(std::max<uint64_t>(1, static_cast<uint64_t>(std::min(x, 1e18) + 0.5)));
  }
  return h;
}

TEST(SizeModel, QuantileInvertsTheCdf) {
  const SizeFit fit{8.0, 2.0, 1 << 20, 1.3, 0.03, 0};
  for (double u : {0.001, 0.1, 0.5, 0.9, 0.969, 0.97, 0.971, 0.999}) {
    EXPECT_NEAR(SizeFitCdf(fit, SizeFitQuantile(fit, u)), u, 1e-9) << u;
  }
}

TEST(SizeModel, FitRecoversASplicedModel) {
  // A lognormal body (median e^8 ~ 3 KB) with a heavier Pareto tail above 64 KiB
  // holding 6% of the files.
  const SizeFit truth{8.0, 1.5, 65536, 1.1, 0.06, 0};
  const LogHistogram sizes = Draw(truth, 200000, 42);
  const SizeFit fit = FitSizes(sizes);
  EXPECT_NEAR(fit.lognormal_mu, truth.lognormal_mu, 0.05);
  EXPECT_NEAR(fit.lognormal_sigma, truth.lognormal_sigma, 0.05);
  EXPECT_NEAR(std::log2(fit.pareto_xmin_bytes), std::log2(truth.pareto_xmin_bytes), 0.25);
  EXPECT_NEAR(fit.pareto_alpha, truth.pareto_alpha, 0.1);
  EXPECT_NEAR(fit.tail_fraction, truth.tail_fraction, 0.006);
  EXPECT_LT(fit.ks_distance, 0.01);
  EXPECT_NEAR(fit.ks_distance, SizeFitKsDistance(fit, sizes), 1e-12);
}

TEST(SizeModel, FitOfAPlainLognormalNeedsNoTail) {
  const SizeFit truth{9.0, 2.2, 0, 1.2, 0, 0};
  const LogHistogram sizes = Draw(truth, 200000, 7);
  const SizeFit fit = FitSizes(sizes);
  EXPECT_NEAR(fit.lognormal_mu, 9.0, 0.05);
  EXPECT_NEAR(fit.lognormal_sigma, 2.2, 0.05);
  EXPECT_LT(fit.tail_fraction, 0.02);  // a tail, if any, is a sliver
  EXPECT_LT(fit.ks_distance, 0.01);
}

TEST(SizeModel, KsDistanceTellsAWrongModel) {
  const SizeFit truth{8.0, 1.5, 65536, 1.1, 0.06, 0};
  const LogHistogram sizes = Draw(truth, 100000, 3);
  EXPECT_LT(SizeFitKsDistance(truth, sizes), 0.01);
  SizeFit shifted = truth;
  shifted.lognormal_mu += 0.5;
  EXPECT_GT(SizeFitKsDistance(shifted, sizes), 0.1);
}

TEST(SizeModel, EmptyAndDegenerateInputs) {
  const SizeFit empty = FitSizes(LogHistogram());
  EXPECT_EQ(empty.ks_distance, 0.0);
  EXPECT_EQ(empty.tail_fraction, 0.0);
  LogHistogram one_size;
  one_size.Add(4096, 1000);
  const SizeFit fit = FitSizes(one_size);
  EXPECT_TRUE(std::isfinite(fit.lognormal_mu));
  EXPECT_GT(fit.lognormal_sigma, 0.0);
  EXPECT_NEAR(std::exp(fit.lognormal_mu), 4096.0, 4096.0 * 0.03);
  // The fit always passes the profile's validation ranges.
  Profile p = DefaultProfile();
  p.sizes.fit = fit;
  EXPECT_TRUE(ValidateProfile(p, "p").ok());
}

TEST(SizeModel, SamplerFollowsTheQuantileTable) {
  SizeStats stats;
  stats.log2_quantiles = {{0.0, 0.5, 1.0}, {0.0, 10.0, 20.0}};
  const SizeSampler sampler(stats);
  EXPECT_EQ(sampler.Bytes(0.0), 1u);
  EXPECT_EQ(sampler.Bytes(0.5), 1024u);
  EXPECT_EQ(sampler.Bytes(0.75), 32768u);
}

}  // namespace
}  // namespace sfsg
