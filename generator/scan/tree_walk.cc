#include "generator/scan/tree_walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace sfsg::scan {
namespace {

constexpr unsigned kStatxMask =
    STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_SIZE | STATX_ATIME | STATX_MTIME | STATX_CTIME;

double Seconds(const struct statx_timestamp& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// Opens a directory for listing without touching its atime when we may (O_NOATIME needs
// ownership or CAP_FOWNER; EPERM means retry without it).
int OpenDirectory(const std::string& path, bool follow) {
  const int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW);
  int fd = ::open(path.c_str(), flags | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = ::open(path.c_str(), flags);
  return fd;
}

struct DirTask {
  std::string path;
  uint32_t depth = 0;
};

class Walker {
 public:
  Walker(const WalkConfig& config, uint32_t dev_major, uint32_t dev_minor)
      : config_(config), dev_major_(dev_major), dev_minor_(dev_minor) {}

  ScanStats Run(ScanStats root_stats) {
    const int threads = std::max(1, config_.threads);
    std::vector<ScanStats> stats(static_cast<size_t>(threads));
    stack_.push_back({config_.root, 0});
    pending_ = 1;
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    for (int i = 0; i < threads; ++i) workers.emplace_back([this, &stats, i] { Work(stats[i]); });
    const auto interval = std::chrono::duration<double>(config_.progress_interval_s);
    {
      std::unique_lock lock(mu_);
      while (!cv_.wait_for(lock, interval, [this] { return pending_ == 0; })) {
        lock.unlock();
        Report(start, false);
        lock.lock();
      }
    }
    for (std::thread& t : workers) t.join();
    Report(start, true);
    for (ScanStats& s : stats) root_stats.Merge(std::move(s), config_.sample_capacity);
    return root_stats;
  }

 private:
  void Report(std::chrono::steady_clock::time_point start, bool done) const {
    if (!config_.progress) return;
    ScanProgress p;
    p.phase = "walk";
    p.dirs = dirs_.load(std::memory_order_relaxed);
    p.entries = entries_.load(std::memory_order_relaxed);
    p.bytes = static_cast<double>(bytes_.load(std::memory_order_relaxed));
    p.skipped = skipped_.load(std::memory_order_relaxed);
    p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    p.done = done;
    config_.progress(p);
  }

  void Work(ScanStats& stats) {
    std::vector<DirTask> found;
    for (;;) {
      DirTask task;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return !stack_.empty() || pending_ == 0; });
        if (stack_.empty()) return;
        task = std::move(stack_.back());
        stack_.pop_back();
      }
      found.clear();
      ListDirectory(task, stats, found);
      {
        std::lock_guard lock(mu_);
        for (DirTask& f : found) stack_.push_back(std::move(f));
        pending_ += found.size();
        pending_ -= 1;
      }
      if (pending_ == 0 || found.size() > 1) {
        cv_.notify_all();
      } else if (found.size() == 1) {
        cv_.notify_one();
      }
    }
  }

  void ListDirectory(const DirTask& task, ScanStats& stats, std::vector<DirTask>& found) {
    const int fd = OpenDirectory(task.path, task.depth == 0);
    DIR* dir = fd >= 0 ? ::fdopendir(fd) : nullptr;
    if (dir == nullptr) {
      if (fd >= 0) ::close(fd);
      ++stats.skipped;
      skipped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    // Content-sample candidates are ranked by a hash of their path, seeded per directory.
    const uint64_t dir_hash = XXH3_64bits(task.path.data(), task.path.size());
    uint64_t nondir = 0, subdirs = 0, skipped = 0, bytes = 0;
    for (;;) {
      errno = 0;
      const struct dirent* e = ::readdir(dir);
      if (e == nullptr) {
        if (errno != 0) ++skipped;  // the listing broke off
        break;
      }
      const std::string_view name(e->d_name);
      if (name == "." || name == "..") continue;
      struct statx st;
      if (::statx(fd, e->d_name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, kStatxMask, &st) != 0) {
        ++skipped;
        continue;
      }
      const uint32_t type = st.stx_mode & S_IFMT;
      if (type == S_IFDIR) {
        if (config_.one_file_system &&
            (st.stx_dev_major != dev_major_ || st.stx_dev_minor != dev_minor_))
          continue;  // a mount point: another filesystem's root, left out
        stats.AddDirectory(task.depth + 1, name.size());
        ++subdirs;
        found.push_back({JoinPath(task.path, name), task.depth + 1});
      } else {
        ++nondir;
        if (type == S_IFREG) {
          ExtensionAccum& ext = stats.AddRegularFile(task.depth, name, st.stx_size, st.stx_nlink);
          bytes += st.stx_size;
          if (st.stx_size > 0 && config_.sample_capacity > 0) {
            const uint64_t hash =
                SampleRank(XXH3_64bits_withSeed(name.data(), name.size(), dir_hash), st.stx_size);
            if (ext.sample.Wants(hash, config_.sample_capacity))
              ext.sample.Offer({hash, st.stx_size, JoinPath(task.path, name)},
                               config_.sample_capacity);
          }
        } else if (type == S_IFLNK) {
          stats.AddSymlink(task.depth, name.size());
        } else {
          stats.AddOther(task.depth, name.size());
        }
      }
      stats.AddAges(config_.scan_time_unix, Seconds(st.stx_mtime), Seconds(st.stx_atime),
                    Seconds(st.stx_ctime));
    }
    ::closedir(dir);
    stats.AddListing(task.depth, nondir, subdirs);
    stats.skipped += skipped;
    dirs_.fetch_add(subdirs, std::memory_order_relaxed);
    entries_.fetch_add(nondir, std::memory_order_relaxed);
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
    if (skipped) skipped_.fetch_add(skipped, std::memory_order_relaxed);
  }

  const WalkConfig& config_;
  const uint32_t dev_major_, dev_minor_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<DirTask> stack_;
  std::atomic<uint64_t> pending_{0};  // directories queued or being listed
  std::atomic<uint64_t> dirs_{1}, entries_{0}, bytes_{0}, skipped_{0};
};

}  // namespace

std::string JoinPath(const std::string& dir, std::string_view name) {
  std::string path;
  path.reserve(dir.size() + 1 + name.size());
  path = dir;
  if (path.empty() || path.back() != '/') path.push_back('/');
  path.append(name);
  return path;
}

Result<ScanStats> WalkTree(const WalkConfig& config) {
  struct statx root;
  if (::statx(AT_FDCWD, config.root.c_str(), 0, kStatxMask, &root) != 0)
    return Error::Io(config.root + ": cannot scan: " + std::strerror(errno));
  if ((root.stx_mode & S_IFMT) != S_IFDIR)
    return Error::Io(config.root + ": cannot scan: not a directory");
  const int probe = OpenDirectory(config.root, true);
  if (probe < 0) return Error::Io(config.root + ": cannot scan: " + std::strerror(errno));
  ::close(probe);
  ScanStats root_stats;
  root_stats.AddDirectory(0, 0);
  root_stats.AddAges(config.scan_time_unix, Seconds(root.stx_mtime), Seconds(root.stx_atime),
                     Seconds(root.stx_ctime));
  Walker walker(config, root.stx_dev_major, root.stx_dev_minor);
  return walker.Run(std::move(root_stats));
}

}  // namespace sfsg::scan
