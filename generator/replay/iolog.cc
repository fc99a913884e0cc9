#include "generator/replay/iolog.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <sstream>
#include <unordered_map>

#include "generator/replay/file_set.h"
#include "generator/replay/proc_stats.h"
#include "generator/replay/step_stats.h"
#include "generator/util/json_io.h"
#include "generator/util/log_histogram.h"

namespace sfsg {
namespace {

constexpr int kActions = 9;
constexpr uint64_t kMaxLength = uint64_t{1} << 30;

bool ActionFromName(std::string_view name, IologAction* out) {
  for (int a = 0; a < kActions; ++a) {
    if (name == IologActionName(static_cast<IologAction>(a))) {
      *out = static_cast<IologAction>(a);
      return true;
    }
  }
  return false;
}

bool ParseU64(std::string_view text, uint64_t* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::vector<std::string_view> Tokens(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

}  // namespace

const char* IologActionName(IologAction a) {
  static const char* const kNames[kActions] = {"add",  "open", "close",    "read", "write",
                                               "trim", "sync", "datasync", "wait"};
  return kNames[static_cast<int>(a)];
}

Result<Iolog> ParseIolog(std::string_view text, std::string_view source_name) {
  const std::string name(source_name);
  Iolog log;
  std::unordered_map<std::string, uint32_t> index;
  size_t pos = 0, line_no = 0;
  double wait_clock_s = 0;
  uint64_t last_us = 0;  // version 3: the previous line's timestamp
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::string where = name + ":" + std::to_string(line_no);
    if (line_no == 1) {
      if (line == "fio version 2 iolog")
        log.version = 2;
      else if (line == "fio version 3 iolog")
        log.version = 3;
      else
        return Error::BadInput(where + ": not a fio iolog: the first line is '" +
                               std::string(line.substr(0, 60)) +
                               "', not 'fio version 2 iolog' or 'fio version 3 iolog'");
      continue;
    }
    std::vector<std::string_view> tokens = Tokens(line);
    if (tokens.empty()) continue;
    IologEntry entry;
    if (log.version == 3) {
      uint64_t us = 0;
      if (!ParseU64(tokens.front(), &us))
        return Error::BadInput(where + ": '" + std::string(tokens.front()) +
                               "' is not a timestamp in microseconds");
      // A timed replay sleeps until each timestamp: one going back is a damaged trace.
      if (us < last_us)
        return Error::BadInput(where + ": timestamp " + std::to_string(us) +
                               " goes backwards (the line before says " + std::to_string(last_us) +
                               ")");
      last_us = us;
      entry.time_s = static_cast<double>(us) / 1e6;
      tokens.erase(tokens.begin());
    }
    // The file name may hold blanks: the action and numbers are read from the end.
    size_t name_tokens = 0;
    IologAction action;
    if (tokens.size() >= 2 && ActionFromName(tokens.back(), &action) &&
        action <= IologAction::kClose) {
      name_tokens = tokens.size() - 1;
    } else if (tokens.size() >= 4 && ActionFromName(tokens[tokens.size() - 3], &action) &&
               action > IologAction::kClose) {
      if (!ParseU64(tokens[tokens.size() - 2], &entry.offset) ||
          !ParseU64(tokens.back(), &entry.length))
        return Error::BadInput(where + ": offset and length must be unsigned integers in '" +
                               std::string(line) + "'");
      if (entry.length > kMaxLength && action != IologAction::kTrim)
        return Error::BadInput(where + ": length " + std::to_string(entry.length) +
                               " is over 1 GiB");
      name_tokens = tokens.size() - 3;
    } else {
      return Error::BadInput(where +
                             ": expected 'FILE add|open|close' or 'FILE "
                             "read|write|trim|sync|datasync|wait OFFSET LENGTH', got '" +
                             std::string(line.substr(0, 120)) + "'");
    }
    if (action == IologAction::kWait && log.version == 3)
      return Error::BadInput(where + ": 'wait' is not allowed in a version 3 iolog");
    std::string file(
        tokens.front().data(),
        tokens[name_tokens - 1].data() + tokens[name_tokens - 1].size() - tokens.front().data());
    entry.action = action;
    if (action == IologAction::kAdd) {
      auto [it, inserted] = index.emplace(file, static_cast<uint32_t>(log.files.size()));
      if (inserted) log.files.push_back(file);
      entry.file = it->second;
    } else if (action != IologAction::kWait) {
      const auto it = index.find(file);
      if (it == index.end())
        return Error::BadInput(where + ": '" + file + "' is used before it is added");
      entry.file = it->second;
    }
    if (log.version == 2) {
      // A v2 wait delays by OFFSET microseconds from the previous wait; under 100 is noise.
      if (action == IologAction::kWait && entry.offset >= 100)
        wait_clock_s += static_cast<double>(entry.offset) / 1e6;
      entry.time_s = wait_clock_s;
    }
    ++log.counts[IologActionName(action)];
    log.entries.push_back(entry);
  }
  if (line_no == 0) return Error::BadInput(name + ": empty, not a fio iolog");
  return log;
}

Result<Iolog> LoadIolog(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text) return text.error();
  return ParseIolog(*text, path);
}

namespace {

// Where each trace file goes: a path below the target (read-only use) or a scratch file.
struct MappedFile {
  std::string path;  // relative to the target directory
  bool scratch = false;
  int fd = -1;
};

std::string FindInTarget(int target_fd, const std::string& target, const std::string& name) {
  struct stat st;
  if (name.empty()) return "";
  if (name.front() != '/')
    return ::fstatat(target_fd, name.c_str(), &st, 0) == 0 && S_ISREG(st.st_mode) ? name : "";
  std::string base = target;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  if (name.rfind(base + "/", 0) == 0) {
    const std::string rel = name.substr(base.size() + 1);
    if (::fstatat(target_fd, rel.c_str(), &st, 0) == 0 && S_ISREG(st.st_mode)) return rel;
  }
  // The trace was taken elsewhere: the longest tail of its path that the target holds.
  for (size_t slash = name.find('/', 1); slash != std::string::npos;
       slash = name.find('/', slash + 1)) {
    const std::string rel = name.substr(slash + 1);
    if (!rel.empty() && ::fstatat(target_fd, rel.c_str(), &st, 0) == 0 && S_ISREG(st.st_mode))
      return rel;
  }
  return "";
}

// One replay: the trace's files mapped into the target, descriptors, measurements.
class IologPlayer {
 public:
  IologPlayer(const Iolog& log, const IologReplayOptions& options, int target_fd)
      : log_(log), options_(options), target_fd_(target_fd), buffer_(nullptr, std::free) {}
  ~IologPlayer() {
    for (MappedFile& f : files_)
      if (f.fd >= 0) ::close(f.fd);
  }

