// ShadowFs: the filesystem a shadow mount serves, independent of the FUSE wire.
//
// It merges three sources: the synthetic namespace and content (generator/), the
// write overlay (metadata in memory, bytes in a BlockStore, a journal in dir mode),
// and the control files under /.sfsg/. Every operation returns 0 or a negative errno,
// so fuse_ops.cc only translates; unit tests drive it without mounting.
//
// Thread-safety: all methods are thread-safe. Reads of unmodified synthetic files
// take no lock and allocate nothing; anything touching the overlay takes a shared
// (lookups, reads) or exclusive (mutations) lock. Until the first mutation
// (`overlay_touched_` false) GetAttr, Lookup and Read answer from the namespace alone
// and never read `nodes_`, which that first mutation may be filling concurrently.
//
// dir mode: once the overlay directory is found removed (its journal unlinked), every
// mutation fails with EIO. Metadata operations, opens for writing, fallocate and fsync
// check each time (one fstat); writes at most every kAliveCheckIntervalNs.
#pragma once

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "fuse/block_store.h"
#include "fuse/fill_helper.h"
#include "fuse/metrics.h"
#include "fuse/overlay.h"
#include "generator/content_model.h"
#include "generator/namespace.h"

namespace sfsg {

struct ShadowConfig {
  std::string profile_source = "builtin";  // for /.sfsg/status
  double scale = 1.0;
  uint64_t capacity_bytes = 0;            // what statfs reports as the size
  uint32_t owner_uid = 0, owner_gid = 0;  // owner of synthetic nodes
  std::string writes = "memory";          // for /.sfsg/status
  std::string overlay_dir;                // dir mode: where journal.jsonl lives
  bool fill_helper = true;                // large reads filled on two threads (fill_helper.h)
};

struct RequestContext {
  uint32_t uid = 0, gid = 0;
};

// Extra files under /.sfsg/ whose text another component publishes (forecast, alerts).
class ControlBoard {
 public:
  ControlBoard();
  void Publish(const std::string& name, std::string text);
  // A file made when read (e.g. counters a reader compares before and after a step, which
  // a periodic Publish would hand out up to one period stale); replaces what was
  // published under `name`. An empty function removes it. `source` must not call back
  // into the board; it is called under the board's shared lock.
  void SetSource(const std::string& name, std::function<std::string()> source);
  // /.sfsg/forecast while there is no plan: {"status": "no-forecast", "reason": reason},
  // with "probes" when `probes` is an array (a mount that times probes but has no usage
  // history to plan from).
  void PublishNoForecast(const std::string& reason, const Json& probes = nullptr);
  std::string Get(const std::string& name) const;

 private:
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, std::string> files_;
  std::unordered_map<std::string, std::function<std::string()>> sources_;
};

class ShadowFs {
 public:
  static constexpr uint64_t kMaxFileBytes = uint64_t{1} << 60;
  static constexpr size_t kMaxNameBytes = 255;
  static constexpr int64_t kAliveCheckIntervalNs = 100'000'000;

  // Replays the journal when `store` is a dir store. Errors: a journal that does not
  // belong to this shadow, or is corrupt before its last line.
  static Result<std::unique_ptr<ShadowFs>> Create(std::unique_ptr<Namespace> ns,
                                                  std::unique_ptr<BlockStore> store,
                                                  ShadowConfig config);
  ~ShadowFs();

