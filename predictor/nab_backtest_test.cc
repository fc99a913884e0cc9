// Backtests on real data no one here wrote: two AWS CloudWatch disk-write series from the
// Numenta Anomaly Benchmark (tests/data/nab/README.md). The model sfsg chooses must beat
// Prometheus predict_linear's method on MASE over the same rolling origins.
#include <gtest/gtest.h>

#include <cmath>
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

// The c0d644 writes summed hour by hour (a growth series that stops for 40 hours near its
// end), one day ahead: the model ranked first (the combination) beats the baseline chosen
// the same way out of sample but not that baseline's own backtest score, so the baseline
// is used and the result says why.
TEST(NabForecastTest, AChoiceThatDoesNotBeatTheBaselinesOwnScoreGivesWayToIt) {
  auto table =
      LoadUsageTable(testing::SourcePath("tests/data/nab/ec2_disk_write_bytes_c0d644.csv"));
  ASSERT_TRUE(table.ok()) << table.error().message;
  auto samples = ExtractSeries(*table, "value");
  ASSERT_TRUE(samples.ok()) << samples.error().message;
  Series hourly;
  hourly.name = "value";
  double total = 0;
  for (size_t i = 0; i < samples->values.size(); ++i) {
    total += samples->values[i];
    const double hour = std::floor(samples->time_s[i] / 3600) * 3600;
    if (hourly.time_s.empty() || hourly.time_s.back() != hour) {
      hourly.time_s.push_back(hour);
      hourly.values.push_back(total);
    } else {
      hourly.values.back() = total;
    }
  }
  ForecastOptions options;
  options.horizon_s = 86400;
  auto f = ForecastSeries(hourly, options);
  ASSERT_TRUE(f.ok()) << f.error().message;
  const BacktestSummary& b = f->backtest;
  ASSERT_EQ(b.folds, 30u);
  EXPECT_NEAR(b.lead_s, 86400, 1e-9);  // the lead scored is the horizon
  EXPECT_EQ(b.fallback, BacktestSummary::Fallback::kLosesToBaselineScore);
  EXPECT_FALSE(IsBaseline(b.lowest_mase_model));
  EXPECT_TRUE(IsBaseline(f->model));
  double own = 0;
  for (const ModelScore& s : b.scores)
    if (s.model == f->model) own = s.mase;
  EXPECT_LE(b.selection_mase, b.baseline_selection_mase);
  EXPECT_GT(b.selection_mase, own);
  EXPECT_EQ(b.shrink_weight, 0);
}

INSTANTIATE_TEST_SUITE_P(Nab, NabBacktestTest,
                         ::testing::Values("ec2_disk_write_bytes_1ef3de.csv",
                                           "ec2_disk_write_bytes_c0d644.csv"));

}  // namespace
}  // namespace sfsg