  // Maps every trace file to a target path or a scratch stand-in; sizes the buffer.
  Status Prepare() {
    // Files the trace modifies never map into the target.
    std::vector<bool> modified(log_.files.size(), false);
    std::vector<uint64_t> extent(log_.files.size(), 0);
    uint64_t max_length = 4096;
    for (const IologEntry& e : log_.entries) {
      if (e.action == IologAction::kWait || e.action <= IologAction::kClose) continue;
      if (e.action != IologAction::kRead) modified[e.file] = true;
      extent[e.file] = std::max(extent[e.file], e.offset + std::min(e.length, kMaxLength));
      if (e.action == IologAction::kRead || e.action == IologAction::kWrite)
        max_length = std::max(max_length, e.length);
    }
    files_.resize(log_.files.size());
    for (size_t i = 0; i < log_.files.size(); ++i) {
      files_[i].path = modified[i] ? "" : FindInTarget(target_fd_, options_.target, log_.files[i]);
      if (!files_[i].path.empty()) continue;
      if (!scratch_) {
        auto made = ScratchDir::Create(options_.target);
        if (!made) return made.error();
        scratch_ = std::move(*made);
      }
      // A sparse stand-in as long as the trace's reach, so reads are not short.
      const std::string name = "iolog-" + std::to_string(i);
      const int fd =
          ::openat(scratch_->fd(), name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0) return Error::Io(scratch_->path() + "/" + name + ": " + std::strerror(errno));
      if (!modified[i]) ++substituted_;
      (void)!::ftruncate(fd, static_cast<off_t>(extent[i]));
      ::close(fd);
      files_[i] = {scratch_->name() + "/" + name, true, -1};
    }
    void* p = nullptr;
    if (posix_memalign(&p, 4096, max_length) != 0) return Error::Internal("out of memory");
    buffer_.reset(static_cast<char*>(p));
    std::memset(buffer_.get(), 0x5a, max_length);
    return Status::Ok();
  }

