#include "fuse/direct_io_mmap.h"

#include <linux/fuse.h>
#include <spdlog/spdlog.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "fuse/fuse_ops.h"

namespace sfsg {

void DirectIoMmap::OnRequest(const void* buffer, size_t size) {
  if (size < sizeof(fuse_in_header) + sizeof(fuse_init_in)) return;
  fuse_in_header header;
  std::memcpy(&header, buffer, sizeof(header));
  if (header.opcode != kFuseInitOpcode) return;
  fuse_init_in init;
  std::memcpy(&init, static_cast<const unsigned char*>(buffer) + sizeof(header), sizeof(init));
  const uint64_t flags =
      init.flags | ((init.flags & kFuseInitExt) ? uint64_t{init.flags2} << 32 : 0);
  offered_.store((flags & kFuseDirectIoAllowMmap) != 0, std::memory_order_relaxed);
  init_unique_.store(header.unique, std::memory_order_relaxed);
  init_pending_.store(true, std::memory_order_release);
}

bool DirectIoMmap::OnReply(struct iovec* iov, int count) {
  if (!init_pending_.load(std::memory_order_acquire) || count < 1 ||
      iov[0].iov_len < sizeof(fuse_out_header))
    return false;
  fuse_out_header out;
  std::memcpy(&out, iov[0].iov_base, sizeof(out));
  if (out.unique != init_unique_.load(std::memory_order_relaxed)) return false;
  init_pending_.store(false, std::memory_order_relaxed);
  // Only a full-size reply (protocol 7.23 and later) carries flags2.
  if (count < 2 || out.error != 0 || !offered() || iov[1].iov_len < sizeof(fuse_init_out) ||
      iov[1].iov_len > sizeof(patched_))
    return true;
  std::memcpy(patched_, iov[1].iov_base, iov[1].iov_len);
  fuse_init_out init;
  std::memcpy(&init, patched_, sizeof(init));
  init.flags |= static_cast<uint32_t>(kFuseInitExt);
  init.flags2 |= static_cast<uint32_t>(kFuseDirectIoAllowMmap >> 32);
  std::memcpy(patched_, &init, sizeof(init));
  iov[1].iov_base = patched_;
  granted_.store(true, std::memory_order_relaxed);
  return true;
}

namespace {

DirectIoMmap& StateOf(void* userdata) { return static_cast<ServeState*>(userdata)->direct_io_mmap; }

ssize_t ReadRequest(int fd, void* buffer, size_t size, void* userdata) {
  const ssize_t n = ::read(fd, buffer, size);
  if (n > 0) StateOf(userdata).OnRequest(buffer, static_cast<size_t>(n));
  return n;
}

ssize_t WriteReply(int fd, struct iovec* iov, int count, void* userdata) {
  DirectIoMmap& state = StateOf(userdata);
  if (!state.OnReply(iov, count)) return ::writev(fd, iov, count);
  const ssize_t n = ::writev(fd, iov, count);
  const int saved_errno = errno;  // libfuse reads it after a failed write
  if (state.granted())
    spdlog::info("sfsg-mount: shared mmap of direct_io files on (FUSE_DIRECT_IO_ALLOW_MMAP)");
  else
    spdlog::info(
        "sfsg-mount: the kernel does not offer FUSE_DIRECT_IO_ALLOW_MMAP (Linux < 6.6): "
        "mmap(MAP_SHARED) fails with ENODEV unless --kernel-cache");
  errno = saved_errno;
  return n;
}

}  // namespace

int InstallDirectIoMmap(fuse_session* se) {
  fuse_custom_io io;
  std::memset(&io, 0, sizeof(io));
  io.read = ReadRequest;
  io.writev = WriteReply;
  return fuse_session_custom_io(se, &io, fuse_session_fd(se));
}

}  // namespace sfsg
