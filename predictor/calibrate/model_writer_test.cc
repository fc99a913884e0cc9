#include "predictor/calibrate/model_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace sfsg {
namespace {

MeasuredTime Flat(double us) {
  MeasuredTime t;
  t.samples = 100;
  t.mean_us = us;
  t.quantiles_us = {{0.5, us}, {0.99, us * 3}, {1.0, us * 5}};
  return t;
}

Calibration ActiveLike() {
  Calibration cal;
  cal.mode = "active";
  cal.target = "/mnt/x";
  cal.filesystem = "xfs";
  cal.device = "/dev/loop0";
  cal.created_unix = 1764864000;  // 2025-12-04T16:00:00Z
  for (uint64_t bytes : {4096u, 65536u, 1048576u})
    cal.classes.push_back({"read", bytes, false, Flat(100 + bytes / 4096.0), 1000, 0});
  cal.classes.push_back({"write", 4096, true, Flat(50), 2000, 0});
  cal.metadata.push_back({"stat", Flat(4)});
  cal.metadata.push_back({"fsync", Flat(900)});
  // A USL device: lambda 10k/s, sigma 0.05, kappa 0.002: peak near N* = 21.8.
  ConcurrencyLadder ladder{"read", 4096, false, {}};
  for (double n : {1, 2, 4, 8, 16, 32, 64}) {
    const double x = 10000 * n / (1 + 0.05 * (n - 1) + 0.002 * n * (n - 1));
    ladder.points.push_back({n, x, n / x * 1e6, 0});
  }
  cal.ladders.push_back(ladder);
  cal.read_bytes_per_s_max = 500e6;
  cal.cache.cached_read = Flat(3);
  cal.cache.cached_read_large = Flat(60);
  cal.cache.mem_available_bytes = uint64_t{1} << 30;
  cal.notes.push_back("a note");
  return cal;
}

TEST(ModelWriter, MapsAnActiveCalibrationToAValidModel) {
  auto model = ToDeviceModel(ActiveLike());
  ASSERT_TRUE(model.ok()) << model.error().message;
  EXPECT_NEAR(model->concurrency.contention, 0.05, 0.005);
  EXPECT_NEAR(model->concurrency.coherency, 0.002, 0.0002);
  EXPECT_EQ(model->servers, 22u);  // the USL peak, inside the ladder
  EXPECT_EQ(model->data.read_random.buckets.size(), 3u);
  EXPECT_EQ(model->data.read_random.buckets[1].size_bytes, 65536u);
  EXPECT_NEAR(model->data.read_random.TimeAtUs(4096, 0.5), 101, 1e-6);
  // Not measured: copied from the nearest measured, and said.
  EXPECT_EQ(model->data.read_sequential.buckets.size(), 3u);
  EXPECT_EQ(model->data.write_random.buckets.size(), 1u);
  EXPECT_NE(model->provenance.notes.find("write random not measured: copied from write sequential"),
            std::string::npos);
  EXPECT_NE(model->provenance.notes.find("a note"), std::string::npos);
  ASSERT_TRUE(model->metadata.Get(MetadataOp::kStat));
  EXPECT_FALSE(model->metadata.Get(MetadataOp::kRename));
  EXPECT_EQ(model->cache.size_bytes, uint64_t{1} << 30);
  // Hits at 4 KiB and 1 MiB: a 256 KiB hit lies between, not 64 x the 4 KiB call.
  ASSERT_EQ(model->cache.read_hit.buckets.size(), 2u);
  EXPECT_NEAR(model->cache.read_hit.TimeAtUs(262144, 0.5), 3 + (60 - 3) * 0.25, 1.0);
  EXPECT_DOUBLE_EQ(model->caps.read_bytes_per_s, 500e6);
  EXPECT_EQ(model->provenance.mode, "active");
  EXPECT_EQ(model->provenance.created_utc, "2025-12-04T16:00:00Z");
  EXPECT_EQ(model->provenance.concurrency_max, 64u);
  EXPECT_EQ(model->provenance.request_bytes_max, 1048576u);
  EXPECT_TRUE(ValidateDeviceModel(*model, "test").ok());
  EXPECT_NE(ModelSummary(*model).find("not validated"), std::string::npos);
  EXPECT_TRUE(model->cache.read_miss.buckets.empty());  // not measured: none
}

// The miss cost measured per size becomes the model's cache.read_miss curve: the buffered
// times less the direct median, never below 0.
TEST(ModelWriter, TheMissCostBecomesTheCachesReadMissCurve) {
  Calibration cal = ActiveLike();
  cal.cache.read_miss.push_back({4096, MissCost(Flat(40), 45)});
  cal.cache.read_miss.push_back({1 << 20, MissCost(Flat(900), 500)});
  EXPECT_DOUBLE_EQ(cal.cache.read_miss[0].second.QuantileUs(0.5), 0);
  // Above q 0.98 the cost is held (a throttle's waits are the device's, not the miss's).
  EXPECT_DOUBLE_EQ(cal.cache.read_miss[0].second.QuantileUs(0.99), 0);
  EXPECT_DOUBLE_EQ(cal.cache.read_miss[1].second.QuantileUs(1.0), 400);
  EXPECT_DOUBLE_EQ(cal.cache.read_miss[1].second.mean_us, 400);
  MeasuredTime tail = Flat(100);
  tail.quantiles_us = {{0.5, 100}, {0.98, 150}, {0.99, 90000}, {1.0, 95000}};
  tail.mean_us = 1000;
  const MeasuredTime cost = MissCost(tail, 80);
  EXPECT_DOUBLE_EQ(cost.QuantileUs(0.98), 70);
  EXPECT_DOUBLE_EQ(cost.QuantileUs(1.0), 70);
  EXPECT_DOUBLE_EQ(cost.mean_us, 70);
  auto model = ToDeviceModel(cal);
  ASSERT_TRUE(model.ok()) << model.error().message;
  ASSERT_EQ(model->cache.read_miss.buckets.size(), 2u);
  EXPECT_NEAR(model->cache.read_miss.TimeAtUs(1 << 20, 0.5), 400, 1e-6);
  EXPECT_TRUE(ValidateDeviceModel(*model, "test").ok());
  EXPECT_NE(ModelSummary(*model).find("a miss costs the device's time +"), std::string::npos);
}

// Probes as ext4 would answer them: 2048 files with inodes from 1000, a miss reads the
// record and its neighbours (2 requests, 12 bios) and caches the aligned 512 around it.
std::vector<InodeProbe> Ext4LikeProbes(uint64_t count) {
  std::vector<uint64_t> inos;
  for (uint64_t i = 0; i < 2048; ++i) inos.push_back(1000 + (i * 769) % 2048);  // a shuffle
  std::vector<InodeProbe> probes;
  std::set<uint64_t> cached;
  for (uint64_t i = 0; i < count; ++i) {
    const bool miss = cached.insert(inos[i] / 512).second;
    probes.push_back({inos[i], miss ? 2u : 0u, miss ? 10u : 0u});
  }
  return probes;
}

TEST(InodeFit, FindsTheRunOneMissCachesAndItsReads) {
  const auto fit = FitInodeRecords(Ext4LikeProbes(300));
  ASSERT_TRUE(fit.has_value());
  EXPECT_EQ(fit->inodes_per_miss, 512u);
  EXPECT_EQ(fit->misses, 5u);  // the runs of 512 from 512 to 3071
  EXPECT_EQ(fit->mismatches, 0u);
  EXPECT_DOUBLE_EQ(fit->reads_per_miss, 2);
  EXPECT_DOUBLE_EQ(fit->ios_per_miss, 12);
  // Too few misses to fit anything.
  EXPECT_FALSE(FitInodeRecords(Ext4LikeProbes(2)).has_value());
  EXPECT_FALSE(FitInodeRecords({}).has_value());
}

TEST(ModelWriter, InodeRecordsBecomeTheCachesInodeRuns) {
  Calibration cal = ActiveLike();
  cal.cache.inodes = FitInodeRecords(Ext4LikeProbes(300));
  auto model = ToDeviceModel(cal);
  ASSERT_TRUE(model.ok()) << model.error().message;
  EXPECT_EQ(model->cache.inodes_per_miss, 512u);
  EXPECT_DOUBLE_EQ(model->cache.inode_ios_per_miss, 12);
  EXPECT_TRUE(ValidateDeviceModel(*model, "test").ok());
  EXPECT_NE(ModelSummary(*model).find("an uncached inode record costs 2.0 reads (12.0 bios)"),
            std::string::npos)
      << ModelSummary(*model);
  cal.cache.inodes.reset();
  EXPECT_EQ(ToDeviceModel(cal)->cache.inodes_per_miss, 0u);
}

TEST(ModelWriter, WaitsAtAThrottlesCeilingAreLeftToTheCeiling) {
  Calibration cal = ActiveLike();
  // 4 KiB random reads at 60 us alone (16k/s) under a 1500/s throttle: 0.8% of them waited
  // 85 ms for the throttle's next slice.
  MeasuredTime t;
  t.samples = 10000;
  t.quantiles_us = {{0.5, 60}, {0.99, 900}, {0.995, 85000}, {1.0, 93000}};
  cal.classes[0].service = t;
  cal.read_parallelism = ParallelismEstimate{4, 60, 1500, false, 0.01, 6};
  cal.read_ops_per_s_max = 1500;
  auto model = ToDeviceModel(cal);
  ASSERT_TRUE(model.ok()) << model.error().message;
  const SizeBucket& b = model->data.read_random.buckets[0];
  EXPECT_EQ(b.size_bytes, 4096u);
  EXPECT_NEAR(b.service.TimeAtUs(0.999), 900, 1e-9);
  EXPECT_NEAR(b.service.TimeAtUs(0.5), 60, 1e-9);
  EXPECT_EQ(model->caps.read_ops_per_s, 1500);
  EXPECT_NE(model->provenance.notes.find("left to the ceiling"), std::string::npos);
  // The 64 KiB class (116 us alone: 8.6k/s) has no jump: untouched.
  EXPECT_NEAR(model->data.read_random.buckets[1].service.TimeAtUs(1.0), 116 * 5, 1e-9);
  // The waits show the throttle's slice: 93 ms / (1 - 1500/s x 60 us) = 102 ms.
  EXPECT_NEAR(model->caps.slice_s, 0.093 / (1 - 1500 * 60e-6), 1e-9);
  EXPECT_NE(model->provenance.notes.find("slices of 102 ms"), std::string::npos);

  // Without a ceiling the same waits are the device's own tail.
  cal.read_parallelism->lower_bound = true;
  auto free = ToDeviceModel(cal);
  ASSERT_TRUE(free.ok());
  EXPECT_NEAR(free->data.read_random.buckets[0].service.TimeAtUs(1.0), 93000, 1e-9);
  EXPECT_EQ(free->caps.slice_s, 0);
}

TEST(ModelWriter, ALadderThatNeverPeaksGivesItsDeepestLevel) {
  Calibration cal = ActiveLike();
  for (ConcurrencyPoint& p : cal.ladders[0].points) p.ops_per_s = 10000 * p.concurrency;
  auto model = ToDeviceModel(cal);
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->servers, 64u);
  EXPECT_NE(model->provenance.notes.find("lower bound"), std::string::npos);
}

TEST(ModelWriter, PassiveAndFioModelsHaveNoCacheOrCeilingsAndSaySo) {
  Calibration cal = ActiveLike();
  cal.mode = "passive";
  auto model = ToDeviceModel(cal);
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->cache.size_bytes, 0u);
  EXPECT_DOUBLE_EQ(model->caps.read_bytes_per_s, 0);
  EXPECT_NE(model->provenance.notes.find("no page cache"), std::string::npos);
}

TEST(ModelWriter, NoDataClassIsRefused) {
  Calibration cal = ActiveLike();
  cal.classes.clear();
  auto model = ToDeviceModel(cal);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.error().code, ErrorCode::kBadInput);
}

}  // namespace
}  // namespace sfsg
