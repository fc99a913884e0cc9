// ShadowFs: mutations through the overlay (create, write, truncate, rename, ...).
// Every public method takes the exclusive lock, validates, mutates, then persists
// one journal line before it returns, so an acknowledged change survives a crash.
#include <fuse_lowlevel.h>
#include <linux/fs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <mutex>
#include <vector>

#include "fuse/shadow_fs.h"

namespace sfsg {
namespace {

timespec Now() {
  timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return t;
}

timespec FromNs(int64_t ns) {
  return {static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
}

constexpr uint64_t kBlock = BlockStore::kBlockBytes;

}  // namespace

OverlayNode* ShadowFs::Materialize(uint64_t ino) {
  const auto it = nodes_.find(ino);
  if (it != nodes_.end()) return &it->second;
  const auto attr = ns_->GetAttr(ino);
  if (!attr) return nullptr;
  OverlayNode n;
  n.kind = attr->kind;
  n.mode = attr->mode;
  n.uid = config_.owner_uid;
  n.gid = config_.owner_gid;
  n.nlink = attr->nlink;  // as SyntheticStat reports it (the hidden /.sfsg not counted)
  n.size_bytes = attr->size_bytes;
  n.atime = FromNs(attr->atime_ns);
  n.mtime = FromNs(attr->mtime_ns);
  n.ctime = FromNs(attr->ctime_ns);
  n.synthetic = true;
  n.base_limit = attr->kind == NodeKind::kFile ? attr->size_bytes : 0;
  n.content_class = attr->content_class;
  n.file_key = attr->file_index;
  if (attr->kind == NodeKind::kSymlink) n.link_target = ns_->ReadLink(ino).value_or("");
  if (attr->kind == NodeKind::kDirectory) n.dir = std::make_unique<DirState>();
  OverlayNode* node = &nodes_.emplace(ino, std::move(n)).first->second;
  overlay_touched_.store(true, std::memory_order_release);
  return node;
}

DirState* ShadowFs::DirOf(uint64_t ino) {
  OverlayNode* node = Materialize(ino);
  return node ? node->dir.get() : nullptr;
}

bool ShadowFs::DirEmptyLocked(uint64_t ino) const {
  const auto it = nodes_.find(ino);
  if (it == nodes_.end()) return ns_->ChildCount(ino) == 0;
  const DirState& d = *it->second.dir;
  const uint64_t synthetic = it->second.synthetic ? ns_->ChildCount(ino) : 0;
  return d.added.empty() && d.whiteouts.size() >= synthetic;
}

void ShadowFs::AddEntry(uint64_t parent, const std::string& name, uint64_t ino) {
  OverlayNode* dir = Materialize(parent);
  DirState& d = *dir->dir;
  if (dir->synthetic && ns_->Lookup(parent, name)) d.whiteouts.insert(name);
  d.added[name] = ino;
  if (!d.sequence_of.count(name)) {
    d.order[d.next_sequence] = name;
    d.sequence_of[name] = d.next_sequence++;
  }
  if (!replaying_) pending_.push_back(EncodeDirent(parent, name, ino));
}

void ShadowFs::RemoveEntry(uint64_t parent, const std::string& name) {
  OverlayNode* dir = Materialize(parent);
  DirState& d = *dir->dir;
  d.Unlist(name);
  if (dir->synthetic && ns_->Lookup(parent, name)) d.whiteouts.insert(name);
  if (!replaying_) pending_.push_back(EncodeDirent(parent, name, 0));
}

void ShadowFs::DiscardBlocks(uint64_t ino, uint64_t first, uint64_t end) {
  if (replaying_ || !journal_) {
    store_->DropRange(ino, first, end);
    return;
  }
  store_->ForgetRange(ino, first, end);
  discards_.push_back({ino, first, end});
}

void ShadowFs::FreeLocked(uint64_t ino) {
  DiscardBlocks(ino, 0, RangeSet::kNoEnd);
  const auto it = nodes_.find(ino);
  if (it == nodes_.end() || !it->second.freed) {
    if (ino >= kFirstOverlayIno) {
      created_inodes_.fetch_sub(1, std::memory_order_relaxed);
    } else {
      freed_synthetic_inodes_.fetch_add(1, std::memory_order_relaxed);
      const auto attr = ns_->GetAttr(ino);
      const uint64_t synthetic = it != nodes_.end() ? SyntheticBytes(it->second)
                                 : attr && attr->kind == NodeKind::kFile ? attr->size_bytes
                                                                         : 0;
      released_synthetic_bytes_.fetch_add(synthetic, std::memory_order_relaxed);
    }
  }
  if (it != nodes_.end()) nodes_.erase(it);
  // A freed synthetic inode must not come back from the namespace: keep a tombstone.
  if (ns_->GetAttr(ino)) {
    OverlayNode tomb;
    tomb.nlink = 0;
    tomb.freed = true;
    nodes_.emplace(ino, std::move(tomb));
  }
  if (!replaying_) pending_.push_back(EncodeFree(ino));
}

void ShadowFs::Refresh(uint64_t ino, OverlayNode& node, uint64_t synthetic_before) {
  node.stored_blocks = store_->BlocksOf(ino);
  const uint64_t synthetic_after = SyntheticBytes(node);
  if (synthetic_before > synthetic_after)
    released_synthetic_bytes_.fetch_add(synthetic_before - synthetic_after,
                                        std::memory_order_relaxed);
}

void ShadowFs::RecountLocked() {
  uint64_t released = 0, freed = 0;
  int64_t created = 0;
  for (const auto& [ino, node] : nodes_) {
    if (ino >= kFirstOverlayIno) {
      created += node.freed ? 0 : 1;
      continue;
    }
    const auto attr = ns_->GetAttr(ino);
    const uint64_t original = attr && attr->kind == NodeKind::kFile ? attr->size_bytes : 0;
    if (node.freed) {
      ++freed;
      released += original;
    } else {
      released += original - std::min(original, SyntheticBytes(node));
    }
  }
  released_synthetic_bytes_ = released;
  created_inodes_ = created;
  freed_synthetic_inodes_ = freed;
}

int ShadowFs::CheckOverlay() { return journal_ ? journal_->CheckAlive() : 0; }

int ShadowFs::CheckOverlayOnCadence() {
  if (!journal_) return 0;
  if (journal_->lost()) return -EIO;
  timespec now;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);  // vDSO: no system call
  const int64_t now_ns = int64_t{now.tv_sec} * 1000000000 + now.tv_nsec;
  if (now_ns < next_alive_check_ns_) return 0;
  next_alive_check_ns_ = now_ns + kAliveCheckIntervalNs;
  return journal_->CheckAlive();
}

void ShadowFs::DropLink(uint64_t ino) {
  OverlayNode* node = Materialize(ino);
  if (!node) return;
  if (node->nlink > 0) --node->nlink;
  node->ctime = Now();
  if (node->nlink == 0 && !open_counts_.count(ino)) FreeLocked(ino);
}

int ShadowFs::Persist(std::initializer_list<uint64_t> inos) {
  overlay_nodes_.store(nodes_.size(), std::memory_order_relaxed);
  if (!journal_) {
    pending_ = Json::array();
    return 0;
  }
  for (uint64_t ino : inos) {
    const auto it = nodes_.find(ino);
    if (it != nodes_.end() && (it->second.nlink > 0 || open_counts_.count(ino)))
      pending_.push_back(EncodeNode(ino, it->second));
  }
  const std::vector<Discard> discards = std::exchange(discards_, {});
  const int rc = pending_.empty() ? 0 : journal_->Append(pending_, !discards.empty());
  pending_ = Json::array();
  // Only once the journal says so: a crash before the append keeps the blocks' data.
  if (rc == 0 && !discards.empty()) {
    for (const Discard& d : discards) store_->DropRange(d.ino, d.first, d.end);
    journal_->Replenish();
  }
  return rc;
}

int ShadowFs::NewNode(uint64_t parent, std::string_view name, NodeKind kind, uint32_t mode,
                      const RequestContext& ctx, uint64_t* ino) {
  if (name.size() > kMaxNameBytes) return -ENAMETOOLONG;
  if (IsControl(parent)) return -EACCES;
  if (!IsDirLocked(parent)) return -ENOTDIR;
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos)
    return -EINVAL;
  uint64_t existing = 0;
  if (LookupLocked(parent, name, &existing) == 0) return -EEXIST;
  struct stat parent_attr;
  if (const int rc = AttrLocked(parent, &parent_attr); rc != 0) return rc;
  OverlayNode n;
  n.kind = kind;
  n.mode = mode & 07777;
  n.uid = ctx.uid;
  n.gid = ctx.gid;
  // BSD group semantics under a setgid directory: the group is inherited, and new
  // subdirectories stay setgid.
  if (parent_attr.st_mode & S_ISGID) {
    n.gid = parent_attr.st_gid;
    if (kind == NodeKind::kDirectory) n.mode |= S_ISGID;
  }
  n.nlink = kind == NodeKind::kDirectory ? 2 : 1;
  n.atime = n.mtime = n.ctime = Now();
  if (kind == NodeKind::kDirectory) n.dir = std::make_unique<DirState>();
  *ino = next_ino_++;
  nodes_.emplace(*ino, std::move(n));
  created_inodes_.fetch_add(1, std::memory_order_relaxed);
  overlay_touched_.store(true, std::memory_order_release);
  AddEntry(parent, std::string(name), *ino);
  OverlayNode* p = Materialize(parent);
  if (kind == NodeKind::kDirectory) ++p->nlink;
  p->mtime = p->ctime = Now();
  return 0;
}

