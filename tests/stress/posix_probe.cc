// sfsg_posix_probe: one system call per invocation, its outcome printed as a word, for
// the shell tests in tests/stress/. Also the multi-operation clients those tests need
// (churn, ackwriter) and their checkers (consistency, ackverify).
//
// Output: "OK" or the errno name ("EACCES") on stdout; `stat` prints key=value pairs.
// Exit status: 0 whenever the call was made (whatever it returned), 2 on bad usage,
// 1 when a checker (consistency, ackverify) or a client (churn) found a failure.
// Single-threaded; a test runs many copies at once for concurrency.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/stress/probe.h"

namespace {

using sfsg_probe::ErrnoName;

int Print(int rc) {
  std::printf("%s\n", ErrnoName(rc < 0 ? errno : 0));
  return 0;
}

int Usage() {
  std::fprintf(stderr,
               "usage: sfsg_posix_probe CMD ARGS\n"
               "  open PATH FLAGS [MODE]      FLAGS: r,w,rw,creat,excl,trunc,append,dir\n"
               "  write PATH FLAGS DATA [MODE]\n"
               "  writesync PATH DATA          append + fsync: OK or STEP:ERRNO\n"
               "  truncate PATH SIZE | ftruncate PATH SIZE\n"
               "  rename2 OLD NEW none|noreplace|exchange|noreplace+exchange|whiteout\n"
               "  unlink PATH | rmdir PATH | mkdir PATH MODE | link OLD NEW | symlink T PATH\n"
               "  chmod PATH MODE | chown PATH UID GID | stat PATH | utimens PATH\n"
               "  churn DIR CLIENT OPS             random namespace and data operations\n"
               "  consistency DIR                  readdir and stat agree, recursively\n"
               "  modelcheck FILE OPS SEED [EXPECTED]  writes/truncates checked against a model\n"
               "  ackwriter DIR LOG FILES          fsync-acknowledged appends until killed\n"
               "  ackverify DIR LOG                every acknowledged byte is there\n");
  return 2;
}

int ParseFlags(const std::string& list) {
  int flags = 0;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = list.find(',', start);
    const std::string f = list.substr(start, comma == std::string::npos ? comma : comma - start);
    if (f == "r")
      flags |= O_RDONLY;
    else if (f == "w")
      flags |= O_WRONLY;
    else if (f == "rw")
      flags |= O_RDWR;
    else if (f == "creat")
      flags |= O_CREAT;
    else if (f == "excl")
      flags |= O_EXCL;
    else if (f == "trunc")
      flags |= O_TRUNC;
    else if (f == "append")
      flags |= O_APPEND;
    else if (f == "dir")
      flags |= O_DIRECTORY;
    else if (!f.empty()) {
      std::fprintf(stderr, "unknown flag %s\n", f.c_str());
      std::exit(2);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return flags | O_CLOEXEC;
}

mode_t ParseMode(const char* text) { return static_cast<mode_t>(std::strtoul(text, nullptr, 8)); }

int DoWrite(const char* path, const char* flags, const char* data, const char* mode) {
  const int fd = ::open(path, ParseFlags(flags), mode ? ParseMode(mode) : 0644);
  if (fd < 0) return Print(-1);
  const size_t len = std::strlen(data);
  const ssize_t n = ::write(fd, data, len);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (n >= 0 && static_cast<size_t>(n) != len) {
    std::printf("SHORT\n");
    return 0;
  }
  return Print(n < 0 ? -1 : 0);
}

// open(O_WRONLY|O_CREAT|O_APPEND) + write + fsync: "OK" or "STEP:ERRNO" of the first
// step that failed, so a test can tell a refused write from a refused fsync.
int DoWriteSync(const char* path, const char* data) {
  const int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return std::printf("open:%s\n", ErrnoName(errno)), 0;
  const size_t len = std::strlen(data);
  if (::write(fd, data, len) != static_cast<ssize_t>(len)) {
    std::printf("write:%s\n", ErrnoName(errno));
  } else if (::fsync(fd) != 0) {
    std::printf("fsync:%s\n", ErrnoName(errno));
  } else if (::close(fd) != 0) {
    return std::printf("close:%s\n", ErrnoName(errno)), 0;
  } else {
    return std::printf("OK\n"), 0;
  }
  ::close(fd);
  return 0;
}

int DoRename2(const char* from, const char* to, const std::string& how) {
  unsigned flags = 0;
  if (how == "noreplace")
    flags = RENAME_NOREPLACE;
  else if (how == "exchange")
    flags = RENAME_EXCHANGE;
  else if (how == "noreplace+exchange")
    flags = RENAME_NOREPLACE | RENAME_EXCHANGE;
  else if (how == "whiteout")
    flags = RENAME_WHITEOUT;
  else if (how != "none")
    return Usage();
  return Print(static_cast<int>(::syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, flags)));
}

int DoStat(const char* path) {
  struct stat st;
  if (::lstat(path, &st) != 0) return Print(-1);
  std::printf("uid=%u gid=%u mode=%o nlink=%" PRIu64 " size=%" PRId64 " ino=%" PRIu64
              " atime=%" PRId64 ".%09ld mtime=%" PRId64 ".%09ld ctime=%" PRId64 ".%09ld\n",
              st.st_uid, st.st_gid, st.st_mode, static_cast<uint64_t>(st.st_nlink),
              static_cast<int64_t>(st.st_size), static_cast<uint64_t>(st.st_ino),
              static_cast<int64_t>(st.st_atim.tv_sec), st.st_atim.tv_nsec,
              static_cast<int64_t>(st.st_mtim.tv_sec), st.st_mtim.tv_nsec,
              static_cast<int64_t>(st.st_ctim.tv_sec), st.st_ctim.tv_nsec);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string cmd = argv[1];
  auto arg = [&](int i) -> const char* { return i < argc ? argv[i] : nullptr; };
  const int n = argc - 2;
  if (cmd == "open" && n >= 2) {
    const int fd = ::open(arg(2), ParseFlags(arg(3)), arg(4) ? ParseMode(arg(4)) : 0644);
    if (fd >= 0) ::close(fd);
    return Print(fd);
  }
  if (cmd == "write" && n >= 3) return DoWrite(arg(2), arg(3), arg(4), arg(5));
  if (cmd == "writesync" && n == 2) return DoWriteSync(arg(2), arg(3));
  if (cmd == "truncate" && n == 2)
    return Print(::truncate(arg(2), static_cast<off_t>(std::strtoll(arg(3), nullptr, 0))));
  if (cmd == "ftruncate" && n == 2) {
    const int fd = ::open(arg(2), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return Print(-1);
    const int rc = ::ftruncate(fd, static_cast<off_t>(std::strtoll(arg(3), nullptr, 0)));
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return Print(rc);
  }
  if (cmd == "rename2" && n == 3) return DoRename2(arg(2), arg(3), arg(4));
  if (cmd == "unlink" && n == 1) return Print(::unlink(arg(2)));
  if (cmd == "rmdir" && n == 1) return Print(::rmdir(arg(2)));
  if (cmd == "mkdir" && n == 2) return Print(::mkdir(arg(2), ParseMode(arg(3))));
  if (cmd == "link" && n == 2) return Print(::link(arg(2), arg(3)));
  if (cmd == "symlink" && n == 2) return Print(::symlink(arg(2), arg(3)));
  if (cmd == "chmod" && n == 2) return Print(::chmod(arg(2), ParseMode(arg(3))));
  if (cmd == "chown" && n == 3)
    return Print(::lchown(arg(2), static_cast<uid_t>(std::atol(arg(3))),
                          static_cast<gid_t>(std::atol(arg(4)))));
  if (cmd == "utimens" && n == 1) return Print(::utimensat(AT_FDCWD, arg(2), nullptr, 0));
  if (cmd == "stat" && n == 1) return DoStat(arg(2));
  using namespace sfsg_probe;
  if (cmd == "churn" && n == 3) return DoChurn(arg(2), std::atoi(arg(3)), std::atol(arg(4)));
  if (cmd == "consistency" && n == 1) return DoConsistency(arg(2));
  if (cmd == "modelcheck" && n >= 3)
    return DoModelCheck(arg(2), std::atol(arg(3)), std::strtoull(arg(4), nullptr, 0), arg(5));
  if (cmd == "ackwriter" && n == 3) return DoAckWriter(arg(2), arg(3), std::atoi(arg(4)));
  if (cmd == "ackverify" && n == 2) return DoAckVerify(arg(2), arg(3));
  return Usage();
}
