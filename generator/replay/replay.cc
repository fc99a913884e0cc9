#include "generator/replay/replay.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>

#include "generator/config.h"
#include "generator/replay/file_set.h"
#include "generator/replay/proc_stats.h"
#include "generator/replay/step_stats.h"
#include "generator/replay/worker.h"
#include "generator/replay/zipf.h"
#include "generator/util/hash.h"

namespace sfsg {
namespace {

constexpr uint64_t kTagStream = 0x73747265616dull;  // "stream"
constexpr uint64_t kTagArrival = 0x61727269ull;     // "arri"
// Open-loop schedules are kept in memory: bound them (8 bytes per send).
constexpr double kMaxScheduledSends = 64e6;

class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status ValidateOptions(const ReplayOptions& o) {
  if (o.target.empty()) return Error::Usage("--target: required");
  if (!(o.step_s > 0) || !std::isfinite(o.step_s)) return Error::Usage("--step: must be > 0");
  if (!(o.warmup_s >= 0) || !std::isfinite(o.warmup_s))
    return Error::Usage("--warmup: must be >= 0");
  for (uint32_t c : o.ladder)
    if (c == 0 || c > 4096) return Error::Usage("--ladder: concurrency must be in [1, 4096]");
  for (double r : o.rates) {
    if (!(r > 0) || !std::isfinite(r)) return Error::Usage("--rates: rates must be > 0");
    if (r * (o.step_s + o.warmup_s) > kMaxScheduledSends)
      return Error::Usage("--rates: " + std::to_string(r) + " ops/s over a " +
                          std::to_string(o.step_s + o.warmup_s) + " s step is too many sends");
  }
  if (o.max_concurrency == 0 || o.max_concurrency > 4096)
    return Error::Usage("--max-concurrency: must be in [1, 4096]");
  if (!o.shadow && (o.layout_files == 0 || o.layout_file_bytes == 0))
    return Error::Usage("--files/--file-size: a plain directory needs at least one file");
  return Status::Ok();
}

// Writes the layout of a plain target: `count` files of `bytes` in scratch/layout/.
Result<FileSet> LayOut(const ScratchDir& scratch, uint64_t count, uint64_t bytes) {
  if (::mkdirat(scratch.fd(), "layout", 0755) != 0)
    return Error::Io(scratch.path() + "/layout: " + std::strerror(errno));
  std::vector<char> chunk(std::min<uint64_t>(bytes, 1 << 20));
  SplitMixStream fill(0x6c61796f7574ull);
  for (size_t i = 0; i + 8 <= chunk.size(); i += 8) {
    const uint64_t v = fill.Next();
    std::memcpy(chunk.data() + i, &v, 8);
  }
  std::vector<FileRef> files;
  for (uint64_t i = 0; i < count; ++i) {
    const std::string name = "layout/f" + std::to_string(i);
    const int fd =
        ::openat(scratch.fd(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return Error::Io(scratch.path() + "/" + name + ": " + std::strerror(errno));
    for (uint64_t off = 0; off < bytes; off += chunk.size()) {
      const size_t len = static_cast<size_t>(std::min<uint64_t>(chunk.size(), bytes - off));
      if (::pwrite(fd, chunk.data(), len, static_cast<off_t>(off)) != static_cast<ssize_t>(len)) {
        const int err = errno;
        ::close(fd);
        return Error::Io(scratch.path() + "/" + name + ": " + std::strerror(err));
      }
    }
    ::close(fd);
    files.push_back({scratch.name() + "/" + name, bytes});
  }
  return FileSet::OverList(std::move(files));
}

// The namespace must name files that exist in the target: check the most popular few.
Status CheckFilesExist(int target_fd, const FileSet& files, const std::string& target) {
  const uint64_t probes = std::min<uint64_t>(files.count(), 8);
  uint64_t missing = 0;
  std::string example;
  for (uint64_t rank = 1; rank <= probes; ++rank) {
    const FileRef f = files.ByRank(rank);
    struct stat st;
    if (::fstatat(target_fd, f.path.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      ++missing;
      if (example.empty()) example = f.path;
    }
  }
  if (probes > 0 && missing == probes)
    return Error::Usage(target + ": does not hold the namespace's files (no '" + example +
                        "'): give the --profile, --seed and --scale/--files the shadow was "
                        "mounted with");
  return Status::Ok();
}

struct Run {
  const ReplayOptions& options;
  const ProgressFn& progress;
  WorkerContext ctx;
  std::vector<std::unique_ptr<Worker>> workers;
  size_t step_index = 0, step_count = 0;
  std::optional<double> device_before;  // the model's charged time at the measured start

  bool Cancelled() const {
    return options.cancel && options.cancel->load(std::memory_order_relaxed);
  }

  Status EnsureWorkers(uint32_t n) {
    while (workers.size() < n) {
      auto w = Worker::Create(ctx, static_cast<uint32_t>(workers.size()));
      if (!w) return w.error();
      workers.push_back(std::move(*w));
    }
    for (uint32_t i = 0; i < n; ++i)
      workers[i]->Reset(HashWords(options.seed, kTagStream, step_index, i));
    return Status::Ok();
  }

  // Waits for the threads while reporting progress; samples the processes when the
  // measured part starts. Returns the samples taken at that moment.
  std::pair<std::optional<ProcSample>, std::optional<ProcSample>> Monitor(
      std::vector<std::thread>& threads, const std::atomic<uint32_t>& finished, uint32_t n,
      ReplayProgress report, uint64_t t0, uint64_t measure_start) {
    std::optional<ProcSample> fs_before, self_before;
    device_before.reset();
    bool sampled = false;
    uint64_t last_ops = 0;
    uint64_t last_ns = t0;
    uint64_t next_report = t0 + uint64_t{500000000};
    while (finished.load(std::memory_order_acquire) < n) {
      const uint64_t now = MonotonicNs();
      if (!sampled && now >= measure_start) {
        sampled = true;
        if (options.fs_pid > 0)
          if (auto s = SampleProcess(options.fs_pid)) fs_before = *s;
        if (auto s = SampleProcess(::getpid())) self_before = *s;
        if (options.device_seconds) device_before = options.device_seconds();
      }
      if (progress && now >= next_report) {
        uint64_t ops = 0;
        for (uint32_t i = 0; i < n; ++i) ops += workers[i]->done();
        report.elapsed_s = static_cast<double>(now - t0) * 1e-9;
        report.ops = ops;
        report.ops_per_s = static_cast<double>(ops - last_ops) * 1e9 /
                           static_cast<double>(std::max<uint64_t>(1, now - last_ns));
        last_ops = ops;
        last_ns = now;
        progress(report);
        next_report = now + uint64_t{500000000};
      }
      const uint64_t wake = sampled ? std::min<uint64_t>(now + 50000000, next_report)
                                    : std::min<uint64_t>(measure_start, now + 50000000);
      SleepUntilNs(std::max<uint64_t>(wake, now + 1000000));
    }
    for (std::thread& t : threads) t.join();
    return {fs_before, self_before};
  }

  ReplayProgress Report(const char* mode, uint32_t concurrency, double rate) const {
    ReplayProgress r;
    r.step = step_index;
    r.steps = step_count;
    r.mode = mode;
    r.concurrency = concurrency;
    r.offered_ops_per_s = rate;
    r.step_total_s = options.warmup_s + options.step_s;
    return r;
  }

  Result<CurveStep> Closed(uint32_t concurrency) {
    if (auto st = EnsureWorkers(concurrency); !st) return st.error();
    const uint64_t t0 = MonotonicNs();
    const uint64_t measure_start = t0 + static_cast<uint64_t>(options.warmup_s * 1e9);
    const uint64_t measure_end = measure_start + static_cast<uint64_t>(options.step_s * 1e9);
    std::atomic<uint32_t> finished{0};
    std::vector<uint64_t> last_end(concurrency, measure_end);
    std::vector<std::thread> threads;
    for (uint32_t i = 0; i < concurrency; ++i) {
      threads.emplace_back([&, i] {
        Worker& w = *workers[i];
        // The clock read after an operation starts the next one; the shared last_end
        // (one cache line for all threads) is written once, at the end.
        uint64_t now = MonotonicNs(), last = now;
        while (now < measure_end && !Cancelled()) {
          last = w.Execute(w.Draw(), 0, now >= measure_start);
          now = last;
        }
        last_end[i] = last;
        finished.fetch_add(1, std::memory_order_release);
      });
    }
    auto [fs_before, self_before] = Monitor(threads, finished, concurrency,
                                            Report("closed", concurrency, 0), t0, measure_start);
    const uint64_t end = std::max(measure_end, *std::max_element(last_end.begin(), last_end.end()));
    return Summarize("closed", concurrency, 0, static_cast<double>(end - measure_start) * 1e-9,
                     concurrency, fs_before, self_before);
  }

  Result<CurveStep> Open(double rate) {
    const uint32_t pool = options.max_concurrency;
    if (auto st = EnsureWorkers(pool); !st) return st.error();
    // The schedule: send times relative to the step start, Poisson or evenly spaced.
    const double span_s = options.warmup_s + options.step_s;
    std::vector<uint64_t> due;
    due.reserve(static_cast<size_t>(rate * span_s * 1.1) + 16);
    SplitMixStream arrivals(HashWords(options.seed, kTagArrival, step_index));
    const bool poisson = options.workload.arrival != "uniform";
    for (double t = 0;;) {
      t += poisson ? -std::log1p(-arrivals.NextUnit()) / rate : 1.0 / rate;
      if (t >= span_s) break;
      due.push_back(static_cast<uint64_t>(t * 1e9));
    }
    const uint64_t warmup_ns = static_cast<uint64_t>(options.warmup_s * 1e9);
    const uint64_t t0 = MonotonicNs() + 20000000ull;  // let the pool start first
    const uint64_t measure_start = t0 + warmup_ns;
    const uint64_t measure_end = t0 + static_cast<uint64_t>(span_s * 1e9);
    const uint64_t drain_end =
        measure_end + static_cast<uint64_t>(std::max(1.0, 0.5 * options.step_s) * 1e9);
    std::atomic<size_t> next{0};
    std::atomic<uint32_t> finished{0};
    std::vector<uint64_t> last_end(pool, measure_end);
    std::vector<std::thread> threads;
    for (uint32_t i = 0; i < pool; ++i) {
      threads.emplace_back([&, i] {
        prctl(PR_SET_TIMERSLACK, 1UL);  // wake on time: late sends would read as latency
        Worker& w = *workers[i];
        for (;;) {
          const size_t k = next.fetch_add(1, std::memory_order_relaxed);
          if (k >= due.size() || Cancelled()) break;
          const uint64_t intended = t0 + due[k];
          const bool measured = due[k] >= warmup_ns;
          uint64_t now = MonotonicNs();
          if (now >= drain_end) {
            if (measured) w.RecordMissed(now - intended);
            continue;
          }
          if (now < intended) SleepUntilNs(intended);
          last_end[i] = std::max(last_end[i], w.Execute(w.Draw(), intended, measured));
        }
        finished.fetch_add(1, std::memory_order_release);
      });
    }
    auto [fs_before, self_before] =
        Monitor(threads, finished, pool, Report("open", pool, rate), t0, measure_start);
    const uint64_t end = std::max(measure_end, *std::max_element(last_end.begin(), last_end.end()));
    return Summarize("open", pool, rate, static_cast<double>(end - measure_start) * 1e-9, pool,
                     fs_before, self_before);
  }

  CurveStep Summarize(const char* mode, uint32_t concurrency, double rate, double duration_s,
                      uint32_t n, const std::optional<ProcSample>& fs_before,
                      const std::optional<ProcSample>& self_before) {
    OpTally tally;
    for (uint32_t i = 0; i < n; ++i) tally.Merge(workers[i]->tally());
    CurveStep step = StepFromTally(tally, duration_s);
    step.mode = mode;
    step.concurrency = concurrency;
    step.offered_ops_per_s = rate;
    if (fs_before) {
      if (auto after = SampleProcess(options.fs_pid))
        step.filesystem = {options.fs_pid, CpuPercent(*fs_before, *after), after->rss_bytes};
    }
    if (self_before) {
      if (auto after = SampleProcess(::getpid()))
        step.replayer = {::getpid(), CpuPercent(*self_before, *after), after->rss_bytes};
    }
    if (device_before) {
      if (const std::optional<double> after = options.device_seconds();
          after && *after >= *device_before) {
        step.device_model_s = *after - *device_before;
        step.device_model_share = DeviceModelShare(step);
        if (!step.device_model_share) step.device_model_s.reset();
      }
    }
    return step;
  }
};

}  // namespace

std::string DescribeWorkload(const Workload& w) {
  char text[256];
  std::snprintf(text, sizeof(text),
                "%s: read %.0f%% write %.0f%% create %.0f%% unlink %.0f%% stat %.0f%% "
                "readdir %.0f%%, zipf %.2f, sequential %.0f%%",
                w.origin.c_str(), 100 * w.mix.read, 100 * w.mix.write, 100 * w.mix.create,
                100 * w.mix.unlink, 100 * w.mix.stat, 100 * w.mix.readdir, w.zipf_theta,
                100 * w.sequential_fraction);
  return text;
}

Result<PerfCurve> RunLadder(const ReplayOptions& options, const ProgressFn& progress) {
  if (auto st = ValidateOptions(options); !st) return st.error();
  struct stat st;
  if (::stat(options.target.c_str(), &st) != 0)
    return Error::Usage(options.target + ": " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) return Error::Usage(options.target + ": not a directory");
  FdCloser target_fd(::open(options.target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (target_fd.get() < 0) return Error::Io(options.target + ": " + std::strerror(errno));

  Run run{options, progress, {}, {}, 0, 0};
  WorkerContext& ctx = run.ctx;
  if (auto s = ctx.SetWorkload(options.workload); !s) return s.error();
  ctx.target_fd = target_fd.get();
  ctx.keep_open = options.keep_open;
  ctx.scratch_file_bytes = std::max<uint64_t>(options.scratch_file_bytes, 4096);
  ctx.scratch_files = std::max<uint32_t>(options.scratch_files, 1);

  std::unique_ptr<ScratchDir> scratch;
  if (ctx.modifies() || !options.shadow) {
    auto made = ScratchDir::Create(options.target);
    if (!made) return made.error();
    scratch = std::move(*made);
    ctx.scratch = scratch.get();
  }
  std::optional<FileSet> files;
  if (options.shadow) {
    if (options.shadow->entry_count() == 0)
      return Error::Usage(options.target + ": the namespace has no files");
    if (options.hot_files > 0) {
      auto hot = FileSet::HotFiles(*options.shadow, options.seed, options.hot_files,
                                   LargestRequestBytes(options.workload));
      if (!hot) return hot.error();
      files = std::move(*hot);
    } else {
      files = FileSet::OverNamespace(*options.shadow, options.seed);
    }
    if (auto s = CheckFilesExist(ctx.target_fd, *files, options.target); !s) return s.error();
  } else {
    auto laid = LayOut(*scratch, options.layout_files, options.layout_file_bytes);
    if (!laid) return laid.error();
    files = std::move(*laid);
  }
  const ZipfSampler zipf(files->count(), options.workload.zipf_theta);
  ctx.files = &*files;
  ctx.zipf = &zipf;

  std::vector<uint32_t> ladder = options.ladder;
  if (ladder.empty() && options.rates.empty())
    ladder.assign(std::begin(config::kLadder), std::end(config::kLadder));
  run.step_count = ladder.size() + options.rates.size();

  PerfCurve curve = ReplayCurve(options.target);
  curve.workload = DescribeWorkload(options.workload);
  for (size_t i = 0; i < ladder.size() + options.rates.size() && !run.Cancelled(); ++i) {
    auto step =
        i < ladder.size() ? run.Closed(ladder[i]) : run.Open(options.rates[i - ladder.size()]);
    if (!step) return step.error();
    if (run.Cancelled()) break;  // a step cut short measures nothing
    curve.steps.push_back(std::move(*step));
    ++run.step_index;
  }
  run.workers.clear();  // close every descriptor before the scratch directory goes
  if (scratch) {
    if (auto s = scratch->Remove(); !s) return s.error();
  }
  if (run.Cancelled()) return Error::Io(options.target + ": the load ladder was cancelled");
  return curve;
}

}  // namespace sfsg
