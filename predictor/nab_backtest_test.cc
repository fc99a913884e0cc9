// Backtests on real data no one here wrote: two AWS CloudWatch disk-write series from the
// Numenta Anomaly Benchmark (tests/data/nab/README.md). The model sfsg chooses must beat
// Prometheus predict_linear's method on MASE over the same rolling origins.
#include <gtest/gtest.h>

#include <cstdio>

#include "predictor/forecast.h"
#include "predictor/series.h"
#include "predictor/test_support.h"

namespace sfsg {
namespace {

class NabBacktestTest : public ::testing::TestWithParam<const char*> {};

TEST_P(NabBacktestTest, ChosenModelBeatsPredictLinearOnMase) {
  auto table = LoadUsageTable(testing::SourcePath(std::string("tests/data/nab/") + GetParam()));
  ASSERT_TRUE(table.ok()) << table.error().message;
  auto series = ExtractSeries(*table, "value");
  ASSERT_TRUE(series.ok()) << series.error().message;
  EXPECT_NEAR(series->quality.median_step_s, 300, 1e-9);
  ForecastOptions options;
  options.horizon_s = 86400;  // one day ahead, 288 steps
  auto forecast = ForecastSeries(*series, options);
  ASSERT_TRUE(forecast.ok()) << forecast.error().message;
  EXPECT_GE(forecast->backtest.folds, 8u);
  const ModelScore* chosen = nullptr;
  const ModelScore* baseline = nullptr;
  for (const ModelScore& s : forecast->backtest.scores) {
    std::printf("%-15s MASE %7.3f sMAPE %6.1f%% coverage80 %5.1f%% coverage95 %5.1f%%\n",
                std::string(ModelName(s.model)).c_str(), s.mase, s.smape, 100 * s.coverage80,
                100 * s.coverage95);
    if (s.model == forecast->model) chosen = &s;
    if (s.model == ModelKind::kPredictLinear) baseline = &s;
  }
  ASSERT_NE(chosen, nullptr);
  ASSERT_NE(baseline, nullptr);
  ASSERT_TRUE(baseline->applies);
  std::printf("chosen %s (seasonality %s)\n", std::string(ModelName(forecast->model)).c_str(),
              forecast->seasonality.name.c_str());
  EXPECT_LT(chosen->mase, baseline->mase);
  // Bands are checked out of sample; on bursty real data they need not be nominal, but
  // they must hold most of what happened.
  EXPECT_GT(chosen->coverage95, 0.5);
  for (const Band& b : forecast->path) {
    EXPECT_LE(b.lower95, b.lower80);
    EXPECT_LE(b.lower80, b.expected);
    EXPECT_LE(b.expected, b.upper80);
    EXPECT_LE(b.upper80, b.upper95);
    EXPECT_GE(b.lower95, 0);  // bytes written cannot be negative
  }
}

INSTANTIATE_TEST_SUITE_P(Nab, NabBacktestTest,
                         ::testing::Values("ec2_disk_write_bytes_1ef3de.csv",
                                           "ec2_disk_write_bytes_c0d644.csv"));

}  // namespace
}  // namespace sfsg
