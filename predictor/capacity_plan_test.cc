#include "predictor/capacity_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "generator/util/strings.h"
#include "predictor/plan_test_support.h"
#include "predictor/report.h"

namespace sfsg {
namespace {

constexpr double kDay = 86400;

PerfCurve MakeCurve(std::initializer_list<uint32_t> ladder) { return testing::UslCurve(ladder); }

UsageTable MakeUsage() { return testing::HourlyUsage(/*with_files=*/true); }

TEST(CapacityPlanTest, JoinsStorageAndPerformanceIntoOnePlan) {
  PlanInputs in;
  in.usage = MakeUsage();
  in.curve = MakeCurve({1, 2, 4, 8, 12, 16, 24, 32, 48});
  in.horizon_s = 90 * kDay;
  in.buffer = 0.2;
  in.objectives = {*ParseObjective("p99=20ms")};
  in.created_unix = 1.8e9;
  in.device_requests_per_op = 1.0;  // demand and curve in one unit
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  ASSERT_TRUE(plan->storage.has_value());
  const StoragePlan& s = *plan->storage;
  EXPECT_EQ(s.capacity_source, "series");
  EXPECT_DOUBLE_EQ(s.threshold_bytes, 0.8 * 1099511627776.0);
  // Usage crossed 80% of 1 TiB (879.6 GB) at day 53.9: already reached.
  EXPECT_TRUE(s.threshold.already);
  EXPECT_GT(s.recommended_capacity_bytes, s.capacity_bytes);
  EXPECT_NEAR(s.at_horizon.expected, 3e11 + 1.0737e10 * (59 + 23 / 24.0 + 90), 0.02 * 1.5e12);
  ASSERT_TRUE(s.files.has_value());
  ASSERT_TRUE(plan->performance.has_value());
  const PerformancePlan& p = *plan->performance;
  ASSERT_TRUE(p.usl.has_value());
  EXPECT_NEAR(p.usl->sigma, 0.05, 0.005);
  EXPECT_NEAR(p.usl->kappa, 0.002, 0.0002);
  ASSERT_EQ(p.objectives.size(), 1u);
  EXPECT_GT(p.sustainable_ops_per_s, 0);
  ASSERT_TRUE(p.demand.has_value());
  EXPECT_EQ(p.demand->seasonality.name, "daily");
  EXPECT_GT(p.peak_at_horizon.expected, 500);  // 300 + 2 x 150 days + the daily peak
  ASSERT_TRUE(p.recommended_ops_per_s.has_value());
  // Headroom at today's load and at the horizon's peak are two figures.
  ASSERT_TRUE(p.headroom_now.has_value() && p.headroom.has_value());
  EXPECT_NEAR(*p.headroom_now, 1 - p.demand->last_value / p.sustainable_ops_per_s, 1e-12);
  EXPECT_GT(*p.headroom_now, *p.headroom);

  auto json = PlanToJson(*plan);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ((*json)["format"], "sfsg-forecast");
  EXPECT_EQ((*json)["version"], 1);
  EXPECT_EQ((*json)["storage"]["threshold_reached"]["already"], true);
  EXPECT_TRUE((*json)["storage"]["forecast"]["path"].is_array());
  EXPECT_LE((*json)["storage"]["forecast"]["path"].size(), 100u);
  EXPECT_TRUE((*json)["performance"]["usl"]["sigma"].is_number());
  EXPECT_TRUE((*json)["performance"]["demand"]["peak_at_horizon"]["upper95"].is_number());
  const std::string text = json->dump();
  EXPECT_EQ(text.find("NaN"), std::string::npos);
  const std::string prometheus = PlanToPrometheus(*plan);
  EXPECT_NE(prometheus.find("sfsg_forecast_storage_recommended_capacity_bytes "),
            std::string::npos);
  EXPECT_NE(prometheus.find("sfsg_forecast_usl_sigma "), std::string::npos);
  EXPECT_NE(prometheus.find("sfsg_forecast_demand_peak_ops_per_second{band=\"upper95\"}"),
            std::string::npos);
  EXPECT_EQ(prometheus.find("nan"), std::string::npos);
  const std::string table = PlanToTable(*plan);
  EXPECT_NE(table.find("already reached"), std::string::npos) << table;
  const std::string html = PlanToHtml(*plan);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("nan"), std::string::npos);
}

// Operations not metered (empty read_ops and write_ops, as sfsg-meter writes them on tmpfs,
// FUSE or NFS), or metered at too few rows to forecast: the storage plan and the curve
// stand, and the plan says the demand is missing. Both failed the whole plan (exit 4),
// and with it every alert of the mount.
TEST(CapacityPlanTest, UnmeteredOrThinDemandLeavesTheStoragePlan) {
  for (size_t metered : {size_t{0}, size_t{3}}) {
    PlanInputs in;
    in.usage = MakeUsage();
    for (const char* column : {"read_ops", "write_ops", "read_bytes", "write_bytes"}) {
      std::vector<double>& v = in.usage->columns[column];
      for (size_t i = 0; i + metered < v.size(); ++i) v[i] = NAN;
    }
    in.curve = MakeCurve({1, 2, 4, 8, 12, 16, 24, 32, 48});
    in.horizon_s = 90 * kDay;
    in.objectives = {*ParseObjective("p99=20ms")};
    in.device_requests_per_op = 1.0;
    auto plan = MakeCapacityPlan(in);
    ASSERT_TRUE(plan.ok()) << metered << ": " << plan.error().message;
    ASSERT_TRUE(plan->storage.has_value()) << metered;
    ASSERT_TRUE(plan->performance.has_value()) << metered;
    EXPECT_FALSE(plan->performance->demand.has_value()) << metered;
    std::string said;
    for (const std::string& w : plan->warnings) said += w + "\n";
    EXPECT_NE(
        said.find(metered == 0 ? "read_ops and write_ops hold no values" : "no demand forecast"),
        std::string::npos)
        << said;
  }
}

// A one-step ladder (sfsg-mount --ladder 1) supports no latency fit: the objective is not
// judged and the curve gives no performance plan, but the storage plan stands.
TEST(CapacityPlanTest, AOneStepLadderLeavesTheStoragePlan) {
  PlanInputs in;
  in.usage = MakeUsage();
  in.curve = MakeCurve({1});
  in.horizon_s = 90 * kDay;
  in.objectives = {*ParseObjective("p99=20ms")};
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  ASSERT_TRUE(plan->storage.has_value());
  EXPECT_FALSE(plan->performance.has_value());
  EXPECT_TRUE(plan->low_confidence);
  std::string said;
  for (const std::string& w : plan->warnings) said += w + "\n";
  EXPECT_NE(said.find("p99 objective is not judged"), std::string::npos) << said;
  EXPECT_NE(said.find("no performance plan"), std::string::npos) << said;
  // Without usage to plan, the same curve is an error, as before.
  in.usage.reset();
  EXPECT_FALSE(MakeCapacityPlan(in).ok());
}

TEST(CapacityPlanTest, DatesTheThresholdAndSizesTheCapacity) {
  PlanInputs in;
  in.usage = MakeUsage();
  in.usage->columns.erase("capacity_bytes");
  in.capacity_bytes = 2e12;  // threshold 1.6e12: reached around day 121, 61 days ahead
  in.horizon_s = 90 * kDay;
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const StoragePlan& s = *plan->storage;
  EXPECT_EQ(s.capacity_source, "option");
  ASSERT_TRUE(s.threshold.expected_s.has_value());
  const double truth_days = (1.6e12 - 3e11) / 1.0737e10 - (59 + 23 / 24.0);
  EXPECT_NEAR((*s.threshold.expected_s - s.forecast.origin_s) / kDay, truth_days,
              0.05 * truth_days);
  EXPECT_LE(*s.threshold.earliest_s, *s.threshold.expected_s);
  EXPECT_GE(*s.threshold.latest_s, *s.threshold.expected_s);
  // Capacity for the 95% peak at day 150 with 20% free.
  EXPECT_NEAR(s.recommended_capacity_bytes, (3e11 + 1.0737e10 * 150) / 0.8, 0.05e12);
  EXPECT_FALSE(plan->performance.has_value());
}

TEST(CapacityPlanTest, ZeroWidthBandsAreReportedAsNotIdentified) {
  PlanInputs in;
  in.usage = UsageTable();
  in.usage->source = "line.csv";
  for (int i = 0; i < 30; ++i) {
    in.usage->time_s.push_back(1.7e9 + kDay * i);
    in.usage->columns["used_bytes"].push_back(1e12 + 1e10 * i);
  }
  in.capacity_bytes = 2e12;
  in.horizon_s = 30 * kDay;
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_FALSE(plan->storage->forecast.bands_identified);
  const std::string table = PlanToTable(*plan);
  EXPECT_NE(table.find("n/a (no error measured)"), std::string::npos) << table;
  auto json = PlanToJson(*plan);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ((*json)["storage"]["forecast"]["bands_identified"], false);
}

TEST(CapacityPlanTest, BadInputsGiveClearErrors) {
  PlanInputs none;
  auto plan = MakeCapacityPlan(none);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code, ErrorCode::kUsage);

