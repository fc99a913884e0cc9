// BlockStore: where an overlay keeps the bytes clients write, in 4 KiB blocks.
//
// Three kinds, chosen by --writes:
//  - discard: keeps nothing (writes are metered, reads fall back to the base content);
//  - memory[:LIMIT]: blocks in RAM, ENOSPC beyond LIMIT bytes;
//  - dir:PATH[:LIMIT]: blocks in sparse files PATH/data/<ino>, durable across a remount
//    (the overlay's journal records which blocks exist).
// Thread-safe: every method may be called from any FUSE worker thread. Put() never
// allocates more than one block; errors are negative errno values (-ENOSPC, -EIO).
//
// Space: a block is absent, reserved (by fallocate: counted in bytes_used(), its bytes
// still come from the caller's base content) or stored. Put() into a stored or reserved
// block never fails for space; dropping blocks frees their space.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>

#include "generator/config.h"
#include "generator/util/status.h"

namespace sfsg {

// A set of disjoint half-open ranges [first, end) of integers (merged when they touch)
// and their total length: punched byte ranges of a file, reserved block ranges. O(log n)
// per query; adding or removing a range costs O(log n) plus the ranges it covers.
// Thread-compatible.
class RangeSet {
 public:
  static constexpr uint64_t kNoEnd = std::numeric_limits<uint64_t>::max();
  // Adds [first, end); returns how many values were not in the set before.
  uint64_t Add(uint64_t first, uint64_t end);
  // Removes [first, end); returns how many values were in the set.
  uint64_t Remove(uint64_t first, uint64_t end);
  bool Contains(uint64_t value) const;
  uint64_t CountIn(uint64_t first, uint64_t end) const;  // values in [first, end)
  uint64_t total() const { return total_; }
  bool empty() const { return ranges_.empty(); }
  const std::map<uint64_t, uint64_t>& ranges() const { return ranges_; }  // first -> end

 private:
  std::map<uint64_t, uint64_t> ranges_;
  uint64_t total_ = 0;
};

class BlockStore {
 public:
  static constexpr uint32_t kBlockBytes = config::kBlockBytes;
  virtual ~BlockStore() = default;

  // 1 and fills `out` (kBlockBytes) when the block is stored, 0 when it is not (the
  // caller falls back to the base content), -EIO when a stored block cannot be read back
  // (dir mode: the data file or the overlay directory vanished).
  virtual int Get(uint64_t ino, uint64_t block, std::byte* out) const = 0;
  // Stores a whole block. 0, or -ENOSPC past the limit (never for a block already
  // stored or reserved), or -EIO.
  virtual int Put(uint64_t ino, uint64_t block, const std::byte* data) = 0;
  // Stores `count` whole blocks from `first_block` on (count x kBlockBytes of `data`),
  // as that many Put() calls would, in order: on an error the first *stored blocks are
  // stored and the rest are not. dir mode writes them with one system call.
  virtual int PutRun(uint64_t ino, uint64_t first_block, uint64_t count, const std::byte* data,
                     uint64_t* stored) {
    for (*stored = 0; *stored < count; ++*stored)
      if (const int rc = Put(ino, first_block + *stored, data + *stored * kBlockBytes); rc != 0)
        return rc;
    return 0;
  }
  // Reserves the blocks [first_block, end_block) of ino that are neither stored nor
  // reserved (fallocate), all or none: 0, or -ENOSPC when they do not fit (dir mode: the
  // limit or the disk under PATH), or -EIO. Get() still answers 0 for a reserved block.
  virtual int Reserve(uint64_t ino, uint64_t first_block, uint64_t end_block) = 0;
  // Forgets the stored and reserved blocks [first_block, end_block) of ino and frees
  // their space (a punched hole, a truncation; all blocks for 0 to kNoEnd).
  virtual void DropRange(uint64_t ino, uint64_t first_block, uint64_t end_block) = 0;
  void DropFrom(uint64_t ino, uint64_t first_block) {
    DropRange(ino, first_block, RangeSet::kNoEnd);
  }
  // Journal replay of a DropRange: forgets the blocks in the index only, leaving the
  // data on disk, where later journaled writes may have put bytes again (Adopt).
  virtual void ForgetRange(uint64_t ino, uint64_t first_block, uint64_t end_block) {
    DropRange(ino, first_block, end_block);
  }
  void ForgetFrom(uint64_t ino, uint64_t first_block) {
    ForgetRange(ino, first_block, RangeSet::kNoEnd);
  }
  // Makes the blocks of ino durable (dir mode). 0 or -EIO.
  virtual int Sync(uint64_t ino) = 0;
  // Marks a block as present after a journal replay (dir mode); no data is read.
  virtual void Adopt(uint64_t ino, uint64_t block) = 0;
  // Journal replay of a Reserve: the index only, no limit check, no disk allocation.
  virtual void AdoptReservation(uint64_t ino, uint64_t first_block, uint64_t end_block) = 0;
  // Blocks of ino stored or reserved (what its st_blocks reports). O(1).
  virtual uint64_t BlocksOf(uint64_t ino) const = 0;
  // After a journal replay: the data of every stored block is still there (dir mode: each
  // such inode's data file exists). Errors: kIo naming the first missing file. O(files).
  virtual Status CheckReplayed() const { return Status::Ok(); }
  virtual uint64_t bytes_used() const = 0;
  virtual uint64_t limit_bytes() const = 0;  // 0 = unlimited
  virtual bool keeps_data() const = 0;
  virtual std::string kind() const = 0;  // "discard", "memory", "dir"
};

std::unique_ptr<BlockStore> MakeDiscardStore();
std::unique_ptr<BlockStore> MakeMemoryStore(uint64_t limit_bytes);
// Creates PATH/data if needed. Errors: kIo naming the path (PATH or PATH/data not a
// writable directory).
Result<std::unique_ptr<BlockStore>> MakeDirStore(const std::string& path, uint64_t limit_bytes);

}  // namespace sfsg
