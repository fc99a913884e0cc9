#include "generator/workload.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <numeric>

namespace sfsg {
namespace {

double Sum(const OperationMix& m) {
  return m.read + m.write + m.create + m.unlink + m.stat + m.readdir;
}

double MeanSize(const std::vector<std::pair<uint64_t, double>>& sizes) {
  double mean = 0;
  for (const auto& [bytes, weight] : sizes) mean += static_cast<double>(bytes) * weight;
  return mean;
}

TEST(Workload, DefaultIsConsistent) {
  const Workload w = DefaultWorkload();
  EXPECT_NEAR(Sum(w.mix), 1.0, 1e-9);
  double shape = std::accumulate(w.hourly_shape.begin(), w.hourly_shape.end(), 0.0);
  EXPECT_NEAR(shape / 24, 1.0, 1e-9);
  EXPECT_GT(w.hourly_shape[11], w.hourly_shape[3]);  // busier at noon than at 3 am
  EXPECT_GE(w.peak_ops_per_s, w.mean_ops_per_s);
  EXPECT_EQ(w.origin, "builtin");
}

TEST(Workload, JsonRoundTrip) {
  Workload w = ScaleWorkload(DefaultWorkload(), 3.0, 10.0);
  w.zipf_theta = 1.2;
  w.arrival = "uniform";
  auto back = WorkloadFromJson(WorkloadToJson(w), "w.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_DOUBLE_EQ(back->mean_ops_per_s, w.mean_ops_per_s);
  EXPECT_DOUBLE_EQ(back->rate_scale, 3.0);
  EXPECT_DOUBLE_EQ(back->files_scale, 10.0);
  EXPECT_DOUBLE_EQ(back->zipf_theta, 1.2);
  EXPECT_EQ(back->arrival, "uniform");
  EXPECT_EQ(back->read_sizes, w.read_sizes);
  for (size_t h = 0; h < 24; ++h) EXPECT_NEAR(back->hourly_shape[h], w.hourly_shape[h], 1e-12);
}

TEST(Workload, MissingFieldsComeFromTheDefault) {
  auto w = WorkloadFromJson(Json::parse(R"({"format":"sfsg-workload","version":1,
      "mix":{"read":1}})"),
                            "w.json");
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_DOUBLE_EQ(w->mix.read, 1.0);
  EXPECT_DOUBLE_EQ(w->mix.write, 0.0);
  EXPECT_EQ(w->read_sizes, DefaultWorkload().read_sizes);
}

TEST(Workload, BadInputNamesTheField) {
  struct Case {
    const char* json;
    const char* field;
  };
  const Case cases[] = {
      {R"({"format":"other","version":1})", "w.json.format"},
      {R"({"format":"sfsg-workload","version":1,"mix":{"read":0.5}})", "w.json.mix"},
      {R"({"format":"sfsg-workload","version":1,"mix":{"read":1,"fly":0}})", "w.json.mix.fly"},
      {R"({"format":"sfsg-workload","version":1,"zipf_theta":-1})", "w.json.zipf_theta"},
      {R"({"format":"sfsg-workload","version":1,"read_sizes":[{"bytes":0,"weight":1}]})",
       "w.json.read_sizes[0].bytes"},
      {R"({"format":"sfsg-workload","version":1,"read_sizes":[{"bytes":4096,"weight":0.3}]})",
       "w.json.read_sizes"},
      {R"({"format":"sfsg-workload","version":1,"arrival":"bursty"})", "w.json.arrival"},
      {R"({"format":"sfsg-workload","version":1,"hourly_shape":[1,2]})", "w.json.hourly_shape"},
      {R"({"format":"sfsg-workload","version":1,"mean_ops_per_s":10,"peak_ops_per_s":5})",
       "w.json.peak_ops_per_s"},
      {R"({"format":"sfsg-workload","version":1,"typo":5})", "w.json.typo"},
  };
  for (const Case& c : cases) {
    auto w = WorkloadFromJson(Json::parse(c.json), "w.json");
    ASSERT_FALSE(w.ok()) << c.json;
    EXPECT_EQ(w.error().code, ErrorCode::kBadInput) << c.json;
    EXPECT_NE(w.error().message.find(c.field), std::string::npos) << w.error().message;
  }
  auto future = WorkloadFromJson(Json::parse(R"({"format":"sfsg-workload","version":9})"), "w");
  ASSERT_FALSE(future.ok());
  EXPECT_EQ(future.error().code, ErrorCode::kUnsupported);
}

TEST(Workload, SaveAndLoad) {
  char path[] = "/tmp/sfsg-workload-test-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  const Workload w = DefaultWorkload();
  ASSERT_TRUE(SaveWorkload(w, path).ok());
  auto back = LoadWorkload(path);
  unlink(path);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_DOUBLE_EQ(back->mix.stat, w.mix.stat);
  auto missing = LoadWorkload("/nonexistent/w.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
}

UsageRates TwoDays(double read_ops, double write_ops, double read_bytes_per_op,
                   double write_bytes_per_op) {
  UsageRates u;
  for (int h = 0; h < 48; ++h) {
    // Busy from 9:00 to 17:00 UTC: three times the night rate.
    const double factor = (h % 24 >= 9 && h % 24 < 17) ? 3.0 : 1.0;
    u.time_unix.push_back(1.7e9 - std::fmod(1.7e9, 86400.0) + h * 3600.0);
    u.read_ops_per_s.push_back(read_ops * factor);
    u.write_ops_per_s.push_back(write_ops * factor);
    u.read_bytes_per_s.push_back(read_ops * factor * read_bytes_per_op);
    u.write_bytes_per_s.push_back(write_ops * factor * write_bytes_per_op);
  }
  return u;
}

TEST(Workload, FitToUsageTakesMixSizesShapeAndRate) {
  const Workload base = DefaultWorkload();
  auto w = FitWorkloadToUsage(base, TwoDays(90, 10, 32768, 8192));
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_NEAR(w->mix.read / (w->mix.read + w->mix.write), 0.9, 1e-9);
  EXPECT_NEAR(Sum(w->mix), 1.0, 1e-9);
  EXPECT_NEAR(MeanSize(w->read_sizes), 32768, 32768 * 1e-6);
  EXPECT_NEAR(MeanSize(w->write_sizes), 8192, 8192 * 1e-6);
  EXPECT_NEAR(w->hourly_shape[12] / w->hourly_shape[2], 3.0, 1e-9);
  // 100 data ops/s at night, 300 in 8 busy hours: mean 166.7, and the data ops are
  // (read + write) of all operations.
  const double mean_data = (100.0 * 16 + 300.0 * 8) / 24;
  EXPECT_NEAR(w->mean_ops_per_s, mean_data / (base.mix.read + base.mix.write), 1e-6);
  EXPECT_NEAR(w->peak_ops_per_s / w->mean_ops_per_s, 300.0 / mean_data, 1e-9);
  EXPECT_EQ(w->origin, "usage");
}

TEST(Workload, FitClampsSizesOutsideTheSupport) {
  auto w = FitWorkloadToUsage(DefaultWorkload(), TwoDays(10, 10, 100, 1e9));
  ASSERT_TRUE(w.ok());
  ASSERT_EQ(w->read_sizes.size(), 1u);
  EXPECT_EQ(w->read_sizes[0].first, 4096u);
  EXPECT_EQ(w->write_sizes.back().first, uint64_t{1} << 20);
}

TEST(Workload, FitRejectsBadUsage) {
  UsageRates one = TwoDays(1, 1, 1, 1);
  one.time_unix.resize(1);
  EXPECT_EQ(FitWorkloadToUsage(DefaultWorkload(), one).error().code, ErrorCode::kBadInput);
  UsageRates uneven = TwoDays(1, 1, 1, 1);
  uneven.write_ops_per_s.pop_back();
  auto e = FitWorkloadToUsage(DefaultWorkload(), uneven);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("write_ops_per_s"), std::string::npos);
  UsageRates negative = TwoDays(1, 1, 1, 1);
  negative.read_ops_per_s[3] = -1;
  EXPECT_FALSE(FitWorkloadToUsage(DefaultWorkload(), negative).ok());
  UsageRates idle = TwoDays(0, 0, 1, 1);
  EXPECT_FALSE(FitWorkloadToUsage(DefaultWorkload(), idle).ok());
}

TEST(Workload, ScaleMultipliesRatesAndFiles) {
  const Workload w = ScaleWorkload(ScaleWorkload(DefaultWorkload(), 2, 5), 1.5, 2);
  EXPECT_DOUBLE_EQ(w.rate_scale, 3.0);
  EXPECT_DOUBLE_EQ(w.files_scale, 10.0);
  EXPECT_DOUBLE_EQ(w.mean_ops_per_s, DefaultWorkload().mean_ops_per_s * 3);
}

}  // namespace
}  // namespace sfsg
