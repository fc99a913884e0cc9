// sfsg_conformance: the same POSIX operations on every file type, as a transcript to
// compare between two filesystems (tests/stress/conformance.sh runs it on tmpfs and on a
// shadow and diffs the two).
//
// For each type - regular file, directory, symbolic link, FIFO, Unix socket, character
// and block device - in a fresh directory DIR/TYPE: make it, then stat, chmod (with
// setuid/setgid bits), chown, utimensat (explicit times, UTIME_NOW, UTIME_OMIT), link,
// rename (plain, onto another link of itself, across directories, RENAME_NOREPLACE,
// RENAME_EXCHANGE with a regular file), truncate, open, unlink or rmdir, each followed by
// the attributes it should have changed. Then type-specific checks (data through a FIFO,
// connect to the socket) and mknod as an unprivileged user. Then, per type, another user
// (uid 65534) against root's object in a sticky directory and against its own, and what
// a setgid directory passes on.
//
// A transcript line is "step: outcome", where outcome is OK or an errno name followed by
// normalised attributes: type, permission bits, link count, owner, device number, size
// (not for directories, whose size is the filesystem's own business), and which of
// atime/mtime/ctime moved since the previous look at the same object (never their
// values, except times set explicitly). The clock is given 12 ms between steps, above the
// coarse timestamp granularity of tmpfs.
//
// Usage: sfsg_conformance DIR [--keep]
//   Needs root (chown, device nodes, a second user). DIR must exist and be empty.
//   --keep: also leaves DIR/keep with one object of each type (and a second link to
//   each non-directory), for a remount check.
// Exit status: 0 (a transcript was printed), 2 bad usage or DIR unusable.
#include <fcntl.h>
#include <grp.h>
#include <linux/fs.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "tests/stress/probe.h"

namespace {

using sfsg_probe::ErrnoName;

std::string Outcome(int rc) { return ErrnoName(rc == 0 ? 0 : errno); }

void Tick() {
  timespec t{0, 12'000'000};
  nanosleep(&t, nullptr);
}

const char* TypeName(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return "reg";
    case S_IFDIR:
      return "dir";
    case S_IFLNK:
      return "lnk";
    case S_IFIFO:
      return "fifo";
    case S_IFSOCK:
      return "sock";
    case S_IFCHR:
      return "chr";
    case S_IFBLK:
      return "blk";
  }
  return "?";
}

bool Later(const timespec& a, const timespec& b) {
  return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

class Transcript {
 public:
  void Line(const std::string& step, const std::string& outcome) {
    std::printf("%s: %s\n", step.c_str(), outcome.c_str());
  }

  // The normalised attributes of PATH (not following a final symlink), and which times
  // moved since the last Look at the same inode.
  std::string Look(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return ErrnoName(errno);
    char text[256];
    std::snprintf(text, sizeof(text), "%s %04o nlink=%ju uid=%u gid=%u rdev=%u:%u",
                  TypeName(st.st_mode), st.st_mode & 07777, static_cast<uintmax_t>(st.st_nlink),
                  st.st_uid, st.st_gid, major(st.st_rdev), minor(st.st_rdev));
    std::string out = text;
    if (!S_ISDIR(st.st_mode)) out += " size=" + std::to_string(st.st_size);
    const auto it = seen_.find(st.st_ino);
    if (it != seen_.end()) {
      std::string moved;
      if (Later(st.st_atim, it->second.st_atim)) moved += "a";
      if (Later(st.st_mtim, it->second.st_mtim)) moved += "m";
      if (Later(st.st_ctim, it->second.st_ctim)) moved += "c";
      out += " moved=" + (moved.empty() ? std::string("-") : moved);
    } else {
      out += " new";
    }
    seen_[st.st_ino] = st;
    return out;
  }

  // "same" when A and B name one inode.
  static std::string SameInode(const std::string& a, const std::string& b) {
    struct stat x, y;
    if (::lstat(a.c_str(), &x) != 0 || ::lstat(b.c_str(), &y) != 0) return ErrnoName(errno);
    return x.st_ino == y.st_ino ? "same" : "different";
  }

 private:
  std::map<ino_t, struct stat> seen_;
};

// Makes PATH as an object of TYPE with permission bits `perm` (before the umask).
int Make(const std::string& type, const std::string& path, mode_t perm) {
  if (type == "reg") {
    const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY, perm);
    if (fd < 0) return -1;
    return ::close(fd);
  }
  if (type == "dir") return ::mkdir(path.c_str(), perm);
  if (type == "lnk") return ::symlink("target-of-link", path.c_str());
  if (type == "fifo") return ::mkfifo(path.c_str(), perm);
  if (type == "chr") return ::mknod(path.c_str(), S_IFCHR | perm, makedev(1, 3));
  if (type == "blk") return ::mknod(path.c_str(), S_IFBLK | perm, makedev(7, 200));
  if (type == "sock") {
    const int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof(addr.sun_path)) {
      errno = ENAMETOOLONG;
      return -1;
    }
    std::strcpy(addr.sun_path, path.c_str());
    const int rc = ::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    const int e = errno;
    ::close(s);
    errno = e;
    return rc;
  }
  errno = EINVAL;
  return -1;
}

