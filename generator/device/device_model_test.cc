#include "generator/device/device_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "generator/device/normal_quantile.h"

namespace sfsg {
namespace {

SizeCurve OneBucket(double us, uint64_t size = 4096) {
  SizeCurve c;
  c.buckets.push_back({size, ServiceTime::Constant(us)});
  return c;
}

DeviceModel SimpleModel() {
  DeviceModel m;
  m.name = "test disk";
  m.servers = 4;
  m.data.read_sequential = OneBucket(100);
  m.data.read_random = OneBucket(150);
  m.data.write_sequential = OneBucket(200);
  m.data.write_random = OneBucket(250);
  return m;
}

// A model exercising every field, for the round trip.
DeviceModel FullModel() {
  DeviceModel m = SimpleModel();
  m.concurrency = {0.01, 0.0005};
  m.data.read_random.buckets = {
      {4096, ServiceTime::Lognormal(150, 0.3)},
      {65536, ServiceTime::Quantiles({0, 0.5, 0.99, 1}, {200, 300, 900, 2000})},
      {1 << 20, ServiceTime::Constant(3000)}};
  m.metadata.Get(MetadataOp::kStat) = ServiceTime::Constant(20);
  m.metadata.Get(MetadataOp::kFsync) = ServiceTime::Lognormal(1500, 0.5);
  m.caps = {500e6, 300e6, 40000, 20000, 0.02, 0.1};
  m.cache.size_bytes = uint64_t{8} << 30;
  m.cache.block_bytes = 4096;
  m.cache.read_hit = OneBucket(2);
  m.cache.write_hit = OneBucket(3);
  m.cache.read_miss = OneBucket(40);
  m.cache.dirty_limit_bytes = uint64_t{1} << 30;
  m.cache.inodes_per_miss = 512;
  m.cache.inode_reads_per_miss = 2.5;
  m.cache.inode_ios_per_miss = 12.75;
  m.provenance = {"active",
                  "2026-12-04T16:20:00Z",
                  "sfsg-calibrate 0.1.0",
                  "/mnt/x",
                  "xfs",
                  "/dev/loop0",
                  1,
                  64,
                  33000,
                  4096,
                  1 << 20,
                  "read curves measured"};
  m.validation.throughput_error = 0.08;
  m.validation.p99_error = 0.21;
  m.validation.workloads = "rand-4k-qd16";
  return m;
}

Result<DeviceModel> FromText(const std::string& text) {
  auto j = ParseJsonText(text, "m.json");
  if (!j) return j.error();
  return DeviceModelFromJson(*j, "m.json");
}

Json SimpleJson() { return DeviceModelToJson(SimpleModel()); }

std::string ErrorOf(const Json& j) {
  auto m = DeviceModelFromJson(j, "m.json");
  if (m) return "(accepted)";
  EXPECT_EQ(m.error().code, ErrorCode::kBadInput) << m.error().message;
  return m.error().message;
}

TEST(DeviceModel, RoundTripKeepsEveryField) {
  const DeviceModel m = FullModel();
  const Json j = DeviceModelToJson(m);
  auto back = DeviceModelFromJson(j, "m.json");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(DeviceModelToJson(*back), j);
  EXPECT_EQ(back->servers, 4u);
  EXPECT_EQ(back->caps.slice_s, 0.1);
  EXPECT_EQ(back->data.read_random.buckets[1].service.kind, ServiceTime::Kind::kQuantiles);
  EXPECT_FALSE(back->metadata.Get(MetadataOp::kCreate).has_value());
  ASSERT_TRUE(back->metadata.Get(MetadataOp::kStat).has_value());
  EXPECT_EQ(back->metadata.Get(MetadataOp::kStat)->constant_us, 20);
  EXPECT_EQ(back->validation.p99_error, 0.21);
  EXPECT_FALSE(back->validation.usl_peak_error.has_value());
  EXPECT_EQ(back->provenance.device, "/dev/loop0");
  EXPECT_EQ(j["validation"]["usl_peak_error"], nullptr);
  EXPECT_EQ(back->cache.read_miss.TimeAtUs(4096, 0.5), 40);
  // Without a miss cost the field is absent, and reads back as none.
  DeviceModel plain = FullModel();
  plain.cache.read_miss = {};
  EXPECT_FALSE(DeviceModelToJson(plain)["cache"].contains("read_miss"));
  EXPECT_EQ(back->cache.inodes_per_miss, 512u);
  EXPECT_EQ(back->cache.inode_reads_per_miss, 2.5);
  EXPECT_EQ(back->cache.inode_ios_per_miss, 12.75);
  plain.cache.inodes_per_miss = 0;
  EXPECT_FALSE(DeviceModelToJson(plain)["cache"].contains("inodes"));
}

TEST(DeviceModel, FileRoundTrip) {
  const auto dir = std::filesystem::temp_directory_path() / "sfsg_device_model_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "model.json").string();
  ASSERT_TRUE(WriteDeviceModel(FullModel(), path));
  auto back = ReadDeviceModel(path);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(DeviceModelToJson(*back), DeviceModelToJson(FullModel()));
  std::filesystem::remove_all(dir);
}

TEST(DeviceModel, MinimalHandWrittenModelReads) {
  auto m = FromText(R"({"format": "sfsg-device", "version": 1, "servers": 1,
    "data": {"read": {"sequential": [{"size_bytes": 4096, "service": {"kind": "constant", "us": 1000}}],
                      "random": [{"size_bytes": 4096, "service": {"kind": "constant", "us": 1000}}]},
             "write": {"sequential": [{"size_bytes": 4096, "service": {"kind": "constant", "us": 1000}}],
                       "random": [{"size_bytes": 4096, "service": {"kind": "constant", "us": 1000}}]}}})");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->servers, 1u);
  EXPECT_EQ(m->cache.size_bytes, 0u);
  EXPECT_EQ(m->caps.read_ops_per_s, 0);
  EXPECT_EQ(m->provenance.mode, "manual");
}

TEST(DeviceModel, WrongFormatIsBadInputAndAnotherVersionUnsupported) {
  Json j = SimpleJson();
  j["format"] = "sfsg-curve";
  EXPECT_NE(ErrorOf(j).find("m.json.format"), std::string::npos);
  j = SimpleJson();
  j["version"] = 2;
  auto newer = DeviceModelFromJson(j, "m.json");
  ASSERT_FALSE(newer);
  EXPECT_EQ(newer.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(newer.error().message.find("m.json.version: 2 is not supported"), std::string::npos);
  j = SimpleJson();
  j.erase("version");
  EXPECT_NE(ErrorOf(j).find("m.json.version: missing"), std::string::npos);
  j = SimpleJson();
  j["version"] = "1";
  EXPECT_NE(ErrorOf(j).find("m.json.version"), std::string::npos);
}

TEST(DeviceModel, MalformedIsBadInputNamingTheField) {
  EXPECT_EQ(FromText("[1, 2]").error().code, ErrorCode::kBadInput);
  EXPECT_EQ(FromText("{\"format\": ").error().code, ErrorCode::kBadInput);
  Json j = SimpleJson();
  j.erase("servers");
  EXPECT_NE(ErrorOf(j).find("m.json.servers: missing"), std::string::npos);
  j = SimpleJson();
  j["data"]["read"].erase("random");
  EXPECT_NE(ErrorOf(j).find("m.json.data.read.random"), std::string::npos);
  j = SimpleJson();
  j["data"]["write"]["sequential"][0]["service"]["kind"] = "gamma";
  EXPECT_NE(ErrorOf(j).find("m.json.data.write.sequential[0].service.kind"), std::string::npos);
  j = SimpleJson();
  j["cpas"] = Json::object();
  EXPECT_NE(ErrorOf(j).find("m.json.cpas: unknown field"), std::string::npos);
  j = SimpleJson();
  j["metadata"]["mkdir"] = {{"kind", "constant"}, {"us", 1}};
  EXPECT_NE(ErrorOf(j).find("m.json.metadata.mkdir: unknown"), std::string::npos);
  j = SimpleJson();
  j["caps"]["read_ops_per_s"] = "fast";
  EXPECT_NE(ErrorOf(j).find("m.json.caps.read_ops_per_s"), std::string::npos);
}

TEST(DeviceModel, ImpossibleNumbersAreRefused) {
  Json j = SimpleJson();
  j["servers"] = 0;
  EXPECT_NE(ErrorOf(j).find("m.json.servers: zero parallelism"), std::string::npos);
  j = SimpleJson();
  j["servers"] = -2;
  EXPECT_NE(ErrorOf(j).find("m.json.servers"), std::string::npos);
  j = SimpleJson();
  j["data"]["read"]["random"][0]["service"]["us"] = -1;
  EXPECT_NE(ErrorOf(j).find("m.json.data.read.random[0].service.us: negative time"),
            std::string::npos);
  j = SimpleJson();
  j["metadata"]["stat"] = {{"kind", "lognormal"}, {"median_us", 10}, {"sigma", -0.1}};
  EXPECT_NE(ErrorOf(j).find("m.json.metadata.stat.sigma: negative"), std::string::npos);
  j = SimpleJson();
  j["data"]["read"]["random"][0]["service"] = {
      {"kind", "quantiles"}, {"q", {0, 0.9, 0.5}}, {"us", {1, 2, 3}}};
  EXPECT_NE(ErrorOf(j).find("service.q[2]: not strictly increasing"), std::string::npos);
  j = SimpleJson();
  j["data"]["read"]["random"][0]["service"] = {
      {"kind", "quantiles"}, {"q", {0, 1}}, {"us", {5, 3}}};
  EXPECT_NE(ErrorOf(j).find("service.us[1]: decreasing"), std::string::npos);
  j = SimpleJson();
  j["data"]["read"]["random"].push_back(j["data"]["read"]["random"][0]);
  EXPECT_NE(ErrorOf(j).find("random[1].size_bytes: not strictly ascending"), std::string::npos);
  j = SimpleJson();
  j["caps"]["write_bytes_per_s"] = -5;
  EXPECT_NE(ErrorOf(j).find("m.json.caps.write_bytes_per_s: negative"), std::string::npos);
  j = SimpleJson();
  j["caps"]["burst_s"] = 0;
  EXPECT_NE(ErrorOf(j).find("m.json.caps.burst_s"), std::string::npos);
  j = SimpleJson();
  j["caps"]["slice_s"] = -1;
  EXPECT_NE(ErrorOf(j).find("m.json.caps.slice_s: -1 is not a time from 0 to 10 s"),
            std::string::npos);
  j = SimpleJson();
  j["cache"]["size_bytes"] = 1 << 30;
  j["cache"]["read_hit"] = Json::array();
  EXPECT_NE(ErrorOf(j).find("m.json.cache.read_hit: no size buckets"), std::string::npos);
  j = DeviceModelToJson(FullModel());
  j["cache"]["read_miss"][0]["service"] = {{"kind", "constant"}, {"us", -3}};
  EXPECT_NE(ErrorOf(j).find("m.json.cache.read_miss"), std::string::npos) << ErrorOf(j);
  j = DeviceModelToJson(FullModel());
  j["cache"]["inodes"]["reads_per_miss"] = 0.5;
  EXPECT_NE(ErrorOf(j).find("m.json.cache.inodes.reads_per_miss: 0.5 is not from 1 to 1024"),
            std::string::npos)
      << ErrorOf(j);
  j = DeviceModelToJson(FullModel());
  j["cache"]["inodes"]["ios_per_miss"] = 2;
  EXPECT_NE(ErrorOf(j).find("m.json.cache.inodes.ios_per_miss: 2 is not from reads_per_miss"),
            std::string::npos)
      << ErrorOf(j);
  j = DeviceModelToJson(FullModel());
  j["cache"]["inodes"]["per_mis"] = 2;
  EXPECT_NE(ErrorOf(j).find("m.json.cache.inodes"), std::string::npos) << ErrorOf(j);
  j = SimpleJson();
  j["concurrency"]["contention"] = -0.5;
  EXPECT_NE(ErrorOf(j).find("m.json.concurrency.contention: negative"), std::string::npos);
  j = SimpleJson();
  j["provenance"]["mode"] = "guess";
  EXPECT_NE(ErrorOf(j).find("m.json.provenance.mode"), std::string::npos);
}

TEST(DeviceModel, WriterRefusesAnInvalidModel) {
  DeviceModel m = SimpleModel();
  m.servers = 0;
  const Status st = WriteDeviceModel(m, "/nonexistent-dir/m.json");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kBadInput);
  EXPECT_NE(st.error().message.find("servers"), std::string::npos);
}

TEST(ServiceTime, InverseCdfAndMean) {
  EXPECT_EQ(ServiceTime::Constant(7).TimeAtUs(0.3), 7);
  const ServiceTime ln = ServiceTime::Lognormal(100, 0.5);
  EXPECT_NEAR(ln.TimeAtUs(0.5), 100, 1e-6);
  EXPECT_NEAR(ln.TimeAtUs(0.975), 100 * std::exp(0.5 * 1.959963985), 1e-3);
  EXPECT_NEAR(ln.MeanUs(), 100 * std::exp(0.125), 1e-9);
  EXPECT_TRUE(std::isfinite(ln.TimeAtUs(0)));
  const ServiceTime q = ServiceTime::Quantiles({0.1, 0.5, 1}, {10, 20, 100});
  EXPECT_EQ(q.TimeAtUs(0.05), 10);
  EXPECT_EQ(q.TimeAtUs(0.3), 15);
  EXPECT_EQ(q.TimeAtUs(0.75), 60);
  EXPECT_NEAR(q.MeanUs(), 0.1 * 10 + 0.4 * 15 + 0.5 * 60, 1e-12);
}

TEST(NormalQuantile, KnownValues) {
  EXPECT_NEAR(NormalQuantile(0.5), 0, 1e-9);
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963985, 1e-8);
  EXPECT_NEAR(NormalQuantile(0.01), -2.326347874, 1e-8);
  EXPECT_NEAR(NormalQuantile(0.999), 3.090232306, 1e-8);
  EXPECT_NEAR(NormalQuantile(0.1), -1.281551566, 1e-8);
}

