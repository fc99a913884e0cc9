#include "fuse/block_store.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>
#include <list>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sfsg {
namespace {

class DiscardStore final : public BlockStore {
 public:
  int Get(uint64_t, uint64_t, std::byte*) const override { return 0; }
  int Put(uint64_t, uint64_t, const std::byte*) override { return 0; }
  int Reserve(uint64_t, uint64_t, uint64_t) override { return 0; }
  void DropRange(uint64_t, uint64_t, uint64_t) override {}
  int Sync(uint64_t) override { return 0; }
  void Adopt(uint64_t, uint64_t) override {}
  void AdoptReservation(uint64_t, uint64_t, uint64_t) override {}
  uint64_t BlocksOf(uint64_t) const override { return 0; }
  uint64_t bytes_used() const override { return 0; }
  uint64_t limit_bytes() const override { return 0; }
  bool keeps_data() const override { return false; }
  std::string kind() const override { return "discard"; }
};

using Block = std::array<std::byte, BlockStore::kBlockBytes>;

// Whether `fresh_blocks` more blocks would take a store holding `used_bytes` past its
// limit (0: none). Written so that a huge count cannot overflow.
bool OverLimit(uint64_t limit, uint64_t used_bytes, uint64_t fresh_blocks) {
  constexpr uint64_t kBytes = BlockStore::kBlockBytes;
  return limit && (fresh_blocks > limit / kBytes || used_bytes + fresh_blocks * kBytes > limit);
}

uint64_t BlockNumber(uint64_t block) { return block; }
template <typename T>
uint64_t BlockNumber(const std::pair<const uint64_t, T>& entry) {
  return entry.first;
}

// One inode's blocks: `stored` (a std::set of block numbers or a std::map from them)
// and the reserved ranges, disjoint from the stored blocks.
template <typename Stored>
struct FileBlocks {
  Stored stored;
  RangeSet reserved;

  uint64_t count() const { return stored.size() + reserved.total(); }

  // Blocks of [first, end) neither stored nor reserved.
  uint64_t Unallocated(uint64_t first, uint64_t end) const {
    uint64_t taken = reserved.CountIn(first, end);
    for (auto it = stored.lower_bound(first); it != stored.end() && BlockNumber(*it) < end; ++it)
      ++taken;
    return (end - first) - taken;
  }

  // Reserves the gaps between stored blocks in [first, end); returns the blocks added.
  uint64_t AddReservation(uint64_t first, uint64_t end) {
    uint64_t added = 0, cursor = first;
    for (auto it = stored.lower_bound(first); it != stored.end() && BlockNumber(*it) < end; ++it) {
      const uint64_t block = BlockNumber(*it);
      if (block > cursor) added += reserved.Add(cursor, block);
      cursor = block + 1;
    }
    if (cursor < end) added += reserved.Add(cursor, end);
    return added;
  }

  // Forgets stored and reserved blocks in [first, end); returns how many there were.
  uint64_t Drop(uint64_t first, uint64_t end) {
    uint64_t dropped = reserved.Remove(first, end);
    for (auto it = stored.lower_bound(first); it != stored.end() && BlockNumber(*it) < end;) {
      it = stored.erase(it);
      ++dropped;
    }
    return dropped;
  }

  // A block about to be stored: true when its space was reserved (and is now its own).
  bool TakeReserved(uint64_t block) { return reserved.Remove(block, block + 1) != 0; }
};

// What MemoryStore and DirStore share: the index of each inode's stored and reserved
// blocks (`files_`, under `mutex_`) and the bytes they take against the limit.
template <typename Stored>
class IndexedStore : public BlockStore {
 public:
  explicit IndexedStore(uint64_t limit) : limit_(limit) {}

  uint64_t BlocksOf(uint64_t ino) const override {
    std::shared_lock lock(mutex_);
    const auto file = files_.find(ino);
    return file == files_.end() ? 0 : file->second.count();
  }
  uint64_t bytes_used() const override {
    std::shared_lock lock(mutex_);
    return used_;
  }
  uint64_t limit_bytes() const override { return limit_; }

  int Reserve(uint64_t ino, uint64_t first_block, uint64_t end_block) final {
    std::unique_lock lock(mutex_);
    if (first_block >= end_block) return 0;
    File& file = files_[ino];
    const uint64_t fresh = file.Unallocated(first_block, end_block);
    if (fresh == 0) return 0;
    if (OverLimit(limit_, used_, fresh)) {
      if (file.count() == 0) files_.erase(ino);
      return -ENOSPC;
    }
    if (const int error = ReserveBacking(ino, first_block, end_block); error != 0) return error;
    used_ += file.AddReservation(first_block, end_block) * kBlockBytes;
    return 0;
  }

