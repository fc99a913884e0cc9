#include "generator/replay/replay.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "generator/profile.h"
#include "generator/replay/file_set.h"

namespace sfsg {
namespace {

class Replay : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/sfsg-replay-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    std::ofstream(dir_ + "/keep.txt") << "not ours";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Everything in the target but what the test put there.
  std::vector<std::string> Leftovers() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir_))
      if (e.path().filename() != "keep.txt") out.push_back(e.path().filename());
    return out;
  }

  ReplayOptions Options() const {
    ReplayOptions o;
    o.target = dir_;
    o.layout_files = 4;
    o.layout_file_bytes = 256 << 10;
    o.step_s = 0.3;
    o.warmup_s = 0.05;
    o.scratch_file_bytes = 1 << 20;
    return o;
  }
  std::string dir_;
};

TEST_F(Replay, ClosedLadderMeasuresEveryOperationAndCleansUp) {
  ReplayOptions o = Options();
  o.ladder = {1, 2};
  int reports = 0;
  auto curve = RunLadder(o, [&](const ReplayProgress&) { ++reports; });
  ASSERT_TRUE(curve.ok()) << curve.error().message;
  ASSERT_EQ(curve->steps.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const CurveStep& s = curve->steps[i];
    EXPECT_EQ(s.mode, "closed");
    EXPECT_EQ(s.concurrency, i + 1);
    EXPECT_GE(s.duration_s, 0.3);
    EXPECT_EQ(s.total.errors, 0u);
    for (const char* op : {"read", "write", "create", "unlink", "stat", "readdir"})
      EXPECT_GT(s.per_op.count(op) ? s.per_op.at(op).ops : 0, 0u) << op;
    uint64_t sum = 0;
    for (const auto& [name, op] : s.per_op) sum += op.ops;
    EXPECT_EQ(sum, s.total.ops);
    // The mix: 60% reads, within a few standard deviations.
    const double reads = static_cast<double>(s.per_op.at("read").ops) / s.total.ops;
    EXPECT_NEAR(reads, 0.60, 0.05);
    const LatencySummary& l = s.total.latency;
    EXPECT_LE(l.p50_us, l.p90_us);
    EXPECT_LE(l.p90_us, l.p99_us);
    EXPECT_LE(l.p99_us, l.p999_us);
    EXPECT_LE(l.p999_us, l.max_us);
    EXPECT_GT(s.total.bytes_per_s, 0);
    EXPECT_GT(s.replayer.pid, 0);
    EXPECT_GT(s.replayer.rss_bytes, 0u);
    // Little's law for a closed loop: concurrency = throughput x latency, less the
    // replayer's own time between operations.
    const double in_flight = s.total.ops_per_s * l.mean_us * 1e-6;
    EXPECT_LE(in_flight, s.concurrency * 1.02);
    EXPECT_GE(in_flight, s.concurrency * 0.3);
  }
  EXPECT_TRUE(Leftovers().empty());
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/keep.txt"));
  EXPECT_TRUE(PerfCurveFromJson(PerfCurveToJson(*curve), "c").ok());
  EXPECT_NE(FormatCurveTable(*curve).find("closed"), std::string::npos);
}

// A device-timed shadow's charged time is read when each measured part starts and ends;
// the step keeps the difference and its share of the calls' time.
TEST_F(Replay, EachStepRecordsTheDeviceModelsShareOfItsCallsTime) {
  ReplayOptions o = Options();
  o.ladder = {1, 2};
  int reads = 0;
  o.device_seconds = [&reads]() -> std::optional<double> { return 0.25 * reads++; };
  auto curve = RunLadder(o, nullptr);
  ASSERT_TRUE(curve.ok()) << curve.error().message;
  EXPECT_EQ(reads, 4);
  for (const CurveStep& s : curve->steps) {
    ASSERT_TRUE(s.device_model_s.has_value());
    EXPECT_DOUBLE_EQ(*s.device_model_s, 0.25);
    const double calls_s = static_cast<double>(s.total.ops) * s.total.latency.mean_us / 1e6;
    EXPECT_DOUBLE_EQ(*s.device_model_share, 0.25 / calls_s);
  }
  auto back = PerfCurveFromJson(PerfCurveToJson(*curve), "c");
  ASSERT_TRUE(back.ok());
  EXPECT_DOUBLE_EQ(*back->steps[1].device_model_share, *curve->steps[1].device_model_share);
  Json bad = PerfCurveToJson(*curve);
  bad["steps"][0]["device"]["model_share"] = -1;
  auto refused = PerfCurveFromJson(bad, "c.json");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("c.json.steps[0].device.model_share"), std::string::npos)
      << refused.error().message;
  // No reader, or one that cannot read: nothing recorded.
  o.device_seconds = [] { return std::optional<double>(); };
  auto unread = RunLadder(o, nullptr);
  ASSERT_TRUE(unread.ok());
  EXPECT_FALSE(unread->steps[0].device_model_share.has_value());
  EXPECT_FALSE(PerfCurveToJson(*unread)["steps"][0].contains("device"));
}