void ShadowFs::UndoNewEntry(uint64_t parent, const std::string& name, uint64_t ino, bool new_node) {
  OverlayNode* dir = Materialize(parent);
  DirState& d = *dir->dir;
  d.Unlist(name);
  const auto it = nodes_.find(ino);
  if (it == nodes_.end()) return;
  if (!new_node) {
    if (it->second.nlink > 0) --it->second.nlink;
    return;
  }
  if (it->second.kind == NodeKind::kDirectory && dir->nlink > 2) --dir->nlink;
  nodes_.erase(it);
  open_counts_.erase(ino);
  created_inodes_.fetch_sub(1, std::memory_order_relaxed);
  overlay_nodes_.store(nodes_.size(), std::memory_order_relaxed);
}

int ShadowFs::Create(uint64_t parent, std::string_view name, uint32_t mode,
                     const RequestContext& ctx, struct stat* st) {
  std::unique_lock lock(mutex_);
  if (const int rc = CheckOverlay(); rc != 0) return rc;
  uint64_t ino = 0;
  if (const int rc = NewNode(parent, name, NodeKind::kFile, mode, ctx, &ino); rc != 0) return rc;
  ++open_counts_[ino];
  if (const int rc = Persist({ino, parent}); rc != 0) {
    UndoNewEntry(parent, std::string(name), ino, /*new_node=*/true);
    return rc;
  }
  return AttrLocked(ino, st);
}