 protected:
  using File = FileBlocks<Stored>;

  // What a reservation that fits the limit takes besides the index (the dir store
  // allocates the disk): 0, or a negative errno. REQUIRES: mutex_ held exclusively.
  virtual int ReserveBacking(uint64_t ino, uint64_t first_block, uint64_t end_block) = 0;

  // Forgets the blocks [first_block, end_block) of ino in the index and frees their
  // bytes; returns the inode's entry (nullptr when it has none). REQUIRES: mutex_ held
  // exclusively.
  File* DropLocked(uint64_t ino, uint64_t first_block, uint64_t end_block) {
    const auto file = files_.find(ino);
    if (file == files_.end()) return nullptr;
    used_ -= file->second.Drop(first_block, end_block) * kBlockBytes;
    return &file->second;
  }

  mutable std::shared_mutex mutex_;
  std::unordered_map<uint64_t, File> files_;  // ino -> blocks stored and reserved
  uint64_t used_ = 0;
  const uint64_t limit_;
};

class MemoryStore final : public IndexedStore<std::map<uint64_t, std::unique_ptr<Block>>> {
 public:
  explicit MemoryStore(uint64_t limit) : IndexedStore(limit) {}

  int Get(uint64_t ino, uint64_t block, std::byte* out) const override {
    std::shared_lock lock(mutex_);
    const auto file = files_.find(ino);
    if (file == files_.end()) return 0;
    const auto it = file->second.stored.find(block);
    if (it == file->second.stored.end()) return 0;
    std::memcpy(out, it->second->data(), kBlockBytes);
    return 1;
  }

  int Put(uint64_t ino, uint64_t block, const std::byte* data) override {
    std::unique_lock lock(mutex_);
    File& file = files_[ino];
    auto& slot = file.stored[block];
    if (!slot) {
      if (!file.TakeReserved(block)) {
        if (OverLimit(limit_, used_, 1)) {
          file.stored.erase(block);
          if (file.count() == 0) files_.erase(ino);
          return -ENOSPC;
        }
        used_ += kBlockBytes;
      }
      slot = std::make_unique<Block>();
    }
    std::memcpy(slot->data(), data, kBlockBytes);
    return 0;
  }

  int ReserveBacking(uint64_t, uint64_t, uint64_t) override { return 0; }

  void DropRange(uint64_t ino, uint64_t first_block, uint64_t end_block) override {
    std::unique_lock lock(mutex_);
    if (const File* file = DropLocked(ino, first_block, end_block); file && file->count() == 0)
      files_.erase(ino);
  }

  int Sync(uint64_t) override { return 0; }
  void Adopt(uint64_t, uint64_t) override {}
  void AdoptReservation(uint64_t, uint64_t, uint64_t) override {}
  bool keeps_data() const override { return true; }
  std::string kind() const override { return "memory"; }
};

// Blocks live at their own offset in a sparse file per inode; which blocks exist is
// kept in memory and rebuilt from the overlay journal on mount.
//
// Descriptors: a workload may write far more files than the process may hold open
// (bonnie++, dbench and untar write thousands; the default soft limit is 1024), so the
// data files' descriptors live in a small LRU cache. A descriptor is leased for the
// length of one pread/pwrite/fdatasync and only idle ones are closed; every lease is
// taken under `mutex_` (shared or exclusive), so under the exclusive lock none is out.
class DirStore final : public IndexedStore<std::set<uint64_t>> {
 public:
  DirStore(std::string data_dir, uint64_t limit) : IndexedStore(limit), dir_(std::move(data_dir)) {
    struct rlimit rl;
    size_t cap = 256;
    // Leave most of the process's descriptors to FUSE, the journal and the forecaster.
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
      cap = std::clamp<size_t>(rl.rlim_cur / 4, 4, cap);
    fd_cap_ = cap;
  }
  ~DirStore() override {
    for (auto& [ino, entry] : fds_) ::close(entry.fd);
  }