TEST(SizeCurve, InterpolatesBetweenBucketsAndScalesAboveTheLast) {
  SizeCurve c;
  c.buckets = {{4096, ServiceTime::Constant(100)}, {65536, ServiceTime::Constant(400)}};
  EXPECT_EQ(c.TimeAtUs(512, 0.5), 100);
  EXPECT_EQ(c.TimeAtUs(4096, 0.5), 100);
  EXPECT_NEAR(c.TimeAtUs(4096 + (65536 - 4096) / 2, 0.5), 250, 1e-9);
  EXPECT_EQ(c.TimeAtUs(65536, 0.5), 400);
  EXPECT_EQ(c.TimeAtUs(131072, 0.5), 800);
}

TEST(SizeCurve, AboveTheLastBucketTheTailIsDrawnOnceAndTheBytesAtTheMedian) {
  SizeCurve c;
  // 4 KiB: 10 us at the median, a 50 ms stall at the top.
  c.buckets = {{4096, ServiceTime::Quantiles({0, 0.5, 1}, {5, 10, 50000})}};
  EXPECT_NEAR(c.TimeAtUs(65536, 0.5), 160, 1e-9);          // 16 x the median
  EXPECT_NEAR(c.TimeAtUs(65536, 1.0), 50000 + 150, 1e-9);  // one stall, not 16
  EXPECT_NEAR(c.TimeAtUs(65536, 0.0), 5 + 150, 1e-9);
}