int ShadowFs::Mkdir(uint64_t parent, std::string_view name, uint32_t mode,
                    const RequestContext& ctx, struct stat* st) {
  std::unique_lock lock(mutex_);
  if (const int rc = CheckOverlay(); rc != 0) return rc;
  uint64_t ino = 0;
  if (const int rc = NewNode(parent, name, NodeKind::kDirectory, mode, ctx, &ino); rc != 0)
    return rc;
  if (const int rc = Persist({ino, parent}); rc != 0) {
    UndoNewEntry(parent, std::string(name), ino, /*new_node=*/true);
    return rc;
  }
  return AttrLocked(ino, st);
}

int ShadowFs::Symlink(uint64_t parent, std::string_view name, std::string_view target,
                      const RequestContext& ctx, struct stat* st) {
  std::unique_lock lock(mutex_);
  if (const int rc = CheckOverlay(); rc != 0) return rc;
  if (target.size() >= 4096) return -ENAMETOOLONG;
  uint64_t ino = 0;
  if (const int rc = NewNode(parent, name, NodeKind::kSymlink, 0777, ctx, &ino); rc != 0) return rc;
  OverlayNode& node = nodes_.at(ino);
  node.link_target = std::string(target);
  node.size_bytes = target.size();
  if (const int rc = Persist({ino, parent}); rc != 0) {
    UndoNewEntry(parent, std::string(name), ino, /*new_node=*/true);
    return rc;
  }
  return AttrLocked(ino, st);
}

