#include "predictor/calibrate/passive.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

namespace sfsg {
namespace {

// A diskstats history of a device with c servers of service time S: each 10 s interval
// runs at a mean queue Q, so X = min(Q, c) / S and each request takes R = Q / X (Little).
// 70% of the requests are 4 KiB reads, 30% 16 KiB writes.
std::string History(double c, double service_ms, const std::vector<double>& queues) {
  std::ostringstream csv;
  csv << std::fixed << std::setprecision(3);
  csv << "timestamp,used_bytes,read_ops,write_ops,read_bytes,write_bytes,read_time_ms,"
         "write_time_ms,io_time_ms,io_weighted_ms\n";
  double t = 1'700'000'000, ro = 0, wo = 0, rb = 0, wb = 0, rt = 0, wt = 0, io = 0, iw = 0;
  const double dt = 10;
  auto row = [&] {
    csv << t << ",1000," << ro << "," << wo << "," << rb << "," << wb << "," << rt << "," << wt
        << "," << io << "," << iw << "\n";
  };
  row();
  for (double q : queues) {
    const double x = std::min(q, c) / (service_ms / 1e3);
    const double ops = x * dt;
    const double r_ms = q / x * 1e3;
    ro += 0.7 * ops;
    wo += 0.3 * ops;
    rb += 0.7 * ops * 4096;
    wb += 0.3 * ops * 16384;
    rt += 0.7 * ops * r_ms;
    wt += 0.3 * ops * r_ms;
    io += std::min(1.0, q) * dt * 1e3;
    iw += q * dt * 1e3;
    t += dt;
    row();
  }
  return csv.str();
}

TEST(PassiveFit, RecoversServiceTimeAndParallelismFromDiskstats) {
  const std::vector<double> queues = {0.1, 0.3, 0.6, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 0.2};
  auto table = ParseUsageCsv(History(4, 0.5, queues), "hist.csv");
  ASSERT_TRUE(table.ok()) << table.error().message;
  auto cal = FitPassive(*table);
  ASSERT_TRUE(cal.ok()) << cal.error().message;
  EXPECT_EQ(cal->mode, "passive");
  ASSERT_TRUE(cal->read_parallelism);
  EXPECT_NEAR(cal->read_parallelism->parallelism, 4, 0.2);
  EXPECT_NEAR(cal->read_parallelism->service_time_us, 500, 15);
  EXPECT_FALSE(cal->read_parallelism->lower_bound);
  EXPECT_NEAR(cal->read_fraction, 0.7, 1e-6);
  EXPECT_NEAR(cal->observed_queue_max, 12, 1e-6);
  EXPECT_NEAR(cal->observed_queue_min, 0.1, 1e-6);
  ASSERT_EQ(cal->classes.size(), 2u);
  EXPECT_EQ(cal->classes[0].op, "read");
  EXPECT_EQ(cal->classes[0].request_bytes, 4096u);
  EXPECT_EQ(cal->classes[1].request_bytes, 16384u);
  // Unqueued intervals (Q < 1.5) give the service time: R = S there.
  EXPECT_NEAR(cal->classes[0].service.mean_us, 500, 500 * 0.04);
  EXPECT_FALSE(cal->notes.empty());
}

TEST(PassiveFit, AQueueThatNeverBuildsGivesALowerBoundAndSaysSo) {
  auto table = ParseUsageCsv(History(8, 0.2, {0.1, 0.2, 0.4, 0.8, 0.3}), "low.csv");
  ASSERT_TRUE(table.ok());
  auto cal = FitPassive(*table);
  ASSERT_TRUE(cal.ok()) << cal.error().message;
  EXPECT_TRUE(cal->read_parallelism->lower_bound);
  bool said = false;
  for (const auto& n : cal->notes) said = said || n.find("lower bound") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST(PassiveFit, AMissingColumnIsNamed) {
  auto table = ParseUsageCsv("timestamp,read_ops,write_ops\n1,0,0\n2,5,5\n", "old.csv");
  ASSERT_TRUE(table.ok());
  auto cal = FitPassive(*table);
  ASSERT_FALSE(cal.ok());
  EXPECT_EQ(cal.error().code, ErrorCode::kBadInput);
  EXPECT_NE(cal.error().message.find("old.csv"), std::string::npos);
  EXPECT_NE(cal.error().message.find("read_bytes"), std::string::npos);
}

TEST(PassiveFit, AnIdleHistoryIsRefused) {
  auto table = ParseUsageCsv(History(4, 0.5, {}), "idle.csv");
  ASSERT_TRUE(table.ok());
  auto cal = FitPassive(*table);
  ASSERT_FALSE(cal.ok());
  EXPECT_NE(cal.error().message.find("idle.csv"), std::string::npos);
}

TEST(PassiveFit, ACounterResetIsSkippedAndCounted) {
  std::string csv = History(4, 0.5, {0.5, 1, 2, 4, 6});
  // Append a sample after a reboot: every counter back near zero.
  csv += "1700000100,1000,10,10,40960,40960,5,5,10,10\n";
  auto table = ParseUsageCsv(csv, "reboot.csv");
  ASSERT_TRUE(table.ok()) << table.error().message;
  auto cal = FitPassive(*table);
  ASSERT_TRUE(cal.ok()) << cal.error().message;
  bool said = false;
  for (const auto& n : cal->notes) said = said || n.find("reset") != std::string::npos;
  EXPECT_TRUE(said);
}

}  // namespace
}  // namespace sfsg
