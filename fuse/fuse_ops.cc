#include "fuse/fuse_ops.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>
#include <exception>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fuse/device_gate.h"
#include "fuse/session_settings.h"

namespace sfsg {
namespace {

ServeState& State(fuse_req_t req) { return *static_cast<ServeState*>(fuse_req_userdata(req)); }
DeviceGate* Gate(fuse_req_t req) { return State(req).device.load(std::memory_order_acquire); }

uint64_t NowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// Times one request and records it when the handler finishes.
class Timed {
 public:
  Timed(fuse_req_t req, Op op) : fs_(*State(req).fs), op_(op), start_ns_(NowNs()) {}
  ~Timed() { fs_.metrics().Record(op_, NowNs() - start_ns_, error_); }
  int Error(int rc) {
    error_ = rc != 0;
    return rc;
  }
  uint64_t start_ns() const { return start_ns_; }

 private:
  ShadowFs& fs_;
  Op op_;
  uint64_t start_ns_;
  bool error_ = false;
};

// Runs a handler; any exception becomes EIO with a log line, never a crash.
template <typename F>
void Guard(fuse_req_t req, const char* what, F&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    spdlog::error("{}: unexpected error: {}", what, e.what());
    fuse_reply_err(req, EIO);
  } catch (...) {
    spdlog::error("{}: unexpected error", what);
    fuse_reply_err(req, EIO);
  }
}

// Replies when the emulated device would have answered (--device, fuse/device_gate.h);
// without a device, here and now. `reply` owns what it sends.
template <typename Reply>
void ReplyTimed(fuse_req_t req, const Timed& t, const DeviceRequest& io, Reply&& reply) {
  ReplyAt(Gate(req), t.start_ns(), io, std::forward<Reply>(reply));
}

void ReplyErrTimed(fuse_req_t req, const Timed& t, const DeviceRequest& io, int err) {
  ReplyTimed(req, t, io, [req, err] { fuse_reply_err(req, err); });
}

}  // namespace

uint64_t HandleTable::Add(std::shared_ptr<const OpenHandle> handle) {
  const uint64_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
  Shard& shard = ShardOf(id);
  std::lock_guard lock(shard.mutex);
  shard.handles.emplace(id, std::move(handle));
  return id;
}

std::shared_ptr<const OpenHandle> HandleTable::Find(uint64_t id) const {
  const Shard& shard = ShardOf(id);
  std::lock_guard lock(shard.mutex);
  const auto it = shard.handles.find(id);
  return it == shard.handles.end() ? nullptr : it->second;
}

void HandleTable::Remove(uint64_t id) {
  std::shared_ptr<const OpenHandle> last;  // freed outside the lock
  Shard& shard = ShardOf(id);
  std::lock_guard lock(shard.mutex);
  if (const auto it = shard.handles.find(id); it != shard.handles.end()) {
    last = std::move(it->second);
    shard.handles.erase(it);
  }
}

namespace {

std::shared_ptr<const OpenHandle> HandleOf(fuse_req_t req, const fuse_file_info* fi) {
  return fi == nullptr || fi->fh == 0 ? nullptr : State(req).handles.Find(fi->fh);
}

// Control files change size as the mount runs: the kernel must not cache their
// attributes, or readers that trust st_size (cp's SEEK_HOLE) cut the text short.
double AttrTimeout(fuse_req_t req, fuse_ino_t ino) {
  return State(req).fs->IsControl(ino) ? 0.0 : State(req).options.entry_timeout_s;
}

void ReplyEntry(fuse_req_t req, const Timed& t, const DeviceRequest& io, const struct stat& st) {
  fuse_entry_param e;
  std::memset(&e, 0, sizeof(e));
  e.ino = st.st_ino;
  e.generation = 1;
  e.attr = st;
  e.entry_timeout = State(req).options.entry_timeout_s;
  e.attr_timeout = AttrTimeout(req, st.st_ino);
  ReplyTimed(req, t, io, [req, e] { fuse_reply_entry(req, &e); });
}

void ReplyEntryOrError(fuse_req_t req, Timed& t, const DeviceRequest& io, int rc,
                       const struct stat& st) {
  if (t.Error(rc) != 0) {
    ReplyErrTimed(req, t, io, -rc);
  } else {
    ReplyEntry(req, t, io, st);
  }
}

// Whether the process behind a request holds CAP_FSETID (its /proc status; asked only
// when a write meets a setuid or setgid file).
bool HasFsetid(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("CapEff:", 0) == 0)
      return (std::stoull(line.substr(7), nullptr, 16) >> CAP_FSETID) & 1;
  return false;
}