TEST(ConcurrencyModel, UslSlowdown) {
  const ConcurrencyModel c{0.1, 0.01};
  EXPECT_EQ(c.Slowdown(1), 1);
  EXPECT_NEAR(c.Slowdown(4), 1 + 0.3 + 0.12, 1e-12);
}

TEST(DeviceScale, ParsesAndScales) {
  DeviceScale s;
  ASSERT_TRUE(ParseDeviceScale("parallelism=2,iops=1.5", s));
  EXPECT_EQ(s.parallelism, 2);
  EXPECT_EQ(s.iops, 1.5);
  EXPECT_EQ(s.bandwidth, 1);
  DeviceModel m = FullModel();
  s.cache_bytes = uint64_t{16} << 30;
  auto scaled = ScaleDeviceModel(m, s);
  ASSERT_TRUE(scaled);
  EXPECT_EQ(scaled->servers, 8u);
  EXPECT_EQ(scaled->caps.read_ops_per_s, 60000);
  EXPECT_EQ(scaled->caps.read_bytes_per_s, 500e6);
  EXPECT_EQ(scaled->cache.size_bytes, uint64_t{16} << 30);
  DeviceScale half;
  half.parallelism = 0.1;
  EXPECT_EQ(ScaleDeviceModel(m, half)->servers, 1u);

  for (const char* bad :
       {"", "parallelism", "speed=2", "iops=0", "iops=-1", "iops=x", "bandwidth=2,"}) {
    DeviceScale t;
    const Status st = ParseDeviceScale(bad, t);
    ASSERT_FALSE(st) << bad;
    EXPECT_EQ(st.error().code, ErrorCode::kUsage);
  }
  DeviceScale grow;
  grow.cache_bytes = 1 << 30;
  EXPECT_FALSE(ScaleDeviceModel(SimpleModel(), grow));  // no read_hit times to use
}

}  // namespace
}  // namespace sfsg
