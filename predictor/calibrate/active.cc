#include "predictor/calibrate/active.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <latch>
#include <memory>
#include <sstream>
#include <thread>

#include "generator/util/hash.h"
#include "generator/util/mountinfo.h"
#include "generator/util/status_macros.h"
#include "generator/util/units.h"
#include "predictor/calibrate/parallelism_fit.h"
#include "predictor/meter.h"

namespace sfsg {

namespace {

using Clock = std::chrono::steady_clock;

// Shares of the time budget, in the order the phases run.
constexpr double kFillShare = 0.15;     // the most the data file's fill may take
constexpr double kClassShare = 0.23;    // 12 data classes at one request in flight
constexpr double kLadderShare = 0.24;   // the concurrency ladders
constexpr double kCeilingShare = 0.12;  // 4 KiB and 1 MiB, read and write, at the deepest rung
constexpr double kMetaShare = 0.12;     // metadata operations
constexpr double kCacheShare = 0.08;    // the page cache
constexpr double kMissShare = 0.06;     // what a miss costs beyond the device
constexpr uint64_t kAlign = 4096;       // O_DIRECT buffer and offset alignment
constexpr uint64_t kMaxMetaFiles = 20000;
constexpr uint64_t kRequestSizes[] = {4096, 64 << 10, 1 << 20};
// The miss cost is not linear in the size (a large buffered miss is read in readahead's
// pieces, and its tail grows with them: +2.6 ms at q 0.98 for 1 MiB on xfs against +0.16
// for 64 KiB). More sizes than the data classes', so a size between them is interpolated
// from its neighbours' tails and not from 1 MiB's.
constexpr uint64_t kMissSizes[] = {4096, 64 << 10, 128 << 10, 512 << 10, 1 << 20};

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<unsigned char, FreeDeleter>;

AlignedBuffer Aligned(uint64_t bytes, uint64_t seed) {
  void* p = nullptr;
  if (posix_memalign(&p, kAlign, bytes) != 0) return nullptr;
  AlignedBuffer buf(static_cast<unsigned char*>(p));
  SplitMixStream rng(seed);  // incompressible bytes, so no layer can shrink the writes
  for (uint64_t i = 0; i + 8 <= bytes; i += 8) {
    const uint64_t w = rng.Next();
    std::memcpy(buf.get() + i, &w, 8);
  }
  return buf;
}

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) {
  ::remove(path);
  return 0;
}

// The scratch directory: removed, with everything in it, when this goes out of scope.
class ScratchDir {
 public:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() { nftw(path_.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Context {
  const ActiveOptions& options;
  std::string data_path;
  int direct_fd = -1;    // O_DIRECT when the filesystem takes it, else buffered
  int buffered_fd = -1;  // always through the page cache
  bool direct = false;
  uint64_t file_bytes = 0;
  bool Stopped() const { return options.stop && options.stop->load(std::memory_order_relaxed); }
};

struct RunResult {
  LogHistogram latency_ns;
  double elapsed_s = 0;
  uint64_t ops = 0;
  double sustained_ops_per_s = 0;  // SustainedRate after the run's first fifth
  std::string error;               // the first failed request, "" when none
};

// `threads` workers issue `bytes` requests on fd until the deadline, one in flight each:
// sequential ones walk their own slice of the file, random ones pick aligned offsets.
RunResult RunData(const Context& ctx, int fd, bool write, uint64_t bytes, bool sequential,
                  uint32_t threads, double seconds, uint64_t salt) {
  RunResult out;
  const uint64_t slots = std::max<uint64_t>(1, ctx.file_bytes / bytes);
  std::vector<LogHistogram> hist(threads);
  std::vector<std::vector<int64_t>> done(threads);
  std::vector<std::string> errors(threads);
  // The clock starts once every worker has its buffer: `go` publishes the deadline.
  std::latch ready(threads + 1), go(1);
  int64_t start_ns = 0, deadline_ns = 0;
  {
    std::vector<std::jthread> workers;
    for (uint32_t t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        AlignedBuffer buf = Aligned(bytes, HashWords(ctx.options.seed, salt, t));
        SplitMixStream rng(HashWords(ctx.options.seed, salt, t, 1));
        uint64_t slot = slots * t / threads;
        ready.arrive_and_wait();
        go.wait();
        while (!ctx.Stopped()) {
          const uint64_t index = sequential ? slot++ % slots : rng.NextBelow(slots);
          const off_t offset = static_cast<off_t>(index * bytes);
          const int64_t t0 = NowNs();
          if (t0 >= deadline_ns) break;
          const ssize_t n = write ? ::pwrite(fd, buf.get(), bytes, offset)
                                  : ::pread(fd, buf.get(), bytes, offset);
          const int64_t t1 = NowNs();
          if (n < 0) {
            errors[t] = Errno(std::string(write ? "pwrite " : "pread ") + ctx.data_path);
            break;
          }
          hist[t].Add(static_cast<uint64_t>(t1 - t0));
          done[t].push_back(t1);
        }
      });
    }
    ready.arrive_and_wait();
    start_ns = NowNs();
    deadline_ns = start_ns + static_cast<int64_t>(seconds * 1e9);
    go.count_down();
  }
  const int64_t end_ns = NowNs();
  out.elapsed_s = static_cast<double>(end_ns - start_ns) / 1e9;
  std::vector<int64_t> all;
  for (uint32_t t = 0; t < threads; ++t) {
    out.latency_ns.Merge(hist[t]);
    if (out.error.empty()) out.error = errors[t];
    all.insert(all.end(), done[t].begin(), done[t].end());
  }
  out.ops = out.latency_ns.count();
  const double mean = out.elapsed_s > 0 ? static_cast<double>(out.ops) / out.elapsed_s : 0;
  out.sustained_ops_per_s = SustainedRate(all, start_ns + (end_ns - start_ns) / 5, mean);
  return out;
}

Result<uint64_t> CheckTarget(const ActiveOptions& o) {
  struct stat st;
  if (::stat(o.target.c_str(), &st) != 0) return Error::Io(Errno(o.target));
  if (!S_ISDIR(st.st_mode)) return Error::Io(o.target + ": not a directory");
  if (::access(o.target.c_str(), W_OK | X_OK) != 0)
    return Error::Io(Errno("cannot create a scratch directory in " + o.target));
  struct statvfs vfs;
  if (::statvfs(o.target.c_str(), &vfs) != 0) return Error::Io(Errno(o.target));
  const uint64_t free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  if (free_bytes < o.size_bytes + kScratchMarginBytes)
    return Error::NoSpace(o.target + ": " + FormatBytes(static_cast<double>(free_bytes)) +
                          " free, the calibration needs " +
                          FormatBytes(static_cast<double>(o.size_bytes + kScratchMarginBytes)) +
                          " (--size plus 16 MiB); give a smaller --size");
  return free_bytes;
}

// Writes the data file sequentially in 1 MiB requests, within its share of the time.
Status FillDataFile(Context& ctx) {
  const uint64_t chunk = 1 << 20;
  AlignedBuffer buf = Aligned(chunk, HashWords(ctx.options.seed, 0xF111));
  const int64_t deadline = NowNs() + static_cast<int64_t>(ctx.options.time_s * kFillShare * 1e9);
  uint64_t written = 0;
  while (written < ctx.options.size_bytes) {
    if (ctx.Stopped()) return Error::Internal("interrupted");
    const ssize_t n = ::pwrite(ctx.direct_fd, buf.get(), chunk, static_cast<off_t>(written));
    if (n < 0 && errno == ENOSPC)
      return Error::NoSpace(ctx.options.target + ": no space left while writing the " +
                            FormatBytes(static_cast<double>(ctx.options.size_bytes)) +
                            " data file; give a smaller --size");
    if (n != static_cast<ssize_t>(chunk)) return Error::Io(Errno("write " + ctx.data_path));
    written += chunk;
    if (written >= kMinScratchBytes && NowNs() > deadline) break;
  }
  if (::fsync(ctx.direct_fd) != 0) return Error::Io(Errno("fsync " + ctx.data_path));
  ctx.file_bytes = written;
  return Status::Ok();
}

// Drops the data file's pages from the cache when O_DIRECT is not available, so that a
// buffered read goes to the device at least the first time.
void DropCache(const Context& ctx) {
  if (!ctx.direct) ::posix_fadvise(ctx.buffered_fd, 0, 0, POSIX_FADV_DONTNEED);
}

Status MeasureClasses(const Context& ctx, Calibration& out) {
  const double slice = ctx.options.time_s * kClassShare / 12;
  uint64_t salt = 100;
  for (const bool write : {false, true}) {
    for (const uint64_t bytes : kRequestSizes) {
      for (const bool sequential : {true, false}) {
        DropCache(ctx);
        RunResult r = RunData(ctx, ctx.direct_fd, write, bytes, sequential, 1, slice, ++salt);
        if (ctx.Stopped()) return Error::Internal("interrupted");
        if (!r.error.empty()) return Error::Io(r.error);
        OpClass c{write ? "write" : "read",         bytes, sequential,
                  MeasuredTimeFromNs(r.latency_ns), 0,     0};
        c.ops_per_s = r.sustained_ops_per_s;
        c.bytes_per_s = c.ops_per_s * static_cast<double>(bytes);
        out.classes.push_back(c);
      }
    }
  }
  return Status::Ok();
}

std::vector<uint32_t> Depths(uint32_t max_depth) {
  std::vector<uint32_t> depths;
  for (uint32_t d = 1; d < max_depth; d *= 2) depths.push_back(d);
  depths.push_back(max_depth);
  return depths;
}

Status MeasureLadders(const Context& ctx, Calibration& out) {
  struct Plan {
    bool write;
    uint64_t bytes;
    std::vector<uint32_t> depths;
  };
  const std::vector<uint32_t> small = Depths(ctx.options.max_concurrency);
  std::vector<uint32_t> large;
  for (uint32_t d : {1u, 4u, 16u})
    if (d <= ctx.options.max_concurrency) large.push_back(d);
  const Plan plans[] = {
      {false, 4096, small}, {true, 4096, small}, {false, 1 << 20, large}, {true, 1 << 20, large}};
  size_t rungs = 0;
  for (const Plan& p : plans) rungs += p.depths.size();
  const double slice = ctx.options.time_s * kLadderShare / static_cast<double>(rungs);
  uint64_t salt = 200;
  for (const Plan& p : plans) {
    ConcurrencyLadder ladder{p.write ? "write" : "read", p.bytes, false, {}};
    for (uint32_t depth : p.depths) {
      DropCache(ctx);
      RunResult r = RunData(ctx, ctx.direct_fd, p.write, p.bytes, false, depth, slice, ++salt);
      if (ctx.Stopped()) return Error::Internal("interrupted");
      if (!r.error.empty()) return Error::Io(r.error);
      if (r.ops == 0) continue;
      const double x = r.sustained_ops_per_s;
      ladder.points.push_back({static_cast<double>(depth), x, r.latency_ns.mean() / 1e3,
                               r.latency_ns.Quantile(0.99) / 1e3});
    }
    if (p.bytes == 4096 && ladder.points.size() >= 2) {
      auto fit = FitParallelism(ladder.points, ctx.options.target + ": 4 KiB random " + ladder.op);
      if (fit) (p.write ? out.write_parallelism : out.read_parallelism) = *fit;
    }
    out.ladders.push_back(std::move(ladder));
  }
  return Status::Ok();
}

// The bandwidth and IOPS ceilings: 4 KiB and 1 MiB random reads and writes at the deepest
// rung, each run long enough that a throttle's slices average out (a ladder's rung is
// too short for that: its rates scatter by a third around a 1500 IOPS throttle's), at the
// rate it settled at. The one-deep classes count for the bandwidth ceilings too (a
// device whose bandwidth peaks with one sequential stream).
Status MeasureCeilings(const Context& ctx, Calibration& out) {
  const double slice = ctx.options.time_s * kCeilingShare / 4;
  uint64_t salt = 300;
  for (const bool write : {false, true}) {
    for (const uint64_t bytes : {uint64_t{4096}, uint64_t{1} << 20}) {
      DropCache(ctx);
      RunResult r = RunData(ctx, ctx.direct_fd, write, bytes, false, ctx.options.max_concurrency,
                            slice, ++salt);
      if (ctx.Stopped()) return Error::Internal("interrupted");
      if (!r.error.empty()) return Error::Io(r.error);
      double& ops_max = write ? out.write_ops_per_s_max : out.read_ops_per_s_max;
      double& bw_max = write ? out.write_bytes_per_s_max : out.read_bytes_per_s_max;
      ops_max = std::max(ops_max, r.sustained_ops_per_s);
      bw_max = std::max(bw_max, r.sustained_ops_per_s * static_cast<double>(bytes));
    }
  }
  for (const OpClass& c : out.classes) {
    double& bw_max = c.op == "write" ? out.write_bytes_per_s_max : out.read_bytes_per_s_max;
    bw_max = std::max(bw_max, c.bytes_per_s);
  }
  return Status::Ok();
}

// Times `op` (which returns false on failure, with errno set) until the deadline or
// `limit` calls; the histogram gets one sample per call.
template <typename Op>
Status TimeLoop(const Context& ctx, double seconds, uint64_t limit, LogHistogram& hist,
                const std::string& what, Op op) {
  const int64_t deadline = NowNs() + static_cast<int64_t>(seconds * 1e9);
  for (uint64_t i = 0; i < limit; ++i) {
    if (ctx.Stopped()) return Error::Internal("interrupted");
    const int64_t t0 = NowNs();
    if (t0 >= deadline && i > 0) break;
    if (!op(i)) return Error::Io(Errno(what));
    hist.Add(static_cast<uint64_t>(NowNs() - t0));
  }
  return Status::Ok();
}

// The target device's read requests and read bios merged into them so far
// (/sys/dev/block/M:m/stat fields 1 and 2); false when unreadable.
bool ReadRequests(const std::string& stat_path, uint64_t& requests, uint64_t& merged) {
  std::ifstream in(stat_path);
  return static_cast<bool>(in >> requests >> merged);
}

constexpr uint64_t kInodeProbes = 300;

// Uncached inode records: the kernel's caches dropped (sync, then drop_caches; root only),
// stats of `files` of the calibration's files in a seeded random order, each with the
// device's read requests while it ran. Twice: a filesystem's journal can hold the records
// it has just written (ext4 keeps them until a checkpoint), so the first pass after the
// files were created can find them all cached; the second pass is the one fitted. Skipped,
// with a note, when the device's counters or drop_caches are out of reach.
void MeasureInodeRecords(const Context& ctx, const std::function<std::string(uint64_t)>& path,
                         uint64_t files, Calibration& out) {
  const auto note = [&](const std::string& why) {
    out.notes.push_back("uncached inode records not measured: " + why +
                        "; metadata requests are timed as if every record were cached");
  };
  auto source = ResolveMeterSource(ctx.options.target);
  if (!source || source->device.empty()) return note("no block device behind the target");
  const std::string stat_path = "/sys/dev/block/" + std::to_string(source->major) + ":" +
                                std::to_string(source->minor) + "/stat";
  uint64_t requests = 0, merged = 0;
  if (!ReadRequests(stat_path, requests, merged)) return note(stat_path + " unreadable");
  if (files < 2 * kInodeProbes)
    return note("only " + std::to_string(files) + " files were created (the probes need " +
                std::to_string(2 * kInodeProbes) + ")");
  std::vector<uint64_t> order(files);
  for (uint64_t i = 0; i < files; ++i) order[i] = i;
  std::optional<InodeFit> fit;
  for (int pass = 0; pass < 2; ++pass) {
    // A seeded shuffle of the files, the first kInodeProbes of them probed.
    for (uint64_t i = files - 1; i > 0; --i)
      std::swap(order[i], order[HashWords(ctx.options.seed, 0x1d0e, pass, i) % (i + 1)]);
    ::sync();
    std::ofstream drop("/proc/sys/vm/drop_caches");
    if (!(drop << "3" << std::flush))
      return note("the kernel's caches cannot be dropped (needs root)");
    std::vector<InodeProbe> probes;
    struct stat sb;
    for (uint64_t k = 0; k < kInodeProbes; ++k) {
      if (ctx.Stopped()) return;
      uint64_t r0 = 0, m0 = 0, r1 = 0, m1 = 0;
      const std::string p = path(order[k]);
      if (!ReadRequests(stat_path, r0, m0) || ::stat(p.c_str(), &sb) != 0 ||
          !ReadRequests(stat_path, r1, m1))
        return note("a probe failed (" + p + ")");
      probes.push_back({static_cast<uint64_t>(sb.st_ino), r1 - r0, m1 - m0});
    }
    fit = FitInodeRecords(probes);
  }
  if (!fit)
    return note("fewer than " + std::to_string(kMinInodeMisses) + " of " +
                std::to_string(kInodeProbes) + " stats read the device after a cache drop");
  out.cache.inodes = fit;
}

Status MeasureMetadata(const Context& ctx, const std::string& scratch, Calibration& out) {
  const std::string dir = scratch + "/meta";
  if (::mkdir(dir.c_str(), 0700) != 0) return Error::Io(Errno("mkdir " + dir));
  const double slice = ctx.options.time_s * kMetaShare / 7;
  char name[64];
  const auto path = [&](const char* prefix, uint64_t i) {
    std::snprintf(name, sizeof(name), "/%s%07llu", prefix, static_cast<unsigned long long>(i));
    return dir + name;
  };
  LogHistogram create, stat_ns, open_ns, readdir_ns, rename_ns, fsync_ns, unlink_ns;
  uint64_t files = 0;
  Status st = TimeLoop(ctx, slice, kMaxMetaFiles, create, "create in " + dir, [&](uint64_t i) {
    const int fd = ::open(path("f", i).c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600);
    if (fd < 0) return false;
    ::close(fd);
    files = i + 1;
    return true;
  });
  if (!st) return st;
  struct stat sb;
  st = TimeLoop(ctx, slice, UINT64_MAX, stat_ns, "stat in " + dir,
                [&](uint64_t i) { return ::stat(path("f", i % files).c_str(), &sb) == 0; });
  if (!st) return st;
  st = TimeLoop(ctx, slice, UINT64_MAX, open_ns, "open in " + dir, [&](uint64_t i) {
    const int fd = ::open(path("f", i % files).c_str(), O_RDONLY);
    if (fd < 0) return false;
    ::close(fd);
    return true;
  });
  if (!st) return st;
  MeasureInodeRecords(
      ctx, [&](uint64_t i) { return path("f", i); }, files, out);
  // readdir: one sample per entry returned (a listing's time over its entries).
  const int64_t readdir_deadline = NowNs() + static_cast<int64_t>(slice * 1e9);
  do {
    if (ctx.Stopped()) return Error::Internal("interrupted");
    const int64_t t0 = NowNs();
    DIR* d = ::opendir(dir.c_str());
    if (!d) return Error::Io(Errno("opendir " + dir));
    uint64_t entries = 0;
    while (::readdir(d)) ++entries;
    ::closedir(d);
    readdir_ns.Add(static_cast<uint64_t>(NowNs() - t0) / std::max<uint64_t>(1, entries), entries);
  } while (NowNs() < readdir_deadline);
  uint64_t renamed = 0;
  st = TimeLoop(ctx, slice, files, rename_ns, "rename in " + dir, [&](uint64_t i) {
    const std::string from = path("f", i);
    renamed = i + 1;
    return ::rename(from.c_str(), path("r", i).c_str()) == 0;
  });
  if (!st) return st;
  const std::string sync_path = dir + "/fsync";
  Fd sync_fd(::open(sync_path.c_str(), O_CREAT | O_WRONLY, 0600));
  if (sync_fd.fd < 0) return Error::Io(Errno("open " + sync_path));
  AlignedBuffer page = Aligned(kAlign, HashWords(ctx.options.seed, 0xF5));
  LogHistogram write_and_fsync;
  st = TimeLoop(ctx, slice, UINT64_MAX, write_and_fsync, "fsync " + sync_path, [&](uint64_t i) {
    // The write is not timed: only the fsync that makes it durable.
    if (::pwrite(sync_fd.fd, page.get(), kAlign, static_cast<off_t>((i % 256) * kAlign)) < 0)
      return false;
    const int64_t t0 = NowNs();
    const bool ok = ::fsync(sync_fd.fd) == 0;
    fsync_ns.Add(static_cast<uint64_t>(NowNs() - t0));
    return ok;
  });
  if (!st) return st;
  st = TimeLoop(ctx, slice, files, unlink_ns, "unlink in " + dir, [&](uint64_t i) {
    return ::unlink(path(i < renamed ? "r" : "f", i).c_str()) == 0;
  });
  if (!st) return st;
  out.metadata = {
      {"create", MeasuredTimeFromNs(create)},    {"stat", MeasuredTimeFromNs(stat_ns)},
      {"open", MeasuredTimeFromNs(open_ns)},     {"readdir", MeasuredTimeFromNs(readdir_ns)},
      {"rename", MeasuredTimeFromNs(rename_ns)}, {"fsync", MeasuredTimeFromNs(fsync_ns)},
      {"unlink", MeasuredTimeFromNs(unlink_ns)}};
  return Status::Ok();
}

uint64_t DirtyLimit(uint64_t available_bytes);

// Times `bytes`-sized requests of `fd` over `cached` (reads, or writes) for `seconds`.
Result<MeasuredTime> TimeCached(const Context& cached, int fd, bool write, uint64_t bytes,
                                double seconds, uint64_t salt) {
  RunResult run = RunData(cached, fd, write, bytes, false, 1, seconds, salt);
  if (cached.Stopped()) return Error::Internal("interrupted");
  if (!run.error.empty()) return Error::Io(run.error);
  return MeasuredTimeFromNs(run.latency_ns);
}

Status MeasureCache(const Context& ctx, Calibration& out) {
  ReadMemInfo("/proc/meminfo", out.cache);
  // In a memory cgroup the page cache this process can hold is bounded by the cgroup's limit.
  out.cache.cgroup_limit_bytes = ReadCgroupMemoryLimit("/proc/self/cgroup", "/sys/fs/cgroup");
  if (out.cache.cgroup_limit_bytes > 0 &&
      (out.cache.mem_available_bytes == 0 ||
       out.cache.cgroup_limit_bytes < out.cache.mem_available_bytes))
    out.cache.mem_available_bytes = out.cache.cgroup_limit_bytes;
  // A region small enough to stay cached: at most 64 MiB and a quarter of what can cache.
  uint64_t region = std::min<uint64_t>(ctx.file_bytes, uint64_t{64} << 20);
  if (out.cache.mem_available_bytes > 0)
    region = std::min(region, out.cache.mem_available_bytes / 4);
  region = std::max<uint64_t>(kLargeCacheRequestBytes, region / kAlign * kAlign);
  AlignedBuffer buf = Aligned(1 << 20, 7);
  for (uint64_t off = 0; off < region; off += 1 << 20) {  // warm the cache, untimed
    if (ctx.Stopped()) return Error::Internal("interrupted");
    const uint64_t n = std::min<uint64_t>(1 << 20, region - off);
    if (::pread(ctx.buffered_fd, buf.get(), n, static_cast<off_t>(off)) < 0)
      return Error::Io(Errno("read " + ctx.data_path));
  }
  const double slice = ctx.options.time_s * kCacheShare / 2;
  Context cached = ctx;
  cached.file_bytes = region;
  SFSG_ASSIGN_OR_RETURN(out.cache.cached_read,
                        TimeCached(cached, ctx.buffered_fd, false, 4096, slice / 2, 300));
  SFSG_ASSIGN_OR_RETURN(
      out.cache.cached_read_large,
      TimeCached(cached, ctx.buffered_fd, false, kLargeCacheRequestBytes, slice / 2, 303));
  // Buffered writes land in the cache (until the dirty limit): time them apart.
  SFSG_ASSIGN_OR_RETURN(out.cache.cached_write,
                        TimeCached(cached, ctx.buffered_fd, true, 4096, slice / 4, 302));
  SFSG_ASSIGN_OR_RETURN(
      out.cache.cached_write_large,
      TimeCached(cached, ctx.buffered_fd, true, kLargeCacheRequestBytes, slice / 4, 304));
  out.cache.dirty_limit_bytes = DirtyLimit(out.cache.mem_available_bytes);
  if (ctx.direct) {
    SFSG_ASSIGN_OR_RETURN(out.cache.uncached_read,
                          TimeCached(cached, ctx.direct_fd, false, 4096, slice / 2, 301));
  }
  return Status::Ok();
}

// What a buffered read that misses the page cache costs beyond the device, per request
// size: buffered reads of ranges dropped from the cache just before (POSIX_FADV_DONTNEED,
// untimed), alternated with O_DIRECT reads of the same size so that both meet the same
// device and the same memory. The buffered times' quantiles less the direct median,
// clamped at 0: allocating and filling pages, reclaiming others when memory is full (in a
// memory cgroup, at its limit), the copy. Needs O_DIRECT; measured in the conditions the
// calibration runs in (a machine with free memory reclaims nothing).
Status MeasureMissCost(const Context& ctx, Calibration& out) {
  if (!ctx.direct) return Status::Ok();
  if (::fdatasync(ctx.buffered_fd) != 0) return Error::Io(Errno("fdatasync " + ctx.data_path));
  const double each = ctx.options.time_s * kMissShare / std::size(kMissSizes);
  for (uint64_t bytes : kMissSizes) {
    AlignedBuffer buf = Aligned(bytes, HashWords(ctx.options.seed, 310, bytes));
    SplitMixStream rng(HashWords(ctx.options.seed, 311, bytes));
    const uint64_t slots = std::max<uint64_t>(1, ctx.file_bytes / bytes);
    LogHistogram buffered, direct;
    const int64_t deadline = NowNs() + static_cast<int64_t>(each * 1e9);
    for (uint64_t i = 0; i < 4 || NowNs() < deadline; ++i) {
      if (ctx.Stopped()) return Error::Internal("interrupted");
      const off_t offset = static_cast<off_t>(rng.NextBelow(slots) * bytes);
      const bool use_direct = i % 2 == 1;
      if (!use_direct)
        ::posix_fadvise(ctx.buffered_fd, offset, static_cast<off_t>(bytes), POSIX_FADV_DONTNEED);
      const int64_t t0 = NowNs();
      if (::pread(use_direct ? ctx.direct_fd : ctx.buffered_fd, buf.get(), bytes, offset) < 0)
        return Error::Io(Errno("read " + ctx.data_path));
      (use_direct ? direct : buffered).Add(static_cast<uint64_t>(NowNs() - t0));
    }
    out.cache.read_miss.push_back({bytes, MissCost(MeasuredTimeFromNs(buffered),
                                                   MeasuredTimeFromNs(direct).QuantileUs(0.5))});
  }
  return Status::Ok();
}

// The filesystem type and source of the mount holding `target` (the last mount over the
// longest matching mount point wins, as the kernel resolves it).
void FilesystemOf(const std::string& target, Calibration& out) {
  char real[PATH_MAX];
  if (!::realpath(target.c_str(), real)) return;
  size_t longest = 0;
  for (const MountInfo& m : ReadMountInfo()) {
    if (!PathWithin(m.mount_point, real) || m.mount_point.size() < longest) continue;
    longest = m.mount_point.size();
    out.filesystem = m.fs_type;
    out.device = m.source;
  }
}

// The most dirty data the kernel lets a writer buffer before it must wait for writeback.
uint64_t DirtyLimit(uint64_t available_bytes) {
  std::ifstream bytes("/proc/sys/vm/dirty_bytes"), ratio("/proc/sys/vm/dirty_ratio");
  uint64_t b = 0, r = 0;
  if (bytes >> b && b > 0) return b;
  if (ratio >> r) return available_bytes / 100 * r;
  return 0;
}

Status Measure(Context& ctx, const std::string& scratch, Calibration& out) {
  if (Status st = FillDataFile(ctx); !st) return st;
  if (Status st = MeasureClasses(ctx, out); !st) return st;
  if (Status st = MeasureLadders(ctx, out); !st) return st;
  if (Status st = MeasureCeilings(ctx, out); !st) return st;
  if (Status st = MeasureMetadata(ctx, scratch, out); !st) return st;
  if (Status st = MeasureCache(ctx, out); !st) return st;
  return MeasureMissCost(ctx, out);
}

}  // namespace

bool ReadMemInfo(const std::string& path, CacheMeasurement& cache) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key;
    uint64_t kib = 0;
    if (!(words >> key >> kib)) continue;
    if (key == "MemTotal:") cache.mem_total_bytes = kib * 1024;
    if (key == "MemAvailable:") cache.mem_available_bytes = kib * 1024;
    if (key == "Cached:") cache.cached_bytes = kib * 1024;
  }
  return true;
}

