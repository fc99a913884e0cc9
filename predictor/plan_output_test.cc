// The capacity plan's machine outputs (PlanToJson, PlanToPrometheus): what they carry and
// what they leave out when a figure means nothing.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "predictor/capacity_plan.h"
#include "predictor/plan_test_support.h"

namespace sfsg {
namespace {

constexpr double kDay = 86400;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// 30 daily samples of an exact line from 2 GiB, `per_day` a day, on `capacity`: no error
// is measured, so the bands have zero width and mean nothing.
CapacityPlan ExactPlan(double per_day, double capacity) {
  PlanInputs in;
  in.usage = UsageTable();
  in.usage->source = "const.csv";
  for (int i = 0; i < 30; ++i) {
    in.usage->time_s.push_back(1.7e9 + kDay * i);
    in.usage->columns["used_bytes"].push_back(2147483648.0 + per_day * i);
  }
  in.capacity_bytes = capacity;
  in.horizon_s = 30 * kDay;
  auto plan = MakeCapacityPlan(in);
  EXPECT_TRUE(plan.ok()) << plan.error().message;
  return plan.ok() ? *plan : CapacityPlan();
}

CapacityPlan ConstantPlan() { return ExactPlan(0, 2e15); }

TEST(PlanOutputTest, UnidentifiedBandsAreNullInJson) {
  const CapacityPlan plan = ConstantPlan();
  ASSERT_TRUE(plan.storage.has_value());
  ASSERT_FALSE(plan.storage->forecast.bands_identified);
  auto json = PlanToJson(plan);
  ASSERT_TRUE(json.ok());
  const Json& at_horizon = (*json)["storage"]["at_horizon"];
  EXPECT_DOUBLE_EQ(at_horizon["expected"].get<double>(), 2147483648.0);
  for (const char* bound : {"lower80", "upper80", "lower95", "upper95"})
    EXPECT_TRUE(at_horizon[bound].is_null()) << bound << ": " << at_horizon.dump();
  for (const Json& point : (*json)["storage"]["forecast"]["path"]) {
    EXPECT_TRUE(point["expected"].is_number());
    EXPECT_TRUE(point["upper95"].is_null()) << point.dump();
  }
}

// The dates' bounds come from the bands: an exact line reaching its threshold has an
// expected date and no earliest or latest one (they equalled it, a band of zero width).
TEST(PlanOutputTest, UnidentifiedBandsLeaveTheDatesBoundsOut) {
  const CapacityPlan plan = ExactPlan(1073741824.0, 107374182400.0);
  ASSERT_TRUE(plan.storage.has_value());
  ASSERT_FALSE(plan.storage->forecast.bands_identified);
  ASSERT_TRUE(plan.storage->threshold.expected_s.has_value());
  auto json = PlanToJson(plan);
  ASSERT_TRUE(json.ok());
  const Json& reached = (*json)["storage"]["threshold_reached"];
  EXPECT_NEAR(reached["expected_days"].get<double>(), 80 - 2 - 29, 0.5) << reached.dump();
  for (const char* bound : {"earliest_unix", "latest_unix", "earliest_days", "latest_days",
                            "earliest80_days", "latest80_days"})
    EXPECT_TRUE(reached[bound].is_null()) << bound << ": " << reached.dump();
  const std::string metrics = PlanToPrometheus(plan);
  EXPECT_TRUE(Contains(metrics, "sfsg_forecast_storage_threshold_seconds{bound=\"expected\"} "))
      << metrics;
  EXPECT_FALSE(Contains(metrics, "bound=\"earliest\"")) << metrics;
  EXPECT_FALSE(Contains(metrics, "bound=\"latest\"")) << metrics;
}

TEST(PlanOutputTest, UnidentifiedBandsAreLeftOutOfTheMetrics) {
  const std::string metrics = PlanToPrometheus(ConstantPlan());
  EXPECT_TRUE(Contains(metrics, "sfsg_forecast_storage_used_at_horizon_bytes{band=\"expected\"} "))
      << metrics;
  EXPECT_FALSE(Contains(metrics, "band=\"lower80\"")) << metrics;
  EXPECT_FALSE(Contains(metrics, "band=\"upper95\"")) << metrics;
}

// The value of the sample `series` (name and labels, as printed), or NaN when absent.
double Sample(const std::string& metrics, const std::string& series) {
  const size_t at = metrics.find("\n" + series + " ");
  if (at == std::string::npos) return NAN;
  return std::strtod(metrics.c_str() + at + series.size() + 2, nullptr);
}

// Inodes get the gauges bytes get, with the threshold date the table prints: 2M files
// growing 50k a day against 10M inodes and a 20% buffer.
TEST(PlanOutputTest, InodesHaveGaugesLikeBytes) {
  auto plan = testing::InodesPlan();
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const StoragePlan& s = *plan->storage;
  ASSERT_TRUE(s.files && s.files_threshold.expected_s);
  const std::string metrics = PlanToPrometheus(*plan);
  EXPECT_TRUE(Contains(metrics, "# TYPE sfsg_forecast_files_threshold_seconds gauge")) << metrics;
  EXPECT_DOUBLE_EQ(Sample(metrics, "sfsg_forecast_files_capacity"), 1e7) << metrics;
  EXPECT_DOUBLE_EQ(Sample(metrics, "sfsg_forecast_files_threshold"), 8e6) << metrics;
  EXPECT_DOUBLE_EQ(Sample(metrics, "sfsg_forecast_files_used"), s.files->last_value) << metrics;
  EXPECT_DOUBLE_EQ(Sample(metrics, "sfsg_forecast_files_threshold_seconds{bound=\"expected\"}"),
                   *s.files_threshold.expected_s - s.files->origin_s)
      << metrics;
  for (const char* bound : {"earliest", "latest"})
    EXPECT_FALSE(std::isnan(Sample(
        metrics, std::string("sfsg_forecast_files_threshold_seconds{bound=\"") + bound + "\"}")))
        << bound;
  EXPECT_FALSE(
      std::isnan(Sample(metrics, "sfsg_forecast_files_used_at_horizon{band=\"upper95\"}")));
  // Without an inode count there is no threshold: no files gauges.
  PlanInputs in;
  in.usage = testing::InodesUsage();
  in.usage->columns.erase("capacity_files");
  in.horizon_s = 90 * kDay;
  plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_FALSE(Contains(PlanToPrometheus(*plan), "sfsg_forecast_files_"));
}

// Bytes that do not reach the threshold within the search at the recent rate either
// (1 GB a day toward 80 TB): +Inf, like the plan's own dates, and null in JSON.
TEST(PlanOutputTest, ARecentRateNeverReachedIsInfAndNull) {
  auto plan = testing::InodesPlan();
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  ASSERT_TRUE(plan->storage->recent_rate.has_value());
  ASSERT_FALSE(plan->storage->recent_rate->threshold_s.has_value());
  EXPECT_FALSE(plan->storage->recent_rate->far_from_plan);  // neither date is reached
  const std::string metrics = PlanToPrometheus(*plan);
  EXPECT_TRUE(std::isinf(Sample(metrics, "sfsg_forecast_storage_recent_rate_threshold_seconds")))
      << metrics;
  auto json = PlanToJson(*plan);
  ASSERT_TRUE(json.ok());
  const Json& recent = (*json)["storage"]["recent_rate"];
  EXPECT_TRUE(recent["threshold_unix"].is_null()) << recent.dump();
  EXPECT_TRUE(recent["threshold_days"].is_null()) << recent.dump();
  EXPECT_GE(recent["search_days"].get<double>(), 365) << recent.dump();
}

}  // namespace
}  // namespace sfsg
