#include "predictor/usl.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "generator/util/json_io.h"
#include "predictor/latency_fit.h"
#include "predictor/series.h"
#include "predictor/test_support.h"

namespace sfsg {
namespace {

std::vector<UslPoint> LoadCisco() {
  // cisco.csv is concurrency,throughput (no timestamps): read it directly.
  std::vector<UslPoint> points;
  auto text = ReadTextFile(testing::SourcePath("tests/data/usl/cisco.csv"));
  EXPECT_TRUE(text.ok());
  size_t pos = text->find('\n') + 1;
  while (pos < text->size()) {
    const size_t eol = text->find('\n', pos);
    const std::string line = text->substr(pos, eol - pos);
    const size_t comma = line.find(',');
    if (comma != std::string::npos)
      points.push_back({std::stod(line.substr(0, comma)), std::stod(line.substr(comma + 1))});
    if (eol == std::string::npos) break;
    pos = eol + 1;
  }
  return points;
}

TEST(UslTest, FitsGuntherCiscoBenchmarkToPublishedParameters) {
  const std::vector<UslPoint> points = LoadCisco();
  ASSERT_EQ(points.size(), 32u);
  auto fit = FitUsl(points);
  ASSERT_TRUE(fit.ok()) << fit.error().message;
  EXPECT_NEAR(fit->sigma, 0.02671591, 0.02671591 * 1e-4);
  EXPECT_NEAR(fit->kappa, 7.690945e-4, 7.690945e-4 * 1e-4);
  EXPECT_NEAR(fit->lambda, 995.6486, 995.6486 * 1e-4);
  ASSERT_TRUE(fit->n_star.has_value());
  EXPECT_NEAR(*fit->n_star, 35.57, 0.05);  // the book quotes it rounded down, 35
  ASSERT_TRUE(fit->x_max.has_value());
  EXPECT_NEAR(*fit->x_max, 12341, 12341 * 1e-3);
  ASSERT_TRUE(fit->r_squared.has_value());
  EXPECT_GT(*fit->r_squared, 0.99);
  EXPECT_EQ(fit->residual_dof, 29);
  ASSERT_TRUE(fit->sigma_stderr && fit->kappa_stderr && fit->lambda_stderr);
  std::printf(
      "cisco: sigma %.8f (+-%.2g) kappa %.6e (+-%.2g) lambda %.4f (+-%.3g) N* %.2f X_max %.1f\n",
      fit->sigma, *fit->sigma_stderr, fit->kappa, *fit->kappa_stderr, fit->lambda,
      *fit->lambda_stderr, *fit->n_star, *fit->x_max);
  EXPECT_GT(*fit->sigma_stderr, 0);
  EXPECT_LT(*fit->sigma_stderr, fit->sigma / 3);
  EXPECT_GT(*fit->kappa_stderr, 0);
  EXPECT_LT(*fit->lambda_stderr, fit->lambda / 20);
  // The ladder stops at 32 < N* = 35: the fit says kappa is extrapolated.
  bool warned = false;
  for (const std::string& w : fit->warnings) warned |= w.find("extrapolated") != w.npos;
  EXPECT_TRUE(warned);
}

TEST(UslTest, RecoversSyntheticParametersWithinTenPercentUnderNoise) {
  const double sigma = 0.04, kappa = 0.0004, lambda = 1500;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    testing::Gaussian noise(seed);
    std::vector<UslPoint> points;
    for (double n : {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 80, 96}) {
      const double x = lambda * n / (1 + sigma * (n - 1) + kappa * n * (n - 1));
      points.push_back({n, x * (1 + 0.01 * noise.Next())});
    }
    auto fit = FitUsl(points);
    ASSERT_TRUE(fit.ok()) << fit.error().message;
    EXPECT_NEAR(fit->sigma, sigma, 0.1 * sigma) << "seed " << seed;
    EXPECT_NEAR(fit->kappa, kappa, 0.1 * kappa) << "seed " << seed;
    EXPECT_NEAR(fit->lambda, lambda, 0.1 * lambda) << "seed " << seed;
  }
}

TEST(UslTest, PinsContentionAtZeroForSuperlinearData) {
  // Throughput that grows faster than linearly at first (a cache warming up) drives an
  // unconstrained sigma negative; the bound keeps it at 0.
  std::vector<UslPoint> points;
  for (double n = 1; n <= 16; ++n)
    points.push_back({n, 100 * n * (1 + 0.02 * n) / (1 + 0.001 * n * (n - 1))});
  auto fit = FitUsl(points);
  ASSERT_TRUE(fit.ok()) << fit.error().message;
  EXPECT_EQ(fit->sigma, 0);
  EXPECT_TRUE(fit->sigma_at_bound);
  EXPECT_GE(fit->kappa, 0);
  EXPECT_TRUE(std::isfinite(fit->Throughput(10)));
}

TEST(UslTest, RejectsCurvesThatCannotDetermineThreeParameters) {
  EXPECT_FALSE(FitUsl(std::vector<UslPoint>{}).ok());
  const std::vector<UslPoint> one_step = {{4, 1000}};
  auto fit = FitUsl(one_step);
  ASSERT_FALSE(fit.ok());
  EXPECT_EQ(fit.error().code, ErrorCode::kBadInput);
  EXPECT_NE(fit.error().message.find("at least 3"), std::string::npos);
  const std::vector<UslPoint> two_levels = {{1, 100}, {2, 190}, {2, 191}};
  EXPECT_FALSE(FitUsl(two_levels).ok());
  const std::vector<UslPoint> negative = {{1, 100}, {2, -5}, {4, 300}};
  EXPECT_FALSE(FitUsl(negative).ok());
  const std::vector<UslPoint> zero_n = {{0, 100}, {2, 150}, {4, 300}};
  EXPECT_FALSE(FitUsl(zero_n).ok());
}

TEST(UslTest, ThreePointsForThreeParametersLeaveErrorsAndRSquaredUnidentified) {
  UslFit truth;
  truth.sigma = 0.05, truth.kappa = 0.002, truth.lambda = 1000;
  std::vector<UslPoint> points;
  for (double n : {1.0, 8.0, 32.0}) points.push_back({n, truth.Throughput(n)});
  auto fit = FitUsl(points);
  ASSERT_TRUE(fit.ok()) << fit.error().message;
  EXPECT_EQ(fit->residual_dof, 0);
  EXPECT_FALSE(fit->r_squared.has_value());
  EXPECT_FALSE(fit->sigma_stderr.has_value());
  EXPECT_FALSE(fit->kappa_stderr.has_value());
  EXPECT_FALSE(fit->lambda_stderr.has_value());
  bool warned = false;
  for (const std::string& w : fit->warnings) warned |= w.find("not identified") != w.npos;
  EXPECT_TRUE(warned);
  // A fourth point gives one residual degree of freedom: both are reported.
  points.push_back({16, truth.Throughput(16) * 1.01});
  fit = FitUsl(points);
  ASSERT_TRUE(fit.ok());
  EXPECT_EQ(fit->residual_dof, 1);
  EXPECT_TRUE(fit->r_squared.has_value());
  EXPECT_TRUE(fit->sigma_stderr.has_value());
}

TEST(UslTest, WarnsWhenNoPointIsNearOneWorker) {
  std::vector<UslPoint> points;
  for (double n : {8, 16, 24, 32})
    points.push_back({n, 1000 * n / (1 + 0.03 * (n - 1) + 0.0005 * n * (n - 1))});
  auto fit = FitUsl(points);
  ASSERT_TRUE(fit.ok()) << fit.error().message;
  std::string all;
  for (const std::string& w : fit->warnings) all += w + "\n";
  EXPECT_NE(all.find("near N = 1"), std::string::npos) << all;
  EXPECT_NE(all.find("only 4 points"), std::string::npos) << all;
}

TEST(LatencyFitTest, RecoversQueueingCurveAndSloThroughput) {
  const double base_us = 800, saturation = 20000;
  testing::Gaussian noise(7);
  std::vector<LatencyPoint> points;
  for (double rho : {0.05, 0.2, 0.4, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95}) {
    const double x = rho * saturation;
    points.push_back({x, base_us / (1 - rho) * std::exp(0.02 * noise.Next())});
  }
  auto fit = FitLatency(points, "p99");
  ASSERT_TRUE(fit.ok()) << fit.error().message;
  EXPECT_NEAR(fit->base_us, base_us, 0.05 * base_us);
  EXPECT_NEAR(fit->saturation_ops_per_s, saturation, 0.03 * saturation);
  // 20 ms objective: X = Xs (1 - 0.8 / 20) = 0.96 Xs.
  EXPECT_NEAR(fit->ThroughputAt(20000), 0.96 * saturation, 0.03 * saturation);
  EXPECT_EQ(fit->ThroughputAt(100), 0);  // below the light-load latency: never met
  EXPECT_TRUE(fit->warnings.empty());
  EXPECT_NEAR(MeasuredThroughputWithin(points, 5000), 0.8 * saturation, 1e-9);
}

TEST(LatencyFitTest, RejectsASingleStep) {
  const std::vector<LatencyPoint> one = {{1000, 500}};
  auto fit = FitLatency(one, "p99");
  ASSERT_FALSE(fit.ok());
  EXPECT_EQ(fit.error().code, ErrorCode::kBadInput);
}

}  // namespace
}  // namespace sfsg