uint64_t ReadCgroupMemoryLimit(const std::string& proc_cgroup, const std::string& cgroup_root) {
  std::ifstream in(proc_cgroup);
  std::string line;
  uint64_t limit = 0;
  auto read_number = [](const std::string& path) -> uint64_t {
    std::ifstream f(path);
    std::string word;
    if (!(f >> word) || word == "max") return 0;
    try {
      return std::stoull(word);
    } catch (const std::exception&) {
      return 0;
    }
  };
  auto keep = [&limit](uint64_t v) {
    // v1 writes "no limit" as a page-rounded 2^63 - 1.
    if (v > 0 && v < (uint64_t{1} << 62) && (limit == 0 || v < limit)) limit = v;
  };
  while (std::getline(in, line)) {  // "ID:CONTROLLERS:PATH"
    const size_t a = line.find(':');
    const size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1);
    const std::string path = line.substr(b + 1);
    if (controllers.empty()) {  // the unified (v2) hierarchy
      keep(read_number(cgroup_root + path + "/memory.max"));
      continue;
    }
    std::istringstream list(controllers);
    for (std::string c; std::getline(list, c, ',');)
      if (c == "memory")
        keep(read_number(cgroup_root + "/memory" + path + "/memory.limit_in_bytes"));
  }
  return limit;
}