  // Runs every entry in order; returns the wall time in seconds.
  double Play(const ProgressFn& progress) {
    const uint64_t t0 = MonotonicNs();
    uint64_t next_report = t0 + uint64_t{500000000};
    for (size_t i = 0; i < log_.entries.size(); ++i) {
      const IologEntry& e = log_.entries[i];
      const uint64_t intended = options_.timed ? t0 + static_cast<uint64_t>(e.time_s * 1e9) : 0;
      // Sleeps in slices so that a cancel is seen within 100 ms.
      while (options_.timed && MonotonicNs() < intended && !Cancelled())
        SleepUntilNs(std::min(intended, MonotonicNs() + uint64_t{100000000}));
      if (Cancelled()) break;
      const uint64_t start = MonotonicNs();
      const int64_t result = Apply(e);
      const uint64_t end = MonotonicNs();
      const int a = static_cast<int>(e.action);
      latency_[a].Add(end - (intended ? std::min(intended, start) : start));
      if (result < 0)
        ++errors_[a];
      else if (e.action == IologAction::kRead || e.action == IologAction::kWrite)
        bytes_[a] += static_cast<uint64_t>(result);
      if (progress && (i & 255) == 0 && end >= next_report) {
        ReplayProgress r;
        r.steps = 1;
        r.mode = "iolog";
        r.concurrency = 1;
        r.elapsed_s = static_cast<double>(end - t0) * 1e-9;
        r.step_total_s = options_.timed && !log_.entries.empty() ? log_.entries.back().time_s : 0;
        r.ops = i + 1;
        r.ops_per_s = static_cast<double>(i + 1) / std::max(1e-9, r.elapsed_s);
        progress(r);
        next_report = end + uint64_t{500000000};
      }
    }
    return std::max(1e-9, static_cast<double>(MonotonicNs() - t0) * 1e-9);
  }

  // One step: every action that occurred; the total is the I/O (file management and
  // waits are counted per action but not timed into it).
  CurveStep Step(double duration_s) const {
    CurveStep step;
    step.mode = "closed";
    step.concurrency = 1;
    step.duration_s = duration_s;
    LogHistogram all;
    uint64_t all_errors = 0, all_bytes = 0;
    for (int a = 0; a < kActions; ++a) {
      if (latency_[a].count() == 0) continue;
      step.per_op[IologActionName(static_cast<IologAction>(a))] =
          OpStatsFrom(latency_[a], errors_[a], bytes_[a], duration_s);
      if (a >= static_cast<int>(IologAction::kRead) && a != static_cast<int>(IologAction::kWait)) {
        all.Merge(latency_[a]);
        all_errors += errors_[a];
        all_bytes += bytes_[a];
      }
    }
    step.total = OpStatsFrom(all, all_errors, all_bytes, duration_s);
    return step;
  }

  uint64_t substituted() const { return substituted_; }
  bool Cancelled() const {
    return options_.cancel && options_.cancel->load(std::memory_order_relaxed);
  }
  Status RemoveScratch() {
    for (MappedFile& f : files_) {
      if (f.fd >= 0) ::close(f.fd);
      f.fd = -1;
    }
    return scratch_ ? scratch_->Remove() : Status::Ok();
  }