int ShadowFs::Mknod(uint64_t parent, std::string_view name, uint32_t mode, uint64_t rdev,
                    const RequestContext& ctx, struct stat* st) {
  const uint32_t type = mode & S_IFMT;
  switch (type) {
    case 0:
    case S_IFREG:
    case S_IFIFO:
    case S_IFSOCK:
    case S_IFCHR:
    case S_IFBLK:
      break;
    case S_IFDIR:
      return -EPERM;
    default:
      return -EINVAL;
  }
  std::unique_lock lock(mutex_);
  if (const int rc = CheckOverlay(); rc != 0) return rc;
  const bool regular = type == 0 || type == S_IFREG;
  uint64_t ino = 0;
  if (const int rc =
          NewNode(parent, name, regular ? NodeKind::kFile : kSpecialKind, mode, ctx, &ino);
      rc != 0)
    return rc;
  if (!regular) {
    OverlayNode& node = nodes_.at(ino);
    node.special_type = type;
    node.rdev = type == S_IFCHR || type == S_IFBLK ? rdev : 0;  // tmpfs keeps it for devices only
  }
  if (const int rc = Persist({ino, parent}); rc != 0) {
    UndoNewEntry(parent, std::string(name), ino, /*new_node=*/true);
    return rc;
  }
  return AttrLocked(ino, st);
}

int ShadowFs::Link(uint64_t ino, uint64_t parent, std::string_view name, struct stat* st) {
  std::unique_lock lock(mutex_);
  if (const int rc = CheckOverlay(); rc != 0) return rc;
  if (name.size() > kMaxNameBytes) return -ENAMETOOLONG;
  if (IsControl(ino) || IsControl(parent)) return -EACCES;
  if (IsDirLocked(ino)) return -EPERM;
  uint64_t existing = 0;
  if (LookupLocked(parent, name, &existing) == 0) return -EEXIST;
  OverlayNode* node = Materialize(ino);
  if (!node) return -ENOENT;
  ++node->nlink;
  node->ctime = Now();
  AddEntry(parent, std::string(name), ino);
  OverlayNode* dir = Materialize(parent);
  dir->mtime = dir->ctime = Now();  // a new entry changes the directory: mtime and ctime
  if (const int rc = Persist({ino, parent}); rc != 0) {
    UndoNewEntry(parent, std::string(name), ino, /*new_node=*/false);
    return rc;
  }
  return AttrLocked(ino, st);
}

int ShadowFs::Unlink(uint64_t parent, std::string_view name) {
  std::unique_lock lock(mutex_);
  if (const int rc = CheckOverlay(); rc != 0) return rc;
  if (IsControl(parent)) return -EACCES;
  uint64_t ino = 0;
  if (const int rc = LookupLocked(parent, name, &ino); rc != 0) return rc;
  if (IsControl(ino)) return -EACCES;
  if (IsDirLocked(ino)) return -EISDIR;
  RemoveEntry(parent, std::string(name));
  DropLink(ino);
  OverlayNode* p = Materialize(parent);
  p->mtime = p->ctime = Now();
  return Persist({ino, parent});
}

int ShadowFs::Rmdir(uint64_t parent, std::string_view name) {
  std::unique_lock lock(mutex_);
  if (const int rc = CheckOverlay(); rc != 0) return rc;
  if (name == ".") return -EINVAL;
  if (IsControl(parent)) return -EACCES;
  uint64_t ino = 0;
  if (const int rc = LookupLocked(parent, name, &ino); rc != 0) return rc;
  if (IsControl(ino)) return -EBUSY;
  if (!IsDirLocked(ino)) return -ENOTDIR;
  if (!DirEmptyLocked(ino)) return -ENOTEMPTY;
  RemoveEntry(parent, std::string(name));
  FreeLocked(ino);
  OverlayNode* p = Materialize(parent);
  if (p->nlink > 2) --p->nlink;
  p->mtime = p->ctime = Now();
  return Persist({parent});
}