  // A stored block whose data file is gone (the overlay directory removed under the
  // mount) is EIO: answering with the synthetic bytes would hand back data the client
  // overwrote. A descriptor still open on a removed file would read on, so a file found
  // removed (by Sync) is remembered as lost; no per-read check of the link count.
  int Get(uint64_t ino, uint64_t block, std::byte* out) const override {
    std::shared_lock lock(mutex_);
    const auto it = files_.find(ino);
    if (it == files_.end() || !it->second.stored.count(block)) return 0;
    if (any_lost_.load(std::memory_order_relaxed) && IsLost(ino))
      return Failed(PathOf(ino) + " was removed under the mount; its data is lost", ENOENT);
    Lease fd(this, ino, /*create=*/false);
    if (fd.fd < 0) return Failed("cannot open " + PathOf(ino) + " to read a written block");
    const ssize_t n = ::pread(fd.fd, out, kBlockBytes, static_cast<off_t>(block * kBlockBytes));
    if (n < 0) return Failed("cannot read " + PathOf(ino));
    if (n < static_cast<ssize_t>(kBlockBytes)) std::memset(out + n, 0, kBlockBytes - n);
    return 1;
  }

  int Put(uint64_t ino, uint64_t block, const std::byte* data) override {
    std::unique_lock lock(mutex_);
    File& file = files_[ino];
    const bool fresh = !file.stored.count(block);
    const bool reserved = fresh && file.reserved.Contains(block);
    if (fresh && !reserved && OverLimit(limit_, used_, 1)) return -ENOSPC;
    Lease fd(this, ino, /*create=*/true);
    if (fd.fd < 0) return Failed("cannot open " + PathOf(ino));
    const ssize_t n = ::pwrite(fd.fd, data, kBlockBytes, static_cast<off_t>(block * kBlockBytes));
    if (n != static_cast<ssize_t>(kBlockBytes)) {
      if (n < 0 && (errno == ENOSPC || errno == EDQUOT)) return -ENOSPC;
      return Failed("cannot write " + PathOf(ino));
    }
    if (fresh) {
      file.stored.insert(block);
      if (!file.TakeReserved(block)) used_ += kBlockBytes;
    }
    return 0;
  }

  // Blocks within the limit, in order (fresh ones count against it unless reserved),
  // then one pwrite for them all; a short write keeps the whole blocks it wrote.
  int PutRun(uint64_t ino, uint64_t first_block, uint64_t count, const std::byte* data,
             uint64_t* stored) override {
    *stored = 0;
    std::unique_lock lock(mutex_);
    File& file = files_[ino];
    uint64_t fit = 0, fresh = 0;
    for (; fit < count; ++fit) {
      const uint64_t block = first_block + fit;
      if (file.stored.count(block) || file.reserved.Contains(block)) continue;
      if (OverLimit(limit_, used_, fresh + 1)) break;
      ++fresh;
    }
    int rc = fit < count ? -ENOSPC : 0;
    uint64_t written = 0;  // bytes
    if (fit > 0) {
      Lease fd(this, ino, /*create=*/true);
      if (fd.fd < 0) return Failed("cannot open " + PathOf(ino));
      const uint64_t bytes = fit * kBlockBytes;
      while (written < bytes) {
        const ssize_t n = ::pwrite(fd.fd, data + written, bytes - written,
                                   static_cast<off_t>(first_block * kBlockBytes + written));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          rc = n < 0 && (errno == ENOSPC || errno == EDQUOT)
                   ? -ENOSPC
                   : Failed("cannot write " + PathOf(ino));
          break;
        }
        written += static_cast<uint64_t>(n);
      }
    }
    for (; *stored < written / kBlockBytes; ++*stored) {
      const uint64_t block = first_block + *stored;
      if (file.stored.insert(block).second && !file.TakeReserved(block)) used_ += kBlockBytes;
    }
    return rc;
  }

  // The disk under PATH is reserved too (fallocate of the data file), so a full disk
  // cannot fail a write into the range later either.
  int ReserveBacking(uint64_t ino, uint64_t first_block, uint64_t end_block) override {
    if (end_block - first_block >
        static_cast<uint64_t>(std::numeric_limits<off_t>::max()) / kBlockBytes)
      return -EFBIG;
    Lease fd(this, ino, /*create=*/true);
    if (fd.fd < 0) return Failed("cannot open " + PathOf(ino));
    if (::fallocate(fd.fd, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(first_block * kBlockBytes),
                    static_cast<off_t>((end_block - first_block) * kBlockBytes)) != 0) {
      if (errno == ENOSPC || errno == EDQUOT || errno == EFBIG) return -ENOSPC;
      if (errno != EOPNOTSUPP) return Failed("cannot reserve space in " + PathOf(ino));
    }
    return 0;
  }