  PlanInputs no_capacity;
  no_capacity.usage = MakeUsage();
  no_capacity.usage->columns.erase("capacity_bytes");
  plan = MakeCapacityPlan(no_capacity);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code, ErrorCode::kUsage);
  EXPECT_NE(plan.error().message.find("--capacity"), std::string::npos);

  PlanInputs one_step;
  one_step.curve = MakeCurve({8});
  one_step.objectives = {*ParseObjective("p99=20ms")};
  plan = MakeCapacityPlan(one_step);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code, ErrorCode::kBadInput);

  PlanInputs short_series;
  short_series.usage = UsageTable{"short.csv", {1, 2, 3}, {{"used_bytes", {1, 2, 3}}}};
  short_series.capacity_bytes = 100;
  plan = MakeCapacityPlan(short_series);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code, ErrorCode::kBadInput);

  EXPECT_FALSE(ParseObjective("p99").ok());
  EXPECT_FALSE(ParseObjective("p98=20ms").ok());
  auto unit = ParseObjective("p99=20parsecs");
  ASSERT_FALSE(unit.ok());
  EXPECT_NE(unit.error().message.find("unknown unit"), std::string::npos);
  EXPECT_FALSE(ParseObjective("p99=0ms").ok());
  EXPECT_DOUBLE_EQ(ParseObjective("p50=1.5ms")->latency_us, 1500);
}

TEST(CapacityPlanTest, ThinCurveIsLabelledLowConfidence) {
  PlanInputs in;
  in.curve = MakeCurve({1, 2, 4});  // USL fits 3 levels, warns
  in.objectives = {*ParseObjective("p99=50ms")};
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_FALSE(plan->warnings.empty());
  auto json = PlanToJson(*plan);
  ASSERT_TRUE(json.ok());
  EXPECT_TRUE((*json)["storage"].is_null());
  EXPECT_TRUE((*json)["performance"]["demand"].is_null());
  EXPECT_EQ(json->dump().find("NaN"), std::string::npos);
  // Three levels for three parameters: no residual degrees of freedom, so the standard
  // errors and R^2 are n/a (null), not "+- 0" and 1.000.
  const Json& usl = (*json)["performance"]["usl"];
  EXPECT_EQ(usl["residual_dof"], 0);
  EXPECT_TRUE(usl["r_squared"].is_null());
  EXPECT_TRUE(usl["sigma_stderr"].is_null());
  const std::string table = PlanToTable(*plan);
  EXPECT_NE(table.find("R^2 n/a"), std::string::npos) << table;
  EXPECT_EQ(table.find("+- 0"), std::string::npos) << table;
  // The ladder peaked near 2 ms p99: a 50 ms objective is fitted far beyond it, and the
  // plan uses no more than the largest throughput measured.
  const ObjectivePlan& o = plan->performance->objectives[0];
  double largest = 0;
  for (const UslPoint& point : plan->performance->usl_points)
    largest = std::max(largest, point.throughput);
  EXPECT_TRUE(o.beyond_measured_range);
  EXPECT_GT(o.fitted_ops_per_s, largest);
  EXPECT_LE(o.objective_ops_per_s, largest);
  EXPECT_LE(plan->performance->sustainable_ops_per_s, largest);
  const Json& latency = (*json)["performance"]["latency"][0];
  EXPECT_EQ(latency["beyond_measured_range"], true);
  EXPECT_GT(latency["fitted_ops_per_s"].get<double>(),
            latency["objective_ops_per_s"].get<double>());
  EXPECT_NE(table.find("capped"), std::string::npos) << table;
}

