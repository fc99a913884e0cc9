// Device candidates on constructed models: deterministic (seeded emulator runs), no
// clocks.
#include "predictor/candidates.h"

#include <gtest/gtest.h>

#include <cmath>

#include "generator/device/device_model_testing.h"

namespace sfsg {
namespace {

DeviceLoad Load(double per_s) {
  DeviceLoad l;
  l.requests_per_s = per_s;
  l.read_fraction = 0.7;
  return l;
}

const CandidateResult& Named(const CandidatePlan& plan, const std::string& name) {
  for (const CandidateResult& r : plan.results)
    if (r.candidate.name == name) return r;
  static CandidateResult none;
  ADD_FAILURE() << "no candidate " << name;
  return none;
}

TEST(DeviceCandidates, DefaultsAreTodayFirstAndOfferTheCacheOnlyWhenThereIsOne) {
  DeviceModel m = ConstantModel(1000, 1);
  auto plain = DefaultCandidates(m);
  ASSERT_FALSE(plain.empty());
  EXPECT_EQ(plain[0].name, "today");
  EXPECT_EQ(plain[0].size, 1);
  for (const auto& c : plain) EXPECT_NE(c.name, "cache x2");
  m.cache.size_bytes = 1 << 20;
  m.cache.read_hit = Flat(5);
  bool cache = false;
  for (const auto& c : DefaultCandidates(m))
    if (c.name == "cache x2") {
      cache = true;
      ASSERT_TRUE(c.scale.cache_bytes);
      EXPECT_EQ(*c.scale.cache_bytes, uint64_t{2} << 20);
    }
  EXPECT_TRUE(cache);
}

TEST(DeviceCandidates, TodaySufficesAtLightLoad) {
  const DeviceModel m = ConstantModel(1000, 1);  // 1000 requests/s at most
  auto plan = PlanDeviceCandidates(m, DefaultCandidates(m), Load(100), {"p99", 20000});
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_TRUE(plan->recommended);
  EXPECT_EQ(plan->results[*plan->recommended].candidate.name, "today");
  EXPECT_FALSE(Named(*plan, "today").saturated);
  EXPECT_GE(Named(*plan, "today").latency_us, 1000);  // never below the service time
  EXPECT_NE(plan->statement.find("today's device keeps"), std::string::npos) << plan->statement;
}

TEST(DeviceCandidates, RecommendsTheSmallestChangeThatMeetsTheObjective) {
  const DeviceModel m = ConstantModel(1000, 1);
  // 1500 requests/s: one server (1000/s) saturates; two (2000/s) serve it at 75%.
  auto plan = PlanDeviceCandidates(m, DefaultCandidates(m), Load(1500), {"p99", 20000});
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_TRUE(Named(*plan, "today").saturated);
  EXPECT_FALSE(Named(*plan, "today").meets);
  // No ceilings in the model: more bandwidth or IOPS changes nothing.
  EXPECT_TRUE(Named(*plan, "bandwidth x2").saturated);
  EXPECT_TRUE(Named(*plan, "iops x2").saturated);
  EXPECT_TRUE(Named(*plan, "parallelism x2").meets);
  EXPECT_TRUE(Named(*plan, "parallelism x4").meets);
  EXPECT_LT(Named(*plan, "parallelism x4").latency_us, Named(*plan, "parallelism x2").latency_us);
  ASSERT_TRUE(plan->recommended);
  EXPECT_EQ(plan->results[*plan->recommended].candidate.name, "parallelism x2");
  const Json json = CandidatePlanToJson(*plan);
  EXPECT_EQ(json["recommended"], "parallelism x2");
  EXPECT_EQ(json["candidates"].size(), plan->results.size());
}

TEST(DeviceCandidates, AnIopsCeilingIsLiftedByTheIopsCandidate) {
  DeviceModel m = ConstantModel(100, 8);  // fast and parallel, but capped
  m.caps.read_ops_per_s = m.caps.write_ops_per_s = 1000;
  DeviceLoad load = Load(1500);
  load.read_fraction = 1;
  auto plan = PlanDeviceCandidates(m, DefaultCandidates(m), load, {"p99", 20000});
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_TRUE(Named(*plan, "today").saturated);
  EXPECT_TRUE(Named(*plan, "parallelism x2").saturated);
  ASSERT_TRUE(plan->recommended);
  EXPECT_EQ(plan->results[*plan->recommended].candidate.name, "iops x2");
}

TEST(DeviceCandidates, NoneMeetsAnObjectiveBelowTheServiceTime) {
  const DeviceModel m = ConstantModel(1000, 1);
  auto plan = PlanDeviceCandidates(m, DefaultCandidates(m), Load(100), {"p99", 500});
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_FALSE(plan->recommended);
  EXPECT_NE(plan->statement.find("no candidate"), std::string::npos) << plan->statement;
  EXPECT_NE(plan->statement.find("none is saturated: the device's own service time"),
            std::string::npos)
      << plan->statement;
  EXPECT_TRUE(CandidatePlanToJson(*plan)["recommended"].is_null());
}

TEST(DeviceCandidates, SameSeedSameFigures) {
  DeviceModel m = ConstantModel(1000, 1);
  m.data.read_random.buckets[0].service = ServiceTime::Lognormal(800, 0.5);
  auto a = PlanDeviceCandidates(m, DefaultCandidates(m), Load(1200), {"p99", 20000}, 7);
  auto b = PlanDeviceCandidates(m, DefaultCandidates(m), Load(1200), {"p99", 20000}, 7);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(CandidatePlanToJson(*a).dump(), CandidatePlanToJson(*b).dump());
}

TEST(DeviceCandidates, BadInputIsAUsageError) {
  const DeviceModel m = ConstantModel(1000, 1);
  EXPECT_EQ(PlanDeviceCandidates(m, {}, Load(100), {"p99", 1000}).error().code, ErrorCode::kUsage);
  EXPECT_EQ(PlanDeviceCandidates(m, DefaultCandidates(m), Load(0), {"p99", 1000}).error().code,
            ErrorCode::kUsage);
  EXPECT_EQ(PlanDeviceCandidates(m, DefaultCandidates(m), Load(10), {"p77", 1000}).error().code,
            ErrorCode::kUsage);
}

TEST(DeviceCandidates, LoadFromDiskstatsCounters) {
  UsageTable t;
  t.source = "usage.csv";
  t.time_s = {0, 60, 120};
  t.columns["read_ops"] = {0, 300, 600};
  t.columns["write_ops"] = {0, 100, 200};
  t.columns["read_bytes"] = {0, 300 * 8192.0, 600 * 8192.0};
  t.columns["write_bytes"] = {0, 100 * 65536.0, 200 * 65536.0};
  auto load = DeviceLoadFromUsage(t, 250);
  ASSERT_TRUE(load) << load.error().message;
  EXPECT_DOUBLE_EQ(load->requests_per_s, 250);
  EXPECT_DOUBLE_EQ(load->read_fraction, 0.75);
  EXPECT_EQ(load->read_bytes, 8192u);
  EXPECT_EQ(load->write_bytes, 65536u);
  t.columns.erase("write_bytes");
  auto missing = DeviceLoadFromUsage(t, 250);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kBadInput);
  EXPECT_NE(missing.error().message.find("write_bytes"), std::string::npos);
}

}  // namespace
}  // namespace sfsg
