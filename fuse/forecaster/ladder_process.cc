#include "fuse/forecaster/ladder_process.h"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "fuse/forecaster/hooks.h"
#include "generator/util/json_io.h"

namespace sfsg {
namespace {

constexpr double kTermGraceSeconds = 5;     // SIGTERM, then SIGKILL this long after
constexpr double kTimeoutSlackSeconds = 60;  // beyond twice the ladder's planned length

std::string Seconds(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6gs", s);
  return text;
}

// The last non-empty line of a text ("" when none).
std::string LastLine(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  const auto cut = text.find_last_of("\r\n");
  return cut == std::string::npos ? text : text.substr(cut + 1);
}

// The child's three files, opened before it starts (the caller may start it where the
// directory is not mounted) and removed with their directory at the end.
class ChildFiles {
 public:
  ~ChildFiles() {
    for (int fd : {in_, out_, err_})
      if (fd >= 0) ::close(fd);
    for (const std::string& path : {workload_, curve_, messages_})
      if (!path.empty()) ::unlink(path.c_str());
    if (made_dir_) ::rmdir(dir_.c_str());
  }

  Status Open(const std::string& given_dir, const Workload& workload) {
    dir_ = given_dir;
    if (dir_.empty()) {
      dir_ = "/tmp/sfsg-ladder.XXXXXX";
      if (::mkdtemp(dir_.data()) == nullptr)
        return Error::Io(std::string("load ladder: cannot make a directory in /tmp: ") +
                         std::strerror(errno));
      made_dir_ = true;
    }
    workload_ = dir_ + "/ladder-workload.json";
    curve_ = dir_ + "/ladder-curve.json";
    messages_ = dir_ + "/ladder-stderr.txt";
    if (Status saved = SaveWorkload(workload, workload_); !saved) return saved;
    in_ = ::open(workload_.c_str(), O_RDONLY | O_CLOEXEC);
    out_ = ::open(curve_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    err_ = ::open(messages_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (in_ < 0 || out_ < 0 || err_ < 0)
      return Error::Io("load ladder: cannot open its files in " + dir_ + ": " +
                       std::strerror(errno));
    return Status::Ok();
  }

  int in() const { return in_; }
  int out() const { return out_; }
  int err() const { return err_; }
  const std::string& curve() const { return curve_; }
  std::string LastMessage() const {
    auto text = ReadTextFile(messages_);
    return text ? LastLine(*text) : "";
  }

 private:
  std::string dir_, workload_, curve_, messages_;
  bool made_dir_ = false;
  int in_ = -1, out_ = -1, err_ = -1;
};

}  // namespace

std::string ReplayBinaryBesideSelf() {
  char self[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0) {
    self[n] = '\0';
    std::string beside(self);
    beside.erase(beside.rfind('/') + 1);
    beside += "sfsg-replay";
    if (::access(beside.c_str(), X_OK) == 0) return beside;
  }
#ifdef SFSG_BUILD_REPLAY_BINARY
  if (::access(SFSG_BUILD_REPLAY_BINARY, X_OK) == 0) return SFSG_BUILD_REPLAY_BINARY;
#endif
  return "sfsg-replay";  // looked up in PATH
}

std::vector<std::string> LadderCommand(const LadderProcessOptions& options) {
  std::string ladder;
  for (uint32_t c : options.ladder) ladder += (ladder.empty() ? "" : ",") + std::to_string(c);
  std::vector<std::string> argv = {
      options.replay_binary.empty() ? ReplayBinaryBesideSelf() : options.replay_binary,
      "--target",
      options.target,
      "--workload",
      "/dev/stdin",
      "--ladder",
      ladder,
      "--step",
      Seconds(options.step_s),
      "--warmup",
      Seconds(options.warmup_s),
      "--out",
      "-",
      "--quiet"};
  if (options.fs_pid > 0) {
    argv.push_back("--fs-pid");
    argv.push_back(std::to_string(options.fs_pid));
  }
  return argv;
}

Result<PerfCurve> RunLadderProcess(const LadderProcessOptions& options, const RunWithin& within) {
  if (options.ladder.empty()) return Error::Usage("load ladder: no steps");
  ChildFiles files;
  if (Status opened = files.Open(options.work_dir, options.workload); !opened)
    return opened.error();
  ChildRun run;
  run.what = "load ladder";
  run.cancel = options.cancel;
  run.term_grace_s = kTermGraceSeconds;
  run.timeout_s =
      2 * static_cast<double>(options.ladder.size()) * (options.step_s + options.warmup_s) +
      kTimeoutSlackSeconds;
  run.stdin_fd = files.in();
  run.stdout_fd = files.out();
  run.stderr_fd = files.err();
  const std::vector<std::string> argv = LadderCommand(options);
  Result<HookResult> result = Error::Io("load ladder: did not start");
  const std::function<void()> spawn = [&] { result = RunChild(argv, run); };
  if (within)
    within(spawn);
  else
    spawn();
  if (!result) return result.error();
  if (result->cancelled) return Error::Io("load ladder: cancelled");
  const std::string said = files.LastMessage();
  const std::string because = said.empty() ? "" : ": " + said;
  if (result->timed_out)
    return Error::Io("load ladder: " + argv[0] + " still ran after " + Seconds(run.timeout_s) +
                     ": stopped" + because);
  if (result->exit_status != 0)
    return Error::Io("load ladder: " + argv[0] + " exited " +
                     std::to_string(result->exit_status) + because);
  return LoadPerfCurve(files.curve());
}

}  // namespace sfsg