int Remove(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return ::rmdir(path.c_str());
  return ::unlink(path.c_str());
}

int Rename2(const std::string& from, const std::string& to, unsigned flags) {
  return static_cast<int>(
      ::syscall(SYS_renameat2, AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), flags));
}

// The operations every type goes through.
void Walk(Transcript& t, const std::string& root, const std::string& type) {
  const std::string d = root + "/" + type, a = d + "/a", b = d + "/b", c = d + "/c";
  const std::string other_dir = d + "/sub", reg = d + "/reg";
  const auto step = [&](const std::string& name, int rc, const std::string& look = "") {
    t.Line(type + " " + name, Outcome(rc) + (look.empty() ? "" : " | " + t.Look(look)));
    Tick();
  };
  const auto look = [&](const std::string& name, const std::string& path) {
    t.Line(type + " " + name, t.Look(path));
  };
  ::mkdir(d.c_str(), 0755);
  ::mkdir(other_dir.c_str(), 0755);
  ::close(::open(reg.c_str(), O_CREAT | O_WRONLY, 0644));
  look("parent before", d);
  Tick();
  step("make", Make(type, a, 0640), a);
  look("parent after make", d);
  step("make again", Make(type, a, 0640));
  step("chmod 0604", ::fchmodat(AT_FDCWD, a.c_str(), 0604, AT_SYMLINK_NOFOLLOW), a);
  step("chmod 6755", ::fchmodat(AT_FDCWD, a.c_str(), 06755, AT_SYMLINK_NOFOLLOW), a);
  step("chown 1234:5678", ::lchown(a.c_str(), 1234, 5678), a);
  step("chown -1:100", ::lchown(a.c_str(), static_cast<uid_t>(-1), 100), a);
  step("chmod 0644", ::fchmodat(AT_FDCWD, a.c_str(), 0644, AT_SYMLINK_NOFOLLOW), a);
  {
    const timespec times[2] = {{1000000000, 123456789}, {1100000000, 987654321}};
    const int rc = ::utimensat(AT_FDCWD, a.c_str(), times, AT_SYMLINK_NOFOLLOW);
    struct stat st {};
    ::lstat(a.c_str(), &st);
    step("utimensat explicit", rc, a);
    t.Line(type + " utimensat values",
           std::to_string(st.st_atim.tv_sec) + "." + std::to_string(st.st_atim.tv_nsec) + " " +
               std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec));
    const timespec now_omit[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
    step("utimensat now/omit", ::utimensat(AT_FDCWD, a.c_str(), now_omit, AT_SYMLINK_NOFOLLOW), a);
    step("utimensat NULL", ::utimensat(AT_FDCWD, a.c_str(), nullptr, AT_SYMLINK_NOFOLLOW), a);
  }
  step("link a b", ::link(a.c_str(), b.c_str()), a);
  if (struct stat made; ::lstat(b.c_str(), &made) == 0) {
    t.Line(type + " a b inode", Transcript::SameInode(a, b));
    look("b", b);
  }
  look("parent after link", d);
  step("link onto existing", ::link(a.c_str(), reg.c_str()));
  step("rename b c", ::rename(b.c_str(), c.c_str()), c);
  step("rename a onto its own link c", ::rename(a.c_str(), c.c_str()), a);
  step("rename noreplace onto reg", Rename2(c, reg, RENAME_NOREPLACE), c);
  step("rename c to sub/c", ::rename(c.c_str(), (other_dir + "/c").c_str()), other_dir + "/c");
  look("parent after rename out", d);
  look("sub after rename in", other_dir);
  step("exchange a with reg", Rename2(a, reg, RENAME_EXCHANGE), reg);
  look("a after exchange", a);
  step("exchange back", Rename2(a, reg, RENAME_EXCHANGE), a);
  step("rename reg onto a", Rename2(reg, a, 0), a);
  ::close(::open(reg.c_str(), O_CREAT | O_WRONLY, 0644));
  step("truncate 0", ::truncate(a.c_str(), 0), a);
  {
    const int fd = ::open(a.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW);
    step("open O_RDONLY|O_NONBLOCK|O_NOFOLLOW", fd < 0 ? -1 : 0);
    if (fd >= 0) ::close(fd);
    const int wfd = ::open(a.c_str(), O_WRONLY | O_NONBLOCK | O_NOFOLLOW);
    step("open O_WRONLY|O_NONBLOCK|O_NOFOLLOW", wfd < 0 ? -1 : 0);
    if (wfd >= 0) ::close(wfd);
  }
  step("unlink", ::unlink(a.c_str()));
  step("rmdir", ::rmdir(a.c_str()));
  look("a after removal", a);
  step("remove sub/c", Remove(other_dir + "/c"));
  look("parent at end", d);
}

