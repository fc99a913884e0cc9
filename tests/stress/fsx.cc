// sfsg_fsx: an fsx-style random operation tester (after the classic fsx of NeXT/Apple
// and xfstests), written for sfsg: one file, many operations, every byte checked.
//
// The file is changed through read/write, shared maps, truncation, fallocate and punched
// holes, through two descriptors opened separately (so the kernel's coherency between
// them and between maps and direct I/O is exercised), while an in-memory model says what
// every byte must be. Each read (pread or a MAP_SHARED map) is compared with the model,
// the size after every operation, and the whole file every 1000 operations and at the
// end. On the first difference it prints the last operations and the bad byte, exit 1.
//
// Usage: sfsg_fsx [-N OPS] [-S SEED] [-l MAXLEN] [-o MAXOP] [--no-mmap] [--no-punch]
//                 [--no-fallocate] [--keep] FILE
//   -N OPS      operations (default 10000)          -S SEED  (default 1)
//   -l MAXLEN   largest file size (default 256 KiB) -o MAXOP largest read/write (64 KiB)
//   --keep      leave FILE in place and write the model to FILE.expected (a remount can
//               be checked with cmp)
// Exit status: 0 clean, 1 a difference or an unexpected error, 2 bad usage.
// Pseudo-random choices come from splitmix64 (deterministic on every machine): the same
// seed replays the same operations.
#include <fcntl.h>
#include <linux/falloc.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "tests/stress/probe.h"

namespace {

using sfsg_probe::Rng;

enum Op { kRead, kWrite, kMapRead, kMapWrite, kTruncate, kPunch, kFallocate, kSync, kReopen, kOps };
constexpr const char* kOpNames[kOps] = {"read",  "write",     "mapread", "mapwrite", "truncate",
                                        "punch", "fallocate", "fsync",   "reopen"};

struct Options {
  long ops = 10000;
  uint64_t seed = 1;
  size_t max_len = 256 << 10;
  size_t max_op = 64 << 10;
  bool mmap = true, punch = true, fallocate = true, keep = false;
  std::string path;
};

sigjmp_buf bus_jump;
void OnBus(int) { siglongjmp(bus_jump, 1); }

class Fsx {
 public:
  explicit Fsx(Options o) : o_(std::move(o)), rng_{o_.seed}, page_(::sysconf(_SC_PAGESIZE)) {
    buf_.resize(o_.max_len + o_.max_op);
  }

  int Run() {
    fds_[0] = ::open(o_.path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    fds_[1] = ::open(o_.path.c_str(), O_RDWR | O_CLOEXEC);
    if (fds_[0] < 0 || fds_[1] < 0) return Fail("open", errno);
    struct sigaction sa {};
    sa.sa_handler = OnBus;
    ::sigaction(SIGBUS, &sa, nullptr);
    ::sigaction(SIGSEGV, &sa, nullptr);
    const auto start = std::chrono::steady_clock::now();
    for (step_ = 1; step_ <= o_.ops; ++step_) {
      if (sigsetjmp(bus_jump, 1) != 0) return Fail("a mapped access faulted (SIGBUS/SIGSEGV)", 0);
      if (!Step()) return 1;
      if (step_ % 1000 == 0 && !CheckAll()) return 1;
    }
    if (!CheckAll()) return 1;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("sfsg_fsx: %ld operations on %s, seed %" PRIu64 ", 0 differences, %.2f s:", o_.ops,
                o_.path.c_str(), o_.seed, seconds);
    for (int i = 0; i < kOps; ++i) std::printf(" %s %ld", kOpNames[i], counts_[i]);
    std::printf("\n");
    for (int fd : fds_) ::close(fd);
    if (o_.keep) return WriteExpected();
    return ::unlink(o_.path.c_str()) == 0 ? 0 : Fail("unlink", errno);
  }

 private:
  bool Step() {
    // Weights as in fsx: reads and writes most, the rest now and then.
    static constexpr int kWeights[kOps] = {20, 20, 15, 15, 8, 6, 6, 1, 2};
    int total = 0;
    for (int i = 0; i < kOps; ++i) total += Enabled(static_cast<Op>(i)) ? kWeights[i] : 0;
    int pick = static_cast<int>(rng_.Below(static_cast<uint64_t>(total)));
    Op op = kRead;
    for (int i = 0; i < kOps; ++i) {
      if (!Enabled(static_cast<Op>(i))) continue;
      if (pick < kWeights[i]) {
        op = static_cast<Op>(i);
        break;
      }
      pick -= kWeights[i];
    }
    const int fd = fds_[rng_.Below(2)];
    size_t off = rng_.Below(o_.max_len);
    size_t len = 1 + rng_.Below(o_.max_op);
    ++counts_[op];
    bool ok = true;
    switch (op) {
      case kRead:
      case kMapRead:
        if (model_.empty()) {
          Log(op, 0, 0, "(empty file)");
          break;
        }
        off %= model_.size();
        len = std::min(len, model_.size() - off);
        Log(op, off, len);
        ok = op == kRead ? DoRead(fd, off, len) : DoMapRead(fd, off, len);
        break;
      case kWrite:
        len = std::min(len, o_.max_len - off);
        Log(op, off, len);
        ok = DoWrite(fd, off, len);
        break;
      case kMapWrite:
        len = std::min(len, o_.max_len - off);
        Log(op, off, len);
        ok = DoMapWrite(fd, off, len);
        break;
      case kTruncate: {
        const size_t size = rng_.Below(o_.max_len + 1);
        Log(op, size, 0);
        if (::ftruncate(fd, static_cast<off_t>(size)) != 0) return Fail("ftruncate", errno);
        model_.resize(size, 0);
        break;
      }
      case kPunch:
        Log(op, off, len);
        if (::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(off),
                        static_cast<off_t>(len)) != 0)
          return Fail("fallocate(PUNCH_HOLE)", errno);
        if (off < model_.size()) std::memset(&model_[off], 0, std::min(len, model_.size() - off));
        break;
      case kFallocate: {
        len = std::min(len, o_.max_len - off);
        const bool keep_size = rng_.Below(2) != 0;
        Log(op, off, len, keep_size ? "KEEP_SIZE" : "");
        if (len == 0) break;
        if (::fallocate(fd, keep_size ? FALLOC_FL_KEEP_SIZE : 0, static_cast<off_t>(off),
                        static_cast<off_t>(len)) != 0)
          return Fail("fallocate", errno);
        if (!keep_size && off + len > model_.size()) model_.resize(off + len, 0);
        break;
      }
      case kSync:
        Log(op, 0, 0);
        if (::fsync(fd) != 0) return Fail("fsync", errno);
        break;
      case kReopen: {
        const int which = fd == fds_[0] ? 0 : 1;
        Log(op, static_cast<size_t>(which), 0);
        ::close(fds_[which]);
        fds_[which] = ::open(o_.path.c_str(), O_RDWR | O_CLOEXEC);
        if (fds_[which] < 0) return Fail("reopen", errno);
        break;
      }
      case kOps:
        break;
    }
    return ok && CheckSize(fd);
  }

