// BlockStore: where an overlay keeps the bytes clients write, in 4 KiB blocks.
//
// Three kinds, chosen by --writes:
//  - discard: keeps nothing (writes are metered, reads fall back to the base content);
//  - memory[:LIMIT]: blocks in RAM, ENOSPC beyond LIMIT bytes;
//  - dir:PATH[:LIMIT]: blocks in sparse files PATH/data/<ino>, durable across a remount
//    (the overlay's journal records which blocks exist).
// Thread-safe: every method may be called from any FUSE worker thread. Put() never
// allocates more than one block; errors are negative errno values (-ENOSPC, -EIO).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "generator/util/status.h"

namespace sfsg {

class BlockStore {
 public:
  static constexpr uint32_t kBlockBytes = 4096;
  virtual ~BlockStore() = default;

  // 1 and fills `out` (kBlockBytes) when the block is stored, 0 when it is not (the
  // caller falls back to the base content), -EIO when a stored block cannot be read back
  // (dir mode: the data file or the overlay directory vanished).
  virtual int Get(uint64_t ino, uint64_t block, std::byte* out) const = 0;
  // Stores a whole block. 0, or -ENOSPC past the limit, or -EIO.
  virtual int Put(uint64_t ino, uint64_t block, const std::byte* data) = 0;
  // Forgets blocks >= first_block of ino (all of them for 0).
  virtual void DropFrom(uint64_t ino, uint64_t first_block) = 0;
  // Journal replay of a DropFrom: forgets the blocks in the index only, leaving the
  // data on disk, where later journaled writes may have put bytes again (Adopt).
  virtual void ForgetFrom(uint64_t ino, uint64_t first_block) { DropFrom(ino, first_block); }
  // Makes the blocks of ino durable (dir mode). 0 or -EIO.
  virtual int Sync(uint64_t ino) = 0;
  // Marks a block as present after a journal replay (dir mode); no data is read.
  virtual void Adopt(uint64_t ino, uint64_t block) = 0;
  virtual uint64_t bytes_used() const = 0;
  virtual uint64_t limit_bytes() const = 0;  // 0 = unlimited
  virtual bool keeps_data() const = 0;
  virtual std::string kind() const = 0;  // "discard", "memory", "dir"
};

std::unique_ptr<BlockStore> MakeDiscardStore();
std::unique_ptr<BlockStore> MakeMemoryStore(uint64_t limit_bytes);
// Creates PATH/data if needed. Errors: kIo naming the path.
Result<std::unique_ptr<BlockStore>> MakeDirStore(const std::string& path, uint64_t limit_bytes);

}  // namespace sfsg