TEST(CapacityPlanTest, DemandInDeviceRequestsIsConvertedToFileOperations) {
  PlanInputs in;
  in.usage = MakeUsage();
  in.curve = MakeCurve({1, 2, 4, 8, 16});
  in.horizon_s = 30 * kDay;
  auto raw = MakeCapacityPlan(in);
  ASSERT_TRUE(raw.ok()) << raw.error().message;
  EXPECT_FALSE(raw->performance->unit.comparable);
  auto raw_json = PlanToJson(*raw);
  ASSERT_TRUE(raw_json.ok());
  EXPECT_EQ((*raw_json)["performance"]["device"]["unit"]["comparable"], false);
  EXPECT_TRUE(
      (*raw_json)["performance"]["device"]["unit"]["device_requests_per_file_op"].is_null());
  EXPECT_NE(PlanToTable(*raw).find("not comparable"), std::string::npos);
  // Device requests are never divided by file operations: no headroom, no crossing.
  EXPECT_FALSE(raw->performance->headroom);
  EXPECT_FALSE(raw->performance->headroom_now);
  EXPECT_TRUE((*raw_json)["performance"]["demand"]["threshold_reached"].is_null());
  EXPECT_NE(PlanToTable(*raw).find("demand reaches 80%       n/a (demand and the curve are in "
                                   "different units)"),
            std::string::npos)
      << PlanToTable(*raw);

  in.device_requests_per_op = 2.0;  // each file operation cost two device requests
  auto converted = MakeCapacityPlan(in);
  ASSERT_TRUE(converted.ok()) << converted.error().message;
  const PerformancePlan& p = *converted->performance;
  EXPECT_TRUE(p.unit.comparable);
  EXPECT_EQ(p.unit.demand, "file operations/s");
  EXPECT_NEAR(p.demand->grid.values.back(), raw->performance->demand->grid.values.back() / 2,
              1e-9 * raw->performance->demand->grid.values.back());
  EXPECT_LT(p.peak_at_horizon.expected, raw->performance->peak_at_horizon.expected);
  auto json = PlanToJson(*converted);
  ASSERT_TRUE(json.ok());
  EXPECT_DOUBLE_EQ(
      (*json)["performance"]["device"]["unit"]["device_requests_per_file_op"].get<double>(), 2.0);
}

TEST(CapacityPlanTest, APassiveModelSaysItCoversOnlyTheLoadObserved) {
  DeviceModel model;
  model.name = "passive /srv";
  model.provenance.mode = "passive";
  model.provenance.target_path = "/srv";
  model.provenance.ops_per_s_max = 850;
  model.provenance.concurrency_max = 3;
  const std::string statement = DeviceBasisStatement(DeviceBasisFromModel(model));
  EXPECT_NE(statement.find("covers only the load observed"), std::string::npos) << statement;
  EXPECT_NE(statement.find("850 requests/s"), std::string::npos) << statement;
  const Json json = DeviceBasisJson(DeviceBasisFromModel(model));
  EXPECT_DOUBLE_EQ(json["model"]["covers"]["ops_per_s_max"].get<double>(), 850);
  EXPECT_EQ(json["model"]["covers"]["concurrency_max"], 3);
}

}  // namespace
}  // namespace sfsg

namespace sfsg {
namespace {

TEST(CapacityPlanTest, WithoutADeviceModelThePlanSaysTheFiguresAreTheShadowsOwn) {
  PlanInputs in;
  in.curve = MakeCurve({1, 2, 4, 8, 16});
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  auto json = PlanToJson(*plan);
  ASSERT_TRUE(json.ok());
  const Json& device = (*json)["performance"]["device"];
  EXPECT_TRUE(device["model"].is_null());
  EXPECT_NE(device["statement"].get<std::string>().find("shadow's own"), std::string::npos);
  EXPECT_NE(device["statement"].get<std::string>().find("no real device"), std::string::npos);
  EXPECT_NE(PlanToTable(*plan).find("no real device"), std::string::npos);
  EXPECT_NE(PlanToHtml(*plan).find("no real device"), std::string::npos);
}

TEST(CapacityPlanTest, WithADeviceModelThePlanNamesItAndItsValidationError) {
  DeviceModel model;
  model.name = "active xfs /mnt/x";
  model.provenance.mode = "active";
  model.provenance.created_utc = "2026-12-04T16:20:00Z";
  model.provenance.target_path = "/mnt/x";
  model.provenance.filesystem_type = "xfs";
  model.validation.throughput_error = 0.12;
  model.validation.p99_error = 0.25;
  model.validation.usl_peak_error = 0.08;
  PlanInputs in;
  in.curve = MakeCurve({1, 2, 4, 8, 16});
  in.device = DeviceBasisFromModel(model);
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok());
  auto json = PlanToJson(*plan);
  ASSERT_TRUE(json.ok());
  const Json& device = (*json)["performance"]["device"];
  EXPECT_EQ(device["model"]["mode"], "active");
  EXPECT_EQ(device["model"]["created_utc"], "2026-12-04T16:20:00Z");
  EXPECT_EQ(device["model"]["target"], "/mnt/x");
  EXPECT_DOUBLE_EQ(device["model"]["validation"]["p99_error"].get<double>(), 0.25);
  const std::string statement = device["statement"];
  EXPECT_NE(statement.find("active xfs /mnt/x"), std::string::npos);
  EXPECT_NE(statement.find("throughput within 12%"), std::string::npos);
  EXPECT_NE(PlanToTable(*plan).find("p99 within 25%"), std::string::npos);

  model.validation = {};
  in.device = DeviceBasisFromModel(model);
  auto unvalidated = MakeCapacityPlan(in);
  ASSERT_TRUE(unvalidated.ok());
  EXPECT_NE(PlanToTable(*unvalidated).find("not validated"), std::string::npos);
}

}  // namespace
}  // namespace sfsg