int ShadowFs::Rename(uint64_t parent, std::string_view name, uint64_t new_parent,
                     std::string_view new_name, unsigned flags) {
  std::unique_lock lock(mutex_);
  if (const int rc = CheckOverlay(); rc != 0) return rc;
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) return -EINVAL;
  if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE)) return -EINVAL;
  if (new_name.size() > kMaxNameBytes) return -ENAMETOOLONG;
  if (IsControl(parent) || IsControl(new_parent)) return -EACCES;
  uint64_t ino = 0, target = 0;
  if (const int rc = LookupLocked(parent, name, &ino); rc != 0) return rc;
  if (IsControl(ino)) return -EACCES;
  if (!IsDirLocked(new_parent)) return -ENOTDIR;
  const bool target_exists = LookupLocked(new_parent, new_name, &target) == 0;
  if (target_exists && IsControl(target)) return -EACCES;
  if (target_exists && target == ino) return 0;
  const bool moving_dir = IsDirLocked(ino);
  if (flags & RENAME_EXCHANGE) {
    if (!target_exists) return -ENOENT;
    const bool target_dir = IsDirLocked(target);
    AddEntry(parent, std::string(name), target);
    AddEntry(new_parent, std::string(new_name), ino);
    if (parent != new_parent && moving_dir != target_dir) {
      OverlayNode* from = Materialize(parent);
      OverlayNode* to = Materialize(new_parent);
      if (moving_dir)
        --from->nlink, ++to->nlink;
      else
        ++from->nlink, --to->nlink;
    }
    const timespec now = Now();
    Materialize(ino)->ctime = Materialize(target)->ctime = now;
    OverlayNode* from = Materialize(parent);
    OverlayNode* to = Materialize(new_parent);
    from->mtime = from->ctime = to->mtime = to->ctime = now;
    return Persist({ino, target, parent, new_parent});
  }
  if (target_exists) {
    if (flags & RENAME_NOREPLACE) return -EEXIST;
    const bool target_dir = IsDirLocked(target);
    if (moving_dir && !target_dir) return -ENOTDIR;
    if (!moving_dir && target_dir) return -EISDIR;
    if (target_dir && !DirEmptyLocked(target)) return -ENOTEMPTY;
    RemoveEntry(new_parent, std::string(new_name));
    if (target_dir) {
      FreeLocked(target);
      --Materialize(new_parent)->nlink;
    } else {
      DropLink(target);
    }
  }
  RemoveEntry(parent, std::string(name));
  AddEntry(new_parent, std::string(new_name), ino);
  OverlayNode* from = Materialize(parent);
  OverlayNode* to = Materialize(new_parent);
  if (moving_dir && parent != new_parent) --from->nlink, ++to->nlink;
  const timespec now = Now();
  from->mtime = from->ctime = to->mtime = to->ctime = now;
  Materialize(ino)->ctime = now;
  return Persist({ino, target, parent, new_parent});
}

int ShadowFs::TruncateLocked(uint64_t ino, OverlayNode& node, uint64_t size) {
  if (node.kind == NodeKind::kDirectory) return -EISDIR;
  if (node.kind != NodeKind::kFile) return -EINVAL;
  if (size > kMaxFileBytes) return -EFBIG;
  if (size < node.size_bytes) {
    const uint64_t synthetic_before = SyntheticBytes(node);
    const uint64_t keep_blocks = (size + kBlock - 1) / kBlock;
    if (size % kBlock != 0 && store_->keeps_data()) {
      // Only a stored last block needs its tail zeroed, in place: a shrink never takes
      // space. Synthetic bytes past the cut are hidden by base_limit below.
      alignas(64) std::byte block[kBlock];
      const int stored = store_->Get(ino, size / kBlock, block);
      if (stored < 0) return stored;
      if (stored == 1) {
        std::memset(block + size % kBlock, 0, kBlock - size % kBlock);
        if (const int rc = store_->Put(ino, size / kBlock, block); rc != 0) return rc;
        pending_.push_back(EncodeBlocks(ino, {size / kBlock}));
      }
    }
    DiscardBlocks(ino, keep_blocks, RangeSet::kNoEnd);
    pending_.push_back(EncodeDrop(ino, keep_blocks));
    node.base_limit = std::min(node.base_limit, size);
    node.holes.Remove(node.base_limit, RangeSet::kNoEnd);
    Refresh(ino, node, synthetic_before);
  }
  node.size_bytes = size;
  node.mtime = node.ctime = Now();
  return 0;
}