TEST_F(Replay, OpenLoopSendsTheOfferedRate) {
  ReplayOptions o = Options();
  o.rates = {400};
  o.step_s = 1.0;
  o.max_concurrency = 4;
  o.workload.mix = {1, 0, 0, 0, 0, 0};
  auto curve = RunLadder(o, nullptr);
  ASSERT_TRUE(curve.ok()) << curve.error().message;
  const CurveStep& s = curve->steps.at(0);
  EXPECT_EQ(s.mode, "open");
  EXPECT_DOUBLE_EQ(s.offered_ops_per_s, 400);
  // Poisson sends over 1 s at 400/s: 400 +- 20 (one sigma); none missed on a fast target.
  EXPECT_NEAR(static_cast<double>(s.total.ops), 400, 100);
  EXPECT_EQ(s.total.errors, 0u);
  EXPECT_EQ(s.per_op.count("missed"), 0u);
}

// sfsg-mount's shutdown sets the cancel flag while a ladder runs: the run ends (a hang
// would meet ctest's timeout: these steps alone would take ten minutes), says it was
// cancelled, and leaves nothing behind.
TEST_F(Replay, CancelEndsALadderEarlyAndCleansUp) {
  ReplayOptions o = Options();
  o.ladder = {1, 2};
  o.step_s = 300;
  std::atomic<bool> cancel{false};
  o.cancel = &cancel;
  std::atomic<uint64_t> ops{0};
  auto curve = RunLadder(o, [&](const ReplayProgress& p) {
    ops = p.ops;
    if (p.ops > 0) cancel = true;  // from the progress callback: the run is under way
  });
  ASSERT_FALSE(curve.ok());
  EXPECT_EQ(curve.error().code, ErrorCode::kIo);
  EXPECT_NE(curve.error().message.find("cancelled"), std::string::npos);
  EXPECT_GT(ops.load(), 0u);
  EXPECT_TRUE(Leftovers().empty());
}

TEST_F(Replay, NamespaceNotInTheTargetIsRefused) {
  // A read-only workload needs no scratch directory: nothing is created either.
  NamespaceOptions n;
  n.files = 100;
  auto ns = Namespace::Create(DefaultProfile(), n);
  ASSERT_TRUE(ns.ok());
  ReplayOptions o = Options();
  o.shadow = ns->get();
  o.workload.mix = {0.5, 0, 0, 0, 0.5, 0};
  auto curve = RunLadder(o, nullptr);
  ASSERT_FALSE(curve.ok());
  EXPECT_EQ(curve.error().code, ErrorCode::kUsage);
  EXPECT_NE(curve.error().message.find("does not hold"), std::string::npos);
  EXPECT_TRUE(Leftovers().empty());
}

TEST_F(Replay, RefusesBadTargetsAndOptions) {
  ReplayOptions o = Options();
  o.target = dir_ + "/keep.txt";
  EXPECT_EQ(RunLadder(o, nullptr).error().code, ErrorCode::kUsage);
  o.target = dir_ + "/missing";
  EXPECT_EQ(RunLadder(o, nullptr).error().code, ErrorCode::kUsage);
  o = Options();
  o.ladder = {0};
  EXPECT_EQ(RunLadder(o, nullptr).error().code, ErrorCode::kUsage);
  o = Options();
  o.rates = {-5};
  EXPECT_EQ(RunLadder(o, nullptr).error().code, ErrorCode::kUsage);
  o = Options();
  o.workload.mix = {0, 0, 0, 0, 0, 0};
  EXPECT_EQ(RunLadder(o, nullptr).error().code, ErrorCode::kUsage);
  EXPECT_TRUE(Leftovers().empty());
}

TEST(FileSet, HotFilesAreTheMostPopularLargeRegularFiles) {
  NamespaceOptions n;
  n.files = 3000;
  n.seed = 5;
  auto ns = Namespace::Create(DefaultProfile(), n);
  ASSERT_TRUE(ns.ok());
  const FileSet all = FileSet::OverNamespace(**ns, 5);
  EXPECT_EQ(all.count(), 3000u);
  auto hot = FileSet::HotFiles(**ns, 5, 10, 65536);
  ASSERT_TRUE(hot.ok()) << hot.error().message;
  ASSERT_EQ(hot->count(), 10u);
  // The hot list keeps the ranking's order: its first file is the first large one.
  for (uint64_t rank = 1; rank <= all.count(); ++rank) {
    const FileRef f = all.ByRank(rank);
    if (f.size_bytes >= 65536) {
      EXPECT_EQ(hot->ByRank(1).path, f.path);
      break;
    }
  }
  for (uint64_t r = 1; r <= 10; ++r) EXPECT_GE(hot->ByRank(r).size_bytes, 65536u);
  // Reads open regular files only: a rank held by a symlink or directory moves down.
  uint64_t moved = 0;
  for (uint64_t rank = 1; rank <= all.count(); ++rank) {
    const FileRef f = all.RegularByRank(rank);
    EXPECT_TRUE(f.regular) << rank;
    if (!all.ByRank(rank).regular) ++moved;
  }
  EXPECT_GT(moved, 0u);  // the default profile has symlinks
}

}  // namespace
}  // namespace sfsg