  void DropRange(uint64_t ino, uint64_t first_block, uint64_t end_block) override {
    std::unique_lock lock(mutex_);
    if (!DropLocked(ino, first_block, end_block)) return;
    const std::string path = PathOf(ino);
    if (first_block == 0 && end_block == RangeSet::kNoEnd) {
      CloseIdle(ino);
      ::unlink(path.c_str());
      files_.erase(ino);
    } else if (end_block == RangeSet::kNoEnd) {
      (void)::truncate(path.c_str(), static_cast<off_t>(first_block * kBlockBytes));
    } else if (first_block < end_block) {
      // Give the disk back; the index already says the blocks are gone, so a file system
      // that cannot punch holes only keeps the space.
      Lease fd(this, ino, /*create=*/false);
      if (fd.fd >= 0)
        (void)::fallocate(fd.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                          static_cast<off_t>(first_block * kBlockBytes),
                          static_cast<off_t>((end_block - first_block) * kBlockBytes));
    }
  }

  // fdatasync through any descriptor flushes the file's dirty pages, so a descriptor
  // closed by the cache since the write loses nothing. A data file that was removed
  // (the overlay directory deleted under the mount) cannot keep anything: EIO.
  int Sync(uint64_t ino) override {
    std::shared_lock lock(mutex_);
    const auto it = files_.find(ino);
    if (it == files_.end() || it->second.stored.empty()) return 0;
    Lease fd(this, ino, /*create=*/false);
    if (fd.fd < 0) return Failed("cannot open " + PathOf(ino) + " to sync it");
    struct stat st;
    if (::fstat(fd.fd, &st) != 0 || st.st_nlink == 0) {
      MarkLost(ino);
      return Failed(PathOf(ino) + " was removed under the mount; its data is lost", ENOENT);
    }
    if (::fdatasync(fd.fd) != 0) return Failed("cannot sync " + PathOf(ino));
    return 0;
  }

  void Adopt(uint64_t ino, uint64_t block) override {
    std::unique_lock lock(mutex_);
    File& file = files_[ino];
    if (file.stored.insert(block).second && !file.TakeReserved(block)) used_ += kBlockBytes;
  }

  void AdoptReservation(uint64_t ino, uint64_t first_block, uint64_t end_block) override {
    std::unique_lock lock(mutex_);
    if (first_block < end_block)
      used_ += files_[ino].AddReservation(first_block, end_block) * kBlockBytes;
  }

  void ForgetRange(uint64_t ino, uint64_t first_block, uint64_t end_block) override {
    std::unique_lock lock(mutex_);
    DropLocked(ino, first_block, end_block);
  }
  Status CheckReplayed() const override {
    std::shared_lock lock(mutex_);
    for (const auto& [ino, file] : files_) {
      if (file.stored.empty()) continue;
      struct stat st;
      const std::string path = PathOf(ino);
      if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        return Error::Io(path + ": missing; the journal lists " +
                         std::to_string(file.stored.size()) +
                         " written blocks in it (restore the overlay directory or use a new one)");
    }
    return Status::Ok();
  }
  bool keeps_data() const override { return true; }
  std::string kind() const override { return "dir"; }

 private:
  struct OpenFile {
    int fd;
    int users;
    std::list<uint64_t>::iterator recent;  // position in lru_
  };

  // A leased descriptor (-1 when the file cannot be opened; errno says why).
  struct Lease {
    Lease(const DirStore* store, uint64_t ino, bool create)
        : store(store), ino(ino), fd(store->Acquire(ino, create)) {}
    ~Lease() {
      if (fd >= 0) store->Release(ino);
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    const DirStore* store;
    uint64_t ino;
    int fd;
  };

  std::string PathOf(uint64_t ino) const { return dir_ + "/" + std::to_string(ino); }

