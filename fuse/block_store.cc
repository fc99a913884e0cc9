#include "fuse/block_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

namespace sfsg {
namespace {

class DiscardStore final : public BlockStore {
 public:
  bool Get(uint64_t, uint64_t, std::byte*) const override { return false; }
  int Put(uint64_t, uint64_t, const std::byte*) override { return 0; }
  void DropFrom(uint64_t, uint64_t) override {}
  int Sync(uint64_t) override { return 0; }
  void Adopt(uint64_t, uint64_t) override {}
  uint64_t bytes_used() const override { return 0; }
  uint64_t limit_bytes() const override { return 0; }
  bool keeps_data() const override { return false; }
  std::string kind() const override { return "discard"; }
};

using Block = std::array<std::byte, BlockStore::kBlockBytes>;

class MemoryStore final : public BlockStore {
 public:
  explicit MemoryStore(uint64_t limit) : limit_(limit) {}

  bool Get(uint64_t ino, uint64_t block, std::byte* out) const override {
    std::shared_lock lock(mutex_);
    const auto file = files_.find(ino);
    if (file == files_.end()) return false;
    const auto it = file->second.find(block);
    if (it == file->second.end()) return false;
    std::memcpy(out, it->second->data(), kBlockBytes);
    return true;
  }

  int Put(uint64_t ino, uint64_t block, const std::byte* data) override {
    std::unique_lock lock(mutex_);
    auto& slot = files_[ino][block];
    if (!slot) {
      if (limit_ && used_ + kBlockBytes > limit_) {
        files_[ino].erase(block);
        return -ENOSPC;
      }
      slot = std::make_unique<Block>();
      used_ += kBlockBytes;
    }
    std::memcpy(slot->data(), data, kBlockBytes);
    return 0;
  }

  void DropFrom(uint64_t ino, uint64_t first_block) override {
    std::unique_lock lock(mutex_);
    const auto file = files_.find(ino);
    if (file == files_.end()) return;
    auto it = file->second.lower_bound(first_block);
    while (it != file->second.end()) {
      it = file->second.erase(it);
      used_ -= kBlockBytes;
    }
    if (file->second.empty()) files_.erase(file);
  }

  int Sync(uint64_t) override { return 0; }
  void Adopt(uint64_t, uint64_t) override {}
  uint64_t bytes_used() const override {
    std::shared_lock lock(mutex_);
    return used_;
  }
  uint64_t limit_bytes() const override { return limit_; }
  bool keeps_data() const override { return true; }
  std::string kind() const override { return "memory"; }

 private:
  mutable std::shared_mutex mutex_;
  std::unordered_map<uint64_t, std::map<uint64_t, std::unique_ptr<Block>>> files_;
  uint64_t used_ = 0;
  const uint64_t limit_;
};

// Blocks live at their own offset in a sparse file per inode; which blocks exist is
// kept in memory and rebuilt from the overlay journal on mount.
class DirStore final : public BlockStore {
 public:
  DirStore(std::string data_dir, uint64_t limit) : dir_(std::move(data_dir)), limit_(limit) {}
  ~DirStore() override {
    for (auto& [ino, file] : files_)
      if (file.fd >= 0) ::close(file.fd);
  }

  bool Get(uint64_t ino, uint64_t block, std::byte* out) const override {
    std::shared_lock lock(mutex_);
    const auto it = files_.find(ino);
    if (it == files_.end() || !it->second.blocks.count(block)) return false;
    const int fd = OpenLocked(ino, it->second);
    if (fd < 0) return false;
    const ssize_t n = ::pread(fd, out, kBlockBytes, static_cast<off_t>(block * kBlockBytes));
    if (n < static_cast<ssize_t>(kBlockBytes))
      std::memset(out + std::max<ssize_t>(n, 0), 0, kBlockBytes - std::max<ssize_t>(n, 0));
    return n >= 0;
  }

  int Put(uint64_t ino, uint64_t block, const std::byte* data) override {
    std::unique_lock lock(mutex_);
    File& file = files_[ino];
    const bool fresh = !file.blocks.count(block);
    if (fresh && limit_ && used_ + kBlockBytes > limit_) return -ENOSPC;
    const int fd = OpenLocked(ino, file);
    if (fd < 0) return -EIO;
    const ssize_t n = ::pwrite(fd, data, kBlockBytes, static_cast<off_t>(block * kBlockBytes));
    if (n != static_cast<ssize_t>(kBlockBytes))
      return errno == ENOSPC || errno == EDQUOT ? -ENOSPC : -EIO;
    if (fresh) {
      file.blocks.insert(block);
      used_ += kBlockBytes;
    }
    return 0;
  }

  void DropFrom(uint64_t ino, uint64_t first_block) override {
    std::unique_lock lock(mutex_);
    const auto it = files_.find(ino);
    if (it == files_.end()) return;
    File& file = it->second;
    for (auto b = file.blocks.lower_bound(first_block); b != file.blocks.end();) {
      b = file.blocks.erase(b);
      used_ -= kBlockBytes;
    }
    const std::string path = PathOf(ino);
    if (first_block == 0) {
      if (file.fd >= 0) ::close(file.fd);
      ::unlink(path.c_str());
      files_.erase(it);
    } else {
      (void)::truncate(path.c_str(), static_cast<off_t>(first_block * kBlockBytes));
    }
  }

  int Sync(uint64_t ino) override {
    std::shared_lock lock(mutex_);
    const auto it = files_.find(ino);
    if (it == files_.end() || it->second.fd < 0) return 0;
    return ::fdatasync(it->second.fd) == 0 ? 0 : -EIO;
  }

  void Adopt(uint64_t ino, uint64_t block) override {
    std::unique_lock lock(mutex_);
    if (files_[ino].blocks.insert(block).second) used_ += kBlockBytes;
  }

  void ForgetFrom(uint64_t ino, uint64_t first_block) override {
    std::unique_lock lock(mutex_);
    const auto it = files_.find(ino);
    if (it == files_.end()) return;
    for (auto b = it->second.blocks.lower_bound(first_block); b != it->second.blocks.end();) {
      b = it->second.blocks.erase(b);
      used_ -= kBlockBytes;
    }
  }

  uint64_t bytes_used() const override {
    std::shared_lock lock(mutex_);
    return used_;
  }
  uint64_t limit_bytes() const override { return limit_; }
  bool keeps_data() const override { return true; }
  std::string kind() const override { return "dir"; }

 private:
  struct File {
    mutable int fd = -1;
    std::set<uint64_t> blocks;
  };

  std::string PathOf(uint64_t ino) const { return dir_ + "/" + std::to_string(ino); }

  // Opens lazily; the fd is cached. Racing opens under a shared lock are benign: the
  // loser closes its fd.
  int OpenLocked(uint64_t ino, const File& file) const {
    int fd = __atomic_load_n(&file.fd, __ATOMIC_ACQUIRE);
    if (fd >= 0) return fd;
    fd = ::open(PathOf(ino).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    int expected = -1;
    if (!__atomic_compare_exchange_n(&file.fd, &expected, fd, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
      ::close(fd);
      return expected;
    }
    return fd;
  }

  mutable std::shared_mutex mutex_;
  std::unordered_map<uint64_t, File> files_;
  uint64_t used_ = 0;
  const std::string dir_;
  const uint64_t limit_;
};

}  // namespace

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
  if (::access(data.c_str(), W_OK) != 0)
    return Error::Io(data + ": not writable: " + std::strerror(errno));
  return std::unique_ptr<BlockStore>(std::make_unique<DirStore>(data, limit_bytes));
}

}  // namespace sfsg