RequestContext Context(fuse_req_t req) {
  const fuse_ctx* ctx = fuse_req_ctx(req);
  return {ctx->uid, ctx->gid};
}

void OpInit(void* userdata, fuse_conn_info* conn) {
  const auto& options = static_cast<ServeState*>(userdata)->options;
  ApplySessionSettings(conn, options.max_background, options.max_write_bytes);
}

void OpLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Guard(req, "lookup", [&] {
    Timed t(req, Op::kLookup);
    struct stat st;
    const int rc = State(req).fs->Lookup(parent, name, &st);
    const DeviceRequest io = rc == 0 && State(req).fs->IsControl(st.st_ino)
                                 ? NoDeviceIo()
                                 : MetadataIo(MetadataOp::kStat, rc == 0 ? st.st_ino : 0);
    if (t.Error(rc) == -ENOENT) {
      // A negative entry with a short timeout: names can appear through the overlay.
      fuse_entry_param e;
      std::memset(&e, 0, sizeof(e));
      e.entry_timeout = 1.0;
      ReplyTimed(req, t, io, [req, e] { fuse_reply_entry(req, &e); });
      return;
    }
    ReplyEntryOrError(req, t, io, rc, st);
  });
}

void OpForget(fuse_req_t req, fuse_ino_t, uint64_t) { fuse_reply_none(req); }

void OpForgetMulti(fuse_req_t req, size_t, fuse_forget_data*) { fuse_reply_none(req); }

void OpGetattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Guard(req, "getattr", [&] {
    Timed t(req, Op::kGetattr);
    struct stat st;
    const int rc = State(req).fs->GetAttr(ino, &st);
    if (t.Error(rc) != 0) return static_cast<void>(fuse_reply_err(req, -rc));
    // Through an open control file (FUSE_GETATTR_FH): the size of its snapshot.
    if (const auto h = HandleOf(req, fi); h != nullptr && h->control)
      st.st_size = static_cast<off_t>(h->text.size());
    const double timeout = AttrTimeout(req, ino);
    const DeviceRequest io =
        State(req).fs->IsControl(ino) ? NoDeviceIo() : MetadataIo(MetadataOp::kStat, ino);
    ReplyTimed(req, t, io, [req, st, timeout] { fuse_reply_attr(req, &st, timeout); });
  });
}

void OpSetattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int valid, fuse_file_info*) {
  Guard(req, "setattr", [&] {
    Timed t(req, Op::kSetattr);
    struct stat st;
    const int rc = State(req).fs->SetAttr(ino, *attr, valid, &st);
    const DeviceRequest io = MetadataIo(MetadataOp::kStat);
    if (t.Error(rc) != 0) return ReplyErrTimed(req, t, io, -rc);
    const double timeout = State(req).options.entry_timeout_s;
    ReplyTimed(req, t, io, [req, st, timeout] { fuse_reply_attr(req, &st, timeout); });
  });
}

void OpReadlink(fuse_req_t req, fuse_ino_t ino) {
  Guard(req, "readlink", [&] {
    Timed t(req, Op::kReadlink);
    std::string target;
    const int rc = State(req).fs->ReadLink(ino, &target);
    if (t.Error(rc) != 0) return static_cast<void>(fuse_reply_err(req, -rc));
    fuse_reply_readlink(req, target.c_str());
  });
}

void OpMkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  Guard(req, "mkdir", [&] {
    Timed t(req, Op::kMkdir);
    struct stat st;
    ReplyEntryOrError(req, t, MetadataIo(MetadataOp::kCreate),
                      State(req).fs->Mkdir(parent, name, mode, Context(req), &st), st);
  });
}

void OpSymlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name) {
  Guard(req, "symlink", [&] {
    Timed t(req, Op::kSymlink);
    struct stat st;
    ReplyEntryOrError(req, t, MetadataIo(MetadataOp::kCreate),
                      State(req).fs->Symlink(parent, name, link, Context(req), &st), st);
  });
}

// FIFOs, sockets (bind(2)), device nodes and mknod(S_IFREG) files.
void OpMknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  Guard(req, "mknod", [&] {
    Timed t(req, Op::kMknod);
    struct stat st;
    ReplyEntryOrError(req, t, MetadataIo(MetadataOp::kCreate),
                      State(req).fs->Mknod(parent, name, mode, rdev, Context(req), &st), st);
  });
}

