#include "predictor/calibrate/parallelism_fit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace sfsg {
namespace {

// Synthetic ladder of a c-server device: X(N) = min(N, c) / S, with a deterministic
// +-3% wobble so the fit is not handed exact points.
std::vector<ConcurrencyPoint> Ladder(double c, double service_us, std::vector<double> depths) {
  std::vector<ConcurrencyPoint> out;
  for (size_t i = 0; i < depths.size(); ++i) {
    const double wobble = 1 + 0.03 * ((i % 3 == 0) ? 1 : (i % 3 == 1 ? -1 : 0));
    const double x = std::min(depths[i], c) / (service_us * 1e-6) * wobble;
    out.push_back({depths[i], x, depths[i] / x * 1e6, 0});
  }
  return out;
}

TEST(ParallelismFit, RecoversServersAndServiceTimeOfASaturatingLadder) {
  const auto points = Ladder(6, 150, {1, 2, 4, 8, 16, 32});
  auto fit = FitParallelism(points, "test");
  ASSERT_TRUE(fit.ok()) << fit.error().message;
  EXPECT_NEAR(fit->parallelism, 6, 0.6);
  EXPECT_NEAR(fit->service_time_us, 150, 10);
  EXPECT_NEAR(fit->peak_ops_per_s, 6 / 150e-6, 0.08 * 6 / 150e-6);
  EXPECT_FALSE(fit->lower_bound);
  EXPECT_EQ(fit->points, 6u);
}

TEST(ParallelismFit, ALadderThatNeverSaturatesGivesALowerBound) {
  const auto points = Ladder(100, 80, {1, 2, 4, 8});
  auto fit = FitParallelism(points, "test");
  ASSERT_TRUE(fit.ok());
  EXPECT_TRUE(fit->lower_bound);
  EXPECT_DOUBLE_EQ(fit->parallelism, 8);
}

TEST(ParallelismFit, ASerialDeviceHasParallelismOne) {
  const auto points = Ladder(1, 1000, {1, 2, 4, 8, 16});
  auto fit = FitParallelism(points, "test");
  ASSERT_TRUE(fit.ok());
  EXPECT_NEAR(fit->parallelism, 1, 0.1);
  EXPECT_NEAR(fit->service_time_us, 1000, 40);
}

TEST(ParallelismFit, FractionalQueueDepthsFromLittlesLaw) {
  // Passive points: mean queues below and above the knee at c = 3.
  const auto points = Ladder(3, 400, {0.2, 0.5, 0.9, 1.7, 2.5, 4.5, 9, 14});
  auto fit = FitParallelism(points, "test");
  ASSERT_TRUE(fit.ok());
  EXPECT_NEAR(fit->parallelism, 3, 0.3);
  EXPECT_NEAR(fit->service_time_us, 400, 30);
}

TEST(ParallelismFit, RefusesTooFewOrBadPoints) {
  std::vector<ConcurrencyPoint> one = {{1, 100, 0, 0}};
  auto fit = FitParallelism(one, "ladder X");
  ASSERT_FALSE(fit.ok());
  EXPECT_EQ(fit.error().code, ErrorCode::kBadInput);
  EXPECT_NE(fit.error().message.find("ladder X"), std::string::npos);
  std::vector<ConcurrencyPoint> zero = {{1, 100, 0, 0}, {2, 0, 0, 0}};
  EXPECT_FALSE(FitParallelism(zero, "z").ok());
  std::vector<ConcurrencyPoint> nan = {{1, 100, 0, 0}, {NAN, 10, 0, 0}};
  EXPECT_FALSE(FitParallelism(nan, "n").ok());
}

}  // namespace
}  // namespace sfsg