namespace sfsg {
namespace {

// Every 4 KiB request takes 2 ms on one server: saturated near 500 requests/s.
DeviceModel SlowDevice() {
  DeviceModel m;
  m.name = "slow disk";
  m.provenance.mode = "active";
  m.provenance.target_path = "/srv";
  m.servers = 1;
  SizeCurve flat;
  flat.buckets.push_back({4096, ServiceTime::Constant(2000)});
  m.data.read_sequential = m.data.read_random = flat;
  m.data.write_sequential = m.data.write_random = flat;
  return m;
}

TEST(CapacityPlanTest, ADeviceModelSizesCandidateDevicesAtTheHorizonsPeak) {
  PlanInputs in;
  in.usage = MakeUsage();  // ~300-600 device requests/s at the horizon
  for (const char* direction : {"read", "write"})
    for (double ops : in.usage->columns[std::string(direction) + "_ops"])
      in.usage->columns[std::string(direction) + "_bytes"].push_back(4096 * ops);
  in.horizon_s = 90 * kDay;
  in.objectives = {*ParseObjective("p99=50ms")};
  in.device_model = SlowDevice();
  in.device = DeviceBasisFromModel(*in.device_model);
  auto plan = MakeCapacityPlan(in);  // no curve: the candidates need none
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const DeviceCandidates& c = plan->device_candidates;
  ASSERT_TRUE(c.evaluated) << c.reason;
  EXPECT_GT(c.evaluated->load.requests_per_s, 400);
  EXPECT_TRUE(c.evaluated->results.front().saturated);  // today's one server
  ASSERT_TRUE(c.evaluated->recommended);
  EXPECT_NE(c.evaluated->results[*c.evaluated->recommended].candidate.name, "today");
  auto json = PlanToJson(*plan);
  ASSERT_TRUE(json.ok());
  const Json& j = (*json)["device_candidates"];
  EXPECT_EQ(j["status"], "evaluated");
  EXPECT_EQ(j["basis"]["model"]["name"], "slow disk");
  EXPECT_NE(j["basis"]["statement"].get<std::string>().find("not validated"), std::string::npos);
  const std::string table = PlanToTable(*plan);
  EXPECT_NE(table.find("Device candidates at the horizon's peak"), std::string::npos) << table;
  EXPECT_NE(table.find("(recommended)"), std::string::npos) << table;
  EXPECT_NE(table.find("device model 'slow disk'"), std::string::npos) << table;
  const std::string html = PlanToHtml(*plan);
  EXPECT_NE(html.find("<table class=\"candidates\">"), std::string::npos);
  EXPECT_NE(html.find("not validated"), std::string::npos);
}

TEST(CapacityPlanTest, DeviceCandidatesSayWhyNoneWereEvaluated) {
  PlanInputs in;
  in.usage = MakeUsage();
  in.curve = MakeCurve({1, 2, 4, 8, 16});
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_FALSE(plan->device_candidates.evaluated);
  EXPECT_NE(plan->device_candidates.reason.find("no device model"), std::string::npos);
  in.device_model = SlowDevice();  // a model but no objective
  plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_NE(plan->device_candidates.reason.find("--slo"), std::string::npos);
  auto json = PlanToJson(*plan);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ((*json)["device_candidates"]["status"], "none");
  EXPECT_NE(PlanToTable(*plan).find("no latency objective"), std::string::npos);
}

}  // namespace
}  // namespace sfsg