void OpLink(fuse_req_t req, fuse_ino_t ino, fuse_ino_t parent, const char* name) {
  Guard(req, "link", [&] {
    Timed t(req, Op::kLink);
    struct stat st;
    ReplyEntryOrError(req, t, MetadataIo(MetadataOp::kCreate),
                      State(req).fs->Link(ino, parent, name, &st), st);
  });
}

void OpUnlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Guard(req, "unlink", [&] {
    Timed t(req, Op::kUnlink);
    ReplyErrTimed(req, t, MetadataIo(MetadataOp::kUnlink),
                  -t.Error(State(req).fs->Unlink(parent, name)));
  });
}

void OpRmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Guard(req, "rmdir", [&] {
    Timed t(req, Op::kRmdir);
    ReplyErrTimed(req, t, MetadataIo(MetadataOp::kUnlink),
                  -t.Error(State(req).fs->Rmdir(parent, name)));
  });
}

void OpRename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t new_parent,
              const char* new_name, unsigned flags) {
  Guard(req, "rename", [&] {
    Timed t(req, Op::kRename);
    ReplyErrTimed(req, t, MetadataIo(MetadataOp::kRename),
                  -t.Error(State(req).fs->Rename(parent, name, new_parent, new_name, flags)));
  });
}

// Control files are read from a snapshot taken at open, so a reader sees one
// consistent document however it splits its reads.
void SetFileFlags(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  ShadowFs& fs = *State(req).fs;
  auto handle = std::make_shared<OpenHandle>();
  if (fs.IsControl(ino)) {
    handle->control = true;
    handle->text = fs.ControlText(ino);
    fi->direct_io = 1;
  } else {
    if (auto attr = fs.ns().GetAttr(ino); attr && attr->kind == NodeKind::kFile)
      handle->synthetic = *attr;
    if (State(req).options.kernel_cache) {
      fi->keep_cache = 1;
    } else {
      fi->direct_io = 1;
    }
  }
  // Flush does nothing here (OpFlush): the kernel is told not to send it, which saves a
  // round trip to the daemon on every close (ignored by kernels without FOPEN_NOFLUSH).
  fi->noflush = 1;
  fi->fh = State(req).handles.Add(std::move(handle));
}

void OpOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Guard(req, "open", [&] {
    Timed t(req, Op::kOpen);
    const int rc = State(req).fs->Open(ino, fi->flags);
    const DeviceRequest io =
        State(req).fs->IsControl(ino) ? NoDeviceIo() : MetadataIo(MetadataOp::kOpen, ino);
    if (t.Error(rc) != 0) return ReplyErrTimed(req, t, io, -rc);
    SetFileFlags(req, ino, fi);
    if (State(req).fs->IsControl(ino)) {
      if (fuse_reply_open(req, fi) != 0) State(req).handles.Remove(fi->fh);
      return;
    }
    ReplyTimed(req, t, io, [req, info = *fi, state = &State(req)] {
      if (fuse_reply_open(req, &info) != 0) state->handles.Remove(info.fh);
    });
  });
}

void OpCreate(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
              fuse_file_info* fi) {
  Guard(req, "create", [&] {
    Timed t(req, Op::kCreate);
    struct stat st;
    const int rc = State(req).fs->Create(parent, name, mode, Context(req), &st);
    const DeviceRequest io = MetadataIo(MetadataOp::kCreate);
    if (t.Error(rc) != 0) return ReplyErrTimed(req, t, io, -rc);
    SetFileFlags(req, st.st_ino, fi);
    fuse_entry_param e;
    std::memset(&e, 0, sizeof(e));
    e.ino = st.st_ino;
    e.generation = 1;
    e.attr = st;
    e.attr_timeout = e.entry_timeout = State(req).options.entry_timeout_s;
    ReplyTimed(req, t, io, [req, e, info = *fi, state = &State(req)] {
      if (fuse_reply_create(req, &e, &info) != 0) state->handles.Remove(info.fh);
    });
  });
}

