#include "generator/replay/worker.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "generator/replay/proc_stats.h"

namespace sfsg {
namespace {

constexpr uint64_t kAlign = 4096;

std::vector<std::pair<uint64_t, double>> SizeCdf(
    const std::vector<std::pair<uint64_t, double>>& sizes) {
  std::vector<std::pair<uint64_t, double>> cdf;
  double sum = 0;
  for (const auto& [bytes, weight] : sizes) cdf.emplace_back(bytes, sum += weight);
  for (auto& entry : cdf) entry.second /= sum > 0 ? sum : 1;
  return cdf;
}

}  // namespace

const char* OpName(OpKind kind) {
  static const char* const kNames[kOpKinds] = {"read",   "write", "create",
                                               "unlink", "stat",  "readdir"};
  return kNames[static_cast<int>(kind)];
}

void OpTally::Merge(const OpTally& other) {
  for (int k = 0; k < kOpKinds; ++k) {
    latency_ns[k].Merge(other.latency_ns[k]);
    errors[k] += other.errors[k];
    bytes[k] += other.bytes[k];
  }
  missed_ns.Merge(other.missed_ns);
}

Status WorkerContext::SetWorkload(const Workload& w) {
  const double fractions[kOpKinds] = {w.mix.read,   w.mix.write, w.mix.create,
                                      w.mix.unlink, w.mix.stat,  w.mix.readdir};
  double sum = 0;
  for (int k = 0; k < kOpKinds; ++k) mix_cdf[k] = sum += fractions[k];
  if (!(sum > 0)) return Error::Usage("workload: the operation mix is empty");
  for (double& c : mix_cdf) c /= sum;
  mix_cdf[kOpKinds - 1] = 1.0;
  read_size_cdf = SizeCdf(w.read_sizes);
  write_size_cdf = SizeCdf(w.write_sizes);
  if (read_size_cdf.empty() || write_size_cdf.empty())
    return Error::Usage("workload: request sizes are empty");
  sequential_fraction = w.sequential_fraction;
  return Status::Ok();
}

uint64_t WorkerContext::max_request_bytes() const {
  uint64_t m = 0;
  for (const auto& e : read_size_cdf) m = std::max(m, e.first);
  for (const auto& e : write_size_cdf) m = std::max(m, e.first);
  return m;
}

bool WorkerContext::modifies() const {
  const auto p = [&](OpKind k) {
    const int i = static_cast<int>(k);
    return mix_cdf[i] - (i ? mix_cdf[i - 1] : 0.0);
  };
  return p(OpKind::kWrite) > 0 || p(OpKind::kCreate) > 0 || p(OpKind::kUnlink) > 0;
}

Result<std::unique_ptr<Worker>> Worker::Create(const WorkerContext& ctx, uint32_t id) {
  int dir_fd = -1;
  if (ctx.scratch) {
    const std::string name = "w" + std::to_string(id);
    if (::mkdirat(ctx.scratch->fd(), name.c_str(), 0755) != 0 && errno != EEXIST)
      return Error::Io(ctx.scratch->path() + "/" + name + ": " + std::strerror(errno));
    dir_fd = ::openat(ctx.scratch->fd(), name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0)
      return Error::Io(ctx.scratch->path() + "/" + name + ": " + std::strerror(errno));
  }
  return std::unique_ptr<Worker>(new Worker(ctx, id, dir_fd));
}

Worker::Worker(const WorkerContext& ctx, uint32_t id, int dir_fd)
    : ctx_(ctx), dir_fd_(dir_fd), buffer_(nullptr, std::free) {
  const uint64_t size = std::max<uint64_t>(kAlign, ctx.max_request_bytes());
  void* p = nullptr;
  if (posix_memalign(&p, kAlign, size) != 0) std::abort();
  buffer_.reset(static_cast<char*>(p));
  // Written data: incompressible bytes, so a compressing target is not flattered.
  SplitMixStream fill(HashWords(id, 0x77726974ull));
  for (uint64_t i = 0; i + 8 <= size; i += 8) {
    const uint64_t v = fill.Next();
    std::memcpy(buffer_.get() + i, &v, 8);
  }
  write_fds_.assign(ctx.scratch_files, -1);
}

Worker::~Worker() {
  for (const CachedFd& c : cache_) ::close(c.fd);
  for (int fd : write_fds_)
    if (fd >= 0) ::close(fd);
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

void Worker::Reset(uint64_t stream_key) {
  rng_ = SplitMixStream(stream_key);
  tally_ = OpTally();
  done_.store(0, std::memory_order_relaxed);
}

OpKind Worker::Draw() {
  const double u = rng_.NextUnit();
  int k = 0;
  while (k < kOpKinds - 1 && u >= ctx_.mix_cdf[k]) ++k;
  return static_cast<OpKind>(k);
}

uint64_t Worker::Execute(OpKind kind, uint64_t intended_ns, bool record) {
  // Unlink needs something of ours to remove: make it before the clock starts.
  if (kind == OpKind::kUnlink && created_.empty()) (void)CreateFile();
  const uint64_t start = MonotonicNs();
  int64_t result = 0;
  switch (kind) {
    case OpKind::kRead:
      result = Read();
      break;
    case OpKind::kWrite:
      result = Write();
      break;
    case OpKind::kCreate:
      result = CreateFile();
      break;
    case OpKind::kUnlink:
      result = Unlink();
      break;
    case OpKind::kStat:
      result = Stat();
      break;
    case OpKind::kReaddir:
      result = Readdir();
      break;
  }
  const uint64_t end = MonotonicNs();
  if (record) {
    const int k = static_cast<int>(kind);
    const uint64_t from = intended_ns ? std::min(intended_ns, start) : start;
    tally_.latency_ns[k].Add(end - from);
    if (result < 0)
      ++tally_.errors[k];
    else
      tally_.bytes[k] += static_cast<uint64_t>(result);
  }
  done_.fetch_add(1, std::memory_order_relaxed);
  return end;
}

uint64_t Worker::DrawSize(const std::vector<std::pair<uint64_t, double>>& cdf) {
  const double u = rng_.NextUnit();
  for (const auto& [bytes, c] : cdf)
    if (u < c) return bytes;
  return cdf.back().first;
}

uint64_t Worker::DrawOffset(uint64_t extent, uint64_t size) {
  // Aligned like fio's blockalign: to the request size, at most 4 KiB apart.
  const uint64_t align = std::min(kAlign, std::max<uint64_t>(1, size));
  if (extent <= size) return 0;
  return rng_.NextBelow((extent - size) / align + 1) * align;
}

int Worker::OpenRanked(uint64_t rank, uint64_t* size_bytes) {
  for (CachedFd& c : cache_) {
    if (c.rank == rank) {
      c.last_use = ++use_clock_;
      *size_bytes = c.size_bytes;
      return c.fd;
    }
  }
  const FileRef file = ctx_.files->RegularByRank(rank);
  const int fd = ::openat(ctx_.target_fd, file.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  *size_bytes = file.size_bytes;
  if (ctx_.keep_open == 0) return fd;
  if (cache_.size() >= ctx_.keep_open) {
    auto oldest = std::min_element(
        cache_.begin(), cache_.end(),
        [](const CachedFd& a, const CachedFd& b) { return a.last_use < b.last_use; });
    ::close(oldest->fd);
    *oldest = {rank, fd, file.size_bytes, ++use_clock_};
  } else {
    cache_.push_back({rank, fd, file.size_bytes, ++use_clock_});
  }
  return fd;
}

void Worker::ReleaseRanked(int fd) {
  if (ctx_.keep_open == 0) ::close(fd);
}

int64_t Worker::Read() {
  const uint64_t size = DrawSize(ctx_.read_size_cdf);
  const bool sequential = read_cursor_.valid && rng_.NextUnit() < ctx_.sequential_fraction;
  const uint64_t rank = sequential ? read_cursor_.key : ctx_.zipf->Sample(rng_);
  uint64_t file_size = 0;
  const int fd = OpenRanked(rank, &file_size);
  if (fd < 0) {
    read_cursor_.valid = false;
    return fd;
  }
  uint64_t offset = sequential ? read_cursor_.offset : DrawOffset(file_size, size);
  if (offset >= file_size) offset = 0;  // a sequential run wraps at the end of the file
  const ssize_t n = ::pread(fd, buffer_.get(), size, static_cast<off_t>(offset));
  const int err = errno;
  ReleaseRanked(fd);
  if (n < 0) return -err;
  read_cursor_ = {rank, offset + static_cast<uint64_t>(n), true};
  return n;
}

int64_t Worker::Write() {
  if (dir_fd_ < 0) return -EROFS;
  const uint64_t size = DrawSize(ctx_.write_size_cdf);
  const bool sequential = write_cursor_.valid && rng_.NextUnit() < ctx_.sequential_fraction;
  const uint64_t j = sequential ? write_cursor_.key : rng_.NextBelow(write_fds_.size());
  uint64_t offset = sequential ? write_cursor_.offset : DrawOffset(ctx_.scratch_file_bytes, size);
  if (offset + size > std::max(ctx_.scratch_file_bytes, size)) offset = 0;
  int fd = write_fds_[j];
  if (fd < 0) {
    const std::string name = "d" + std::to_string(j);
    fd = ::openat(dir_fd_, name.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return -errno;
    if (ctx_.keep_open) write_fds_[j] = fd;
  }
  const ssize_t n = ::pwrite(fd, buffer_.get(), size, static_cast<off_t>(offset));
  const int err = errno;
  if (!ctx_.keep_open) ::close(fd);
  if (n < 0) return -err;
  write_cursor_ = {j, offset + static_cast<uint64_t>(n), true};
  return n;
}

int64_t Worker::CreateFile() {
  if (dir_fd_ < 0) return -EROFS;
  std::string name = "c" + std::to_string(created_count_++);
  const int fd = ::openat(dir_fd_, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return -errno;
  ::close(fd);
  created_.push_back(std::move(name));
  return 0;
}

int64_t Worker::Unlink() {
  if (dir_fd_ < 0 || created_.empty()) return -ENOENT;
  const std::string name = std::move(created_.front());
  created_.pop_front();
  return ::unlinkat(dir_fd_, name.c_str(), 0) == 0 ? 0 : -errno;
}

int64_t Worker::Stat() {
  const FileRef file = ctx_.files->ByRank(ctx_.zipf->Sample(rng_));
  struct stat st;
  return ::fstatat(ctx_.target_fd, file.path.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}

int64_t Worker::Readdir() {
  const FileRef file = ctx_.files->ByRank(ctx_.zipf->Sample(rng_));
  const auto slash = file.path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : file.path.substr(0, slash);
  const int fd = ::openat(ctx_.target_fd, dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -errno;
  DIR* d = ::fdopendir(fd);
  if (!d) {
    const int err = errno;
    ::close(fd);
    return -err;
  }
  errno = 0;
  while (::readdir(d) != nullptr) {
  }
  const int err = errno;
  ::closedir(d);
  return err ? -err : 0;
}

}  // namespace sfsg