// Runs `op` in a child as uid/gid 65534 (nobody) and returns its errno (0: it succeeded;
// -1: no answer from the child).
template <typename Op>
int AsNobody(Op op) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipe_fds[0]);
    int e = 0;
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) {
      e = errno;
    } else if (op() != 0) {
      e = errno;
    }
    (void)!::write(pipe_fds[1], &e, sizeof(e));
    _exit(0);
  }
  ::close(pipe_fds[1]);
  int e = -1;
  if (::read(pipe_fds[0], &e, sizeof(e)) != sizeof(e)) e = -1;
  ::close(pipe_fds[0]);
  ::waitpid(pid, nullptr, 0);
  return e;
}

// The permission checks, per type: another user against root's object in a sticky,
// world-writable directory (refused), against an object of its own (allowed, but for
// giving it away), and group inheritance from a setgid directory.
void OtherUser(Transcript& t, const std::string& root, const std::string& type) {
  const std::string d = root + "/shared-" + type, mine = d + "/root", theirs = d + "/nobody";
  ::mkdir(d.c_str(), 0777);
  ::chmod(d.c_str(), 01777);
  const auto as_nobody = [&](const std::string& name, int e, const std::string& look) {
    t.Line(type + " as uid 65534: " + name,
           (e < 0 ? std::string("no answer") : ErrnoName(e)) + " | " + t.Look(look));
    Tick();
  };
  const timespec times[2] = {{1000000000, 5}, {1000000000, 7}};
  const std::string made = Outcome(Make(type, mine, 0644));  // before the Look below
  t.Line(type + " root makes in sticky dir", made + " | " + t.Look(mine));
  as_nobody("chmod 0666", AsNobody([&] {
    return ::fchmodat(AT_FDCWD, mine.c_str(), 0666, AT_SYMLINK_NOFOLLOW); }), mine);
  as_nobody("chown 65534:65534", AsNobody([&] { return ::lchown(mine.c_str(), 65534, 65534); }),
            mine);
  as_nobody("utimensat explicit",
            AsNobody([&] { return ::utimensat(AT_FDCWD, mine.c_str(), times, AT_SYMLINK_NOFOLLOW); }),
            mine);
  as_nobody("utimensat NULL",
            AsNobody([&] { return ::utimensat(AT_FDCWD, mine.c_str(), nullptr, AT_SYMLINK_NOFOLLOW); }),
            mine);
  as_nobody("link", AsNobody([&] { return ::link(mine.c_str(), (d + "/root-link").c_str()); }), mine);
  as_nobody("rename", AsNobody([&] { return ::rename(mine.c_str(), (d + "/moved").c_str()); }), mine);
  as_nobody("remove", AsNobody([&] { return Remove(mine); }), mine);
  as_nobody("open for writing", AsNobody([&] {
    const int fd = ::open(mine.c_str(), O_WRONLY | O_NONBLOCK | O_NOFOLLOW);
    if (fd >= 0) ::close(fd);
    return fd < 0 ? -1 : 0; }), mine);
  if (type == "chr" || type == "blk") return;  // another user cannot make one (Specific)
  as_nobody("make own", AsNobody([&] { return Make(type, theirs, 0644); }), theirs);
  as_nobody("chmod own 0600", AsNobody([&] {
    return ::fchmodat(AT_FDCWD, theirs.c_str(), 0600, AT_SYMLINK_NOFOLLOW); }), theirs);
  as_nobody("give own away (chown 0)", AsNobody([&] { return ::lchown(theirs.c_str(), 0, static_cast<gid_t>(-1)); }),
            theirs);
  as_nobody("utimensat own explicit",
            AsNobody([&] { return ::utimensat(AT_FDCWD, theirs.c_str(), times, AT_SYMLINK_NOFOLLOW); }),
            theirs);
  as_nobody("rename own", AsNobody([&] { return ::rename(theirs.c_str(), (d + "/n2").c_str()); }),
            d + "/n2");
  as_nobody("remove own", AsNobody([&] { return Remove(d + "/n2"); }), d + "/n2");
  // A setgid directory of group 5678: what is made in it takes that group (a directory
  // also the setgid bit), whoever makes it.
  const std::string g = root + "/setgid-" + type;
  ::mkdir(g.c_str(), 0777);
  ::chown(g.c_str(), 0, 5678);
  ::chmod(g.c_str(), 02777);
  const std::string made_in_g = Outcome(Make(type, g + "/root", 0755));
  t.Line(type + " root makes in setgid dir", made_in_g + " | " + t.Look(g + "/root"));
  as_nobody("make in setgid dir", AsNobody([&] { return Make(type, g + "/nobody", 0755); }),
            g + "/nobody");
  // Its group is one the user is not in: the setgid bit is dropped, the rest applied.
  as_nobody("chmod 2750 outside its group", AsNobody([&] {
    return ::fchmodat(AT_FDCWD, (g + "/nobody").c_str(), 02750, AT_SYMLINK_NOFOLLOW); }),
            g + "/nobody");
}

