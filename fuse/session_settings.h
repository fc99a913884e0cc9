// The FUSE connection settings sfsg-mount asks for at init, shared with sfsg-nullfs
// (scripts/nullfs) so the benchmark's ceiling runs with exactly the same session.
// Header-only: sfsg-nullfs links no sfsg library but sfsg_util.
#pragma once

#include <fuse_lowlevel.h>

namespace sfsg {

// max_background requests in flight (congestion at 3/4 of it), requests of up to
// request_bytes, readdirplus always, parallel directory operations, asynchronous
// direct I/O, no writeback cache, and setuid/setgid clearing left to the kernel.
inline void ApplySessionSettings(fuse_conn_info* conn, unsigned max_background,
                                 unsigned request_bytes) {
  conn->max_background = max_background;
  conn->congestion_threshold = max_background * 3 / 4;
  conn->max_write = request_bytes;
  conn->max_read = request_bytes;  // must match -o max_read
  conn->max_readahead = request_bytes;
  if (conn->capable & FUSE_CAP_READDIRPLUS) {
    conn->want |= FUSE_CAP_READDIRPLUS;
    conn->want &= ~static_cast<unsigned>(FUSE_CAP_READDIRPLUS_AUTO);
  }
  if (conn->capable & FUSE_CAP_PARALLEL_DIROPS) conn->want |= FUSE_CAP_PARALLEL_DIROPS;
  if (conn->capable & FUSE_CAP_ASYNC_DIO) conn->want |= FUSE_CAP_ASYNC_DIO;
  // FUSE_CAP_NO_OPENDIR_SUPPORT would save a round trip per directory opened, but then
  // opening the root of a dead connection succeeds, and fusermount3's auto_unmount
  // (which opens the mountpoint to see whether it is dead) leaves the dead mount behind
  // after a kill -9. Directories are opened the ordinary way.
  conn->want &= ~static_cast<unsigned>(FUSE_CAP_WRITEBACK_CACHE);
  // setuid/setgid after a write, truncate or chown: cleared by the kernel (a setattr of
  // the mode when the caller lacks CAP_FSETID), which keeps its cached mode right; libfuse
  // would otherwise ask for FUSE_CAP_HANDLE_KILLPRIV and leave it to the server.
  conn->want &= ~static_cast<unsigned>(FUSE_CAP_HANDLE_KILLPRIV);
}

}  // namespace sfsg
