#include "predictor/fleet.h"

#include <gtest/gtest.h>

#include <cmath>

#include "generator/util/units.h"
#include "predictor/plan_test_support.h"
#include "predictor/procurement.h"

namespace sfsg {
namespace {

constexpr double kDay = 86400;
constexpr double kTiB = 1099511627776.0;

// A plan whose storage threshold is crossed `days` after the origin (or never, or
// already), with the given capacity and recommendation.
CapacityPlan MakePlan(std::optional<double> days, double capacity, double recommended,
                      bool already = false) {
  CapacityPlan plan;
  plan.created_unix = 1.7e9 + 3600;
  plan.origin_unix = 1.7e9;
  StoragePlan s;
  s.forecast.origin_s = plan.origin_unix;
  s.forecast.grid.step_s = 3600;  // a forecast with no path
  s.capacity_bytes = capacity;
  s.current_bytes = capacity / 2;
  s.recommended_capacity_bytes = recommended;
  s.additional_bytes = std::max(0.0, recommended - capacity);
  s.threshold.already = already;
  if (days) {
    s.threshold.expected_s = plan.origin_unix + *days * kDay;
    s.threshold.earliest_s = plan.origin_unix + (*days - 5) * kDay;
  }
  plan.storage = s;
  return plan;
}

TEST(ProcurementTest, OrderByIsThresholdMinusLeadTimeAndPurchasesAreWholeUnits) {
  ProcurementOptions o;
  o.lead_time_s = 30 * kDay;
  o.increment_bytes = 10 * kTiB;
  o.cost_per_tib = 25;
  const CapacityPlan plan = MakePlan(100, 50 * kTiB, 71 * kTiB);
  const Procurement p = MakeProcurement(plan, o);
  ASSERT_TRUE(p.order_by_unix);
  EXPECT_EQ(*p.order_by_unix, plan.origin_unix + 70 * kDay);
  EXPECT_EQ(*p.order_by_earliest_unix, plan.origin_unix + 65 * kDay);
  EXPECT_FALSE(p.overdue);
  EXPECT_EQ(p.purchase_units, 3);  // 21 TiB needed: three 10 TiB units
  EXPECT_EQ(p.purchase_bytes, 30 * kTiB);
  EXPECT_EQ(*p.purchase_cost, 750);
  EXPECT_EQ(p.reclaimable_bytes, 0);
  const Json j = ProcurementToJson(p, o);
  EXPECT_EQ(j["purchase_units"], 3);
  EXPECT_NE(ProcurementToTable(p, o).find("3 x 10.0 TiB"), std::string::npos)
      << ProcurementToTable(p, o);

  // A threshold 10 days out with a 30-day lead time: the order is overdue.
  const Procurement late = MakeProcurement(MakePlan(10, 50 * kTiB, 60 * kTiB), o);
  EXPECT_TRUE(late.overdue);
  // Already reached: order at the origin minus the lead time (overdue).
  const Procurement reached =
      MakeProcurement(MakePlan(std::nullopt, 50 * kTiB, 60 * kTiB, true), o);
  ASSERT_TRUE(reached.order_by_unix);
  EXPECT_TRUE(reached.overdue);
  // Never reached: no order-by date.
  const Procurement never = MakeProcurement(MakePlan(std::nullopt, 50 * kTiB, 40 * kTiB), o);
  EXPECT_FALSE(never.order_by_unix);
}

TEST(ProcurementTest, AVolumeNeedingLessThanItHasIsReclaimableInWholeUnits) {
  ProcurementOptions o;
  o.increment_bytes = 10 * kTiB;
  o.cost_per_tib = 10;
  const Procurement p = MakeProcurement(MakePlan(std::nullopt, 100 * kTiB, 65 * kTiB), o);
  EXPECT_EQ(p.purchase_bytes, 0);
  EXPECT_EQ(p.reclaimable_bytes, 30 * kTiB);  // 35 TiB spare: three whole units
  EXPECT_EQ(*p.reclaimable_value, 300);
  EXPECT_NE(ProcurementToTable(p, o).find("reclaimable"), std::string::npos);
  // Without an increment, the exact spare capacity.
  const Procurement exact =
      MakeProcurement(MakePlan(std::nullopt, 100 * kTiB, 65 * kTiB), ProcurementOptions{});
  EXPECT_EQ(exact.reclaimable_bytes, 35 * kTiB);
}

TEST(FleetTest, VolumesAreRankedWorstFirst) {
  Fleet fleet;
  fleet.procurement.lead_time_s = 7 * kDay;
  auto add = [&](const char* name, std::optional<CapacityPlan> plan) {
    VolumeResult v;
    v.name = name;
    if (plan) {
      v.procurement = MakeProcurement(*plan, fleet.procurement);
      v.plan = std::move(plan);
    } else {
      v.error = Error::BadInput(std::string(name) + ": too few points");
    }
    fleet.volumes.push_back(std::move(v));
  };
  add("/never", MakePlan(std::nullopt, 10 * kTiB, 5 * kTiB));
  add("/late", MakePlan(200, 10 * kTiB, 12 * kTiB));
  add("/soon", MakePlan(20, 10 * kTiB, 20 * kTiB));
  add("/broken", std::nullopt);
  add("/full", MakePlan(std::nullopt, 10 * kTiB, 30 * kTiB, true));
  RankWorstFirst(fleet);
  std::vector<std::string> order;
  for (const VolumeResult& v : fleet.volumes) order.push_back(v.name);
  EXPECT_EQ(order, (std::vector<std::string>{"/broken", "/full", "/soon", "/late", "/never"}));
  EXPECT_EQ(DaysToThreshold(fleet.volumes[2]), 20);

  auto json = FleetToJson(fleet);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ((*json)["format"], "sfsg-fleet");
  ASSERT_EQ((*json)["volumes"].size(), 5u);
  EXPECT_EQ((*json)["volumes"][0]["error"], "/broken: too few points");
  EXPECT_EQ((*json)["volumes"][2]["days_to_threshold"], 20.0);
  EXPECT_TRUE((*json)["volumes"][4]["days_to_threshold"].is_null());
  EXPECT_EQ((*json)["volumes"][2]["plan"]["format"], "sfsg-forecast");

  const std::string table = FleetToTable(fleet);
  EXPECT_LT(table.find("/full"), table.find("/soon")) << table;
  EXPECT_LT(table.find("/soon"), table.find("/never")) << table;
  EXPECT_NE(table.find("reclaim 5.0 TiB"), std::string::npos) << table;

  const std::string html = FleetToHtml(fleet);
  EXPECT_LT(html.find("/full"), html.find("/late"));
  EXPECT_EQ(html.find("<script"), std::string::npos);

  const std::string prom = FleetToPrometheus(fleet);
  EXPECT_NE(prom.find("sfsg_forecast_storage_capacity_bytes{volume=\"/soon\"}"), std::string::npos)
      << prom;
  // One HELP line per metric, however many volumes.
  const std::string help = "# HELP sfsg_forecast_storage_capacity_bytes";
  EXPECT_EQ(prom.find(help), prom.rfind(help));
  EXPECT_NE(prom.find("sfsg_procurement_order_by_timestamp_seconds{volume=\"/late\"}"),
            std::string::npos);
}

TEST(FleetTest, TheDeviceColumnNamesTheSmallestCandidateThatKeepsTheObjective) {
  Fleet fleet;
  auto add = [&](const char* name, std::optional<size_t> recommended, bool evaluated) {
    VolumeResult v;
    v.name = name;
    v.plan = MakePlan(100, 10 * kTiB, 12 * kTiB);
    if (evaluated) {
      CandidatePlan c;
      for (const char* n : {"today", "parallelism x2"})
        c.results.push_back({{n, {}, 1}, 0, 0, 0, false, false});
      c.recommended = recommended;
      v.plan->device_candidates.evaluated = c;
    }
    fleet.volumes.push_back(std::move(v));
  };
  add("/a", 1, true);
  add("/b", std::nullopt, true);
  add("/c", std::nullopt, false);
  const std::string table = FleetToTable(fleet);
  EXPECT_NE(table.find("DEVICE"), std::string::npos) << table;
  EXPECT_NE(table.find("parallelism x2"), std::string::npos) << table;
  EXPECT_NE(table.find("none meets"), std::string::npos) << table;
  const std::string html = FleetToHtml(fleet);
  EXPECT_NE(html.find("<th>device</th>"), std::string::npos);
  EXPECT_NE(html.find("<td>parallelism x2</td>"), std::string::npos);
}

// A volume whose inodes run out in about 4 days while its bytes never reach theirs: the
// order goes out by the inode date, nothing is reclaimable, and the advice says that a
// filesystem with more inodes is needed, not bytes (it said "no order needed within the
// search limit" and "reclaimable").
TEST(ProcurementTest, InodesThatRunOutFirstSetTheOrderAndBlockReclaiming) {
  PlanInputs in;
  in.usage = testing::InodesFirstUsage();
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  plan->created_unix = plan->origin_unix;
  ProcurementOptions o;
  o.lead_time_s = 14 * kDay;
  o.increment_bytes = kTiB;
  const Procurement p = MakeProcurement(*plan, o);
  const StoragePlan& s = *plan->storage;
  EXPECT_EQ(p.binding_limit, Limit::kInodes);
  ASSERT_TRUE(p.order_by_unix.has_value());
  EXPECT_DOUBLE_EQ(*p.order_by_unix, *s.files_threshold.expected_s - 14 * kDay);
  EXPECT_TRUE(p.overdue);
  EXPECT_EQ(p.reclaimable_bytes, 0);
  const std::string table = ProcurementToTable(p, o);
  EXPECT_NE(table.find("limit reached first      inodes, in "), std::string::npos) << table;
  EXPECT_NE(table.find("a filesystem with more inodes (or a new one) is needed"), std::string::npos)
      << table;
  EXPECT_NE(table.find("more bytes alone do not add inodes"), std::string::npos) << table;
  EXPECT_EQ(table.find("no order needed"), std::string::npos) << table;
  EXPECT_EQ(table.find("beyond the recommendation"), std::string::npos) << table;
  const Json j = ProcurementToJson(p, o);
  EXPECT_EQ(j["binding_limit"], "inodes");
  EXPECT_EQ(j["reclaimable_bytes"], 0.0);
  EXPECT_GT(j["additional_files"].get<double>(), 0);
}

// Inodes that run out first but after the horizon: no inodes are needed yet, so the fleet
// does not say "more inodes" and the advice says the inodes hold (both said a filesystem
// with more inodes was needed while the plan said 1.2M more than needed to the horizon).
TEST(FleetTest, InodesThatRunOutAfterTheHorizonAreNoActionYet) {
  Fleet fleet;
  fleet.procurement.lead_time_s = 14 * kDay;
  PlanInputs in;
  in.usage = testing::InodesLaterUsage();
  in.horizon_s = 90 * kDay;
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const Procurement p = MakeProcurement(*plan, fleet.procurement);
  ASSERT_EQ(p.binding_limit, Limit::kInodes);
  const std::string advice = ProcurementToTable(p, fleet.procurement);
  EXPECT_NE(advice.find("inodes it has hold to the horizon"), std::string::npos) << advice;
  EXPECT_EQ(advice.find("the inodes are"), std::string::npos) << advice;
  EXPECT_NE(advice.find("reclaimable              none"), std::string::npos) << advice;
  VolumeResult v;
  v.name = "/later";
  v.procurement = p;
  v.plan = std::move(*plan);
  fleet.volumes.push_back(std::move(v));
  const std::string table = FleetToTable(fleet);
  EXPECT_NE(table.find(" inodes "), std::string::npos) << table;
  EXPECT_EQ(table.find("more inodes;"), std::string::npos) << table;
  EXPECT_NE(table.find("none (more inodes after the horizon)"), std::string::npos) << table;
  EXPECT_NE(table.find("inodes run out first, after the horizon"), std::string::npos) << table;
  EXPECT_EQ(table.find("reclaim "), std::string::npos) << table;
}

// In a fleet the inode date ranks the volume: inodes in about 4 days come before bytes in
// 10; the row names the limit and the action. A volume not reaching its threshold within
// the search limit says so as the plan does ("not within 365 d"), not "never".
TEST(FleetTest, TheLimitReachedFirstRanksAndIsNamed) {
  Fleet fleet;
  fleet.procurement.lead_time_s = 14 * kDay;
  auto add = [&](const char* name, const UsageTable& usage) {
    PlanInputs in;
    in.usage = usage;
    auto plan = MakeCapacityPlan(in);
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    VolumeResult v;
    v.name = name;
    v.procurement = MakeProcurement(*plan, fleet.procurement);
    v.plan = std::move(*plan);
    fleet.volumes.push_back(std::move(v));
  };
  UsageTable slow = testing::InodesUsage();
  slow.columns.erase("capacity_files");
  add("/slow", slow);
  add("/tenth", []() {
    UsageTable t = testing::InodesUsage();
    t.columns.erase("files");
    t.columns.erase("capacity_files");
    for (double& v : t.columns["capacity_bytes"]) v = (1.059e12 + 10 * 1e9) / 0.8;
    return t;
  }());
  add("/inodes", testing::InodesFirstUsage());
  RankWorstFirst(fleet);
  std::vector<std::string> order;
  for (const VolumeResult& v : fleet.volumes) order.push_back(v.name);
  EXPECT_EQ(order, (std::vector<std::string>{"/inodes", "/tenth", "/slow"}));
  EXPECT_NEAR(DaysToThreshold(fleet.volumes[1]), 10, 1.5);
  const std::string table = FleetToTable(fleet);
  auto line = [&](const std::string& name) {
    const size_t at = table.find("  " + name + " ");
    return table.substr(at, table.find('\n', at) - at);
  };
  EXPECT_NE(line("/inodes").find(" inodes "), std::string::npos) << table;
  EXPECT_NE(line("/inodes").find("more inodes"), std::string::npos) << table;
  EXPECT_EQ(line("/inodes").find("reclaim"), std::string::npos) << table;
  // RECOMMENDED is for the limit that binds (it gave the bytes' 9.4 TiB).
  EXPECT_NE(
      line("/inodes").find(FormatCount(fleet.volumes[0].plan->storage->recommended_capacity_files) +
                           " inodes"),
      std::string::npos)
      << table;
  EXPECT_NE(line("/slow").find("not within 365 d"), std::string::npos) << table;
  EXPECT_EQ(table.find("never"), std::string::npos) << table;
  auto json = FleetToJson(fleet);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ((*json)["volumes"][0]["binding_limit"], "inodes");
  EXPECT_TRUE((*json)["volumes"][2]["days_to_threshold"].is_null());
  EXPECT_EQ((*json)["volumes"][2]["search_days"], 365.0);
}

}  // namespace
}  // namespace sfsg
