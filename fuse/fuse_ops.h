// The libfuse low-level operations table over a ShadowFs.
//
// One OpX(req, ...) per fuse_lowlevel_ops entry: it takes the ShadowFs from
// fuse_req_userdata (never a global), calls it, replies exactly once (errors as
// negative errno from ShadowFs), catches everything, and records the operation's
// latency in the filesystem's metrics.
#pragma once

#include <fuse_lowlevel.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "fuse/direct_io_mmap.h"
#include "fuse/shadow_fs.h"

namespace sfsg {
class DeviceGate;
}

namespace sfsg {

struct ServeOptions {
  double entry_timeout_s = 3600;  // kernel caching of names and attributes
  bool kernel_cache = false;      // page cache for file data instead of direct_io
  unsigned max_background = 64;
  unsigned max_write_bytes = 1 << 20;
};

// What an open file's fi->fh names: the snapshot of a control file, or the attributes
// of a synthetic file resolved at open (so reads skip the namespace).
struct OpenHandle {
  bool control = false;
  std::string text;
  std::optional<NodeAttr> synthetic;
};

// Open handles by id. The kernel may send RELEASE while a READ of the same open file is
// still being served (a reader interrupted or killed mid-read): a handle is shared, so
// the request in flight keeps what it reads alive. Sharded to keep lookups uncontended.
class HandleTable {
 public:
  uint64_t Add(std::shared_ptr<const OpenHandle> handle);
  std::shared_ptr<const OpenHandle> Find(uint64_t id) const;  // null when released
  void Remove(uint64_t id);

 private:
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<uint64_t, std::shared_ptr<const OpenHandle>> handles;
  };
  static constexpr uint64_t kShards = 64;
  Shard& ShardOf(uint64_t id) const { return shards_[id % kShards]; }
  mutable std::array<Shard, kShards> shards_;
  std::atomic<uint64_t> next_id_{1};  // 0 is "no handle"
};

// What fuse_req_userdata points to.
struct ServeState {
  ShadowFs* fs = nullptr;
  // For notifications from request handlers (set by whoever made the session; may stay
  // null, then the kernel's cached mode is not refreshed after a write drops setuid).
  fuse_session* session = nullptr;
  ServeOptions options;
  HandleTable handles;
  DirectIoMmap direct_io_mmap;  // what INIT said about shared maps of direct_io files
  // --device: replies at the emulated device's time (fuse/device_gate.h); null: at once.
  // Atomic: the forecaster may install a gate while the session runs (a passive model).
  std::atomic<DeviceGate*> device{nullptr};
};

fuse_lowlevel_ops MakeOperations();

}  // namespace sfsg
