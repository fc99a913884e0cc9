// sfsg-nullfs: the null FUSE filesystem, the ceiling a shadow is measured against.
//
// One flat directory of N files of SIZE bytes each ("f0" ... "fN-1"), every byte zero,
// served through the libfuse low-level API with the session settings of sfsg-mount
// (fuse/fuse_ops.cc and fuse/mount_main.cc): multithreaded loop, 1 MiB requests,
// max_background 64, long entry/attribute timeouts, readdirplus always,
// direct_io by default. Nothing else: no content generation, no metrics,
// no lock, no allocation per request. scripts/bench-mount runs the same fio jobs here
// and on a shadow; the ratio is what sfsg-mount's own work costs.
//
// With --write-replies each read first writes its reply (memset of a per-thread
// buffer): the cheapest filesystem that produces the bytes it serves, a second
// reference for what fabricating content costs at all.
//
// Usage: sfsg-nullfs [-f] [--files N] [--size BYTES] [--threads N] [--kernel-cache]
//                    [--write-replies] MNT
#include <fuse_lowlevel.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "fuse/session_settings.h"
#include "generator/util/units.h"

namespace sfsg {
namespace {

constexpr fuse_ino_t kRootIno = 1;
constexpr unsigned kMaxRequestBytes = 1 << 20;

struct NullOptions {
  std::string mountpoint;
  uint64_t files = 1000;
  uint64_t size_bytes = uint64_t{64} << 30;
  unsigned threads = 4;
  double timeout_s = 3600;
  bool foreground = false;
  bool kernel_cache = false;
  bool write_replies = false;
};

const NullOptions& Options(fuse_req_t req) {
  return *static_cast<const NullOptions*>(fuse_req_userdata(req));
}

// Zeros for every read: one static buffer, never written.
const char kZeros[kMaxRequestBytes] = {};

bool IsFile(const NullOptions& o, fuse_ino_t ino) { return ino >= 2 && ino - 2 < o.files; }

void Attr(const NullOptions& o, fuse_ino_t ino, struct stat* st) {
  std::memset(st, 0, sizeof(*st));
  st->st_ino = ino;
  st->st_uid = ::getuid();
  st->st_gid = ::getgid();
  st->st_blksize = 4096;
  if (ino == kRootIno) {
    st->st_mode = S_IFDIR | 0755;
    st->st_nlink = 2;
    st->st_size = 4096;
  } else {
    st->st_mode = S_IFREG | 0644;
    st->st_nlink = 1;
    st->st_size = static_cast<off_t>(o.size_bytes);
    st->st_blocks = st->st_size / 512;
  }
}

// "f123" -> inode 125; 0 when the name is not one of ours.
fuse_ino_t InoOf(const NullOptions& o, std::string_view name) {
  if (name.size() < 2 || name[0] != 'f' || (name.size() > 2 && name[1] == '0')) return 0;
  uint64_t index = 0;
  const auto [end, ec] = std::from_chars(name.data() + 1, name.data() + name.size(), index);
  if (ec != std::errc() || end != name.data() + name.size() || index >= o.files) return 0;
  return index + 2;
}

void OpInit(void*, fuse_conn_info* conn) { sfsg::ApplySessionSettings(conn, 64, kMaxRequestBytes); }

void OpLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  const NullOptions& o = Options(req);
  fuse_entry_param e;
  std::memset(&e, 0, sizeof(e));
  const fuse_ino_t ino = parent == kRootIno ? InoOf(o, name) : 0;
  if (ino == 0) {
    e.entry_timeout = 1.0;  // negative entry, as sfsg-mount replies
    fuse_reply_entry(req, &e);
    return;
  }
  e.ino = ino;
  e.generation = 1;
  Attr(o, ino, &e.attr);
  e.attr_timeout = e.entry_timeout = o.timeout_s;
  fuse_reply_entry(req, &e);
}

void OpGetattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  const NullOptions& o = Options(req);
  if (ino != kRootIno && !IsFile(o, ino)) return static_cast<void>(fuse_reply_err(req, ENOENT));
  struct stat st;
  Attr(o, ino, &st);
  fuse_reply_attr(req, &st, o.timeout_s);
}

void OpOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  const NullOptions& o = Options(req);
  if (ino == kRootIno) return static_cast<void>(fuse_reply_err(req, EISDIR));
  if (!IsFile(o, ino)) return static_cast<void>(fuse_reply_err(req, ENOENT));
  if ((fi->flags & O_ACCMODE) != O_RDONLY) return static_cast<void>(fuse_reply_err(req, EROFS));
  if (o.kernel_cache) {
    fi->keep_cache = 1;
  } else {
    fi->direct_io = 1;
  }
  fuse_reply_open(req, fi);
}

void OpRead(fuse_req_t req, fuse_ino_t, size_t size, off_t offset, fuse_file_info*) {
  const uint64_t file_size = Options(req).size_bytes;
  const uint64_t at = static_cast<uint64_t>(offset);
  const size_t n = at >= file_size ? 0 : std::min<uint64_t>({size, file_size - at, sizeof(kZeros)});
  if (!Options(req).write_replies) return static_cast<void>(fuse_reply_buf(req, kZeros, n));
  thread_local std::vector<char> reply(kMaxRequestBytes);
  std::memset(reply.data(), 0, n);
  fuse_reply_buf(req, reply.data(), n);
}

void OpRelease(fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, 0); }

void OpOpendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (ino != kRootIno) return static_cast<void>(fuse_reply_err(req, ENOTDIR));
  fuse_reply_open(req, fi);
}

// Offsets: 0 ".", 1 "..", then file i at 2 + i.
void ReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, bool plus) {
  const NullOptions& o = Options(req);
  if (ino != kRootIno) return static_cast<void>(fuse_reply_err(req, ENOTDIR));
  thread_local std::vector<char> buffer;
  buffer.resize(size);
  size_t used = 0;
  char name[32];
  for (uint64_t at = static_cast<uint64_t>(offset); at < o.files + 2; ++at) {
    fuse_entry_param e;
    std::memset(&e, 0, sizeof(e));
    const char* entry_name = name;
    if (at < 2) {
      e.ino = kRootIno;
      entry_name = at == 0 ? "." : "..";
    } else {
      e.ino = at;  // file index at - 2 has inode at
      std::snprintf(name, sizeof(name), "f%llu", static_cast<unsigned long long>(at - 2));
    }
    Attr(o, e.ino, &e.attr);
    e.generation = 1;
    e.attr_timeout = e.entry_timeout = o.timeout_s;
    const off_t next = static_cast<off_t>(at + 1);
    const size_t need =
        plus ? fuse_add_direntry_plus(req, buffer.data() + used, size - used, entry_name, &e, next)
             : fuse_add_direntry(req, buffer.data() + used, size - used, entry_name, &e.attr, next);
    if (need > size - used) break;
    used += need;
  }
  fuse_reply_buf(req, buffer.data(), used);
}

void OpReaddir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info*) {
  ReadDir(req, ino, size, offset, false);
}

void OpReaddirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info*) {
  ReadDir(req, ino, size, offset, true);
}

void OpStatfs(fuse_req_t req, fuse_ino_t) {
  const NullOptions& o = Options(req);
  struct statvfs st;
  std::memset(&st, 0, sizeof(st));
  st.f_bsize = st.f_frsize = 4096;
  st.f_blocks = o.files * (o.size_bytes / 4096) + 1;
  st.f_files = st.f_ffree = o.files + 2;
  st.f_namemax = 255;
  fuse_reply_statfs(req, &st);
}

fuse_lowlevel_ops MakeOperations() {
  fuse_lowlevel_ops ops;
  std::memset(&ops, 0, sizeof(ops));
  ops.init = OpInit;
  ops.lookup = OpLookup;
  ops.getattr = OpGetattr;
  ops.open = OpOpen;
  ops.read = OpRead;
  ops.release = OpRelease;
  ops.opendir = OpOpendir;
  ops.readdir = OpReaddir;
  ops.readdirplus = OpReaddirplus;
  ops.statfs = OpStatfs;
  return ops;
}

int Usage(const std::string& message) {
  std::fprintf(stderr, "sfsg-nullfs: %s\n", message.c_str());
  return static_cast<int>(ErrorCode::kUsage);
}