  bool Enabled(Op op) const {
    if ((op == kMapRead || op == kMapWrite) && !o_.mmap) return false;
    if (op == kPunch && !o_.punch) return false;
    if (op == kFallocate && !o_.fallocate) return false;
    return true;
  }

  bool DoRead(int fd, size_t off, size_t len) {
    const ssize_t n = ::pread(fd, buf_.data(), len, static_cast<off_t>(off));
    if (n < 0) return Fail("pread", errno);
    if (static_cast<size_t>(n) != len) return Short("pread", off, len, static_cast<size_t>(n));
    return Compare(buf_.data(), off, len, "pread");
  }

  bool DoMapRead(int fd, size_t off, size_t len) {
    const size_t start = off / page_ * page_, map_len = off + len - start;
    void* map = ::mmap(nullptr, map_len, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(start));
    if (map == MAP_FAILED) return Fail("mmap(PROT_READ, MAP_SHARED)", errno);
    const bool ok =
        Compare(static_cast<const unsigned char*>(map) + (off - start), off, len, "mapped read");
    ::munmap(map, map_len);
    return ok;
  }

  void Fill(size_t len) {
    // A counter byte per operation mixed with the position, as fsx does, so a stale
    // block from another operation is told apart.
    const auto tag = static_cast<unsigned char>(step_ * 7);
    const uint64_t salt = rng_.Next();
    for (size_t k = 0; k < len; ++k)
      buf_[k] = static_cast<unsigned char>(tag ^ (k % 251) ^
                                           static_cast<unsigned char>(salt >> (k % 8 * 8)));
  }

  bool DoWrite(int fd, size_t off, size_t len) {
    if (len == 0) return true;
    Fill(len);
    const ssize_t n = ::pwrite(fd, buf_.data(), len, static_cast<off_t>(off));
    if (n < 0) return Fail("pwrite", errno);
    if (static_cast<size_t>(n) != len) return Short("pwrite", off, len, static_cast<size_t>(n));
    if (off + len > model_.size()) model_.resize(off + len, 0);
    std::memcpy(&model_[off], buf_.data(), len);
    return true;
  }

  // As fsx: grow the file with ftruncate first (a map cannot extend it), then write
  // through a shared writable map and msync it (sometimes leaving it to munmap).
  bool DoMapWrite(int fd, size_t off, size_t len) {
    if (len == 0) return true;
    Fill(len);
    if (off + len > model_.size()) {
      if (::ftruncate(fd, static_cast<off_t>(off + len)) != 0) return Fail("ftruncate", errno);
      model_.resize(off + len, 0);
    }
    const size_t start = off / page_ * page_, map_len = off + len - start;
    void* map =
        ::mmap(nullptr, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, static_cast<off_t>(start));
    if (map == MAP_FAILED) return Fail("mmap(PROT_READ|PROT_WRITE, MAP_SHARED)", errno);
    std::memcpy(static_cast<unsigned char*>(map) + (off - start), buf_.data(), len);
    std::memcpy(&model_[off], buf_.data(), len);
    if (rng_.Below(4) != 0 && ::msync(map, map_len, MS_SYNC) != 0) {
      const int e = errno;
      ::munmap(map, map_len);
      return Fail("msync", e);
    }
    ::munmap(map, map_len);
    return true;
  }