Result<Calibration> RunActiveCalibration(const ActiveOptions& options) {
  if (options.size_bytes < kMinScratchBytes)
    return Error::Usage("--size " + FormatBytes(static_cast<double>(options.size_bytes)) +
                        ": at least 4 MiB");
  if (!(options.time_s >= 1) || options.time_s > 24 * 3600)
    return Error::Usage("--time: between 1 s and 24 h");
  if (options.max_concurrency < 1 || options.max_concurrency > 1024)
    return Error::Usage("--max-concurrency: between 1 and 1024");
  auto free_bytes = CheckTarget(options);
  if (!free_bytes) return free_bytes.error();
  std::string templ = options.target + "/.sfsg-calibrate-XXXXXX";
  if (!::mkdtemp(templ.data()))
    return Error::Io(Errno("cannot create a scratch directory in " + options.target));
  ScratchDir scratch(templ);  // removed on every return below
  const int64_t start = NowNs();
  Context ctx{options, scratch.path() + "/data"};
  Fd direct(::open(ctx.data_path.c_str(), O_CREAT | O_RDWR | O_DIRECT, 0600));
  ctx.direct = direct.fd >= 0;
  if (!ctx.direct) direct.fd = ::open(ctx.data_path.c_str(), O_CREAT | O_RDWR, 0600);
  if (direct.fd < 0) return Error::Io(Errno("create " + ctx.data_path));
  Fd buffered(::open(ctx.data_path.c_str(), O_RDWR));
  if (buffered.fd < 0) return Error::Io(Errno("open " + ctx.data_path));
  ctx.direct_fd = direct.fd;
  ctx.buffered_fd = buffered.fd;

  Calibration out;
  out.mode = "active";
  char real[PATH_MAX];
  out.target = ::realpath(options.target.c_str(), real) ? real : options.target;
  FilesystemOf(options.target, out);
  out.created_unix = static_cast<double>(std::time(nullptr));
  out.direct_io = ctx.direct;
  if (Status st = Measure(ctx, scratch.path(), out); !st) return st.error();
  out.duration_s = static_cast<double>(NowNs() - start) / 1e9;
  if (ctx.file_bytes < options.size_bytes)
    out.notes.push_back("active: the data file reached " +
                        FormatBytes(static_cast<double>(ctx.file_bytes)) + " of " +
                        FormatBytes(static_cast<double>(options.size_bytes)) +
                        " within its share of --time");
  if (!ctx.direct)
    out.notes.push_back(
        "active: the filesystem refused O_DIRECT: data service times went "
        "through the page cache (reads after POSIX_FADV_DONTNEED)");
  if (out.read_parallelism && out.read_parallelism->lower_bound)
    out.notes.push_back("active: reads never saturated up to concurrency " +
                        std::to_string(options.max_concurrency) +
                        ": the read parallelism is a lower bound");
  if (out.write_parallelism && out.write_parallelism->lower_bound)
    out.notes.push_back("active: writes never saturated up to concurrency " +
                        std::to_string(options.max_concurrency) +
                        ": the write parallelism is a lower bound");
  return out;
}

double SustainedRate(std::vector<int64_t>& done_ns, int64_t from_ns, double fallback) {
  std::sort(done_ns.begin(), done_ns.end());
  const auto first = std::lower_bound(done_ns.begin(), done_ns.end(), from_ns);
  const size_t n = static_cast<size_t>(done_ns.end() - first);
  if (n < 20) return fallback;
  double mean_t = 0, mean_i = 0;
  for (size_t i = 0; i < n; ++i) {
    mean_t += static_cast<double>(first[i] - from_ns);
    mean_i += static_cast<double>(i);
  }
  mean_t /= static_cast<double>(n);
  mean_i /= static_cast<double>(n);
  double cov = 0, var = 0;
  for (size_t i = 0; i < n; ++i) {
    const double dt = static_cast<double>(first[i] - from_ns) - mean_t;
    cov += dt * (static_cast<double>(i) - mean_i);
    var += dt * dt;
  }
  return var > 0 ? cov / var * 1e9 : fallback;
}

}  // namespace sfsg
