// The capacity plan's machine outputs (PlanToJson, PlanToPrometheus): what they carry and
// what they leave out when a figure means nothing.
#include <gtest/gtest.h>

#include <string>

#include "predictor/capacity_plan.h"

namespace sfsg {
namespace {

constexpr double kDay = 86400;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// 30 daily samples of a constant 2 GiB on 2 PB: no error is measured, so the bands have
// zero width and mean nothing.
CapacityPlan ConstantPlan() {
  PlanInputs in;
  in.usage = UsageTable();
  in.usage->source = "const.csv";
  for (int i = 0; i < 30; ++i) {
    in.usage->time_s.push_back(1.7e9 + kDay * i);
    in.usage->columns["used_bytes"].push_back(2147483648.0);
  }
  in.capacity_bytes = 2e15;
  in.horizon_s = 30 * kDay;
  auto plan = MakeCapacityPlan(in);
  EXPECT_TRUE(plan.ok()) << plan.error().message;
  return plan.ok() ? *plan : CapacityPlan();
}

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

TEST(PlanOutputTest, UnidentifiedBandsAreLeftOutOfTheMetrics) {
  const std::string metrics = PlanToPrometheus(ConstantPlan());
  EXPECT_TRUE(Contains(metrics, "sfsg_forecast_storage_used_at_horizon_bytes{band=\"expected\"} "))
      << metrics;
  EXPECT_FALSE(Contains(metrics, "band=\"lower80\"")) << metrics;
  EXPECT_FALSE(Contains(metrics, "band=\"upper95\"")) << metrics;
}

}  // namespace
}  // namespace sfsg
