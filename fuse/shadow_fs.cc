// ShadowFs: construction, journal replay, and the read side (attributes, lookup,
// listing, reading). Mutations are in shadow_fs_write.cc, control files in control.cc.
#include "fuse/shadow_fs.h"

#include <fuse_lowlevel.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <mutex>

namespace sfsg {
namespace {

timespec FromNs(int64_t ns) {
  timespec t;
  t.tv_sec = ns / 1000000000;
  t.tv_nsec = ns % 1000000000;
  if (t.tv_nsec < 0) {
    t.tv_nsec += 1000000000;
    --t.tv_sec;
  }
  return t;
}

uint32_t TypeBits(NodeKind kind) {
  switch (kind) {
    case NodeKind::kDirectory:
      return S_IFDIR;
    case NodeKind::kSymlink:
      return S_IFLNK;
    case NodeKind::kFile:
      break;
  }
  return S_IFREG;
}

}  // namespace

ShadowFs::ShadowFs(std::unique_ptr<Namespace> ns, std::unique_ptr<BlockStore> store,
                   ShadowConfig config)
    : ns_(std::move(ns)),
      content_(ns_->profile(), ns_->seed()),
      store_(std::move(store)),
      config_(std::move(config)) {
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  started_unix_ = static_cast<double>(now.tv_sec) + now.tv_nsec / 1e9;
}

ShadowFs::~ShadowFs() = default;

Result<std::unique_ptr<ShadowFs>> ShadowFs::Create(std::unique_ptr<Namespace> ns,
                                                   std::unique_ptr<BlockStore> store,
                                                   ShadowConfig config) {
  std::unique_ptr<ShadowFs> fs(new ShadowFs(std::move(ns), std::move(store), std::move(config)));
  if (!fs->config_.overlay_dir.empty()) {
    const Json identity = {
        {"seed", fs->ns_->seed()},
        {"generator", ContentModel::kGeneratorVersion},
        {"dirs", fs->ns_->dir_count()},
        {"entries", fs->ns_->entry_count()},
        {"bytes", fs->ns_->total_bytes()},
        {"profile_digest",
         std::to_string(std::hash<std::string>{}(ProfileToJson(fs->ns_->profile()).dump()))}};
    auto journal = Journal::Open(fs->config_.overlay_dir, identity);
    if (!journal) return journal.error();
    fs->journal_ = std::move(*journal);
    if (auto status = fs->Replay(); !status) return status.error();
  }
  return fs;
}

Status ShadowFs::Replay() {
  std::unique_lock lock(mutex_);
  replaying_ = true;
  const std::string path = config_.overlay_dir + "/journal.jsonl";
  size_t line_number = 1;  // the header
  for (const Json& line : journal_->replayed()) {
    ++line_number;
    const std::string where = path + ":" + std::to_string(line_number);
    if (!line.is_array()) return Error::BadInput(where + ": record is not an array");
    // A journal edited or damaged by hand: any field of the wrong type or missing is bad
    // input naming the line, never an exception out of the mount.
    try {
      if (auto status = ReplayLine(line, where); !status) return status.error();
    } catch (const std::exception& e) {  // a store or namespace call that throws
      return Error::BadInput(where + ": malformed record: " + e.what());
    }
  }
  replaying_ = false;
  pending_ = Json::array();
  if (auto status = store_->CheckReplayed(); !status) return status.error();
  for (auto& [ino, node] : nodes_) node.stored_blocks = store_->BlocksOf(ino);
  RecountLocked();
  overlay_touched_ = !nodes_.empty();
  overlay_nodes_ = nodes_.size();
  return Status::Ok();
}

Status ShadowFs::ReplayLine(const Json& line, const std::string& where) {
  for (const Json& encoded : line) {
    auto r = DecodeJournalRecord(encoded);
    if (!r) return Error::BadInput(where + ": " + r.error().message);
    switch (r->op) {
      case JournalOp::kNode: {
        auto it = nodes_.find(r->ino);
        if (it != nodes_.end() && it->second.dir) r->node.dir = std::move(it->second.dir);
        nodes_[r->ino] = std::move(r->node);
        next_ino_ = std::max(next_ino_, r->ino + 1);
        break;
      }
      case JournalOp::kDirent:
        if (!Materialize(r->dir) || !DirOf(r->dir))
          return Error::BadInput(where + ": entry in a non-directory");
        if (r->ino == 0)
          RemoveEntry(r->dir, r->name);
        else
          AddEntry(r->dir, r->name, r->ino);
        break;
      case JournalOp::kBlocks:
        for (const uint64_t block : r->blocks) store_->Adopt(r->ino, block);
        break;
      case JournalOp::kDrop:
        store_->ForgetFrom(r->ino, r->from);
        break;
      case JournalOp::kPunch:
        store_->ForgetRange(r->ino, r->from, r->to);
        break;
      case JournalOp::kReserve:
        store_->AdoptReservation(r->ino, r->from, r->to);
        break;
      case JournalOp::kFree:
        FreeLocked(r->ino);
        break;
    }
  }
  return Status::Ok();
}

void ShadowFs::SyntheticStat(const NodeAttr& attr, struct stat* st) const {
  st->st_ino = attr.ino;
  st->st_blksize = 4096;
  st->st_mode = TypeBits(attr.kind) | attr.mode;
  st->st_nlink = attr.nlink;  // /.sfsg is not listed, so it is not counted either
  st->st_uid = config_.owner_uid;
  st->st_gid = config_.owner_gid;
  st->st_size = static_cast<off_t>(attr.size_bytes);
  st->st_blocks = (st->st_size + 511) / 512;
  st->st_atim = FromNs(attr.atime_ns);
  st->st_mtim = FromNs(attr.mtime_ns);
  st->st_ctim = FromNs(attr.ctime_ns);
}

int ShadowFs::BaseAttr(uint64_t ino, struct stat* st) const {
  std::memset(st, 0, sizeof(*st));
  st->st_ino = ino;
  st->st_blksize = 4096;
  if (IsControl(ino)) {
    st->st_uid = config_.owner_uid;
    st->st_gid = config_.owner_gid;
    if (ino == kControlIno) {
      st->st_mode = S_IFDIR | 0555;
      st->st_nlink = 2;
    } else {
      st->st_mode = S_IFREG | 0444;
      st->st_nlink = 1;
      st->st_size = static_cast<off_t>(ControlText(ino).size());
    }
    st->st_mtim = st->st_ctim = st->st_atim = FromNs(static_cast<int64_t>(started_unix_ * 1e9));
    return 0;
  }
  const auto attr = ns_->GetAttr(ino);
  if (!attr) return -ENOENT;
  SyntheticStat(*attr, st);
  return 0;
}

int ShadowFs::AttrLocked(uint64_t ino, struct stat* st) const {
  const auto it = nodes_.find(ino);
  if (it == nodes_.end()) return BaseAttr(ino, st);
  const OverlayNode& n = it->second;
  if (n.freed) return -ENOENT;
  std::memset(st, 0, sizeof(*st));
  st->st_ino = ino;
  st->st_blksize = 4096;
  st->st_mode = TypeBits(n.kind) | n.mode;
  st->st_nlink = n.nlink;
  st->st_uid = n.uid;
  st->st_gid = n.gid;
  st->st_size = static_cast<off_t>(n.size_bytes);
  st->st_atim = n.atime;
  st->st_mtim = n.mtime;
  st->st_ctim = n.ctime;
  if (n.kind == NodeKind::kFile) {
    // What is stored or reserved (beyond the end too, as fallocate KEEP_SIZE leaves it)
    // plus the synthetic content still underneath, counted as allocated; the two overlap
    // where a synthetic block was overwritten, so their sum stops at the whole file.
    const uint64_t stored = n.stored_blocks * 8;
    const uint64_t whole = (n.size_bytes + 4095) / 4096 * 8;
    const uint64_t held = stored + (SyntheticBytes(n) + 511) / 512;
    st->st_blocks = static_cast<blkcnt_t>(std::max(stored, std::min(whole, held)));
  } else {
    st->st_blocks = (st->st_size + 511) / 512;
  }
  return 0;
}

uint64_t ShadowFs::SyntheticBytes(const OverlayNode& node) {
  if (!node.synthetic || node.kind != NodeKind::kFile || node.freed) return 0;
  return node.base_limit - std::min(node.base_limit, node.holes.total());
}

int ShadowFs::GetAttr(uint64_t ino, struct stat* st) const {
  if (!overlay_touched_.load(std::memory_order_acquire)) return BaseAttr(ino, st);
  std::shared_lock lock(mutex_);
  return AttrLocked(ino, st);
}

bool ShadowFs::IsDirLocked(uint64_t ino) const {
  if (ino == kControlIno) return true;
  const auto it = nodes_.find(ino);
  if (it != nodes_.end()) return !it->second.freed && it->second.kind == NodeKind::kDirectory;
  const auto attr = ns_->GetAttr(ino);
  return attr && attr->kind == NodeKind::kDirectory;
}

int ShadowFs::BaseLookup(uint64_t parent, std::string_view name, uint64_t* ino) const {
  if (name.size() > kMaxNameBytes) return -ENAMETOOLONG;
  if (parent == kControlIno) {
    const auto files = ControlFiles();
    for (uint64_t i = 0; i < files.size(); ++i)
      if (name == files[i].name) return *ino = kControlIno + 1 + i, 0;
    return -ENOENT;
  }
  if (parent == Namespace::kRootIno && name == ".sfsg") return *ino = kControlIno, 0;
  const auto attr = ns_->Lookup(parent, name);
  if (!attr) {
    const auto dir = ns_->GetAttr(parent);
    return dir && dir->kind == NodeKind::kDirectory ? -ENOENT : -ENOTDIR;
  }
  *ino = attr->ino;
  return 0;
}

int ShadowFs::LookupLocked(uint64_t parent, std::string_view name, uint64_t* ino) const {
  if (name.size() > kMaxNameBytes) return -ENAMETOOLONG;
  const auto it = nodes_.find(parent);
  if (it != nodes_.end()) {
    if (it->second.freed) return -ENOENT;
    if (!it->second.dir) return -ENOTDIR;
    const DirState& d = *it->second.dir;
    if (const auto a = d.added.find(std::string(name)); a != d.added.end())
      return *ino = a->second, 0;
    if (d.whiteouts.count(std::string(name))) return -ENOENT;
    if (!it->second.synthetic) return -ENOENT;
  }
  return BaseLookup(parent, name, ino);
}

int ShadowFs::Lookup(uint64_t parent, std::string_view name, struct stat* st) const {
  uint64_t ino = 0;
  if (!overlay_touched_.load(std::memory_order_acquire)) {
    if (const int rc = BaseLookup(parent, name, &ino); rc != 0) return rc;
    return BaseAttr(ino, st);
  }
  std::shared_lock lock(mutex_);
  if (const int rc = LookupLocked(parent, name, &ino); rc != 0) return rc;
  return AttrLocked(ino, st);
}

int ShadowFs::ReadDir(
    uint64_t dir, uint64_t offset,
    const std::function<bool(std::string_view, const struct stat&, uint64_t)>& emit) const {
  std::shared_lock lock(mutex_);
  if (!IsDirLocked(dir)) return -ENOTDIR;
  struct stat st;
  // Offsets: 0 ".", 1 "..", then (root only) 2 for ".sfsg", which is reachable by name
  // but not listed (like ZFS's hidden .zfs), so find, du, tar and sfsg-scan see only the
  // synthetic tree; then synthetic children from base, then added entries from base +
  // synthetic count by sequence number.
  const uint64_t parent = dir == kControlIno ? Namespace::kRootIno : dir;
  if (offset == 0) {
    AttrLocked(dir, &st);
    if (!emit(".", st, 1)) return 0;
    offset = 1;
  }
  if (offset == 1) {
    AttrLocked(parent, &st);
    if (!emit("..", st, 2)) return 0;
    offset = 2;
  }
  if (dir == kControlIno) {
    const auto files = ControlFiles();
    for (uint64_t i = offset - 2; i < files.size(); ++i) {
      AttrLocked(kControlIno + 1 + i, &st);
      if (!emit(files[i].name, st, i + 3)) return 0;
    }
    return 0;
  }
  const bool root = dir == Namespace::kRootIno;
  if (root && offset == 2) offset = 3;
  const uint64_t base = root ? 3 : 2;
  const auto it = nodes_.find(dir);
  const DirState* state = it != nodes_.end() ? it->second.dir.get() : nullptr;
  const bool synthetic = it == nodes_.end() || it->second.synthetic;
  const uint64_t synthetic_count = synthetic ? ns_->ChildCount(dir) : 0;
  bool stopped = false;
  if (offset < base + synthetic_count) {
    ns_->ListChildren(dir, offset - base, [&](const DirEntryView& e) {
      if (state && state->whiteouts.count(e.name)) {
        ++offset;
        return true;
      }
      // Unchanged synthetic entries already carry their attributes: no second descent.
      if (nodes_.find(e.attr.ino) == nodes_.end()) {
        std::memset(&st, 0, sizeof(st));
        SyntheticStat(e.attr, &st);
      } else if (AttrLocked(e.attr.ino, &st) != 0) {
        ++offset;
        return true;
      }
      ++offset;
      if (!emit(e.name, st, offset)) {
        stopped = true;
        return false;
      }
      return true;
    });
    if (stopped) return 0;
    offset = base + synthetic_count;
  }
  if (!state) return 0;
  for (auto a = state->order.lower_bound(offset - base - synthetic_count); a != state->order.end();
       ++a) {
    const uint64_t ino = state->added.at(a->second);
    if (AttrLocked(ino, &st) != 0) continue;
    if (!emit(a->second, st, base + synthetic_count + a->first + 1)) return 0;
  }
  return 0;
}

int ShadowFs::ReadLink(uint64_t ino, std::string* target) const {
  std::shared_lock lock(mutex_);
  const auto it = nodes_.find(ino);
  if (it != nodes_.end()) {
    if (it->second.kind != NodeKind::kSymlink) return -EINVAL;
    if (!it->second.synthetic || !it->second.link_target.empty())
      return *target = it->second.link_target, 0;
  }
  const auto link = ns_->ReadLink(ino);
  if (!link) return -EINVAL;
  *target = *link;
  return 0;
}

int ShadowFs::Open(uint64_t ino, int flags) {
  std::unique_lock lock(mutex_);
  struct stat st;
  if (const int rc = AttrLocked(ino, &st); rc != 0) return rc;
  if (S_ISDIR(st.st_mode)) return -EISDIR;
  const bool writable = (flags & O_ACCMODE) != O_RDONLY;
  if (IsControl(ino)) return writable || (flags & O_TRUNC) ? -EACCES : 0;
  if (writable || (flags & O_TRUNC))
    if (const int rc = CheckOverlay(); rc != 0) return rc;
  // O_TRUNC truncates whatever the access mode, as on Linux filesystems (the kernel has
  // checked write permission; with atomic_o_trunc it leaves the truncation to open).
  if ((flags & O_TRUNC) && S_ISREG(st.st_mode)) {
    OverlayNode* node = Materialize(ino);
    if (const int rc = TruncateLocked(ino, *node, 0); rc != 0) return rc;
    if (const int rc = Persist({ino}); rc != 0) return rc;
  }
  ++open_counts_[ino];
  return 0;
}

void ShadowFs::Release(uint64_t ino) {
  std::unique_lock lock(mutex_);
  const auto count = open_counts_.find(ino);
  if (count == open_counts_.end()) return;
  if (--count->second > 0) return;
  open_counts_.erase(count);
  const auto it = nodes_.find(ino);
  if (it != nodes_.end() && it->second.nlink == 0 && !it->second.freed) {
    FreeLocked(ino);
    Persist({});
  }
}

int ShadowFs::ReadBlock(uint64_t ino, const OverlayNode& node, uint64_t block,
                        std::byte* out) const {
  if (const int rc = store_->Get(ino, block, out); rc != 0) return rc < 0 ? rc : 0;
  const uint64_t start = block * BlockStore::kBlockBytes;
  if (node.synthetic && start < node.base_limit) {
    content_.Fill(node.content_class, node.file_key, start, {out, BlockStore::kBlockBytes});
    const uint64_t valid = node.base_limit - start;
    if (valid < BlockStore::kBlockBytes)
      std::memset(out + valid, 0, BlockStore::kBlockBytes - valid);
    const uint64_t end = start + BlockStore::kBlockBytes;
    const auto& holes = node.holes.ranges();
    auto hole = holes.upper_bound(start);
    if (hole != holes.begin() && std::prev(hole)->second > start) --hole;
    for (; hole != holes.end() && hole->first < end; ++hole) {
      const uint64_t from = std::max(hole->first, start), to = std::min(hole->second, end);
      std::memset(out + (from - start), 0, to - from);
    }
  } else {
    std::memset(out, 0, BlockStore::kBlockBytes);
  }
  return 0;
}

int ShadowFs::Read(uint64_t ino, uint64_t offset, std::span<std::byte> buf, size_t* done) const {
  *done = 0;
  if (IsControl(ino)) {
    const std::string text = ControlText(ino);
    if (offset >= text.size()) return 0;
    *done = std::min<size_t>(buf.size(), text.size() - offset);
    std::memcpy(buf.data(), text.data() + offset, *done);
    return 0;
  }
  std::shared_lock lock(mutex_, std::defer_lock);
  const OverlayNode* node = nullptr;
  if (overlay_touched_.load(std::memory_order_acquire)) {
    lock.lock();
    const auto it = nodes_.find(ino);
    if (it != nodes_.end()) node = &it->second;
  }
  if (node == nullptr) {
    // The fast path: an unmodified synthetic file, no lock, no allocation.
    const auto attr = ns_->GetAttr(ino);
    if (!attr) return -ENOENT;
    if (attr->kind != NodeKind::kFile) return -EISDIR;
    if (offset >= attr->size_bytes) return 0;
    const size_t n = std::min<uint64_t>(buf.size(), attr->size_bytes - offset);
    FillSynthetic(attr->content_class, attr->file_index, offset, buf.first(n));
    *done = n;
    return 0;
  }
  if (node->kind != NodeKind::kFile) return -EISDIR;
  if (offset >= node->size_bytes) return 0;
  const size_t n = std::min<uint64_t>(buf.size(), node->size_bytes - offset);
  alignas(64) std::byte block[BlockStore::kBlockBytes];
  size_t copied = 0;
  while (copied < n) {
    const uint64_t at = offset + copied;
    const uint64_t index = at / BlockStore::kBlockBytes;
    const size_t within = at % BlockStore::kBlockBytes;
    const size_t take = std::min<size_t>(BlockStore::kBlockBytes - within, n - copied);
    if (const int rc = ReadBlock(ino, *node, index, block); rc != 0) return rc;
    std::memcpy(buf.data() + copied, block + within, take);
    copied += take;
  }
  *done = n;
  return 0;
}

void ShadowFs::FillSynthetic(uint16_t content_class, uint64_t file_key, uint64_t offset,
                             std::span<std::byte> out) const {
  constexpr size_t kSplitBytes = 256 << 10, kAlign = 64 << 10;
  if (!config_.fill_helper || out.size() < kSplitBytes)
    return content_.Fill(content_class, file_key, offset, out);
  // Two halves, the cut on a 64 KiB boundary of the file; the bytes do not depend on it.
  struct Halves {
    const ContentModel* content;
    uint16_t content_class;
    uint64_t file_key, offset;
    std::span<std::byte> out;
    size_t cut;
  } halves{&content_,
           content_class,
           file_key,
           offset,
           out,
           static_cast<size_t>((offset + out.size() / 2 + kAlign - 1) / kAlign * kAlign - offset)};
  halves.cut = std::min(halves.cut, out.size());
  fill_helper_.Split(
      [](void* context, int half) {
        const Halves& h = *static_cast<const Halves*>(context);
        if (half == 0)
          h.content->Fill(h.content_class, h.file_key, h.offset, h.out.first(h.cut));
        else
          h.content->Fill(h.content_class, h.file_key, h.offset + h.cut, h.out.subspan(h.cut));
      },
      &halves);
}

int ShadowFs::ReadResolved(const NodeAttr& attr, uint64_t offset, std::span<std::byte> buf,
                           size_t* done) const {
  // Unmodified synthetic files never change, so attributes from open stay valid until
  // the overlay holds something; from then on the overlay decides.
  if (overlay_touched_.load(std::memory_order_acquire)) return Read(attr.ino, offset, buf, done);
  *done = 0;
  if (offset >= attr.size_bytes) return 0;
  const size_t n = std::min<uint64_t>(buf.size(), attr.size_bytes - offset);
  FillSynthetic(attr.content_class, attr.file_index, offset, buf.first(n));
  *done = n;
  return 0;
}

int ShadowFs::StatFs(struct statvfs* st) const {
  std::memset(st, 0, sizeof(*st));
  const uint64_t block = 4096;
  const uint64_t synthetic = ns_->total_bytes();
  const uint64_t stored = store_->bytes_used();
  // Synthetic bytes of deleted, truncated or punched files no longer count.
  const uint64_t used =
      synthetic - std::min(synthetic, released_synthetic_bytes_.load(std::memory_order_relaxed)) +
      stored;
  const uint64_t capacity = std::max(config_.capacity_bytes, used);
  st->f_bsize = st->f_frsize = block;
  st->f_blocks = capacity / block;
  uint64_t free_blocks = (capacity - used) / block;
  // Never more than the overlay can still take: writes fail with ENOSPC beyond it.
  if (const uint64_t limit = store_->limit_bytes(); limit != 0)
    free_blocks = std::min(free_blocks, (limit - std::min(limit, stored)) / block);
  st->f_bfree = st->f_bavail = free_blocks;
  const uint64_t synthetic_inodes = ns_->dir_count() + ns_->entry_count() + 1;
  const int64_t live =
      static_cast<int64_t>(synthetic_inodes) + created_inodes_.load(std::memory_order_relaxed) -
      static_cast<int64_t>(freed_synthetic_inodes_.load(std::memory_order_relaxed));
  const uint64_t inodes = static_cast<uint64_t>(std::max<int64_t>(live, 1));
  st->f_files = std::max<uint64_t>(synthetic_inodes * 2, synthetic_inodes + (uint64_t{1} << 20));
  st->f_ffree = st->f_favail = st->f_files - std::min(st->f_files, inodes);
  st->f_namemax = kMaxNameBytes;
  return 0;
}

}  // namespace sfsg
