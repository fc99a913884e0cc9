#include "predictor/calibrate/active.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <vector>

namespace sfsg {
namespace {

namespace fs = std::filesystem;

class CgroupLimit : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ =
        fs::temp_directory_path() /
        ("sfsg-cgroup-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const std::string& relative, const std::string& text) {
    const fs::path p = root_ / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  uint64_t Limit() {
    return ReadCgroupMemoryLimit((root_ / "self-cgroup").string(), (root_ / "sys").string());
  }
  fs::path root_;
};

TEST_F(CgroupLimit, UnifiedHierarchy) {
  Write("self-cgroup", "0::/bench/job\n");
  Write("sys/bench/job/memory.max", "67108864\n");
  EXPECT_EQ(Limit(), uint64_t{64} << 20);
  Write("sys/bench/job/memory.max", "max\n");
  EXPECT_EQ(Limit(), 0u);
}

TEST_F(CgroupLimit, VersionOneMemoryController) {
  Write("self-cgroup", "12:blkio:/x\n5:memory:/bench-7\n3:cpu,cpuacct:/\n0::/\n");
  Write("sys/memory/bench-7/memory.limit_in_bytes", "33554432\n");
  EXPECT_EQ(Limit(), uint64_t{32} << 20);
  // v1's "no limit" is a page-rounded 2^63 - 1.
  Write("sys/memory/bench-7/memory.limit_in_bytes", "9223372036854771712\n");
  EXPECT_EQ(Limit(), 0u);
}

TEST_F(CgroupLimit, NoCgroupFileOrGarbage) {
  EXPECT_EQ(Limit(), 0u);
  Write("self-cgroup", "nonsense\n0::/a\n");
  Write("sys/a/memory.max", "not a number\n");
  EXPECT_EQ(Limit(), 0u);
}

}  // namespace
}  // namespace sfsg

namespace sfsg {
namespace {

// Completion times of `per_step` requests at every `step_ns`, from 0 to `until_ns`.
std::vector<int64_t> Staircase(int64_t per_step, int64_t step_ns, int64_t until_ns) {
  std::vector<int64_t> done;
  for (int64_t t = 0; t < until_ns; t += step_ns)
    for (int64_t i = 0; i < per_step; ++i) done.push_back(t + i * 1000);
  return done;
}

TEST(SustainedRate, SteadyStreamIsItsMeanRate) {
  std::vector<int64_t> done;
  for (int64_t i = 0; i < 2000; ++i) done.push_back(i * 500000);  // 2000/s for 1 s
  EXPECT_NEAR(SustainedRate(done, 200000000, 0), 2000, 2000 * 0.01);
}

TEST(SustainedRate, ABurstAtTheStartDoesNotCount) {
  // A token bucket of 300 requests, then 1500/s: count / duration over 0.4 s says 2250,
  // the slope after the first fifth says what the bucket keeps.
  std::vector<int64_t> done = Staircase(300, 1, 1);
  for (int64_t i = 1; i <= 600; ++i) done.push_back(i * 1000000000 / 1500);
  EXPECT_NEAR(SustainedRate(done, 80000000, 0), 1500, 1500 * 0.02);
}

TEST(SustainedRate, SlicesOfAThrottleAverageToItsRate) {
  // 150 requests at the start of every 100 ms slice (1500/s) over 2 s.
  std::vector<int64_t> done = Staircase(150, 100000000, 2000000000);
  EXPECT_NEAR(SustainedRate(done, 400000000, 0), 1500, 1500 * 0.08);
}

TEST(SustainedRate, TooFewCompletionsGiveTheFallback) {
  std::vector<int64_t> done = {5, 1, 3};
  EXPECT_EQ(SustainedRate(done, 0, 42.0), 42.0);
  EXPECT_EQ(done.front(), 1);  // sorted in place
}

}  // namespace
}  // namespace sfsg
