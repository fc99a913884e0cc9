#include "generator/replay/zipf.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace sfsg {
namespace {

// P(rank = k) = k^-theta / sum_j j^-theta.
double Expected(uint64_t n, double theta, uint64_t k) {
  double norm = 0;
  for (uint64_t j = 1; j <= n; ++j) norm += std::pow(static_cast<double>(j), -theta);
  return std::pow(static_cast<double>(k), -theta) / norm;
}

class ZipfShape : public ::testing::TestWithParam<double> {};

TEST_P(ZipfShape, FrequenciesMatchThePowerLaw) {
  const double theta = GetParam();
  const uint64_t n = 1000;
  const ZipfSampler zipf(n, theta);
  SplitMixStream rng(42);
  const int draws = 400000;
  std::vector<int> counts(n + 1, 0);
  for (int i = 0; i < draws; ++i) {
    const uint64_t k = zipf.Sample(rng);
    ASSERT_GE(k, 1u);
    ASSERT_LE(k, n);
    ++counts[k];
  }
  for (uint64_t k : {1, 2, 3, 10, 100}) {
    const double expected = Expected(n, theta, k) * draws;
    // Five standard deviations of a binomial count, plus 1% for the model.
    EXPECT_NEAR(counts[k], expected, 5 * std::sqrt(expected) + 0.01 * expected) << "rank " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(Thetas, ZipfShape, ::testing::Values(0.0, 0.5, 0.9, 1.0, 1.5));

TEST(Zipf, HugeNamespacesCostNothing) {
  const uint64_t n = uint64_t{1} << 50;
  const ZipfSampler zipf(n, 0.9);
  SplitMixStream rng(7);
  uint64_t above_million = 0;
  for (int i = 0; i < 100000; ++i) {
    const uint64_t k = zipf.Sample(rng);
    ASSERT_GE(k, 1u);
    ASSERT_LE(k, n);
    above_million += k > 1000000;
  }
  // With theta 0.9, 90% of the mass of 2^50 ranks lies beyond the first million
  // (H(n) ~ n^0.1 / 0.1 + zeta(0.9): 310.6 against 30.4).
  EXPECT_GT(above_million, 88000u);
  EXPECT_LT(above_million, 92000u);
}

TEST(Zipf, SameStreamSameRanks) {
  const ZipfSampler zipf(12345, 1.1);
  SplitMixStream a(99), b(99);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(zipf.Sample(a), zipf.Sample(b));
}

TEST(Zipf, OneElement) {
  const ZipfSampler zipf(1, 0.9);
  SplitMixStream rng(1);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(zipf.Sample(rng), 1u);
}

}  // namespace
}  // namespace sfsg