// Data through a FIFO and a connection to a bound socket: the kernel serves both, the
// filesystem only keeps the node.
void Specific(Transcript& t, const std::string& root) {
  const std::string fifo = root + "/extra-fifo";
  ::mkfifo(fifo.c_str(), 0600);
  const int fd = ::open(fifo.c_str(), O_RDWR);
  t.Line("fifo open O_RDWR", Outcome(fd < 0 ? -1 : 0));
  if (fd >= 0) {
    char got[8] = {};
    const bool ok = ::write(fd, "through", 7) == 7 && ::read(fd, got, 7) == 7;
    t.Line("fifo data", ok ? std::string(got) : Outcome(-1));
    ::close(fd);
  }
  const std::string sock = root + "/extra-sock";
  const int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock.c_str());
  const int bound = ::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  t.Line("sock bind", Outcome(bound));
  t.Line("sock bind again", Outcome(::bind(::socket(AF_UNIX, SOCK_STREAM, 0),
                                           reinterpret_cast<sockaddr*>(&addr), sizeof(addr))));
  t.Line("sock listen", Outcome(::listen(s, 1)));
  const int client = ::socket(AF_UNIX, SOCK_STREAM, 0);
  t.Line("sock connect",
         Outcome(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr))));
  ::close(client);
  ::close(s);
  // Bad input: the kernel's answer, nothing made.
  const std::string bad = root + "/bad";
  t.Line("mknod type 0170000", Outcome(::mknod(bad.c_str(), 0170000 | 0644, 0)));
  t.Line("mknod S_IFDIR", Outcome(::mknod(bad.c_str(), S_IFDIR | 0755, 0)));
  t.Line("bad after", t.Look(bad));
  t.Line("mknod S_IFREG", Outcome(::mknod((root + "/mknod-reg").c_str(), S_IFREG | 0600, 0)));
  t.Line("mknod-reg", t.Look(root + "/mknod-reg"));
  t.Line("mknod type 0", Outcome(::mknod((root + "/mknod-zero").c_str(), 0600, 0)));
  t.Line("mknod-zero", t.Look(root + "/mknod-zero"));
  // As another user: a FIFO and a socket yes, a device node no (EPERM).
  const std::string open_dir = root + "/open";
  ::mkdir(open_dir.c_str(), 0777);
  ::chmod(open_dir.c_str(), 0777);
  for (const char* type : {"fifo", "sock", "chr", "blk"}) {
    const int e = AsNobody([&] { return Make(type, open_dir + "/" + type, 0644); });
    t.Line(
        std::string("as uid 65534 make ") + type,
        (e < 0 ? std::string("no answer") : ErrnoName(e)) + " | " + t.Look(open_dir + "/" + type));
  }
}

// One object of each type with distinctive attributes and a second link, for a remount.
void Keep(const std::string& root) {
  const std::string keep = root + "/keep";
  ::mkdir(keep.c_str(), 0755);
  for (const char* type : {"reg", "dir", "lnk", "fifo", "sock", "chr", "blk"}) {
    const std::string path = keep + "/" + type;
    Make(type, path, 0640);
    ::lchown(path.c_str(), 4321, 8765);
    if (std::string(type) != "lnk") ::chmod(path.c_str(), 0604);
    const timespec times[2] = {{1200000000, 5}, {1300000000, 7}};
    ::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW);
    if (std::string(type) != "dir") ::link(path.c_str(), (path + "-link").c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3 || (argc == 3 && std::string(argv[2]) != "--keep")) {
    std::fprintf(stderr, "usage: sfsg_conformance DIR [--keep]\n");
    return 2;
  }
  const std::string root = argv[1];
  struct stat st;
  if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    std::fprintf(stderr, "sfsg_conformance: %s: not a directory\n", root.c_str());
    return 2;
  }
  ::umask(022);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Transcript t;
  for (const char* type : {"reg", "dir", "lnk", "fifo", "sock", "chr", "blk"}) {
    Walk(t, root, type);
    OtherUser(t, root, type);
  }
  Specific(t, root);
  if (argc == 3) Keep(root);
  return 0;
}