  int GetAttr(uint64_t ino, struct stat* st) const;
  int Lookup(uint64_t parent, std::string_view name, struct stat* st) const;
  // Emits entries from offset `offset` (0 = start) with the offset of the next one.
  int ReadDir(
      uint64_t dir, uint64_t offset,
      const std::function<bool(std::string_view, const struct stat&, uint64_t next)>& emit) const;
  int ReadLink(uint64_t ino, std::string* target) const;
  int Open(uint64_t ino, int flags);
  void Release(uint64_t ino);
  // Reads into buf; *done gets the byte count (short only at end of file).
  int Read(uint64_t ino, uint64_t offset, std::span<std::byte> buf, size_t* done) const;
  // Read() of a regular synthetic file whose attributes the caller resolved at open
  // (ns().GetAttr): while the overlay is untouched, no namespace descent per read.
  int ReadResolved(const NodeAttr& attr, uint64_t offset, std::span<std::byte> buf,
                   size_t* done) const;
  // `writer_has_fsetid` is asked (only when the file is setuid, or setgid and group
  // executable) whether the writer holds CAP_FSETID; without it those bits are cleared,
  // as the kernel would. Empty: the bits are kept.
  int Write(uint64_t ino, uint64_t offset, std::span<const std::byte> data, size_t* done,
            const std::function<bool()>& writer_has_fsetid = {});
  int Create(uint64_t parent, std::string_view name, uint32_t mode, const RequestContext& ctx,
             struct stat* st);
  int Mkdir(uint64_t parent, std::string_view name, uint32_t mode, const RequestContext& ctx,
            struct stat* st);
  int Symlink(uint64_t parent, std::string_view name, std::string_view target,
              const RequestContext& ctx, struct stat* st);
  // mknod(2): a FIFO, socket, character or block device node (`rdev` kept for devices
  // only), or a regular file (type S_IFREG or 0), as tmpfs makes them; any other type is
  // -EINVAL, S_IFDIR -EPERM, as vfs_mknod answers. The kernel has already checked the
  // caller's right to make device nodes (CAP_MKNOD) and applied the umask. Special files
  // are never opened here: the kernel serves their opens itself.
  int Mknod(uint64_t parent, std::string_view name, uint32_t mode, uint64_t rdev,
            const RequestContext& ctx, struct stat* st);
  int Link(uint64_t ino, uint64_t parent, std::string_view name, struct stat* st);
  int Unlink(uint64_t parent, std::string_view name);
  int Rmdir(uint64_t parent, std::string_view name);
  int Rename(uint64_t parent, std::string_view name, uint64_t new_parent, std::string_view new_name,
             unsigned flags);
  // `valid` uses FUSE_SET_ATTR_* bits.
  int SetAttr(uint64_t ino, const struct stat& attr, int valid, struct stat* out);
  int Fallocate(uint64_t ino, int mode, uint64_t offset, uint64_t length);
  int Fsync(uint64_t ino);
  int StatFs(struct statvfs* st) const;

  bool IsControl(uint64_t ino) const { return ino >= kControlIno && ino < kFirstOverlayIno; }
  // The current text of a control file (generated on demand).
  std::string ControlText(uint64_t ino) const;
  // /.sfsg/metrics' text, also what sfsg-mount --metrics-listen serves. Thread-safe.
  std::string MetricsText() const;

  const Namespace& ns() const { return *ns_; }
  // Re-scales the synthetic tree (Namespace::Rescale); the caller tells the kernel.
  Result<RescaleChange> Rescale(double target_scale) { return ns_->Rescale(target_scale); }
  Metrics& metrics() { return metrics_; }
  ControlBoard& board() { return board_; }
  uint64_t overlay_bytes() const { return store_->bytes_used(); }

 private:
  ShadowFs(std::unique_ptr<Namespace> ns, std::unique_ptr<BlockStore> store, ShadowConfig config);
  Status Replay();
  Status ReplayLine(const Json& line, const std::string& where);  // mutex_ held

  // One /.sfsg/ file: its name and what renders its text from the live state. The
  // table (control.cc) is the only list of them: file i has inode kControlIno + 1 + i
  // and lists in table order.
  struct ControlFile {
    std::string_view name;
    std::string (*render)(const ShadowFs& fs);
  };
  static std::span<const ControlFile> ControlFiles();
  std::string StatusText() const;

  // The synthetic and control view only, never `nodes_`: no lock needed.
  int BaseAttr(uint64_t ino, struct stat* st) const;
  int BaseLookup(uint64_t parent, std::string_view name, uint64_t* ino) const;