namespace sfsg {
namespace {

TEST(CapacityPlanTest, DemandIsMappedByTheRatioTheCurvesLadderMeasured) {
  PlanInputs in;
  in.usage = MakeUsage();
  in.curve = MakeCurve({1, 2, 4, 8, 16});
  in.curve->device_model = "disk";
  in.curve->device_requests_per_op = 2.0;
  in.horizon_s = 30 * kDay;
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const DemandUnit& unit = plan->performance->unit;
  EXPECT_TRUE(unit.comparable);
  EXPECT_EQ(unit.mapping, "measured");
  EXPECT_DOUBLE_EQ(*unit.device_requests_per_op, 2.0);
  EXPECT_NE(unit.mapping_statement.find("device model 'disk'"), std::string::npos);
  EXPECT_TRUE(plan->performance->headroom);  // one unit: headroom and crossing computed
  EXPECT_NE(PlanToTable(*plan).find("measured by the curve's load ladder"), std::string::npos);
  // A ratio given overrides the curve's.
  in.device_requests_per_op = 4.0;
  plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->performance->unit.mapping, "given");
  EXPECT_DOUBLE_EQ(*plan->performance->unit.device_requests_per_op, 4.0);
  auto json = PlanToJson(*plan);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ((*json)["performance"]["device"]["unit"]["mapping"], "given");
  // Another model named than the one the curve was timed by: said.
  in.device_requests_per_op.reset();
  DeviceModel other;
  other.name = "other disk";
  in.device = DeviceBasisFromModel(other);
  plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  bool warned = false;
  for (const std::string& w : plan->warnings) warned |= w.find("'other disk'") != std::string::npos;
  EXPECT_TRUE(warned);
  // A replayed curve that records no model: the one named is taken on trust, and said so.
  in.curve->source = "sfsg-replay";
  in.curve->device_model.clear();
  in.curve->device_requests_per_op = 0;
  plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  warned = false;
  for (const std::string& w : plan->warnings)
    warned |= w.find("taken on trust") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST(CapacityPlanTest, TheCurvesDeviceRatioSurvivesItsFileAndBadOnesAreRefused) {
  PerfCurve curve = MakeCurve({1, 2});
  curve.device_model = "disk";
  curve.device_requests_per_op = 1.5;
  Json json = PerfCurveToJson(curve);
  auto back = PerfCurveFromJson(json, "c.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->device_model, "disk");
  EXPECT_DOUBLE_EQ(back->device_requests_per_op, 1.5);
  EXPECT_FALSE(PerfCurveToJson(MakeCurve({1})).contains("device"));  // not measured: absent
  json["device"]["requests_per_file_op"] = -1;
  auto bad = PerfCurveFromJson(json, "c.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kBadInput);
  EXPECT_NE(bad.error().message.find("c.json.device.requests_per_file_op"), std::string::npos);
}

// Rungs the shadow's own request path timed (the model set under half of the calls' time)
// are named; when the busiest is one of them the sustainable figure is a lower bound.
TEST(CapacityPlanTest, RungsTheShadowTimedItselfAreNamedAndBoundTheSustainableFigure) {
  PlanInputs in;
  in.curve = MakeCurve({1, 2, 4, 8, 16});
  in.device = DeviceBasisFromModel(SlowDevice());
  const auto unmeasured_warning = [](const CapacityPlan& plan) {
    return std::any_of(plan.warnings.begin(), plan.warnings.end(), [](const std::string& w) {
      return w.find("does not say how much of each rung's time the model set") != std::string::npos;
    });
  };
  // A device-timed curve with no shares (fio's): the plan says it cannot tell.
  auto unmeasured = MakeCapacityPlan(in);
  ASSERT_TRUE(unmeasured.ok());
  EXPECT_TRUE(unmeasured_warning(*unmeasured));
  for (CurveStep& step : in.curve->steps) step.device_model_share = 0.97;
  auto timed = MakeCapacityPlan(in);
  ASSERT_TRUE(timed.ok());
  EXPECT_TRUE(timed->performance->shadow_timed.empty());
  EXPECT_FALSE(timed->performance->sustainable_lower_bound);
  EXPECT_FALSE(unmeasured_warning(*timed));

  // The busiest rung (c=16 on this curve) was mostly the shadow's own time.
  in.curve->steps[3].device_model_share = 0.45;
  in.curve->steps[4].device_model_share = 0.41;
  auto bound = MakeCapacityPlan(in);
  ASSERT_TRUE(bound.ok());
  const PerformancePlan& p = *bound->performance;
  ASSERT_EQ(p.shadow_timed.size(), 2u);
  EXPECT_EQ(p.shadow_timed[1].concurrency, 16u);
  EXPECT_TRUE(p.sustainable_lower_bound);
  EXPECT_TRUE(bound->low_confidence);
  auto json = PlanToJson(*bound);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ((*json)["performance"]["sustainable_lower_bound"], true);
  EXPECT_DOUBLE_EQ((*json)["performance"]["shadow_timed_steps"][1]["model_share"].get<double>(),
                   0.41);
  const std::string table = PlanToTable(*bound);
  EXPECT_NE(table.find("at least "), std::string::npos) << table;
  EXPECT_NE(table.find("c=16 (41%)"), std::string::npos) << table;
  EXPECT_NE(PlanToHtml(*bound).find("a lower bound"), std::string::npos);

  // Only a light rung: named, the sustainable figure stands.
  in.curve->steps[3].device_model_share = in.curve->steps[4].device_model_share = 0.97;
  in.curve->steps[0].device_model_share = 0.3;
  auto light = MakeCapacityPlan(in);
  ASSERT_TRUE(light.ok());
  EXPECT_EQ(light->performance->shadow_timed.size(), 1u);
  EXPECT_FALSE(light->performance->sustainable_lower_bound);
}

// A USL parameter held at its bound (0) was not estimated: the table says so instead of
// "+- 0"; a latency fit far beyond the ladder is not printed as a number.
TEST(CapacityPlanTest, HeldParametersAndFarFitsAreNotPrintedAsMeasurements) {
  PlanInputs in;
  in.curve = MakeCurve({1, 2, 4});
  in.objectives = {*ParseObjective("p99=50ms")};
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  ASSERT_TRUE(plan->performance && plan->performance->usl);
  UslFit& usl = *plan->performance->usl;
  usl.sigma = 0, usl.sigma_at_bound = true, usl.sigma_stderr = 0.0;
  usl.residual_dof = 1;
  ObjectivePlan& o = plan->performance->objectives[0];
  const double largest = plan->performance->max_measured_ops_per_s;
  ASSERT_GT(largest, 0);
  o.beyond_measured_range = true;
  o.fitted_ops_per_s = 2.5e18;
  const std::string table = PlanToTable(*plan);
  EXPECT_NE(table.find("sigma 0 (held at 0)"), std::string::npos) << table;
  EXPECT_EQ(table.find("+- 0,"), std::string::npos) << table;
  EXPECT_NE(table.find("the fit says over 100 times the largest load measured"), std::string::npos)
      << table;
  EXPECT_EQ(FittedRateText(o, largest), "over 100 times the largest load measured");
  o.fitted_ops_per_s = 50 * largest;
  EXPECT_EQ(FittedRateText(o, largest), StringPrintf("%.0f ops/s", 50 * largest));
}

// A capacity far above what the horizon needs: the table and the report say by how much
// (right-sizing), never "add -80385912256 B".
TEST(CapacityPlanTest, ARightSizedCapacitySaysHowMuchIsSpare) {
  PlanInputs in;
  in.usage = MakeUsage();
  in.capacity_bytes = 1e15;
  in.horizon_s = 30 * kDay;
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  ASSERT_LT(plan->storage->additional_bytes, 0);
  const std::string change = CapacityChangeText(*plan->storage);
  EXPECT_NE(change.find("more than needed to the horizon"), std::string::npos) << change;
  EXPECT_EQ(change.find('-'), std::string::npos) << change;
  EXPECT_NE(PlanToTable(*plan).find("more than needed to the horizon"), std::string::npos);
  const std::string html = PlanToHtml(*plan);
  EXPECT_NE(html.find(change), std::string::npos);
  EXPECT_EQ(html.find("add -"), std::string::npos);
  // Never reached, at the 95% band either: said once, not as a range "later .. later".
  EXPECT_EQ(html.find("later .. later"), std::string::npos);
  const std::string limit = StringPrintf("not within the search limit (%.0f d)",
                                         plan->storage->forecast.search_s() / kDay);
  EXPECT_NE(PlanToTable(*plan).find(limit), std::string::npos) << PlanToTable(*plan);
}

TEST(CapacityPlanTest, TheReportsCapacityCardSaysItInOneUnit) {
  // 1.5 TiB today, about 1 TiB recommended: the card read "972.1 GiB", "now 1.5 TiB",
  // "563.7 GiB more than needed": three sizes, two units.
  PlanInputs in;
  in.usage = MakeUsage();
  in.capacity_bytes = 1.5 * 1099511627776.0;
  in.horizon_s = 30 * kDay;
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const StoragePlan& s = *plan->storage;
  const std::vector<std::string> b = DistinctBytes(
      {s.recommended_capacity_bytes, s.capacity_bytes, std::fabs(s.additional_bytes)});
  for (const std::string& size : b) EXPECT_NE(size.find(" TiB"), std::string::npos) << size;
  const std::string html = PlanToHtml(*plan);
  EXPECT_NE(html.find("recommended capacity</div><div class=\"value\">" + b[0] +
                      "</div>"
                      "<div class=\"note\">now " +
                      b[1] + ", " + CapacityChangeText(s, b[2])),
            std::string::npos)
      << html;
}

// Inodes are forecast to their threshold like bytes: 2M files growing 50k a day against
// 10M inodes and a 20% buffer reach 8M 61 days after the last of 60 daily samples.
TEST(CapacityPlanTest, ACapacityThatDriftsIsSaidWithTheDateAtItsTrend) {
  // A shared pool: 10 TiB shrinking 0.01 TiB a day over 60 days, used 4 TiB growing 0.05
  // TiB a day. The plan holds today's 9.41 TiB (threshold 7.53 TiB: 11.6 days); at the
  // shrinking capacity, 0.8 x (9.41 - 0.01 t) = 6.95 + 0.05 t at t = 10.0 days.
  constexpr double kTiB = 1099511627776.0;
  PlanInputs in;
  UsageTable t;
  t.source = "pool.csv";
  testing::Gaussian noise(2);
  for (int d = 0; d < 60; ++d) {
    t.time_s.push_back(1.7e9 + 86400.0 * d);
    t.columns["used_bytes"].push_back((4 + 0.05 * d + 0.002 * noise.Next()) * kTiB);
    t.columns["capacity_bytes"].push_back((10 - 0.01 * d) * kTiB);
  }
  in.usage = t;
  in.horizon_s = 90 * 86400.0;
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  std::string said;
  for (const std::string& w : plan->warnings)
    if (w.rfind("capacity_bytes: the capacity has been shrinking", 0) == 0) said = w;
  ASSERT_FALSE(said.empty());
  double days = 0;
  ASSERT_EQ(std::sscanf(said.c_str() + said.find("reached in "), "reached in %lf", &days), 1)
      << said;
  EXPECT_NEAR(days, 10.0, 0.4) << said;
  // A capacity that steps (a disk added), one that stepped three times (disks bought, not
  // a drift: a trend through them said "growing +83.9 GiB a day ... 102.5 days" for a
  // truth of 33.3 at the last disk) and one given by --capacity: nothing to say.
  for (int d = 0; d < 60; ++d) t.columns["capacity_bytes"][d] = (d < 30 ? 10 : 12) * kTiB;
  in.usage = t;
  auto stepped = MakeCapacityPlan(in);
  for (int d = 0; d < 60; ++d)
    t.columns["capacity_bytes"][d] = (d < 20 ? 10 : d < 40 ? 11 : d < 52 ? 12 : 13) * kTiB;
  in.usage = t;
  auto disks_added = MakeCapacityPlan(in);
  in.capacity_bytes = 10 * kTiB;
  auto given = MakeCapacityPlan(in);
  ASSERT_TRUE(stepped.ok() && disks_added.ok() && given.ok());
  for (const auto* p : {&*stepped, &*disks_added, &*given})
    for (const std::string& w : p->warnings)
      EXPECT_EQ(w.find("the capacity has been"), std::string::npos) << w;
}

// Inodes that run out first but after the horizon: the words follow the figures. The plan
// said "a filesystem with more inodes (or a new one) is needed, 3.8M to the horizon" of a
// volume with 5.0M beside "recommended inodes 3.8M (1.2M more than needed to the
// horizon)", and "0.6 TiB more than needed" beside "reclaimable none".
TEST(CapacityPlanTest, InodesThatRunOutFirstAfterTheHorizonAreNotNeededYet) {
  PlanInputs in;
  in.usage = testing::InodesLaterUsage();
  in.horizon_s = 90 * kDay;
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const StoragePlan& s = *plan->storage;
  const BindingLimit b = BindingLimitOf(s);
  ASSERT_EQ(b.limit, Limit::kInodes);
  EXPECT_GT(BindingDays(b), 90);
  ASSERT_LT(s.additional_files, 0);
  std::string said;
  for (const std::string& w : plan->warnings)
    if (w.find("inodes run out first") != std::string::npos) said = w;
  EXPECT_NE(said.find("the 16.0M inodes it has hold to the horizon"), std::string::npos) << said;
  EXPECT_NE(said.find("is needed after it"), std::string::npos) << said;
  EXPECT_EQ(said.find("is needed ("), std::string::npos) << said;
  // The bytes beyond the need are kept, in the table and the report alike.
  ASSERT_LT(s.additional_bytes, 0);
  const std::string kept = "not reclaimable: shrinking the volume takes inodes away";
  EXPECT_NE(CapacityChangeText(s).find(kept), std::string::npos) << CapacityChangeText(s);
  EXPECT_NE(PlanToTable(*plan).find(kept), std::string::npos);
  EXPECT_NE(PlanToHtml(*plan).find(kept), std::string::npos);
  // Within the horizon: how many, and how many more than it has.
  in.usage = testing::InodesFirstUsage();
  plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  said.clear();
  for (const std::string& w : plan->warnings)
    if (w.find("inodes run out first") != std::string::npos) said = w;
  EXPECT_NE(said.find("a filesystem with more inodes (or a new one) is needed: "),
            std::string::npos)
      << said;
  EXPECT_NE(said.find(" more than it has"), std::string::npos) << said;
}

TEST(CapacityPlanTest, InodesAreForecastToTheirThreshold) {
  auto plan = testing::InodesPlan();
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const StoragePlan& s = *plan->storage;
  ASSERT_TRUE(s.capacity_files && s.files);
  EXPECT_DOUBLE_EQ(s.files_threshold_count, 8e6);
  ASSERT_TRUE(s.files_threshold.expected_s);
  EXPECT_NEAR((*s.files_threshold.expected_s - s.files->origin_s) / kDay, 61, 61 * 0.05);
  const std::string table = PlanToTable(*plan);
  EXPECT_NE(table.find("inode threshold"), std::string::npos) << table;
  EXPECT_NE(table.find("of 10.0M inodes in use, threshold 8.0M"), std::string::npos) << table;
}

TEST(CapacityPlanTest, AFilesCountThatReadsZeroOnceIsAGlitchSaidInThePlan) {
  // A stale mount's scrape: files = 0 on day 40 of 60. It moved the inode date by 60% (an
  // audit's 15.9 d for 10.0) and the files forecast's warnings never reached the plan.
  PlanInputs in;
  in.usage = testing::InodesUsage();
  in.usage->columns["files"][40] = 0;
  in.horizon_s = 90 * 86400.0;
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const StoragePlan& s = *plan->storage;
  ASSERT_TRUE(s.files && s.files_threshold.expected_s);
  EXPECT_NEAR((*s.files_threshold.expected_s - s.files->origin_s) / kDay, 61, 61 * 0.05);
  bool said = false;
  for (const std::string& w : plan->warnings)
    said |= w.rfind("files: a run of 1-3 samples (1 in all) far from the level and back", 0) == 0;
  EXPECT_TRUE(said);
}

TEST(CapacityPlanTest, AColumnNameThatMeantAPlannedOneIsSaid) {
  // "files_capacity" for capacity_files: read as a gauge, so no inode threshold; said.
  UsageTable usage;
  usage.source = "u.csv";
  for (int i = 0; i < 30; ++i) {
    usage.time_s.push_back(1.7e9 + 86400.0 * i);
    usage.columns["used_bytes"].push_back(1e12 + 1e10 * i);
    usage.columns["capacity_bytes"].push_back(4e12);
    usage.columns["files"].push_back(1e6 + 1e4 * i);
    usage.columns["files_capacity"].push_back(4e6);
  }
  EXPECT_EQ(LikelyMeantColumn("files_capacity"), "capacity_files");
  EXPECT_EQ(LikelyMeantColumn("inodes"), "files");
  EXPECT_EQ(LikelyMeantColumn("capacity_files"), "");
  EXPECT_EQ(LikelyMeantColumn("temperature"), "");
  PlanInputs in;
  in.usage = usage;
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const auto said = [&](const std::string& text) {
    return std::any_of(plan->warnings.begin(), plan->warnings.end(),
                       [&](const std::string& w) { return w.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(
      said("column 'files_capacity' is not one sfsg plans (read as a gauge): did you mean "
           "'capacity_files'?"));
  EXPECT_TRUE(said("files: no capacity_files column"));
}

TEST(CapacityPlanTest, AGrowthRateThatChangedIsSaidWithItsFillDate) {
  // 0.05 TiB/day for 30 days, then 0.01: the backtest, mostly from before the change,
  // chooses a model of the whole history; the growth since the change fills the volume
  // (8 TiB of 10) in about 121 days, which the plan says.
  PlanInputs in;
  in.usage = testing::SlowedGrowthUsage();
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  std::string said;
  for (const std::string& w : plan->warnings)
    if (w.find("since it last changed") != std::string::npos) said = w;
  ASSERT_FALSE(said.empty());
  const size_t at = said.find("reached in ");
  ASSERT_NE(at, std::string::npos) << said;
  EXPECT_NEAR(std::stod(said.substr(at + 11)), 121, 0.1 * 121) << said;
}

// The recent-rate date the warning prints is a figure of the plan, for the JSON, the
// gauges and the alert rule: the same number, computed once.
TEST(CapacityPlanTest, TheRecentRateDateIsAFigureOfThePlan) {
  PlanInputs in;
  in.usage = testing::SlowedGrowthUsage();
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const StoragePlan& s = *plan->storage;
  ASSERT_TRUE(s.recent_rate.has_value());
  ASSERT_TRUE(s.recent_rate->threshold_s.has_value());
  EXPECT_TRUE(s.recent_rate->far_from_plan);
  const double days = (*s.recent_rate->threshold_s - s.forecast.origin_s) / kDay;
  EXPECT_NEAR(days, 121, 0.1 * 121);
  EXPECT_DOUBLE_EQ(s.recent_rate->search_s,
                   static_cast<double>(s.forecast.recent_path.size()) * s.forecast.grid.step_s);
  const std::string said = StringPrintf("reached in %.1f days; the plan's", days);
  EXPECT_TRUE(std::any_of(plan->warnings.begin(), plan->warnings.end(), [&](const std::string& w) {
    return w.find(said) != std::string::npos;
  })) << said;

  auto json = PlanToJson(*plan);
  ASSERT_TRUE(json.ok());
  const Json& recent = (*json)["storage"]["recent_rate"];
  EXPECT_DOUBLE_EQ(recent["threshold_unix"].get<double>(), *s.recent_rate->threshold_s);
  EXPECT_DOUBLE_EQ(recent["threshold_days"].get<double>(), days);
  EXPECT_TRUE(recent["far_from_plan"].get<bool>());
  const std::string metrics = PlanToPrometheus(*plan);
  const std::string gauge = "sfsg_forecast_storage_recent_rate_threshold_seconds";
  EXPECT_NE(metrics.find("# TYPE " + gauge + " gauge\n"), std::string::npos) << metrics;
  const size_t at = metrics.find("\n" + gauge + " ");
  ASSERT_NE(at, std::string::npos) << metrics;
  EXPECT_DOUBLE_EQ(std::stod(metrics.substr(at + gauge.size() + 2)), days * kDay);
}

// Steady growth: the recent rate and the plan agree (1 GB a day from 1.06 TB to 1.2 TB,
// about 141 days), so there is a date and no warning; past the threshold there is
// neither (nor a gauge).
TEST(CapacityPlanTest, ARecentRateThatAgreesIsNotWarnedAbout) {
  PlanInputs steady;
  steady.usage = testing::InodesUsage();
  steady.capacity_bytes = 1.5e12;
  auto plan = MakeCapacityPlan(steady);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const StoragePlan& s = *plan->storage;
  ASSERT_TRUE(s.recent_rate && s.recent_rate->threshold_s && s.threshold.expected_s);
  EXPECT_NEAR((*s.recent_rate->threshold_s - s.forecast.origin_s) / kDay, 141, 0.1 * 141);
  EXPECT_FALSE(s.recent_rate->far_from_plan);
  for (const std::string& w : plan->warnings)
    EXPECT_EQ(w.find("since it last changed"), std::string::npos) << w;
  PlanInputs in;
  in.usage = testing::SlowedGrowthUsage();
  in.capacity_bytes = 6 * 1099511627776.0;  // 4.8 TiB: already past
  plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  ASSERT_TRUE(plan->storage->threshold.already);
  EXPECT_FALSE(plan->storage->recent_rate.has_value());
  auto json = PlanToJson(*plan);
  ASSERT_TRUE(json.ok());
  EXPECT_TRUE((*json)["storage"]["recent_rate"].is_null());
  EXPECT_EQ(PlanToPrometheus(*plan).find("recent_rate"), std::string::npos);
}

// A plain line with noise of 0.5% of the capacity, two days from the threshold: the
// recent rate's date moves by a day with the last points' noise (1.0 d against the
// plan's 2.3 d was warned about as a change of rate). The slopes agree within their
// standard error, so there is no warning, no far_from_plan, and the rule's gauge says 0.
TEST(CapacityPlanTest, NoiseOnAPlainLineIsNotAChangeOfRate) {
  int apart = 0;  // seeds whose two dates are more than 25% apart (warned before)
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    PlanInputs in;
    in.usage = testing::NoisyLineUsage(seed);
    auto plan = MakeCapacityPlan(in);
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    const StoragePlan& s = *plan->storage;
    ASSERT_TRUE(s.recent_rate.has_value()) << seed;
    const RecentRateCrossing& r = *s.recent_rate;
    if (r.threshold_s && s.threshold.expected_s) {
      const double plan_days = *s.threshold.expected_s - s.forecast.origin_s;
      apart += std::fabs(*r.threshold_s - s.forecast.origin_s - plan_days) > 0.25 * plan_days;
    }
    EXPECT_FALSE(r.rate_changed) << seed << ": " << r.recent_slope_per_day << " against "
                                 << r.history_slope_per_day << " +- "
                                 << r.slope_change_stderr_per_day;
    EXPECT_FALSE(r.far_from_plan) << seed;
    for (const std::string& w : plan->warnings)
      EXPECT_EQ(w.find("since it last changed"), std::string::npos) << seed << ": " << w;
    EXPECT_NE(PlanToPrometheus(*plan).find("\nsfsg_forecast_storage_recent_rate_changed 0\n"),
              std::string::npos);
  }
  EXPECT_GE(apart, 1);  // the case the warning used to fire on is among them
}

// The slow-down (0.05 then 0.01 TiB/day) is a change of rate by many standard errors: the
// slopes the warning gives are the two rates.
TEST(CapacityPlanTest, ASlowDownIsAChangeOfRateWithItsSlopes) {
  PlanInputs in;
  in.usage = testing::SlowedGrowthUsage();
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const RecentRateCrossing& r = *plan->storage->recent_rate;
  constexpr double kTiB = 1099511627776.0;
  EXPECT_TRUE(r.rate_changed);
  EXPECT_NEAR(r.recent_slope_per_day / kTiB, 0.01, 0.002);
  EXPECT_GT(r.history_slope_per_day / kTiB, 0.025);
  EXPECT_GT(std::fabs(r.recent_slope_per_day - r.history_slope_per_day),
            10 * r.slope_change_stderr_per_day);
  auto json = PlanToJson(*plan);
  ASSERT_TRUE(json.ok());
  EXPECT_TRUE((*json)["storage"]["recent_rate"]["rate_changed"].get<bool>());
  EXPECT_NE(PlanToPrometheus(*plan).find("\nsfsg_forecast_storage_recent_rate_changed 1\n"),
            std::string::npos);
}

// Inodes that run out before bytes are the plan's binding limit, and it says what that
// means: more bytes do not help (5M files against a 5.2M threshold in about 4 days; the
// bytes not within the search limit).
TEST(CapacityPlanTest, InodesThatRunOutFirstBindAndAreSaid) {
  PlanInputs in;
  in.usage = testing::InodesFirstUsage();
  auto plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const StoragePlan& s = *plan->storage;
  ASSERT_FALSE(s.threshold.expected_s.has_value());
  const BindingLimit b = BindingLimitOf(s);
  EXPECT_EQ(b.limit, Limit::kInodes);
  EXPECT_NEAR(BindingDays(b), 4, 1);
  EXPECT_GT(s.additional_files, 0);
  std::string said;
  for (const std::string& w : plan->warnings)
    if (w.find("inodes run out first") != std::string::npos) said = w;
  EXPECT_NE(said.find("a filesystem with more inodes (or a new one) is needed"), std::string::npos)
      << said;
  auto json = PlanToJson(*plan);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ((*json)["storage"]["binding_limit"], "inodes");
  EXPECT_NEAR((*json)["storage"]["binding_days"].get<double>(), BindingDays(b), 1e-9);
  EXPECT_GT((*json)["storage"]["files"]["recommended_capacity_files"].get<double>(), 6.5e6);
  EXPECT_NE(PlanToPrometheus(*plan).find("sfsg_forecast_storage_binding_limit_info{limit="
                                         "\"inodes\"} 1\n"),
            std::string::npos);
  // The report shows the inode date first-hand, and its chart (it showed bytes only).
  const std::string html = PlanToHtml(*plan);
  EXPECT_NE(html.find("inode threshold reached (inodes run out first)"), std::string::npos);
  EXPECT_NE(html.find("Files (inodes): history and forecast"), std::string::npos);
  // Without capacity_files there is no inode threshold: bytes.
  in.usage->columns.erase("capacity_files");
  plan = MakeCapacityPlan(in);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(BindingLimitOf(*plan->storage).limit, Limit::kBytes);
}

}  // namespace
}  // namespace sfsg
