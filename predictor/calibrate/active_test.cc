#include "predictor/calibrate/active.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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
