// ShadowFs against what tmpfs does: punched holes, shrinking and fallocate with a full
// overlay, space and inode accounting, timestamps, a removed overlay directory, and the
// first mutation racing lock-free readers. (tests/mount/overlay_audit.sh mounts.)
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <gtest/gtest.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "fuse/shadow_fs.h"
#include "fuse/shadow_fs_testing.h"

namespace sfsg {
namespace {

using testing::kUser;
using testing::MakeFs;
constexpr uint64_t kRoot = Namespace::kRootIno;
constexpr int kPunch = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;

// A temporary overlay directory, removed at the end.
class OverlayDir {
 public:
  OverlayDir() {
    static std::atomic<int> serial{0};
    path_ = ::testing::TempDir() + "/overlay-space-" + std::to_string(::getpid()) + "-" +
            std::to_string(serial++);
    std::filesystem::create_directories(path_);
  }
  ~OverlayDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::unique_ptr<ShadowFs> Mount(uint64_t limit = 0) const {
    auto store = MakeDirStore(path_, limit);
    EXPECT_TRUE(store.ok());
    return MakeFs(std::move(*store), path_);
  }

 private:
  std::string path_;
};

std::string Read(const ShadowFs& fs, uint64_t ino, uint64_t offset, size_t n) {
  std::string out(n, '\0');
  size_t done = 0;
  EXPECT_EQ(0, fs.Read(ino, offset, {reinterpret_cast<std::byte*>(out.data()), n}, &done));
  out.resize(done);
  return out;
}

std::string ReadAll(const ShadowFs& fs, uint64_t ino) {
  struct stat st;
  EXPECT_EQ(0, fs.GetAttr(ino, &st));
  return Read(fs, ino, 0, static_cast<size_t>(st.st_size));
}

int Write(ShadowFs& fs, uint64_t ino, uint64_t offset, const std::string& text) {
  size_t done = 0;
  return fs.Write(ino, offset, {reinterpret_cast<const std::byte*>(text.data()), text.size()},
                  &done);
}

int Truncate(ShadowFs& fs, uint64_t ino, off_t size) {
  struct stat attr {
  }, out;
  attr.st_size = size;
  return fs.SetAttr(ino, attr, FUSE_SET_ATTR_SIZE, &out);
}

struct stat Attr(const ShadowFs& fs, uint64_t ino) {
  struct stat st {};
  EXPECT_EQ(0, fs.GetAttr(ino, &st));
  return st;
}

// A synthetic regular file with one link, of at least min_bytes, other than `skip`
// (the tree of seed 5 has several).
struct stat SyntheticFile(const ShadowFs& fs, uint64_t min_bytes, uint64_t skip = 0) {
  struct stat found {};
  for (uint64_t d = 1; d <= fs.ns().dir_count() && found.st_ino == 0; ++d)
    fs.ReadDir(d, 0, [&](std::string_view, const struct stat& st, uint64_t) {
      if (!S_ISREG(st.st_mode) || st.st_ino >= kControlIno || st.st_nlink != 1) return true;
      if (static_cast<uint64_t>(st.st_size) < min_bytes || st.st_ino == skip) return true;
      found = st;
      return false;
    });
  EXPECT_NE(found.st_ino, 0u) << "no synthetic file of " << min_bytes << " bytes";
  return found;
}

uint64_t NewFile(ShadowFs& fs, const std::string& name) {
  struct stat st;
  EXPECT_EQ(0, fs.Create(kRoot, name, 0644, kUser, &st));
  return st.st_ino;
}

std::string Zeroed(std::string text, size_t from, size_t to) {
  std::fill(text.begin() + from, text.begin() + to, '\0');
  return text;
}

TEST(OverlaySpace, DiscardPunchHoleChangesOnlyThePunchedRange) {
  auto fs = MakeFs(MakeDiscardStore());
  const struct stat f = SyntheticFile(*fs, 5 * 4096);
  const std::string before = ReadAll(*fs, f.st_ino);
  ASSERT_EQ(0, fs->Fallocate(f.st_ino, kPunch, 4096, 4096));
  // discard mode reads a written range back as the synthetic content underneath.
  const std::string after = ReadAll(*fs, f.st_ino);
  ASSERT_EQ(after.size(), before.size());
  EXPECT_TRUE(after == before) << "bytes outside [4096, 8192) changed";
}

TEST(OverlaySpace, PunchHoleTakesNoSpaceAndFreesBlocks) {
  auto fs = MakeFs(MakeMemoryStore(64 * 1024));
  const struct stat f = SyntheticFile(*fs, 200 * 1024);
  // The whole synthetic file, 3x the limit: a hole, not stored zeros.
  ASSERT_EQ(0, fs->Fallocate(f.st_ino, kPunch, 0, static_cast<uint64_t>(f.st_size) + 8192));
  EXPECT_EQ(fs->overlay_bytes(), 0u);
  EXPECT_EQ(ReadAll(*fs, f.st_ino), std::string(f.st_size, '\0'));
  EXPECT_EQ(Attr(*fs, f.st_ino).st_size, f.st_size);
  EXPECT_EQ(Attr(*fs, f.st_ino).st_blocks, 0);
  // Stored blocks: edges zeroed in place, whole blocks dropped, space given back.
  const uint64_t g = NewFile(*fs, "g");
  const std::string data(3 * 4096, 'a');
  ASSERT_EQ(0, Write(*fs, g, 0, data));
  EXPECT_EQ(fs->overlay_bytes(), 3u * 4096);
  ASSERT_EQ(0, fs->Fallocate(g, kPunch, 100, 2 * 4096));  // [100, 8292)
  EXPECT_EQ(ReadAll(*fs, g), Zeroed(data, 100, 8292));
  EXPECT_EQ(fs->overlay_bytes(), 2u * 4096);
  EXPECT_EQ(Attr(*fs, g).st_blocks, 16);
  // The overlay is not full: a write of the whole limit less what g holds fits.
  const uint64_t h = NewFile(*fs, "h");
  EXPECT_EQ(0, Write(*fs, h, 0, std::string(64 * 1024 - 2 * 4096, 'h')));
  // A partial punch of synthetic bytes with the overlay full still works.
  const struct stat s = SyntheticFile(*fs, 5 * 4096, f.st_ino);
  const std::string before = ReadAll(*fs, s.st_ino);
  ASSERT_EQ(0, fs->Fallocate(s.st_ino, kPunch, 1000, 9000));
  EXPECT_EQ(ReadAll(*fs, s.st_ino), Zeroed(before, 1000, 10000));
  // Writing into a hole then reads the written bytes, the rest of the hole zeros.
  ASSERT_EQ(0, fs->Unlink(kRoot, "h"));
  fs->Release(h);
  ASSERT_EQ(0, Write(*fs, s.st_ino, 5000, "xyz"));
  std::string expect = Zeroed(before, 1000, 10000);
  expect.replace(5000, 3, "xyz");
  EXPECT_EQ(ReadAll(*fs, s.st_ino), expect);
}

TEST(OverlaySpace, PunchedHoleSurvivesADirRemount) {
  OverlayDir dir;
  std::string expect;
  uint64_t ino = 0;
  {
    auto fs = dir.Mount();
    const struct stat f = SyntheticFile(*fs, 5 * 4096);
    ino = f.st_ino;
    const std::string before = ReadAll(*fs, ino);
    ASSERT_EQ(0, Write(*fs, ino, 0, std::string(8192, 'w')));
    ASSERT_EQ(0, fs->Fallocate(ino, kPunch, 4096 + 10, 2 * 4096));
    expect = Zeroed(std::string(8192, 'w') + before.substr(8192), 4106, 4106 + 8192);
    EXPECT_EQ(ReadAll(*fs, ino), expect);
    EXPECT_EQ(fs->overlay_bytes(), 8192u);  // block 1 zeroed in place, nothing added
    ASSERT_EQ(0, fs->Fsync(ino));
  }
  auto fs = dir.Mount();
  EXPECT_EQ(ReadAll(*fs, ino), expect);
  EXPECT_EQ(fs->overlay_bytes(), 8192u);
}

TEST(OverlaySpace, ShrinkingNeverNeedsSpace) {
  auto fs = MakeFs(MakeMemoryStore(8192));
  const uint64_t full = NewFile(*fs, "full");
  ASSERT_EQ(0, Write(*fs, full, 0, std::string(8192, 'f')));
  const struct stat s = SyntheticFile(*fs, 3 * 4096);
  const std::string before = Read(*fs, s.st_ino, 0, 100);
  ASSERT_EQ(0, Truncate(*fs, s.st_ino, 100));
  ASSERT_EQ(0, Truncate(*fs, s.st_ino, 8192));
  EXPECT_EQ(ReadAll(*fs, s.st_ino), before + std::string(8092, '\0'));
  // A stored last block is cut in place.
  ASSERT_EQ(0, Truncate(*fs, full, 5000));
  EXPECT_EQ(ReadAll(*fs, full), std::string(5000, 'f'));
  ASSERT_EQ(0, Truncate(*fs, full, 8192));
  EXPECT_EQ(ReadAll(*fs, full), std::string(5000, 'f') + std::string(3192, '\0'));
}

TEST(OverlaySpace, FallocateReservesOrRefuses) {
  auto fs = MakeFs(MakeMemoryStore(1 << 20));
  const uint64_t a = NewFile(*fs, "a"), b = NewFile(*fs, "b");
  ASSERT_EQ(0, fs->Fallocate(a, 0, 0, 800 * 1024));
  EXPECT_EQ(fs->overlay_bytes(), 800u * 1024);
  EXPECT_EQ(Attr(*fs, a).st_size, 800 * 1024);
  EXPECT_EQ(-ENOSPC, fs->Fallocate(b, 0, 0, 800 * 1024));
  EXPECT_EQ(Attr(*fs, b).st_size, 0);
  // Writes into the reserved range cannot fail for space; others can.
  ASSERT_EQ(0, Write(*fs, b, 0, std::string(224 * 1024, 'b')));
  EXPECT_EQ(-ENOSPC, Write(*fs, b, 224 * 1024, std::string(4096, 'b')));
  ASSERT_EQ(0, Write(*fs, a, 0, std::string(800 * 1024, 'a')));
  EXPECT_EQ(fs->overlay_bytes(), 1u << 20);
  EXPECT_EQ(ReadAll(*fs, a), std::string(800 * 1024, 'a'));
  // KEEP_SIZE reserves without growing; the reservation is freed with the file.
  ASSERT_EQ(0, fs->Unlink(kRoot, "b"));
  fs->Release(b);
  ASSERT_EQ(0, fs->Unlink(kRoot, "a"));
  fs->Release(a);
  EXPECT_EQ(fs->overlay_bytes(), 0u);
  const uint64_t c = NewFile(*fs, "c");
  ASSERT_EQ(0, fs->Fallocate(c, FALLOC_FL_KEEP_SIZE, 0, 64 * 1024));
  EXPECT_EQ(Attr(*fs, c).st_size, 0);
  EXPECT_EQ(Attr(*fs, c).st_blocks, 128);
  EXPECT_EQ(fs->overlay_bytes(), 64u * 1024);
}

TEST(OverlaySpace, FallocateReservationSurvivesADirRemount) {
  OverlayDir dir;
  uint64_t ino = 0;
  {
    auto fs = dir.Mount(1 << 20);
    ino = NewFile(*fs, "r");
    ASSERT_EQ(0, fs->Fallocate(ino, 0, 0, 800 * 1024));
    ASSERT_EQ(0, Write(*fs, ino, 4096, std::string(4096, 'r')));
    ASSERT_EQ(0, fs->Fsync(ino));
  }
  auto fs = dir.Mount(1 << 20);
  EXPECT_EQ(fs->overlay_bytes(), 800u * 1024);
  const uint64_t other = NewFile(*fs, "other");
  ASSERT_EQ(0, Write(*fs, other, 0, std::string(224 * 1024, 'o')));
  EXPECT_EQ(-ENOSPC, Write(*fs, other, 224 * 1024, std::string(4096, 'o')));
  EXPECT_EQ(0, Write(*fs, ino, 0, std::string(800 * 1024, 'r')));
}

// A write of many whole blocks (one system call in dir mode) stores what a block-by-block
// write would: reserved blocks take no new space, the blocks within the limit are kept
// in order, the write is short at the limit, and all of it is back after a remount.
TEST(OverlaySpace, MultiBlockWriteAtTheLimitKeepsThePrefixThatFits) {
  OverlayDir dir;
  uint64_t ino = 0;
  std::string text(64 * 4096, '\0');
  for (size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('a' + (i / 4096) % 26);
  {
    auto fs = dir.Mount(40 * 4096);
    ino = NewFile(*fs, "w");
    ASSERT_EQ(0, fs->Fallocate(ino, FALLOC_FL_KEEP_SIZE, 8 * 4096, 16 * 4096));  // 8..23
    size_t done = 0;
    ASSERT_EQ(0, fs->Write(ino, 4096, {reinterpret_cast<const std::byte*>(text.data()), 63 * 4096},
                           &done));
    // 40 blocks of space, 16 reserved (8..23): 24 fresh ones fit, 1..7 and 24..40.
    EXPECT_EQ(done, 40u * 4096);
    EXPECT_EQ(fs->overlay_bytes(), 40u * 4096);
    EXPECT_EQ(Attr(*fs, ino).st_size, 41 * 4096);
    EXPECT_EQ(Read(*fs, ino, 4096, 40 * 4096), text.substr(0, 40 * 4096));
    ASSERT_EQ(0, fs->Fsync(ino));
  }
  auto fs = dir.Mount(40 * 4096);
  EXPECT_EQ(ReadAll(*fs, ino), std::string(4096, '\0') + text.substr(0, 40 * 4096));
  EXPECT_EQ(fs->overlay_bytes(), 40u * 4096);
}

TEST(OverlaySpace, StBlocksCountWhatIsStored) {
  auto fs = MakeFs(MakeMemoryStore(0));
  const uint64_t sparse = NewFile(*fs, "sparse");
  ASSERT_EQ(0, Write(*fs, sparse, (1 << 20) - 3, "end"));
  EXPECT_EQ(Attr(*fs, sparse).st_size, 1 << 20);
  EXPECT_EQ(Attr(*fs, sparse).st_blocks, 8);
  const struct stat s = SyntheticFile(*fs, 64 * 1024);
  const blkcnt_t whole = (s.st_size + 4095) / 4096 * 8;
  ASSERT_EQ(0, Write(*fs, s.st_ino, 0, "x"));
  EXPECT_LE(Attr(*fs, s.st_ino).st_blocks, whole);
  EXPECT_GE(Attr(*fs, s.st_ino).st_blocks, (s.st_size + 511) / 512);
  ASSERT_EQ(0, fs->Fallocate(s.st_ino, kPunch, 0, 32 * 1024));
  EXPECT_EQ(Attr(*fs, s.st_ino).st_blocks, (s.st_size - 32 * 1024 + 511) / 512);
}

TEST(OverlaySpace, StatfsFollowsTheLimitDeletionsAndCreations) {
  auto limited = MakeFs(MakeMemoryStore(1 << 20));
  struct statvfs v;
  ASSERT_EQ(0, limited->StatFs(&v));
  EXPECT_EQ(v.f_bavail * v.f_frsize, 1u << 20);
  ASSERT_EQ(0, Write(*limited, NewFile(*limited, "x"), 0, std::string(256 * 1024, 'x')));
  ASSERT_EQ(0, limited->StatFs(&v));
  EXPECT_EQ(v.f_bavail * v.f_frsize, 768u * 1024);
  EXPECT_EQ(v.f_bfree, v.f_bavail);

  auto fs = MakeFs(MakeMemoryStore(0));
  struct statvfs before, after;
  ASSERT_EQ(0, fs->StatFs(&before));
  NewFile(*fs, "one");
  struct stat dir;
  ASSERT_EQ(0, fs->Mkdir(kRoot, "two", 0755, kUser, &dir));
  ASSERT_EQ(0, fs->StatFs(&after));
  EXPECT_EQ(after.f_files - after.f_ffree, before.f_files - before.f_ffree + 2);
  // Deleting a synthetic file gives its bytes back.
  const struct stat s = SyntheticFile(*fs, 64 * 1024);
  uint64_t parent = 0;
  std::string name;
  for (uint64_t d = 1; d <= fs->ns().dir_count() && name.empty(); ++d)
    fs->ReadDir(d, 0, [&](std::string_view n, const struct stat& st, uint64_t) {
      if (st.st_ino != s.st_ino || n == "." || n == "..") return true;
      parent = d;
      name = std::string(n);
      return false;
    });
  ASSERT_FALSE(name.empty());
  ASSERT_EQ(0, fs->StatFs(&before));
  ASSERT_EQ(0, fs->Unlink(parent, name));
  ASSERT_EQ(0, fs->StatFs(&after));
  EXPECT_NEAR(static_cast<double>(after.f_bfree - before.f_bfree),
              static_cast<double>(s.st_size) / 4096, 1.0);
  EXPECT_EQ(before.f_ffree + 1, after.f_ffree);
}

TEST(OverlaySpace, RenameExchangeAndExtendingFallocateUpdateTimes) {
  auto fs = MakeFs(MakeMemoryStore(0));
  struct stat d1, d2, f1, f2, out;
  ASSERT_EQ(0, fs->Mkdir(kRoot, "d1", 0755, kUser, &d1));
  ASSERT_EQ(0, fs->Mkdir(kRoot, "d2", 0755, kUser, &d2));
  ASSERT_EQ(0, fs->Create(d1.st_ino, "f1", 0644, kUser, &f1));
  ASSERT_EQ(0, fs->Create(d2.st_ino, "f2", 0644, kUser, &f2));
  struct stat old {};
  old.st_mtim = old.st_ctim = {1000, 0};
  for (uint64_t ino : {d1.st_ino, d2.st_ino, f1.st_ino})
    ASSERT_EQ(0, fs->SetAttr(ino, old, FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_CTIME, &out));
  ASSERT_EQ(0, fs->Rename(d1.st_ino, "f1", d2.st_ino, "f2", RENAME_EXCHANGE));
  for (uint64_t ino : {d1.st_ino, d2.st_ino}) {
    EXPECT_GT(Attr(*fs, ino).st_mtim.tv_sec, 1000);
    EXPECT_GT(Attr(*fs, ino).st_ctim.tv_sec, 1000);
  }
  ASSERT_EQ(0, fs->Fallocate(f1.st_ino, 0, 0, 8192));
  EXPECT_EQ(Attr(*fs, f1.st_ino).st_size, 8192);
  EXPECT_GT(Attr(*fs, f1.st_ino).st_mtim.tv_sec, 1000);
}

TEST(OverlaySpace, OpenReadOnlyWithTruncTruncates) {
  auto fs = MakeFs(MakeMemoryStore(0));
  const uint64_t f = NewFile(*fs, "t");
  ASSERT_EQ(0, Write(*fs, f, 0, "abc"));
  ASSERT_EQ(0, fs->Open(f, O_RDONLY | O_TRUNC));
  EXPECT_EQ(Attr(*fs, f).st_size, 0);
  const struct stat s = SyntheticFile(*fs, 10000);
  ASSERT_EQ(0, fs->Open(s.st_ino, O_RDONLY | O_TRUNC));
  EXPECT_EQ(Attr(*fs, s.st_ino).st_size, 0);
}

// A write drops setuid, and setgid when group-executable, as the kernel does, unless
// the writer holds CAP_FSETID (root keeps 4755 on tmpfs).
TEST(OverlaySpace, WriteClearsSetidBitsOnlyWithoutFsetid) {
  auto fs = MakeFs(MakeMemoryStore(0));
  const uint64_t f = NewFile(*fs, "suid");
  struct stat attr {
  }, out;
  attr.st_mode = 06755;
  ASSERT_EQ(0, fs->SetAttr(f, attr, FUSE_SET_ATTR_MODE, &out));
  size_t done = 0;
  const std::byte x[1] = {std::byte{'x'}};
  ASSERT_EQ(0, fs->Write(f, 0, x, &done, [] { return true; }));
  EXPECT_EQ(Attr(*fs, f).st_mode & 07777, 06755u);
  ASSERT_EQ(0, fs->Write(f, 0, x, &done, [] { return false; }));
  EXPECT_EQ(Attr(*fs, f).st_mode & 07777, 0755u);
  attr.st_mode = 06745;  // setgid without group-exec (mandatory-locking marker): kept
  ASSERT_EQ(0, fs->SetAttr(f, attr, FUSE_SET_ATTR_MODE, &out));
  ASSERT_EQ(0, fs->Write(f, 0, x, &done, [] { return false; }));
  EXPECT_EQ(Attr(*fs, f).st_mode & 07777, 02745u);
}

TEST(OverlaySpace, RemovedOverlayDirFailsEveryMutation) {
  OverlayDir dir;
  auto fs = dir.Mount();
  struct stat f, d, out;
  ASSERT_EQ(0, fs->Create(kRoot, "f", 0644, kUser, &f));
  ASSERT_EQ(0, Write(*fs, f.st_ino, 0, "kept"));
  ASSERT_EQ(0, fs->Mkdir(kRoot, "d", 0755, kUser, &d));
  std::filesystem::remove_all(dir.path());
  EXPECT_EQ(-EIO, fs->Mkdir(kRoot, "d2", 0755, kUser, &out));
  EXPECT_EQ(-EIO, fs->Create(kRoot, "g", 0644, kUser, &out));
  EXPECT_EQ(-EIO, fs->Open(f.st_ino, O_WRONLY | O_APPEND));
  EXPECT_EQ(-EIO, fs->Rename(kRoot, "f", kRoot, "f2", 0));
  EXPECT_EQ(-EIO, fs->Unlink(kRoot, "f"));
  EXPECT_EQ(-EIO, fs->Rmdir(kRoot, "d"));
  EXPECT_EQ(-EIO, fs->Symlink(kRoot, "s", "f", kUser, &out));
  EXPECT_EQ(-EIO, fs->Link(f.st_ino, kRoot, "l", &out));
  EXPECT_EQ(-EIO, Truncate(*fs, f.st_ino, 1));
  EXPECT_EQ(-EIO, fs->Fallocate(f.st_ino, 0, 0, 4096));
  EXPECT_EQ(-EIO, fs->Fsync(f.st_ino));
  // A descriptor opened before: its writes fail too, at the latest one interval later.
  std::this_thread::sleep_for(std::chrono::nanoseconds(ShadowFs::kAliveCheckIntervalNs * 2));
  EXPECT_EQ(-EIO, Write(*fs, f.st_ino, 4, "more"));
  // Reads still answer.
  EXPECT_EQ(0, fs->GetAttr(f.st_ino, &out));
}

// GetAttr and Lookup skip the lock until the overlay holds something; the first
// mutation must not change anything they read. Run under TSan (scripts/sanitize tsan
// -R OverlaySpace): it reported nodes_.find racing the first insertion.
TEST(OverlaySpace, FirstMutationRacesLockFreeReaders) {
  for (int round = 0; round < 100; ++round) {
    auto fs = MakeFs(MakeMemoryStore(0));
    const struct stat s = SyntheticFile(*fs, 1);
    std::string name;
    fs->ReadDir(kRoot, 2, [&](std::string_view n, const struct stat&, uint64_t) {
      name = std::string(n);
      return false;
    });
    ASSERT_FALSE(name.empty());
    std::atomic<bool> stop{false};
    std::atomic<int> ready{0}, failures{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 2; ++t)
      readers.emplace_back([&] {
        ready.fetch_add(1);
        struct stat st;
        while (!stop.load(std::memory_order_relaxed)) {
          if (fs->GetAttr(s.st_ino, &st) != 0 || fs->GetAttr(kRoot, &st) != 0 ||
              fs->Lookup(kRoot, name, &st) != 0)
            failures.fetch_add(1);
        }
      });
    while (ready.load() < 2) std::this_thread::yield();
    struct stat out;
    const int rc = fs->Mkdir(kRoot, "new", 0755, kUser, &out);  // the first insertion
    stop = true;
    ASSERT_EQ(0, rc);
    for (auto& t : readers) t.join();
    EXPECT_EQ(failures.load(), 0);
  }
}

}  // namespace
}  // namespace sfsg
