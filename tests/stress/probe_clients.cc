// The multi-operation clients of sfsg_posix_probe: racing namespace churn, the
// readdir/stat consistency checker, fsync-acknowledged writers and their verifier, and
// a write/truncate/punch-hole client checked against an in-memory model.
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

namespace sfsg_probe {

static int CannotOpen(const std::string& path) {
  std::fprintf(stderr, "%s: %s\n", path.c_str(), ErrnoName(errno));
  return 1;
}

// Errors a racing client may legitimately see when another client changed the tree.
static bool RaceErrno(int e) {
  return e == ENOENT || e == EEXIST || e == ENOTEMPTY || e == ENOTDIR || e == EISDIR;
}

// Random operations in DIR/d0..d7 on names f0..f31 (shared by all clients, so they
// race): create+write, read, append, rename (same and cross directory), unlink,
// link, mkdir/rmdir of sub-directories, truncate. Unexpected errors are failures.
int DoChurn(const std::string& dir, int client, long ops) {
  Rng rng{static_cast<uint64_t>(client) * 7919 + 1};
  long failures = 0;
  std::map<std::string, long> counts;
  char buffer[16384];
  std::memset(buffer, 'a' + client % 26, sizeof(buffer));
  auto pick = [&](bool subdir) {
    std::string p = dir + "/d" + std::to_string(rng.Below(8));
    if (subdir) return p + "/s" + std::to_string(rng.Below(4));
    return p + "/f" + std::to_string(rng.Below(32));
  };
  auto check = [&](const char* what, int rc) {
    ++counts[what];
    if (rc < 0 && !RaceErrno(errno)) {
      ++failures;
      std::fprintf(stderr, "churn %d: %s: %s\n", client, what, ErrnoName(errno));
    }
  };
  for (long i = 0; i < ops; ++i) {
    const uint64_t op = rng.Below(100);
    if (op < 20) {
      const std::string p = pick(false);
      const int fd = ::open(p.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
      check("create", fd);
      if (fd >= 0) {
        const size_t len = 1 + rng.Below(sizeof(buffer));
        check("write",
              ::pwrite(fd, buffer, len, static_cast<off_t>(rng.Below(65536))) < 0 ? -1 : 0);
        ::close(fd);
      }
    } else if (op < 40) {
      const std::string p = pick(false);
      const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
      check("open", fd);
      if (fd >= 0) {
        ssize_t n;
        while ((n = ::read(fd, buffer, sizeof(buffer))) > 0) {
        }
        check("read", n < 0 ? -1 : 0);
        std::memset(buffer, 'a' + client % 26, sizeof(buffer));
        ::close(fd);
      }
    } else if (op < 50) {
      const std::string p = pick(false);
      const int fd = ::open(p.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
      check("open-append", fd);
      if (fd >= 0) {
        check("append", ::write(fd, buffer, 100) < 0 ? -1 : 0);
        ::close(fd);
      }
    } else if (op < 65) {
      check("rename", ::rename(pick(false).c_str(), pick(false).c_str()));
    } else if (op < 75) {
      check("unlink", ::unlink(pick(false).c_str()));
    } else if (op < 80) {
      check("link", ::link(pick(false).c_str(), pick(false).c_str()));
    } else if (op < 85) {
      check("mkdir", ::mkdir(pick(true).c_str(), 0755));
    } else if (op < 88) {
      check("rmdir", ::rmdir(pick(true).c_str()));
    } else if (op < 92) {
      check("truncate", ::truncate(pick(false).c_str(), static_cast<off_t>(rng.Below(100000))));
    } else if (op < 96) {
      struct stat st;
      check("stat", ::lstat(pick(false).c_str(), &st));
    } else {
      const std::string d = dir + "/d" + std::to_string(rng.Below(8));
      DIR* h = ::opendir(d.c_str());
      check("opendir", h ? 0 : -1);
      if (h) {
        errno = 0;
        while (::readdir(h) != nullptr) {
        }
        check("readdir", errno ? -1 : 0);
        ::closedir(h);
      }
    }
  }
  long total = 0;
  for (const auto& [what, n] : counts) total += n;
  std::printf("client %d: %ld operations, %ld failures\n", client, total, failures);
  return failures ? 1 : 0;
}

// Every name readdir lists can be stat'ed with the same inode number, every directory's
// link count is 2 + its subdirectories, and a second listing gives the same names.
static long CheckTree(const std::string& dir, long* entries) {
  long failures = 0;
  auto list = [&](std::map<std::string, uint64_t>* out) {
    DIR* h = ::opendir(dir.c_str());
    if (!h) {
      std::fprintf(stderr, "consistency: opendir %s: %s\n", dir.c_str(), ErrnoName(errno));
      return false;
    }
    errno = 0;
    while (const dirent* e = ::readdir(h)) {
      const std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      if (out->count(name)) {
        std::fprintf(stderr, "consistency: %s/%s listed twice\n", dir.c_str(), name.c_str());
        ++failures;
      }
      (*out)[name] = e->d_ino;
    }
    const bool ok = errno == 0;
    if (!ok) std::fprintf(stderr, "consistency: readdir %s: %s\n", dir.c_str(), ErrnoName(errno));
    ::closedir(h);
    return ok;
  };
  std::map<std::string, uint64_t> first, second;
  if (!list(&first) || !list(&second)) return failures + 1;
  if (first != second) {
    std::fprintf(stderr, "consistency: %s: two listings differ\n", dir.c_str());
    ++failures;
  }
  uint64_t subdirs = 0;
  for (const auto& [name, ino] : first) {
    ++*entries;
    const std::string path = dir + "/" + name;
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
      std::fprintf(stderr, "consistency: listed %s but stat: %s\n", path.c_str(), ErrnoName(errno));
      ++failures;
      continue;
    }
    if (st.st_ino != ino) {
      std::fprintf(stderr, "consistency: %s: readdir ino %" PRIu64 " stat ino %" PRIu64 "\n",
                   path.c_str(), ino, static_cast<uint64_t>(st.st_ino));
      ++failures;
    }
    if (S_ISDIR(st.st_mode)) {
      ++subdirs;
      if (name != ".sfsg") failures += CheckTree(path, entries);
    } else if (S_ISREG(st.st_mode)) {
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      char buf[65536];
      off_t total = 0;
      ssize_t n = 0;
      if (fd >= 0) {
        while ((n = ::read(fd, buf, sizeof(buf))) > 0) total += n;
        ::close(fd);
      }
      if (fd < 0 || n < 0 || total != st.st_size) {
        std::fprintf(stderr, "consistency: %s: size %" PRId64 " but read %" PRId64 " (%s)\n",
                     path.c_str(), static_cast<int64_t>(st.st_size), static_cast<int64_t>(total),
                     ErrnoName(errno));
        ++failures;
      }
    }
  }
  struct stat self;
  if (::lstat(dir.c_str(), &self) == 0 && self.st_nlink != 2 + subdirs) {
    std::fprintf(stderr, "consistency: %s: nlink %" PRIu64 " but %" PRIu64 " subdirectories\n",
                 dir.c_str(), static_cast<uint64_t>(self.st_nlink), subdirs);
    ++failures;
  }
  return failures;
}

int DoConsistency(const std::string& dir) {
  long entries = 0;
  const long failures = CheckTree(dir, &entries);
  std::printf("consistency: %ld entries, %ld failures\n", entries, failures);
  return failures ? 1 : 0;
}

// The byte at `offset` of acknowledged file `file`: a pure function, so a checker
// needs only the acknowledged lengths.
static unsigned char PatternByte(uint64_t file, uint64_t offset) {
  uint64_t x = (file + 1) * 0x9e3779b97f4a7c15ULL ^ (offset / 8) * 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 29;
  return static_cast<unsigned char>(x >> (8 * (offset % 8)));
}

// Appends pattern chunks of random sizes to DIR/ack<i>, fsyncs, and after each fsync
// returns records "i length" in LOG (on a real disk). Runs until an error (the mount
// went away) and exits 0: the log is the result. Every 16th step renames a scratch file
// and fsyncs it, so metadata is journaled between data.
int DoAckWriter(const std::string& dir, const std::string& log_path, int files) {
  const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) return CannotOpen(log_path);
  std::vector<int> fds(files);
  std::vector<uint64_t> lengths(files, 0);
  for (int i = 0; i < files; ++i) {
    const std::string p = dir + "/ack" + std::to_string(i);
    fds[i] = ::open(p.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
    if (fds[i] < 0) return CannotOpen(p);
  }
  Rng rng{42};
  std::vector<unsigned char> chunk(256 * 1024);
  for (uint64_t step = 0;; ++step) {
    const int i = static_cast<int>(rng.Below(files));
    const size_t len = 1 + rng.Below(chunk.size());
    for (size_t k = 0; k < len; ++k) chunk[k] = PatternByte(i, lengths[i] + k);
    const ssize_t n = ::pwrite(fds[i], chunk.data(), len, static_cast<off_t>(lengths[i]));
    if (n != static_cast<ssize_t>(len) || ::fsync(fds[i]) != 0) break;
    lengths[i] += len;
    char line[64];
    const int m = std::snprintf(line, sizeof(line), "%d %" PRIu64 "\n", i, lengths[i]);
    if (::write(log, line, m) != m) break;
    if (step % 16 == 15) {
      const std::string from = dir + "/meta" + std::to_string(step % 2);
      const std::string to = dir + "/meta" + std::to_string((step + 1) % 2);
      const int fd = ::open(from.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
      if (fd < 0 || ::rename(from.c_str(), to.c_str()) != 0) break;
      ::fsync(fd);
      ::close(fd);
    }
  }
  ::close(log);
  return 0;
}

int DoAckVerify(const std::string& dir, const std::string& log_path) {
  FILE* log = std::fopen(log_path.c_str(), "r");
  if (!log) return CannotOpen(log_path);
  std::map<int, uint64_t> acknowledged;
  int file = 0;
  uint64_t length = 0;
  long records = 0;
  while (std::fscanf(log, "%d %" SCNu64, &file, &length) == 2) {
    acknowledged[file] = std::max(acknowledged[file], length);
    ++records;
  }
  std::fclose(log);
  long failures = 0;
  uint64_t bytes = 0;
  std::vector<unsigned char> buf(1 << 20);
  for (const auto& [i, len] : acknowledged) {
    const std::string p = dir + "/ack" + std::to_string(i);
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::fprintf(stderr, "ackverify: %s: %s\n", p.c_str(), ErrnoName(errno));
      ++failures;
      continue;
    }
    uint64_t at = 0;
    while (at < len) {
      const ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(at));
      if (n <= 0) break;
      for (ssize_t k = 0; k < n && at + k < len; ++k)
        if (buf[k] != PatternByte(i, at + k)) {
          std::fprintf(stderr, "ackverify: %s: byte %" PRIu64 " differs\n", p.c_str(), at + k);
          ++failures;
          at = len;
          break;
        }
      if (at < len) at += static_cast<uint64_t>(n);
    }
    if (at < len) {
      std::fprintf(stderr, "ackverify: %s: %" PRIu64 " bytes acknowledged, %" PRIu64 " read\n",
                   p.c_str(), len, at);
      ++failures;
    }
    bytes += len;
    ::close(fd);
  }
  std::printf("ackverify: %ld fsync acknowledgements, %zu files, %" PRIu64
              " bytes checked, %ld failures\n",
              records, acknowledged.size(), bytes, failures);
  return failures ? 1 : 0;
}

// Random pwrite / append / ftruncate (down and up) / punch hole / fallocate on FILE,
// mirrored in an in-memory model, with random reads checked against it and a full
// comparison at the end. Writes the model's bytes to EXPECTED so a remount can be
// checked with cmp(1). Exit 1 on the first mismatch or unexpected error.
int DoModelCheck(const char* path, long ops, uint64_t seed, const char* expected_path) {
  constexpr size_t kMax = 8 << 20;
  const int fd = ::open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return CannotOpen(path);
  Rng rng{seed};
  std::vector<unsigned char> model, buf(kMax);
  std::map<std::string, long> counts;
  auto fail = [&](const char* what, long step) {
    std::fprintf(stderr, "modelcheck %s: step %ld: %s failed: %s\n", path, step, what,
                 ErrnoName(errno));
    return 1;
  };
  auto compare = [&](size_t at, size_t len, long step) {
    const ssize_t n = ::pread(fd, buf.data(), len, static_cast<off_t>(at));
    const size_t want = at >= model.size() ? 0 : std::min(len, model.size() - at);
    if (n != static_cast<ssize_t>(want)) {
      std::fprintf(stderr, "modelcheck: step %ld: read %zu@%zu gave %zd, model %zu\n", step, len,
                   at, n, want);
      return false;
    }
    for (size_t k = 0; k < want; ++k)
      if (buf[k] != model[at + k]) {
        std::fprintf(stderr, "modelcheck: step %ld: byte %zu is %u, model %u\n", step, at + k,
                     buf[k], model[at + k]);
        return false;
      }
    return true;
  };
  for (long step = 0; step < ops; ++step) {
    const uint64_t op = rng.Below(100);
    const size_t at = rng.Below(kMax / 2);
    const size_t len = 1 + rng.Below(rng.Below(4) ? 9000 : 300000);
    if (op < 35) {
      for (size_t k = 0; k < len; ++k) buf[k] = static_cast<unsigned char>(rng.Next());
      if (::pwrite(fd, buf.data(), len, static_cast<off_t>(at)) != static_cast<ssize_t>(len))
        return fail("pwrite", step);
      if (model.size() < at + len) model.resize(at + len, 0);
      std::memcpy(model.data() + at, buf.data(), len);
      ++counts["pwrite"];
    } else if (op < 45) {
      const size_t end = model.size();
      for (size_t k = 0; k < len; ++k) buf[k] = static_cast<unsigned char>(rng.Next());
      if (end + len > kMax) continue;
      if (::pwrite(fd, buf.data(), len, static_cast<off_t>(end)) != static_cast<ssize_t>(len))
        return fail("append", step);
      model.insert(model.end(), buf.begin(), buf.begin() + len);
      ++counts["append"];
    } else if (op < 60) {
      // Shrink to an unaligned size, or grow: bytes past the old end must read as zeros.
      const size_t size = rng.Below(2) ? rng.Below(model.size() + 1) : at + len;
      if (::ftruncate(fd, static_cast<off_t>(size)) != 0) return fail("ftruncate", step);
      model.resize(size, 0);
      ++counts["ftruncate"];
    } else if (op < 65) {
      if (::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(at),
                      static_cast<off_t>(len)) != 0) {
        if (errno == EOPNOTSUPP) continue;
        return fail("punch hole", step);
      }
      if (at < model.size()) std::memset(model.data() + at, 0, std::min(len, model.size() - at));
      ++counts["punch"];
    } else if (op < 68) {
      if (::fallocate(fd, 0, static_cast<off_t>(at), static_cast<off_t>(len)) != 0)
        return fail("fallocate", step);
      if (model.size() < at + len) model.resize(at + len, 0);
      ++counts["fallocate"];
    } else {
      if (!compare(at, len, step)) return 1;
      ++counts["read"];
    }
    if (step % 200 == 199) {
      struct stat st;
      if (::fstat(fd, &st) != 0 || static_cast<size_t>(st.st_size) != model.size()) {
        std::fprintf(stderr, "modelcheck: step %ld: size %jd, model %zu\n", step,
                     static_cast<intmax_t>(st.st_size), model.size());
        return 1;
      }
    }
  }
  if (::fsync(fd) != 0) return fail("fsync", ops);
  if (!compare(0, kMax, ops)) return 1;
  ::close(fd);
  if (expected_path) {
    FILE* out = std::fopen(expected_path, "wb");
    if (!out || std::fwrite(model.data(), 1, model.size(), out) != model.size()) return 1;
    std::fclose(out);
  }
  long total = 0;
  for (const auto& [what, n] : counts) total += n;
  std::printf("modelcheck %s: %ld operations (", path, total);
  for (const auto& [what, n] : counts) std::printf(" %s=%ld", what.c_str(), n);
  std::printf(" ), %zu bytes, 0 mismatches\n", model.size());
  return 0;
}

}  // namespace sfsg_probe