void OpRead(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info* fi) {
  Guard(req, "read", [&] {
    Timed t(req, Op::kRead);
    const auto h = HandleOf(req, fi);
    if (fi != nullptr && fi->fh != 0 && h == nullptr)  // released while this was queued
      return static_cast<void>(fuse_reply_err(req, EBADF));
    if (h != nullptr && h->control) {
      const std::string& text = h->text;
      const size_t start = std::min<size_t>(static_cast<size_t>(offset), text.size());
      fuse_reply_buf(req, text.data() + start, std::min(size, text.size() - start));
      return;
    }
    // One buffer per worker thread, grown once: no allocation per read.
    thread_local std::vector<std::byte> buffer;
    if (buffer.size() < size) buffer.resize(std::max<size_t>(size, 1 << 20));
    size_t done = 0;
    const std::span<std::byte> out(buffer.data(), size);
    const int rc =
        h != nullptr && h->synthetic
            ? State(req).fs->ReadResolved(*h->synthetic, static_cast<uint64_t>(offset), out, &done)
            : State(req).fs->Read(ino, static_cast<uint64_t>(offset), out, &done);
    const DeviceRequest io =
        DataIo(false, ino, static_cast<uint64_t>(offset), size, fi != nullptr ? fi->flags : 0);
    if (t.Error(rc) != 0) return ReplyErrTimed(req, t, io, -rc);
    State(req).fs->metrics().AddBytesRead(done);
    ReplyBufAt(Gate(req), t.start_ns(), io, req, reinterpret_cast<const char*>(buffer.data()),
               done);
  });
}

void OpWrite(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t offset,
             fuse_file_info* fi) {
  Guard(req, "write", [&] {
    Timed t(req, Op::kWrite);
    size_t done = 0;
    const pid_t pid = fuse_req_ctx(req)->pid;
    bool dropped_setid = false;
    const int rc = State(req).fs->Write(ino, static_cast<uint64_t>(offset),
                                        {reinterpret_cast<const std::byte*>(buf), size}, &done,
                                        [pid, &dropped_setid] {
                                          const bool keep = HasFsetid(pid);
                                          dropped_setid = !keep;
                                          return keep;
                                        });
    // The kernel only refetches size and times after a write: tell it the mode changed.
    if (dropped_setid && State(req).session != nullptr)
      fuse_lowlevel_notify_inval_inode(State(req).session, ino, -1, 0);
    const DeviceRequest io =
        DataIo(true, ino, static_cast<uint64_t>(offset), size, fi != nullptr ? fi->flags : 0);
    if (t.Error(rc) != 0) return ReplyErrTimed(req, t, io, -rc);
    ReplyTimed(req, t, io, [req, done] { fuse_reply_write(req, done); });
  });
}

void OpFlush(fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, 0); }

void OpRelease(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Guard(req, "release", [&] {
    Timed t(req, Op::kRelease);
    const auto h = HandleOf(req, fi);
    if (h == nullptr || !h->control) State(req).fs->Release(ino);
    if (fi != nullptr) State(req).handles.Remove(fi->fh);
    fuse_reply_err(req, 0);
  });
}

void OpFsync(fuse_req_t req, fuse_ino_t ino, int, fuse_file_info*) {
  Guard(req, "fsync", [&] {
    Timed t(req, Op::kFsync);
    ReplyErrTimed(req, t, MetadataIo(MetadataOp::kFsync), -t.Error(State(req).fs->Fsync(ino)));
  });
}

void OpOpendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Guard(req, "opendir", [&] {
    Timed t(req, Op::kOpen);
    struct stat st;
    const int rc = State(req).fs->GetAttr(ino, &st);
    const DeviceRequest io = MetadataIo(MetadataOp::kOpen, ino);
    if (t.Error(rc) != 0) return ReplyErrTimed(req, t, io, -rc);
    if (!S_ISDIR(st.st_mode)) return ReplyErrTimed(req, t, io, ENOTDIR);
    // The kernel keeps a listing it has read to the end and serves the next opendir's
    // from it (two readdirplus round trips fewer, one of them only to hear "end").
    // Every change of a listing reaches the kernel as a create, mkdir, mknod, symlink,
    // link, unlink, rmdir or rename in that directory, which drops the copy; a re-scale
    // invalidates the root it changes. --timeout 0 (no kernel caching) keeps it off.
    const bool cache = State(req).options.entry_timeout_s > 0;
    fi->cache_readdir = cache;
    fi->keep_cache = cache;
    ReplyTimed(req, t, io, [req, info = *fi] { fuse_reply_open(req, &info); });
  });
}