 private:
  int OpenFile(MappedFile& f) {
    if (f.fd < 0)
      f.fd = ::openat(target_fd_, f.path.c_str(), (f.scratch ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    return f.fd < 0 ? -errno : f.fd;
  }

  // Performs one entry: bytes moved, 0, or -errno.
  int64_t Apply(const IologEntry& e) {
    if (e.action == IologAction::kAdd || e.action == IologAction::kWait) return 0;
    MappedFile& f = files_[e.file];
    if (e.action == IologAction::kOpen) return OpenFile(f) < 0 ? -errno : 0;
    if (e.action == IologAction::kClose) {
      const int rc = f.fd >= 0 ? ::close(f.fd) : 0;
      f.fd = -1;
      return rc == 0 ? 0 : -errno;
    }
    const int fd = OpenFile(f);  // I/O without an open entry opens implicitly
    if (fd < 0) return fd;
    ssize_t n = 0;
    switch (e.action) {
      case IologAction::kRead:
        n = ::pread(fd, buffer_.get(), e.length, static_cast<off_t>(e.offset));
        break;
      case IologAction::kWrite:
        n = ::pwrite(fd, buffer_.get(), e.length, static_cast<off_t>(e.offset));
        break;
      case IologAction::kTrim:
        n = ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                        static_cast<off_t>(e.offset), static_cast<off_t>(e.length));
        break;
      case IologAction::kSync:
        n = ::fsync(fd);
        break;
      default:
        n = ::fdatasync(fd);
    }
    if (n < 0) return -errno;
    return e.action == IologAction::kRead || e.action == IologAction::kWrite ? n : 0;
  }

  const Iolog& log_;
  const IologReplayOptions& options_;
  const int target_fd_;
  std::vector<MappedFile> files_;
  std::unique_ptr<ScratchDir> scratch_;
  std::unique_ptr<char, void (*)(void*)> buffer_;
  std::array<LogHistogram, kActions> latency_;
  std::array<uint64_t, kActions> errors_{}, bytes_{};
  uint64_t substituted_ = 0;
};

}  // namespace

Result<PerfCurve> ReplayIolog(const Iolog& log, const IologReplayOptions& options,
                              const ProgressFn& progress) {
  struct stat st;
  if (::stat(options.target.c_str(), &st) != 0)
    return Error::Usage(options.target + ": " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) return Error::Usage(options.target + ": not a directory");
  const int target_fd = ::open(options.target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (target_fd < 0) return Error::Io(options.target + ": " + std::strerror(errno));
  std::unique_ptr<int, void (*)(int*)> target_guard(new int(target_fd), [](int* fd) {
    ::close(*fd);
    delete fd;
  });
  IologPlayer player(log, options, target_fd);
  if (Status s = player.Prepare(); !s) return s.error();
  std::optional<ProcSample> fs_before, self_before;
  if (options.fs_pid > 0)
    if (auto s = SampleProcess(options.fs_pid)) fs_before = *s;
  if (auto s = SampleProcess(::getpid())) self_before = *s;
  const double played_s = player.Play(progress);
  if (player.Cancelled()) {
    if (Status s = player.RemoveScratch(); !s) return s.error();
    return Error::Io(options.source + ": the iolog replay was cancelled");
  }
  CurveStep step = player.Step(played_s);
  if (fs_before)
    if (auto after = SampleProcess(options.fs_pid))
      step.filesystem = {options.fs_pid, CpuPercent(*fs_before, *after), after->rss_bytes};
  if (self_before)
    if (auto after = SampleProcess(::getpid()))
      step.replayer = {::getpid(), CpuPercent(*self_before, *after), after->rss_bytes};

  PerfCurve curve = ReplayCurve(options.target);
  curve.workload =
      "iolog " + (options.source.empty() ? std::string("trace") : options.source) +
      (options.timed ? " (timed)" : " (as fast as possible)") +
      (player.substituted() ? ", " + std::to_string(player.substituted()) +
                                  " file(s) missing from the target replayed on scratch files"
                            : "");
  curve.steps.push_back(std::move(step));
  if (Status s = player.RemoveScratch(); !s) return s.error();
  return curve;
}

}  // namespace sfsg
