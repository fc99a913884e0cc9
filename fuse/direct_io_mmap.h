// Shared mmap of direct_io files: asks the kernel for FUSE_DIRECT_IO_ALLOW_MMAP.
//
// sfsg-mount opens files with FOPEN_DIRECT_IO (reads straight from the daemon, several
// times faster than filling the page cache on these VMs). Without more, the kernel
// refuses mmap(MAP_SHARED) of such a file with ENODEV. Since Linux 6.6 a server may
// set FUSE_DIRECT_IO_ALLOW_MMAP (bit 36 of the INIT flags, i.e. bit 4 of flags2, only
// read when the reply also carries FUSE_INIT_EXT): shared maps then go through the page
// cache while read(2)/write(2) stay direct, and the kernel keeps the two coherent (a
// direct read or write first writes back and drops the cached pages of its range).
//
// Debian 12's libfuse 3.14 has no capability bit for it, so the flag is added to the
// INIT reply on its way to /dev/fuse: the session's I/O goes through a thin wrapper
// (fuse_session_custom_io, same descriptor) that notes the INIT request's id and
// whether the kernel offered the flag, and sets the flag in that one reply. Every other
// request and reply costs one relaxed atomic load more. A kernel that does not offer it
// (before 6.6) gets the reply unchanged, and MAP_SHARED stays ENODEV there.
//
// Thread-safety: the wrapper's callbacks run on any FUSE worker thread.
#pragma once

#include <fuse_lowlevel.h>

#include <atomic>
#include <cstdint>

namespace sfsg {

// Protocol numbers (include/uapi/linux/fuse.h); Debian 12's headers predate the flag.
inline constexpr uint32_t kFuseInitOpcode = 26;
inline constexpr uint64_t kFuseInitExt = uint64_t{1} << 30;
inline constexpr uint64_t kFuseDirectIoAllowMmap = uint64_t{1} << 36;

// What the wrapper learned; lives as long as the session (in ServeState).
class DirectIoMmap {
 public:
  // Called with a request just read from /dev/fuse: notes an INIT request.
  void OnRequest(const void* buffer, size_t size);
  // Called with a reply about to be written: adds the flag to the INIT reply when the
  // kernel offered it; iov[1] may be changed to point at a patched copy (same length).
  // True for the INIT reply (whether or not it was changed).
  bool OnReply(struct iovec* iov, int count);

  // After INIT: the kernel offered the flag / the reply asked for it.
  bool offered() const { return offered_.load(std::memory_order_relaxed); }
  bool granted() const { return granted_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> init_pending_{false};
  std::atomic<uint64_t> init_unique_{0};
  std::atomic<bool> offered_{false};
  std::atomic<bool> granted_{false};
  alignas(8) unsigned char patched_[128];  // the INIT reply's argument, flag set
};

// Routes the I/O of a mounted session through the DirectIoMmap of its ServeState (the
// session's userdata, fuse_ops.h). REQUIRES: fuse_session_mount succeeded and the loop
// has not started. 0 or -errno (the session then keeps its plain I/O).
int InstallDirectIoMmap(fuse_session* se);

}  // namespace sfsg