  bool CheckSize(int fd) {
    struct stat st;
    if (::fstat(fd, &st) != 0) return Fail("fstat", errno);
    if (static_cast<size_t>(st.st_size) == model_.size()) return true;
    Dump();
    std::fprintf(stderr, "sfsg_fsx: step %ld: size %jd, model %zu\n", step_,
                 static_cast<intmax_t>(st.st_size), model_.size());
    return false;
  }

  bool CheckAll() {
    if (model_.empty()) return true;
    return DoRead(fds_[0], 0, model_.size()) && (!o_.mmap || DoMapRead(fds_[1], 0, model_.size()));
  }

  bool Compare(const unsigned char* got, size_t off, size_t len, const char* how) {
    if (std::memcmp(got, &model_[off], len) == 0) return true;
    size_t k = 0;
    while (got[k] == model_[off + k]) ++k;
    size_t bad = 0;
    for (size_t i = k; i < len; ++i) bad += got[i] != model_[off + i];
    Dump();
    std::fprintf(stderr,
                 "sfsg_fsx: step %ld: %s of %zu bytes at %zu: byte %zu is 0x%02x, model 0x%02x "
                 "(%zu bytes differ; file size %zu)\n",
                 step_, how, len, off, off + k, got[k], model_[off + k], bad, model_.size());
    return false;
  }

  bool Short(const char* what, size_t off, size_t len, size_t n) {
    Dump();
    std::fprintf(stderr, "sfsg_fsx: step %ld: %s of %zu at %zu did %zu (size %zu)\n", step_, what,
                 len, off, n, model_.size());
    return false;
  }

  bool Fail(const char* what, int e) {
    Dump();
    std::fprintf(stderr, "sfsg_fsx: step %ld: %s failed%s%s\n", step_, what, e ? ": " : "",
                 e ? std::strerror(e) : "");
    return false;
  }

  void Log(Op op, size_t a, size_t b, const char* note = "") {
    char line[160];
    std::snprintf(line, sizeof(line), "%8ld %-9s %8zu %8zu  size %zu %s", step_, kOpNames[op], a, b,
                  model_.size(), note);
    history_.emplace_back(line);
    if (history_.size() > 40) history_.pop_front();
  }

  void Dump() const {
    std::fprintf(stderr, "sfsg_fsx: seed %" PRIu64 ", last operations (step op offset length):\n",
                 o_.seed);
    for (const std::string& line : history_) std::fprintf(stderr, "  %s\n", line.c_str());
  }

  int WriteExpected() const {
    const std::string path = o_.path + ".expected";
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr || std::fwrite(model_.data(), 1, model_.size(), f) != model_.size()) {
      std::fprintf(stderr, "sfsg_fsx: cannot write %s\n", path.c_str());
      if (f) std::fclose(f);
      return 1;
    }
    return std::fclose(f) == 0 ? 0 : 1;
  }

  Options o_;
  Rng rng_;
  size_t page_;
  int fds_[2] = {-1, -1};
  long step_ = 0;
  long counts_[kOps] = {};
  std::vector<unsigned char> model_, buf_;
  std::deque<std::string> history_;
};

int Usage(const char* why) {
  std::fprintf(stderr,
               "sfsg_fsx: %s\nusage: sfsg_fsx [-N OPS] [-S SEED] [-l MAXLEN] [-o MAXOP] "
               "[--no-mmap] [--no-punch] [--no-fallocate] [--keep] FILE\n",
               why);
  return 2;
}

bool ParseNumber(const char* text, uint64_t* out) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-') return false;
  *out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    uint64_t v = 0;
    const auto number = [&](const char* name) {
      if (i + 1 >= argc || !ParseNumber(argv[i + 1], &v))
        return Usage((std::string(name) + " needs a non-negative integer").c_str()) == 0;
      ++i;
      return true;
    };
    if (a == "-N") {
      if (!number("-N")) return 2;
      o.ops = static_cast<long>(v);
    } else if (a == "-S") {
      if (!number("-S")) return 2;
      o.seed = v;
    } else if (a == "-l") {
      if (!number("-l") || v < 1 || v > (1u << 30)) return Usage("-l: 1 to 1 GiB");
      o.max_len = v;
    } else if (a == "-o") {
      if (!number("-o") || v < 1 || v > (1u << 26)) return Usage("-o: 1 to 64 MiB");
      o.max_op = v;
    } else if (a == "--no-mmap") {
      o.mmap = false;
    } else if (a == "--no-punch") {
      o.punch = false;
    } else if (a == "--no-fallocate") {
      o.fallocate = false;
    } else if (a == "--keep") {
      o.keep = true;
    } else if (!a.empty() && a[0] == '-') {
      return Usage(("unknown option " + a).c_str());
    } else if (o.path.empty()) {
      o.path = a;
    } else {
      return Usage("one FILE only");
    }
  }
  if (o.path.empty()) return Usage("no FILE");
  return Fsx(o).Run();
}
