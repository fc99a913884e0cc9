#include "generator/replay/file_set.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "generator/util/hash.h"
#include "generator/config.h"

namespace sfsg {
namespace {

constexpr uint64_t kTagPopularity = 0x706f70756c6172ull;  // "popular"
// How far down the ranking HotFiles looks before giving up.

}  // namespace

uint64_t LargestRequestBytes(const Workload& w) {
  uint64_t largest = 1;
  if (w.mix.read > 0)
    for (const auto& e : w.read_sizes) largest = std::max(largest, e.first);
  if (w.mix.write > 0)
    for (const auto& e : w.write_sizes) largest = std::max(largest, e.first);
  return largest;
}

FileSet FileSet::OverNamespace(const Namespace& ns, uint64_t seed) {
  FileSet set;
  set.ns_ = &ns;
  set.rank_to_index_ = std::make_shared<const Permutation>(HashWords(seed, kTagPopularity),
                                                           std::max<uint64_t>(1, ns.entry_count()));
  return set;
}

Result<FileSet> FileSet::HotFiles(const Namespace& ns, uint64_t seed, uint64_t count,
                                  uint64_t min_size_bytes, bool fewer_ok) {
  const FileSet all = OverNamespace(ns, seed);
  std::vector<FileRef> hot;
  const uint64_t limit = std::min(all.count(), config::kHotSearchLimit);
  for (uint64_t rank = 1; rank <= limit && hot.size() < count; ++rank) {
    const uint64_t ino = ns.InoOfEntryIndex(all.rank_to_index_->Apply(rank - 1));
    const auto attr = ns.GetAttr(ino);
    if (!attr || attr->kind != NodeKind::kFile || attr->size_bytes < min_size_bytes) continue;
    hot.push_back({*ns.PathOf(ino), attr->size_bytes});
  }
  if ((hot.size() < count && !fewer_ok) || hot.empty())
    return Error::Usage("hot files: only " + std::to_string(hot.size()) + " of the " +
                        std::to_string(limit) + " most popular entries are regular files of " +
                        std::to_string(min_size_bytes) + " bytes or more; " +
                        std::to_string(count) + " were asked for");
  return OverList(std::move(hot));
}

FileSet FileSet::OverList(std::vector<FileRef> files) {
  FileSet set;
  set.list_ = std::move(files);
  return set;
}

uint64_t FileSet::count() const { return ns_ ? ns_->entry_count() : list_.size(); }

FileRef FileSet::ByRank(uint64_t rank) const {
  if (!ns_) return list_[rank - 1];
  const uint64_t ino = ns_->InoOfEntryIndex(rank_to_index_->Apply(rank - 1));
  const auto attr = ns_->GetAttr(ino);
  return {ns_->PathOf(ino).value_or(""), attr ? attr->size_bytes : 0,
          attr && attr->kind == NodeKind::kFile};
}

FileRef FileSet::RegularByRank(uint64_t rank) const {
  if (!ns_) return list_[rank - 1];  // lists hold regular files only
  const uint64_t n = count();
  for (uint64_t step = 0; step <= std::min<uint64_t>(64, n - 1); ++step) {
    const uint64_t r = (rank - 1 + step) % n + 1;
    const uint64_t ino = ns_->InoOfEntryIndex(rank_to_index_->Apply(r - 1));
    const auto attr = ns_->GetAttr(ino);
    if (attr && attr->kind == NodeKind::kFile)
      return {ns_->PathOf(ino).value_or(""), attr->size_bytes, true};
  }
  return ByRank(rank);
}

Result<std::unique_ptr<ScratchDir>> ScratchDir::Create(const std::string& target) {
  static std::atomic<uint32_t> counter{0};
  const std::string name =
      ".sfsg-replay-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
  const std::string path = target + "/" + name;
  if (::mkdir(path.c_str(), 0755) != 0)
    return Error::Io(path + ": cannot create the scratch directory: " + std::strerror(errno));
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    const int err = errno;
    ::rmdir(path.c_str());
    return Error::Io(path + ": cannot open the scratch directory: " + std::strerror(err));
  }
  return std::unique_ptr<ScratchDir>(new ScratchDir(path, name, fd));
}

ScratchDir::ScratchDir(std::string path, std::string name, int fd)
    : path_(std::move(path)), name_(std::move(name)), fd_(fd) {}

ScratchDir::~ScratchDir() { (void)Remove(); }

Status ScratchDir::Remove() {
  if (removed_) return Status::Ok();
  removed_ = true;
  ::close(fd_);
  const auto slash = path_.rfind('/');
  const std::string parent = slash == std::string::npos ? "." : path_.substr(0, slash);
  const int parent_fd =
      ::open(parent.empty() ? "/" : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (parent_fd < 0) return Error::Io(parent + ": " + std::strerror(errno));
  Status status = RemoveTree(parent_fd, name_);
  ::close(parent_fd);
  return status;
}

Status RemoveTree(int dir_fd, const std::string& name) {
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return errno == ENOENT ? Status::Ok() : Status(Error::Io(name + ": " + std::strerror(errno)));
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT)
      return Error::Io(name + ": cannot remove: " + std::strerror(errno));
    return Status::Ok();
  }
  const int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Error::Io(name + ": cannot open: " + std::strerror(errno));
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    ::close(fd);
    return Error::Io(name + ": cannot list: " + std::strerror(errno));
  }
  std::vector<std::string> children;
  while (const dirent* e = ::readdir(dir)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
      children.emplace_back(e->d_name);
  }
  Status status;
  for (const std::string& child : children) {
    if (Status s = RemoveTree(::dirfd(dir), child); !s && status) status = s;
  }
  ::closedir(dir);
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT && status)
    status = Error::Io(name + ": cannot remove: " + std::strerror(errno));
  return status;
}

}  // namespace sfsg