constexpr const char* kHelp =
    "Usage: sfsg-nullfs [options] MOUNTPOINT\n"
    "A null FUSE filesystem: N files of SIZE zero bytes in one directory, served with\n"
    "sfsg-mount's session settings. The ceiling for scripts/bench-mount.\n"
    "  -f, --foreground     stay in the foreground\n"
    "  --files N            number of files (default 1000; suffixes: 1k = 1000)\n"
    "  --size BYTES         size of each file (default 64G)\n"
    "  -t, --threads N      FUSE worker threads (default 4, as sfsg-mount)\n"
    "  --kernel-cache       page cache instead of direct I/O\n"
    "  --write-replies      memset each reply into a buffer before sending it\n"
    "Unmount with: fusermount3 -u MOUNTPOINT\n";

// Fills `o` from argv; returns -1 to go on, else the exit code.
int ParseArgs(int argc, char** argv, NullOptions& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* what) -> const char* {
      return i + 1 < argc ? argv[++i] : (Usage(std::string(what) + ": needs a value"), nullptr);
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kHelp, stdout);
      return 0;
    } else if (a == "-f" || a == "--foreground") {
      o.foreground = true;
    } else if (a == "--kernel-cache") {
      o.kernel_cache = true;
    } else if (a == "--write-replies") {
      o.write_replies = true;
    } else if (a == "--files" || a == "--size" || a == "-t" || a == "--threads") {
      const char* v = value(a.c_str());
      if (v == nullptr) return static_cast<int>(ErrorCode::kUsage);
      if (a == "--size") {
        auto parsed = ParseBytes(v, "--size");
        if (!parsed) return Usage(parsed.error().message);
        o.size_bytes = *parsed;
      } else {
        auto parsed = ParseCount(v, a);
        if (!parsed) return Usage(parsed.error().message);
        if (*parsed == 0 || (a != "--files" && *parsed > 256)) return Usage(a + ": out of range");
        if (a == "--files") {
          o.files = *parsed;
        } else {
          o.threads = static_cast<unsigned>(*parsed);
        }
      }
    } else if (!a.empty() && a[0] == '-') {
      return Usage("unknown option '" + a + "' (see sfsg-nullfs --help)");
    } else if (o.mountpoint.empty()) {
      o.mountpoint = a;
    } else {
      return Usage("one MOUNTPOINT only, got '" + a + "' too");
    }
  }
  if (o.mountpoint.empty()) return Usage("missing MOUNTPOINT (see sfsg-nullfs --help)");
  return -1;
}

int Serve(NullOptions& o) {
  std::string opts =
      "default_permissions,fsname=nullfs,subtype=sfsg-nullfs,max_read=1048576,auto_unmount";
  std::vector<std::string> arg_strings = {"sfsg-nullfs", "-o", opts};
  std::vector<char*> argv;
  for (std::string& s : arg_strings) argv.push_back(s.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  const fuse_lowlevel_ops ops = MakeOperations();
  fuse_session* se = fuse_session_new(&args, &ops, sizeof(ops), &o);
  if (se == nullptr) return Usage("libfuse rejected the session options");
  int rc = static_cast<int>(ErrorCode::kIo);
  if (fuse_set_signal_handlers(se) == 0) {
    if (fuse_session_mount(se, o.mountpoint.c_str()) == 0) {
      fuse_daemonize(o.foreground ? 1 : 0);
      fuse_loop_config* config = fuse_loop_cfg_create();
      fuse_loop_cfg_set_max_threads(config, o.threads);
      fuse_loop_cfg_set_idle_threads(config, o.threads);
      // 0: unmounted; > 0: the signal that stopped the loop; < 0: -errno.
      rc = fuse_session_loop_mt(se, config) < 0 ? static_cast<int>(ErrorCode::kIo) : 0;
      fuse_loop_cfg_destroy(config);
      fuse_session_unmount(se);
    } else {
      std::fprintf(stderr, "sfsg-nullfs: cannot mount on %s\n", o.mountpoint.c_str());
    }
    fuse_remove_signal_handlers(se);
  }
  fuse_session_destroy(se);
  fuse_opt_free_args(&args);
  return rc;
}

}  // namespace
}  // namespace sfsg

int main(int argc, char** argv) {
  sfsg::NullOptions options;
  const int rc = sfsg::ParseArgs(argc, argv, options);
  if (rc >= 0) return rc;
  struct stat st;
  if (::stat(options.mountpoint.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    std::fprintf(stderr, "sfsg-nullfs: mountpoint %s: not a directory\n",
                 options.mountpoint.c_str());
    return static_cast<int>(sfsg::ErrorCode::kIo);
  }
  return sfsg::Serve(options);
}