int ShadowFs::PunchLocked(uint64_t ino, OverlayNode& node, uint64_t offset, uint64_t end) {
  // discard: a punch is a write of zeros, and a written range reads back as the
  // synthetic content underneath (zeros elsewhere): nothing to change.
  if (!store_->keeps_data()) return 0;
  const uint64_t synthetic_before = SyntheticBytes(node);
  if (node.synthetic && offset < node.base_limit)
    node.holes.Add(offset, std::min(end, node.base_limit));
  // Stored blocks wholly inside are dropped; so is the last block when the hole reaches
  // the end of the file (bytes past it read as zeros anyway). A stored block cut by an
  // edge of the range is zeroed in place, which takes no new space.
  const uint64_t head = offset / kBlock;
  const uint64_t first_whole = (offset + kBlock - 1) / kBlock;
  const uint64_t end_whole = end == node.size_bytes ? (end + kBlock - 1) / kBlock : end / kBlock;
  const auto zero_part = [&](uint64_t index) {
    alignas(64) std::byte block[kBlock];
    const int stored = store_->Get(ino, index, block);
    if (stored <= 0) return stored;
    const uint64_t start = index * kBlock;
    const uint64_t from = std::max(offset, start), to = std::min(end, start + kBlock);
    std::memset(block + (from - start), 0, to - from);
    if (const int rc = store_->Put(ino, index, block); rc != 0) return rc;
    pending_.push_back(EncodeBlocks(ino, {index}));
    return 0;
  };
  int rc = 0;
  if (offset % kBlock != 0) rc = zero_part(head);
  const bool tail_cut = end % kBlock != 0 && end != node.size_bytes;
  if (rc == 0 && tail_cut && (end / kBlock != head || offset % kBlock == 0))
    rc = zero_part(end / kBlock);
  // Nothing dropped after a failed edge: the call fails without the journal's punch.
  if (rc == 0 && first_whole < end_whole) {
    DiscardBlocks(ino, first_whole, end_whole);
    pending_.push_back(EncodePunch(ino, first_whole, end_whole));
  }
  Refresh(ino, node, synthetic_before);
  return rc;
}

int ShadowFs::Write(uint64_t ino, uint64_t offset, std::span<const std::byte> data, size_t* done,
                    const std::function<bool()>& writer_has_fsetid) {
  *done = 0;
  std::unique_lock lock(mutex_);
  if (IsControl(ino)) return -EACCES;
  if (offset > kMaxFileBytes || data.size() > kMaxFileBytes - offset) return -EFBIG;
  if (const int rc = CheckOverlayOnCadence(); rc != 0) return rc;
  OverlayNode* node = Materialize(ino);
  if (!node) return -ENOENT;
  if (node->kind == kSpecialKind) return -EINVAL;
  if (node->kind != NodeKind::kFile) return -EISDIR;
  int rc = 0;
  if (store_->keeps_data()) {
    Json blocks = Json::array();
    alignas(64) std::byte scratch[kBlock];
    while (*done < data.size()) {
      const uint64_t at = offset + *done;
      const uint64_t index = at / kBlock;
      const size_t within = at % kBlock;
      const size_t take = std::min<size_t>(kBlock - within, data.size() - *done);
      const std::byte* source = data.data() + *done;
      if (take == kBlock) {
        // Whole blocks up to the next partial one go to the store in one run.
        const uint64_t run = (data.size() - *done) / kBlock;
        uint64_t stored = 0;
        rc = store_->PutRun(ino, index, run, source, &stored);
        for (uint64_t i = 0; i < stored; ++i) blocks.push_back(index + i);
        *done += stored * kBlock;
        if (rc != 0) break;
        continue;
      }
      if ((rc = ReadBlock(ino, *node, index, scratch)) != 0) break;
      std::memcpy(scratch + within, source, take);
      if ((rc = store_->Put(ino, index, scratch)) != 0) break;
      blocks.push_back(index);
      *done += take;
    }
    if (!blocks.empty()) pending_.push_back(EncodeBlocks(ino, blocks));
    node->stored_blocks = store_->BlocksOf(ino);
  } else {
    *done = data.size();
  }
  if (*done > 0) {
    // Without FUSE_CAP_HANDLE_KILLPRIV the kernel clears setuid/setgid itself on truncate,
    // chown and page-cache writes, but not on direct_io writes: those are cleared here
    // with the kernel's rule (setuid; setgid when group-executable), unless the writer
    // holds CAP_FSETID. The kernel refetches the mode after a write (size/mtime change).
    const uint32_t setgid_exec = S_ISGID | S_IXGRP;
    const uint32_t kill =
        (node->mode & S_ISUID) | ((node->mode & setgid_exec) == setgid_exec ? S_ISGID : 0);
    if (kill != 0 && writer_has_fsetid && !writer_has_fsetid()) node->mode &= ~kill;
    node->size_bytes = std::max<uint64_t>(node->size_bytes, offset + *done);
    node->mtime = node->ctime = Now();
    metrics_.AddBytesWritten(*done);
  }
  const int persisted = Persist({ino});
  if (*done > 0) return 0;
  return rc != 0 ? rc : persisted;
}