void ReadDirCommon(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, bool plus) {
  Timed t(req, Op::kReaddir);
  thread_local std::vector<char> buffer;
  buffer.resize(size);
  size_t used = 0;
  const double timeout = State(req).options.entry_timeout_s;
  // With a device model, a listing names its entries without looking them up, as a real
  // filesystem's getdents does: node id 0 tells the kernel to create no dentry and keep
  // no attributes from it, so each entry's first stat or open still comes here as a
  // LOOKUP and the model decides whether its inode record must be read. (With readdirplus
  // attributes, a stat after a listing never reached the model.)
  const bool link_entries = Gate(req) == nullptr;
  const int rc = State(req).fs->ReadDir(
      ino, static_cast<uint64_t>(offset),
      [&](std::string_view name, const struct stat& st, uint64_t next) {
        const std::string n(name);
        size_t need;
        if (plus) {
          fuse_entry_param e;
          std::memset(&e, 0, sizeof(e));
          e.ino = link_entries ? st.st_ino : 0;
          e.generation = 1;
          e.attr = st;
          e.entry_timeout = timeout;
          e.attr_timeout = State(req).fs->IsControl(st.st_ino) ? 0.0 : timeout;
          need = fuse_add_direntry_plus(req, buffer.data() + used, size - used, n.c_str(), &e,
                                        static_cast<off_t>(next));
        } else {
          need = fuse_add_direntry(req, buffer.data() + used, size - used, n.c_str(), &st,
                                   static_cast<off_t>(next));
        }
        if (need > size - used) return false;
        used += need;
        return true;
      });
  const DeviceRequest io = MetadataIo(MetadataOp::kReaddir, ino);
  if (t.Error(rc) != 0) return ReplyErrTimed(req, t, io, -rc);
  ReplyBufAt(Gate(req), t.start_ns(), io, req, buffer.data(), used);
}

void OpReaddir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info*) {
  Guard(req, "readdir", [&] { ReadDirCommon(req, ino, size, offset, false); });
}

void OpReaddirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info*) {
  Guard(req, "readdirplus", [&] { ReadDirCommon(req, ino, size, offset, true); });
}

void OpReleasedir(fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, 0); }

void OpStatfs(fuse_req_t req, fuse_ino_t) {
  Guard(req, "statfs", [&] {
    Timed t(req, Op::kStatfs);
    struct statvfs st;
    State(req).fs->StatFs(&st);
    fuse_reply_statfs(req, &st);
  });
}

void OpFallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
                 fuse_file_info*) {
  Guard(req, "fallocate", [&] {
    Timed t(req, Op::kFallocate);
    if (offset < 0 || length <= 0) return static_cast<void>(fuse_reply_err(req, EINVAL));
    fuse_reply_err(req, -t.Error(State(req).fs->Fallocate(ino, mode, static_cast<uint64_t>(offset),
                                                          static_cast<uint64_t>(length))));
  });
}

// No extended attributes: say so the way tools expect.
void OpGetxattr(fuse_req_t req, fuse_ino_t, const char*, size_t) { fuse_reply_err(req, ENODATA); }
void OpListxattr(fuse_req_t req, fuse_ino_t, size_t size) {
  if (size == 0) {
    fuse_reply_xattr(req, 0);
  } else {
    fuse_reply_buf(req, nullptr, 0);
  }
}
void OpSetxattr(fuse_req_t req, fuse_ino_t, const char*, const char*, size_t, int) {
  fuse_reply_err(req, ENOTSUP);
}

}  // namespace

fuse_lowlevel_ops MakeOperations() {
  fuse_lowlevel_ops ops;
  std::memset(&ops, 0, sizeof(ops));
  ops.init = OpInit;
  ops.lookup = OpLookup;
  ops.forget = OpForget;
  ops.forget_multi = OpForgetMulti;
  ops.getattr = OpGetattr;
  ops.setattr = OpSetattr;
  ops.readlink = OpReadlink;
  ops.mkdir = OpMkdir;
  ops.mknod = OpMknod;
  ops.symlink = OpSymlink;
  ops.link = OpLink;
  ops.unlink = OpUnlink;
  ops.rmdir = OpRmdir;
  ops.rename = OpRename;
  ops.open = OpOpen;
  ops.create = OpCreate;
  ops.read = OpRead;
  ops.write = OpWrite;
  ops.flush = OpFlush;
  ops.release = OpRelease;
  ops.fsync = OpFsync;
  ops.opendir = OpOpendir;
  ops.readdir = OpReaddir;
  ops.readdirplus = OpReaddirplus;
  ops.releasedir = OpReleasedir;
  ops.statfs = OpStatfs;
  ops.fallocate = OpFallocate;
  ops.getxattr = OpGetxattr;
  ops.listxattr = OpListxattr;
  ops.setxattr = OpSetxattr;
  return ops;
}

}  // namespace sfsg