  // All below REQUIRE mutex_ held (shared for const, exclusive otherwise).
  int AttrLocked(uint64_t ino, struct stat* st) const;
  void SyntheticStat(const NodeAttr& attr, struct stat* st) const;
  int LookupLocked(uint64_t parent, std::string_view name, uint64_t* ino) const;
  bool IsDirLocked(uint64_t ino) const;
  OverlayNode* Materialize(uint64_t ino);
  DirState* DirOf(uint64_t ino);
  bool DirEmptyLocked(uint64_t ino) const;
  void AddEntry(uint64_t parent, const std::string& name, uint64_t ino);
  void RemoveEntry(uint64_t parent, const std::string& name);
  void DropLink(uint64_t ino);
  // Undoes NewNode (or a Link's new entry) in memory after its journal line failed (a
  // full disk): the name a client was told failed must not be listed until a remount.
  void UndoNewEntry(uint64_t parent, const std::string& name, uint64_t ino, bool new_node);
  int NewNode(uint64_t parent, std::string_view name, NodeKind kind, uint32_t mode,
              const RequestContext& ctx, uint64_t* ino);
  // One block as a client sees it: the overlay's copy, else the base content. 0 or -EIO.
  int ReadBlock(uint64_t ino, const OverlayNode& node, uint64_t block, std::byte* out) const;
  int TruncateLocked(uint64_t ino, OverlayNode& node, uint64_t size);
  // Zeros [offset, end) (end <= size): synthetic bytes become a hole, stored blocks are
  // dropped or zeroed in place. Takes no space. 0 or -EIO.
  int PunchLocked(uint64_t ino, OverlayNode& node, uint64_t offset, uint64_t end);
  void FreeLocked(uint64_t ino);
  // Forgets the stored blocks [first, end) of ino. With a journal the data stays on disk
  // until Persist has appended the record that says they are gone (write-ahead: a crash
  // in between leaves data the journal still lists, never a listing without its data).
  void DiscardBlocks(uint64_t ino, uint64_t first, uint64_t end);
  // Synthetic bytes still backing a node (its base content minus holes).
  static uint64_t SyntheticBytes(const OverlayNode& node);
  // After the store changed ino's blocks: st_blocks and the released synthetic bytes.
  void Refresh(uint64_t ino, OverlayNode& node, uint64_t synthetic_before);
  // Counters statfs reports, rebuilt from nodes_ after a journal replay.
  void RecountLocked();
  // dir mode: -EIO once the overlay directory has been removed, else 0 (one fstat).
  int CheckOverlay();
  // The same for writes, at most once per kAliveCheckIntervalNs (coarse clock).
  int CheckOverlayOnCadence();
  // Appends the pending entry/block records plus the state of `nodes` as one journal
  // line (dir mode), then frees the disk of the blocks discarded meanwhile (kept when
  // the append failed), and refreshes the lock-free flags. 0 or a negative errno.
  // Every mutation that discards blocks ends with it, under the same lock.
  int Persist(std::initializer_list<uint64_t> nodes);

  // The synthetic bytes of a file; a large range is split with fill_helper_.
  void FillSynthetic(uint16_t content_class, uint64_t file_key, uint64_t offset,
                     std::span<std::byte> out) const;

  std::unique_ptr<Namespace> ns_;
  ContentModel content_;
  mutable FillHelper fill_helper_;
  std::unique_ptr<BlockStore> store_;
  std::unique_ptr<Journal> journal_;
  ShadowConfig config_;
  Metrics metrics_;
  ControlBoard board_;
  double started_unix_ = 0;

  mutable std::shared_mutex mutex_;
  std::unordered_map<uint64_t, OverlayNode> nodes_;
  std::atomic<bool> overlay_touched_{false};  // lets unmodified reads skip the lock
  uint64_t next_ino_ = kFirstOverlayIno;
  std::unordered_map<uint64_t, uint32_t> open_counts_;  // open handles per inode
  Json pending_ = Json::array();  // journal records of the mutation in progress
  struct Discard {
    uint64_t ino, first, end;
  };
  std::vector<Discard> discards_;  // blocks forgotten, whose disk Persist frees
  bool replaying_ = false;
  std::atomic<uint64_t> overlay_nodes_{0};
  // For statfs: synthetic bytes no file uses any more (deleted, truncated, punched),
  // inodes created through the overlay and alive, synthetic inodes freed.
  std::atomic<uint64_t> released_synthetic_bytes_{0};
  std::atomic<int64_t> created_inodes_{0};
  std::atomic<uint64_t> freed_synthetic_inodes_{0};
  int64_t next_alive_check_ns_ = 0;  // CheckOverlayOnCadence; mutex_ held exclusive
};

}  // namespace sfsg
