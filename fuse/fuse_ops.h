// The libfuse low-level operations table over a ShadowFs.
//
// One OpX(req, ...) per fuse_lowlevel_ops entry: it takes the ShadowFs from
// fuse_req_userdata (never a global), calls it, replies exactly once (errors as
// negative errno from ShadowFs), catches everything, and records the operation's
// latency in the filesystem's metrics.
#pragma once

#include <fuse_lowlevel.h>

#include "fuse/shadow_fs.h"

namespace sfsg {

struct ServeOptions {
  double entry_timeout_s = 3600;  // kernel caching of names and attributes
  bool kernel_cache = false;      // page cache for file data instead of direct_io
  unsigned max_background = 64;
  unsigned max_write_bytes = 1 << 20;
};

// What fuse_req_userdata points to.
struct ServeState {
  ShadowFs* fs = nullptr;
  ServeOptions options;
};

fuse_lowlevel_ops MakeOperations();

}  // namespace sfsg