  int Acquire(uint64_t ino, bool create) const {
    std::lock_guard lock(fd_mutex_);
    if (auto it = fds_.find(ino); it != fds_.end()) {
      ++it->second.users;
      lru_.splice(lru_.begin(), lru_, it->second.recent);
      return it->second.fd;
    }
    const int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);
    int fd = ::open(PathOf(ino).c_str(), flags, 0600);
    if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
      EvictIdleLocked(0);  // out of descriptors: give back every idle one and retry
      fd = ::open(PathOf(ino).c_str(), flags, 0600);
    }
    if (fd < 0) return -1;
    lru_.push_front(ino);
    fds_.emplace(ino, OpenFile{fd, 1, lru_.begin()});
    EvictIdleLocked(fd_cap_);
    return fd;
  }

  void Release(uint64_t ino) const {
    std::lock_guard lock(fd_mutex_);
    if (auto it = fds_.find(ino); it != fds_.end()) --it->second.users;
  }

  // Closes idle descriptors, least recently used first, until at most `keep` are open.
  void EvictIdleLocked(size_t keep) const {
    for (auto it = lru_.end(); fds_.size() > keep && it != lru_.begin();) {
      --it;
      const auto open = fds_.find(*it);
      if (open->second.users > 0) continue;
      ::close(open->second.fd);
      fds_.erase(open);
      it = lru_.erase(it);
    }
  }

  void CloseIdle(uint64_t ino) const {
    std::lock_guard lock(fd_mutex_);
    if (auto it = fds_.find(ino); it != fds_.end() && it->second.users == 0) {
      ::close(it->second.fd);
      lru_.erase(it->second.recent);
      fds_.erase(it);
    }
  }

  // Logs an I/O failure (once until the store works again) and returns -EIO.
  int Failed(const std::string& what, int error = 0) const {
    const int e = error ? error : errno;
    if (!failing_.exchange(true, std::memory_order_relaxed))
      spdlog::error("overlay: {}: {}", what, std::strerror(e));
    return -EIO;
  }

  mutable std::mutex fd_mutex_;
  mutable std::unordered_map<uint64_t, OpenFile> fds_;
  mutable std::list<uint64_t> lru_;  // most recently used first
  size_t fd_cap_;
  mutable std::atomic<bool> failing_{false};

  void MarkLost(uint64_t ino) const {
    std::lock_guard lock(lost_mutex_);
    lost_.insert(ino);
    any_lost_.store(true, std::memory_order_relaxed);
  }
  bool IsLost(uint64_t ino) const {
    std::lock_guard lock(lost_mutex_);
    return lost_.count(ino) != 0;
  }
  mutable std::mutex lost_mutex_;
  mutable std::unordered_set<uint64_t> lost_;  // data files found removed under the mount
  mutable std::atomic<bool> any_lost_{false};
  const std::string dir_;
};

}  // namespace

uint64_t RangeSet::Add(uint64_t first, uint64_t end) {
  if (first >= end) return 0;
  const uint64_t added = (end - first) - CountIn(first, end);
  auto it = ranges_.upper_bound(first);
  if (it != ranges_.begin()) {
    const auto before = std::prev(it);
    if (before->second >= first) {
      first = before->first;
      end = std::max(end, before->second);
      it = ranges_.erase(before);
    }
  }
  while (it != ranges_.end() && it->first <= end) {
    end = std::max(end, it->second);
    it = ranges_.erase(it);
  }
  ranges_.emplace(first, end);
  total_ += added;
  return added;
}

uint64_t RangeSet::Remove(uint64_t first, uint64_t end) {
  if (first >= end) return 0;
  uint64_t removed = 0;
  auto it = ranges_.upper_bound(first);
  if (it != ranges_.begin() && std::prev(it)->second > first) --it;
  while (it != ranges_.end() && it->first < end) {
    const uint64_t start = it->first, stop = it->second;
    it = ranges_.erase(it);
    removed += std::min(stop, end) - std::max(start, first);
    if (start < first) ranges_.emplace(start, first);
    if (stop > end) ranges_.emplace(end, stop);
  }
  total_ -= removed;
  return removed;
}

bool RangeSet::Contains(uint64_t value) const {
  auto it = ranges_.upper_bound(value);
  return it != ranges_.begin() && value < std::prev(it)->second;
}

uint64_t RangeSet::CountIn(uint64_t first, uint64_t end) const {
  uint64_t count = 0;
  auto it = ranges_.upper_bound(first);
  if (it != ranges_.begin() && std::prev(it)->second > first) --it;
  for (; it != ranges_.end() && it->first < end; ++it)
    if (first < end) count += std::min(it->second, end) - std::max(it->first, first);
  return count;
}

std::unique_ptr<BlockStore> MakeDiscardStore() { return std::make_unique<DiscardStore>(); }

std::unique_ptr<BlockStore> MakeMemoryStore(uint64_t limit_bytes) {
  return std::make_unique<MemoryStore>(limit_bytes);
}

Result<std::unique_ptr<BlockStore>> MakeDirStore(const std::string& path, uint64_t limit_bytes) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Error::Io("--writes dir:" + path + ": not a directory");
  const std::string data = path + "/data";
  if (::mkdir(data.c_str(), 0700) != 0 && errno != EEXIST)
    return Error::Io(data + ": cannot create: " + std::strerror(errno));
  if (::stat(data.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Error::Io(data + ": not a directory (it holds the overlay's written blocks)");
  if (::access(data.c_str(), W_OK) != 0)
    return Error::Io(data + ": not writable: " + std::strerror(errno));
  return std::unique_ptr<BlockStore>(std::make_unique<DirStore>(data, limit_bytes));
}

}  // namespace sfsg
