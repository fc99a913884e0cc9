#include "generator/replay/iolog.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace sfsg {
namespace {

TEST(Iolog, ParsesVersion2AsFioWritesIt) {
  auto log = ParseIolog(
      "fio version 2 iolog\n"
      "/mnt/a/file one add\n"
      "/mnt/a/f2 add\n"
      "/mnt/a/file one open\n"
      "/mnt/a/f2 open\n"
      "/mnt/a/file one read 4096 4096\n"
      "/mnt/a/f2 write 0 512\n"
      "/mnt/a/f2 wait 250000 0\n"
      "/mnt/a/f2 sync 0 0\n"
      "/mnt/a/file one trim 0 8192\n"
      "/mnt/a/file one close\n"
      "/mnt/a/f2 close\n",
      "t.log");
  ASSERT_TRUE(log.ok()) << log.error().message;
  EXPECT_EQ(log->version, 2);
  ASSERT_EQ(log->files.size(), 2u);
  EXPECT_EQ(log->files[0], "/mnt/a/file one");
  EXPECT_EQ(log->counts.at("read"), 1u);
  EXPECT_EQ(log->counts.at("open"), 2u);
  EXPECT_EQ(log->counts.at("wait"), 1u);
  ASSERT_EQ(log->entries.size(), 11u);
  EXPECT_EQ(log->entries[4].action, IologAction::kRead);
  EXPECT_EQ(log->entries[4].offset, 4096u);
  EXPECT_DOUBLE_EQ(log->entries[7].time_s, 0.25);  // after the wait
}

TEST(Iolog, ParsesVersion3Timestamps) {
  auto log = ParseIolog(
      "fio version 3 iolog\n0 f add\n0 f open\n15000 f read 0 4096\n1500000 f close\n", "t3.log");
  ASSERT_TRUE(log.ok()) << log.error().message;
  EXPECT_EQ(log->version, 3);
  EXPECT_DOUBLE_EQ(log->entries[2].time_s, 0.015);
  EXPECT_DOUBLE_EQ(log->entries[3].time_s, 1.5);
}

TEST(Iolog, BadTracesNameTheLine) {
  struct Case {
    const char* text;
    const char* where;
  };
  const Case cases[] = {
      {"fio version 9 iolog\n", "t.log:1"},
      {"", "t.log"},
      {"rw, offset, length\n0 0 4096\n", "t.log:1"},
      {"fio version 2 iolog\nf add\nf open\nf fly 0 1\n", "t.log:4"},
      {"fio version 2 iolog\nf open\n", "t.log:2"},
      {"fio version 2 iolog\nf add\nf read x 4096\n", "t.log:3"},
      {"fio version 2 iolog\nf add\nf read 0\n", "t.log:3"},
      {"fio version 3 iolog\n0 f add\n5 f wait 100 0\n", "t.log:3"},
      {"fio version 3 iolog\nf add\n", "t.log:2"},
      // Timestamps going backwards: a timed replay cannot follow them.
      {"fio version 3 iolog\n0 f add\n500 f open\n400 f read 0 4096\n", "t.log:4"},
  };
  for (const Case& c : cases) {
    auto log = ParseIolog(c.text, "t.log");
    ASSERT_FALSE(log.ok()) << c.text;
    EXPECT_EQ(log.error().code, ErrorCode::kBadInput);
    EXPECT_NE(log.error().message.find(c.where), std::string::npos) << log.error().message;
  }
}

class IologReplay : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/sfsg-iolog-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    std::ofstream(dir_ + "/data") << std::string(64 * 1024, 'x');
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(IologReplay, ReproducesCountsAndWritesOnlyScratch) {
  // Traced elsewhere (/srv/x/data): found in the target by its tail; "new" is missing.
  std::string text =
      "fio version 2 iolog\n/srv/x/data add\n/srv/x/new add\n"
      "/srv/x/data open\n/srv/x/new open\n";
  for (int i = 0; i < 50; ++i) text += "/srv/x/data read " + std::to_string(i * 512) + " 4096\n";
  for (int i = 0; i < 20; ++i) text += "/srv/x/new write " + std::to_string(i * 4096) + " 4096\n";
  text += "/srv/x/new sync 0 0\n/srv/x/data close\n/srv/x/new close\n";
  auto log = ParseIolog(text, "t.log");
  ASSERT_TRUE(log.ok()) << log.error().message;
  auto curve = ReplayIolog(*log, {dir_, false, 0, "t.log"}, nullptr);
  ASSERT_TRUE(curve.ok()) << curve.error().message;
  ASSERT_EQ(curve->steps.size(), 1u);
  const CurveStep& s = curve->steps[0];
  EXPECT_EQ(s.per_op.at("read").ops, 50u);
  EXPECT_EQ(s.per_op.at("read").errors, 0u);
  EXPECT_EQ(s.per_op.at("write").ops, 20u);
  EXPECT_EQ(s.per_op.at("write").errors, 0u);
  EXPECT_EQ(s.per_op.at("sync").ops, 1u);
  EXPECT_EQ(s.per_op.at("open").ops, 2u);
  EXPECT_EQ(s.per_op.at("close").ops, 2u);
  EXPECT_EQ(s.total.ops, 71u);  // the I/O: reads, writes, the sync
  // Reads of the real file returned its bytes: 50 full 4 KiB reads.
  EXPECT_NEAR(s.per_op.at("read").bytes_per_s * s.duration_s, 50 * 4096.0, 1.0);
  // Nothing left behind, nothing created in the target.
  size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1u);
  EXPECT_EQ(std::filesystem::file_size(dir_ + "/data"), 64u * 1024);
}

TEST_F(IologReplay, TimedReplayWaits) {
  auto log = ParseIolog(
      "fio version 2 iolog\ndata add\ndata open\ndata read 0 4096\n"
      "data wait 300000 0\ndata read 0 4096\ndata close\n",
      "t.log");
  ASSERT_TRUE(log.ok());
  auto curve = ReplayIolog(*log, {dir_, true, 0, "t.log"}, nullptr);
  ASSERT_TRUE(curve.ok()) << curve.error().message;
  EXPECT_GE(curve->steps[0].duration_s, 0.3);  // a lower bound: sleeps never end early
  EXPECT_EQ(curve->steps[0].per_op.at("read").ops, 2u);
}

TEST_F(IologReplay, RefusesAFileAsTarget) {
  auto log = ParseIolog("fio version 2 iolog\nf add\n", "t.log");
  ASSERT_TRUE(log.ok());
  auto curve = ReplayIolog(*log, {dir_ + "/data", false, 0, ""}, nullptr);
  ASSERT_FALSE(curve.ok());
  EXPECT_EQ(curve.error().code, ErrorCode::kUsage);
}

}  // namespace
}  // namespace sfsg
