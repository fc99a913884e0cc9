#include "predictor/calibrate/fio_import.h"

#include <gtest/gtest.h>

namespace sfsg {
namespace {

// One fio json+ job: `rw` at iodepth `depth` with 4 KiB blocks; clat bins given in ns.
Json Job(const std::string& name, const std::string& rw, int depth, double iops, const Json& bins,
         uint64_t n, double mean_ns) {
  const bool write = rw.find("write") != std::string::npos;
  Json dir = {{"total_ios", n},
              {"io_bytes", n * 4096},
              {"bw_bytes", iops * 4096},
              {"iops", iops},
              {"runtime", 10000},
              {"clat_ns", {{"N", n}, {"mean", mean_ns}, {"max", 1e6}, {"bins", bins}}}};
  Json idle = {{"total_ios", 0}};
  return {{"jobname", name},
          {"groupid", 0},
          {"error", 0},
          {"job options",
           {{"rw", rw}, {"bs", "4k"}, {"iodepth", std::to_string(depth)}, {"direct", "1"}}},
          {"read", write ? idle : dir},
          {"write", write ? dir : idle}};
}

// 500 requests at 100 us, 450 at 200 us, 50 at 1 ms: p50 100 us, p90 200 us, p99 1 ms.
Json KnownBins() { return {{"100000", 500}, {"200000", 450}, {"1000000", 50}}; }

TEST(FioImport, RecoversLatencyQuantilesFromJsonPlusBins) {
  Json fio = {{"fio version", "fio-3.33"},
              {"timestamp", 1700000000},
              {"jobs", {Job("qd1", "randread", 1, 5000, KnownBins(), 1000, 185000)}}};
  auto cal = CalibrationFromFio(fio, "run.json");
  ASSERT_TRUE(cal.ok()) << cal.error().message;
  EXPECT_EQ(cal->mode, "fio");
  ASSERT_EQ(cal->classes.size(), 1u);
  const OpClass& c = cal->classes[0];
  EXPECT_EQ(c.op, "read");
  EXPECT_EQ(c.request_bytes, 4096u);
  EXPECT_FALSE(c.sequential);
  EXPECT_NEAR(c.service.QuantileUs(0.5), 100, 100 * 0.04);
  EXPECT_NEAR(c.service.QuantileUs(0.9), 200, 200 * 0.04);
  EXPECT_NEAR(c.service.QuantileUs(0.99), 1000, 1000 * 0.04);
  EXPECT_NEAR(c.service.mean_us, 185, 185 * 0.04);
  EXPECT_TRUE(cal->direct_io);
}

TEST(FioImport, ALadderOfDepthsGivesTheParallelism) {
  // A device of 6 servers at 200 us: 5k IOPS alone, 30k from depth 6 on.
  Json jobs = Json::array();
  const int depths[] = {1, 2, 4, 8, 16, 32};
  for (int d : depths) {
    const double iops = std::min(d, 6) / 200e-6;
    jobs.push_back(Job("qd" + std::to_string(d), "randread", d, iops, {{"200000", 1000}}, 1000,
                       200000.0 * d / std::min(d, 6)));
  }
  Json fio = {{"jobs", jobs}};
  auto cal = CalibrationFromFio(fio, "ladder.json");
  ASSERT_TRUE(cal.ok()) << cal.error().message;
  ASSERT_TRUE(cal->read_parallelism);
  EXPECT_NEAR(cal->read_parallelism->parallelism, 6, 0.3);
  EXPECT_NEAR(cal->read_parallelism->service_time_us, 200, 8);
  EXPECT_FALSE(cal->write_parallelism);
  EXPECT_NEAR(cal->read_ops_per_s_max, 30000, 1);
  ASSERT_EQ(cal->ladders.size(), 1u);
  EXPECT_EQ(cal->ladders[0].points.size(), 6u);
}

TEST(FioImport, MalformedInputNamesTheFileAndField) {
  Json bad_rw = {{"jobs", {Job("t", "trim", 1, 10, KnownBins(), 1000, 1)}}};
  auto a = CalibrationFromFio(bad_rw, "t.json");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, ErrorCode::kBadInput);
  EXPECT_NE(a.error().message.find("t.json"), std::string::npos);
  EXPECT_NE(a.error().message.find("rw"), std::string::npos);

  Json job = Job("q", "randread", 1, 10, KnownBins(), 1000, 1);
  job["read"]["clat_ns"]["bins"] = {{"abc", 3}};
  auto b = CalibrationFromFio(Json{{"jobs", {job}}}, "b.json");
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("b.json"), std::string::npos);
  EXPECT_NE(b.error().message.find("bins"), std::string::npos);

  job = Job("q", "randread", 1, 10, KnownBins(), 1000, 1);
  job["job options"]["bs"] = "lots";
  auto c = CalibrationFromFio(Json{{"jobs", {job}}}, "c.json");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("bs"), std::string::npos);

  auto d = CalibrationFromFio(Json{{"nothing", 1}}, "d.json");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("d.json"), std::string::npos);
}

}  // namespace
}  // namespace sfsg