int ShadowFs::SetAttr(uint64_t ino, const struct stat& attr, int valid, struct stat* out) {
  std::unique_lock lock(mutex_);
  if (const int rc = CheckOverlay(); rc != 0) return rc;
  if (IsControl(ino)) return -EACCES;
  OverlayNode* node = Materialize(ino);
  if (!node) return -ENOENT;
  const timespec now = Now();
  bool changed = true;
  if (valid & FUSE_SET_ATTR_SIZE) {
    const auto size = static_cast<uint64_t>(attr.st_size);
    if (node->kind == NodeKind::kFile && size == node->size_bytes) {
      // truncate(2) to the size a file has changes no time (as tmpfs and ext4).
      changed = (valid & ~FUSE_SET_ATTR_SIZE) != 0;
    } else if (const int rc = TruncateLocked(ino, *node, size); rc != 0) {
      return rc;
    }
  }
  if (valid & FUSE_SET_ATTR_MODE) node->mode = attr.st_mode & 07777;
  if (valid & FUSE_SET_ATTR_UID) node->uid = attr.st_uid;
  if (valid & FUSE_SET_ATTR_GID) node->gid = attr.st_gid;
  if (valid & FUSE_SET_ATTR_ATIME) node->atime = attr.st_atim;
  if (valid & FUSE_SET_ATTR_ATIME_NOW) node->atime = now;
  if (valid & FUSE_SET_ATTR_MTIME) node->mtime = attr.st_mtim;
  if (valid & FUSE_SET_ATTR_MTIME_NOW) node->mtime = now;
  if (!changed) return AttrLocked(ino, out);
  node->ctime = (valid & FUSE_SET_ATTR_CTIME) ? attr.st_ctim : now;
  if (const int rc = Persist({ino}); rc != 0) return rc;
  return AttrLocked(ino, out);
}

int ShadowFs::Fallocate(uint64_t ino, int mode, uint64_t offset, uint64_t length) {
  std::unique_lock lock(mutex_);
  if (IsControl(ino)) return -EACCES;
  if (offset > kMaxFileBytes || length > kMaxFileBytes - offset) return -EFBIG;
  if (const int rc = CheckOverlay(); rc != 0) return rc;
  OverlayNode* node = Materialize(ino);
  if (!node) return -ENOENT;
  if (node->kind != NodeKind::kFile) return -ENODEV;
  const uint64_t end = offset + length;
  if (mode == 0 || mode == FALLOC_FL_KEEP_SIZE) {
    // The range's space is reserved, so writes into it cannot fail for space later.
    const uint64_t first_block = offset / kBlock, end_block = (end + kBlock - 1) / kBlock;
    if (const int rc = store_->Reserve(ino, first_block, end_block); rc != 0) return rc;
    if (store_->keeps_data()) {
      pending_.push_back(EncodeReserve(ino, first_block, end_block));
      node->stored_blocks = store_->BlocksOf(ino);
    }
    if (mode == 0 && end > node->size_bytes) {
      node->size_bytes = end;
      node->mtime = node->ctime = Now();
    }
    return Persist({ino});
  }
  if (mode == (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)) {
    const uint64_t stop = std::min(end, node->size_bytes);
    if (offset < stop)
      if (const int rc = PunchLocked(ino, *node, offset, stop); rc != 0) return rc;
    node->mtime = node->ctime = Now();
    return Persist({ino});
  }
  return -EOPNOTSUPP;
}

int ShadowFs::Fsync(uint64_t ino) {
  std::shared_lock lock(mutex_);
  if (const int rc = store_->Sync(ino); rc != 0) return rc;
  return journal_ ? journal_->Sync() : 0;
}

}  // namespace sfsg
