// The load ladder as a child process: a real sfsg-replay against a plain directory.
// Nothing here asserts a time or a rate; only what ran, in which process, and what was
// left behind.
#include "fuse/forecaster/ladder_process.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>
#include <vector>

namespace sfsg {
namespace {

// A fresh directory under /tmp, removed (with what the test put there) at the end.
class TempDir {
 public:
  TempDir() {
    path_ = "/tmp/sfsg-ladder-test.XXXXXX";
    if (::mkdtemp(path_.data()) == nullptr) path_.clear();
  }
  ~TempDir() {
    if (!path_.empty()) std::system(("rm -rf '" + path_ + "'").c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d))
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..")
        names.push_back(e->d_name);
    ::closedir(d);
  }
  return names;
}

LadderProcessOptions Quick(const std::string& target, const std::string& work_dir) {
  LadderProcessOptions o;
  o.target = target;
  o.work_dir = work_dir;
  o.ladder = {1, 2};
  o.step_s = 0.2;
  o.warmup_s = 0;
  o.fs_pid = ::getpid();
  return o;
}

TEST(LadderProcess, CommandReadsTheWorkloadFromStdinAndWritesTheCurveToStdout) {
  LadderProcessOptions o = Quick("/mnt/shadow", "");
  o.replay_binary = "/opt/sfsg/bin/sfsg-replay";
  o.fs_pid = 4242;
  const std::vector<std::string> argv = LadderCommand(o);
  const std::vector<std::string> expected = {
      "/opt/sfsg/bin/sfsg-replay", "--target", "/mnt/shadow", "--workload", "/dev/stdin",
      "--ladder", "1,2", "--step", "0.2s", "--warmup", "0s", "--out", "-", "--quiet",
      "--fs-pid", "4242"};
  EXPECT_EQ(argv, expected);
}

TEST(LadderProcess, FindsTheReplayer) {
  const std::string replay = ReplayBinaryBesideSelf();
  EXPECT_NE(replay.find("sfsg-replay"), std::string::npos);
  EXPECT_EQ(::access(replay.c_str(), X_OK), 0) << replay;
}

TEST(LadderProcess, RunsInAChildAndMeasuresBothProcesses) {
  TempDir target, work;
  ASSERT_FALSE(target.path().empty());
  ASSERT_FALSE(work.path().empty());
  int spawned = 0;
  auto curve = RunLadderProcess(Quick(target.path(), work.path()),
                                [&](const std::function<void()>& spawn) {
                                  ++spawned;
                                  spawn();
                                });
  ASSERT_TRUE(curve) << curve.error().message;
  EXPECT_EQ(spawned, 1);
  ASSERT_EQ(curve->steps.size(), 2u);
  EXPECT_EQ(curve->steps[0].concurrency, 1u);
  EXPECT_EQ(curve->steps[1].concurrency, 2u);
  for (const CurveStep& step : curve->steps) {
    EXPECT_GT(step.total.ops, 0u);
    EXPECT_EQ(step.filesystem.pid, ::getpid());  // the process named as the filesystem
    EXPECT_GT(step.replayer.pid, 0);
    EXPECT_NE(step.replayer.pid, ::getpid());  // the load came from another process
  }
  EXPECT_TRUE(Entries(target.path()).empty()) << "the replayer's scratch directory was left";
  EXPECT_TRUE(Entries(work.path()).empty()) << "the child's files were left";
}

TEST(LadderProcess, CancelledBeforeItEndsLeavesNothing) {
  TempDir target;
  ASSERT_FALSE(target.path().empty());
  std::atomic<bool> cancel{true};
  LadderProcessOptions o = Quick(target.path(), "");
  o.step_s = 60;
  o.cancel = &cancel;
  auto curve = RunLadderProcess(o);
  ASSERT_FALSE(curve);
  EXPECT_NE(curve.error().message.find("cancelled"), std::string::npos) << curve.error().message;
  EXPECT_TRUE(Entries(target.path()).empty()) << "the replayer's scratch directory was left";
}

TEST(LadderProcess, AFailingReplayerIsAnErrorWithItsLastWord) {
  TempDir work;
  LadderProcessOptions o = Quick("/nonexistent/sfsg-ladder-target", work.path());
  auto curve = RunLadderProcess(o);
  ASSERT_FALSE(curve);
  EXPECT_EQ(curve.error().code, ErrorCode::kIo);
  EXPECT_NE(curve.error().message.find("exited 2"), std::string::npos) << curve.error().message;
  EXPECT_NE(curve.error().message.find("no such directory"), std::string::npos)
      << curve.error().message;
  EXPECT_TRUE(Entries(work.path()).empty());
}

TEST(LadderProcess, AReplayerThatCannotStartIsAnError) {
  LadderProcessOptions o = Quick("/tmp", "");
  o.replay_binary = "/nonexistent/sfsg-replay";
  auto curve = RunLadderProcess(o);
  ASSERT_FALSE(curve);
  EXPECT_NE(curve.error().message.find("cannot run"), std::string::npos) << curve.error().message;
}

}  // namespace
}  // namespace sfsg
