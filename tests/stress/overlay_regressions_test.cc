// Regression tests for overlay bugs found by the stress, POSIX and fault tests of
// tests/stress/*.sh, reduced to ShadowFs calls without a mount. Each test
// names the behaviour it guards; the shell test that found it is in its comment.
#include <fuse_lowlevel.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuse/shadow_fs.h"

namespace sfsg {
namespace {

constexpr RequestContext kUser{1000, 1000};

class OverlayDir {
 public:
  OverlayDir()
      : path_(::testing::TempDir() + "/overlay-regressions-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name()) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~OverlayDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A small shadow whose writes go to `dir` (dir mode) or to memory (dir empty).
Result<std::unique_ptr<ShadowFs>> Mount(const std::string& dir) {
  auto ns = Namespace::Create(DefaultProfile(), {.seed = 5, .files = 300, .dirs = 20});
  if (!ns) return ns.error();
  ShadowConfig config;
  config.overlay_dir = dir;
  if (dir.empty()) return ShadowFs::Create(std::move(*ns), MakeMemoryStore(0), config);
  auto store = MakeDirStore(dir, 0);
  if (!store) return store.error();
  return ShadowFs::Create(std::move(*ns), std::move(*store), config);
}

std::unique_ptr<ShadowFs> MountOrDie(const std::string& dir) {
  auto fs = Mount(dir);
  EXPECT_TRUE(fs.ok()) << (fs.ok() ? "" : fs.error().message);
  return fs.ok() ? std::move(*fs) : nullptr;
}

int Write(ShadowFs& fs, uint64_t ino, uint64_t offset, const std::string& text) {
  size_t done = 0;
  return fs.Write(ino, offset, {reinterpret_cast<const std::byte*>(text.data()), text.size()},
                  &done);
}

std::string ReadAll(const ShadowFs& fs, uint64_t ino) {
  std::string out(1 << 16, '\0');
  size_t done = 0;
  EXPECT_EQ(0, fs.Read(ino, 0, {reinterpret_cast<std::byte*>(out.data()), out.size()}, &done));
  out.resize(done);
  return out;
}

int Truncate(ShadowFs& fs, uint64_t ino, off_t size) {
  struct stat attr {
  }, out;
  attr.st_size = size;
  return fs.SetAttr(ino, attr, FUSE_SET_ATTR_SIZE, &out);
}

bool Later(const timespec& a, const timespec& b) {
  return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

// posix.sh "link changes dir ctime": POSIX link() marks the new entry's directory for
// an update of both mtime and ctime.
TEST(OverlayRegressions, LinkUpdatesTheDirectoryCtime) {
  auto fs = MountOrDie("");
  struct stat dir, file, before, after, linked;
  ASSERT_EQ(0, fs->Mkdir(Namespace::kRootIno, "d", 0755, kUser, &dir));
  ASSERT_EQ(0, fs->Create(dir.st_ino, "f", 0644, kUser, &file));
  ASSERT_EQ(0, fs->GetAttr(dir.st_ino, &before));
  const timespec pause{0, 2000000};
  nanosleep(&pause, nullptr);
  ASSERT_EQ(0, fs->Link(file.st_ino, dir.st_ino, "g", &linked));
  ASSERT_EQ(0, fs->GetAttr(dir.st_ino, &after));
  EXPECT_TRUE(Later(after.st_mtim, before.st_mtim));
  EXPECT_TRUE(Later(after.st_ctim, before.st_ctim));
}

// clients.sh clients64 (consistency: "nlink 5 but 2 subdirectories"): a directory's link
// count is 2 + its subdirectories, the root's too, before and after its first change.
TEST(OverlayRegressions, RootLinkCountFollowsMkdirAndRmdir) {
  auto fs = MountOrDie("");
  struct stat before, dir, after, removed;
  ASSERT_EQ(0, fs->GetAttr(Namespace::kRootIno, &before));
  ASSERT_EQ(0, fs->Mkdir(Namespace::kRootIno, "new-dir", 0755, kUser, &dir));
  ASSERT_EQ(0, fs->GetAttr(Namespace::kRootIno, &after));
  EXPECT_EQ(after.st_nlink, before.st_nlink + 1);
  ASSERT_EQ(0, fs->Rmdir(Namespace::kRootIno, "new-dir"));
  ASSERT_EQ(0, fs->GetAttr(Namespace::kRootIno, &removed));
  EXPECT_EQ(removed.st_nlink, before.st_nlink);
}

// clients.sh fio (model check) and posix.sh "remount: data": replaying a "drop" record
// (a truncate) must not delete or cut the data file, whose later blocks hold bytes
// written after that truncate.
TEST(OverlayRegressions, DirModeRemountKeepsBytesWrittenAfterATruncate) {
  OverlayDir dir;
  {
    auto fs = MountOrDie(dir.path());
    struct stat f;
    ASSERT_EQ(0, fs->Create(Namespace::kRootIno, "x", 0644, kUser, &f));
    ASSERT_EQ(0, Write(*fs, f.st_ino, 0, std::string(10000, 'a')));
    ASSERT_EQ(0, Truncate(*fs, f.st_ino, 0));      // drop from block 0
    ASSERT_EQ(0, Write(*fs, f.st_ino, 0, "new"));  // block 0 again
    ASSERT_EQ(0, Write(*fs, f.st_ino, 9000, "tail"));
    ASSERT_EQ(0, Truncate(*fs, f.st_ino, 9002));     // drop from block 3
    ASSERT_EQ(0, Write(*fs, f.st_ino, 12288, "z"));  // block 3 again
    ASSERT_EQ(0, fs->Fsync(f.st_ino));
    fs->Release(f.st_ino);
  }
  auto fs = MountOrDie(dir.path());
  struct stat f;
  ASSERT_EQ(0, fs->Lookup(Namespace::kRootIno, "x", &f));
  const std::string text = ReadAll(*fs, f.st_ino);
  ASSERT_EQ(text.size(), 12289u);
  EXPECT_EQ(text.substr(0, 3), "new");
  EXPECT_EQ(text.substr(9000, 2), "ta");
  EXPECT_EQ(text.substr(12288), "z");
}

// stress_faults_kill9 (CI): a kill -9 between an unlink's removal of the file's data and
// the journal line that records the unlink left a journal listing blocks whose data file
// was gone, and the remount refused the overlay. The data now goes only once the journal
// says so. A journal append that fails (the file size limit) stands in for the kill.
class JournalFull {
 public:
  explicit JournalFull(const std::string& journal) {
    ::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    rlimit at_size = saved_;
    at_size.rlim_cur = std::filesystem::file_size(journal);
    ::setrlimit(RLIMIT_FSIZE, &at_size);
  }
  ~JournalFull() { ::setrlimit(RLIMIT_FSIZE, &saved_); }

 private:
  rlimit saved_{};
};

TEST(OverlayRegressions, DataOutlivesAnUnlinkOrTruncateTheJournalDidNotRecord) {
  OverlayDir dir;
  const std::string text(10000, 'k');
  {
    auto fs = MountOrDie(dir.path());
    struct stat a, b;
    ASSERT_EQ(0, fs->Create(Namespace::kRootIno, "a", 0644, kUser, &a));
    ASSERT_EQ(0, Write(*fs, a.st_ino, 0, text));
    fs->Release(a.st_ino);
    ASSERT_EQ(0, fs->Create(Namespace::kRootIno, "b", 0644, kUser, &b));
    ASSERT_EQ(0, Write(*fs, b.st_ino, 0, text));
    ASSERT_EQ(0, fs->Fsync(b.st_ino));
    JournalFull full(dir.path() + "/journal.jsonl");
    EXPECT_NE(0, fs->Unlink(Namespace::kRootIno, "a"));
    EXPECT_NE(0, Truncate(*fs, b.st_ino, 0));
    fs->Release(b.st_ino);
  }
  auto fs = Mount(dir.path());
  ASSERT_TRUE(fs.ok()) << fs.error().message;
  for (const char* name : {"a", "b"}) {
    struct stat st;
    ASSERT_EQ(0, (*fs)->Lookup(Namespace::kRootIno, name, &st)) << name;
    EXPECT_EQ(ReadAll(**fs, st.st_ino), text) << name;
  }
}

// posix.sh "odd name" and clients.sh stress-ng --filename: names are bytes, not UTF-8.
// In dir mode such a name made every later mutation fail with EIO (the journal line
// could not be serialised and stayed pending).
TEST(OverlayRegressions, DirModeJournalsNamesThatAreNotUtf8) {
  OverlayDir dir;
  const std::string odd = "\x80\xff-caf\xe9";
  {
    auto fs = MountOrDie(dir.path());
    struct stat f, d;
    ASSERT_EQ(0, fs->Create(Namespace::kRootIno, odd, 0644, kUser, &f));
    fs->Release(f.st_ino);
    EXPECT_EQ(0, fs->Mkdir(Namespace::kRootIno, "after", 0755, kUser, &d));
  }
  auto fs = MountOrDie(dir.path());
  struct stat st;
  EXPECT_EQ(0, fs->Lookup(Namespace::kRootIno, odd, &st));
  EXPECT_EQ(0, fs->Lookup(Namespace::kRootIno, "after", &st));
}

// stress-ng --filename (stress-long, 2026-11-25): the UTF-8 check let through byte
// sequences that look like UTF-8 but are not (lead bytes 0xF5-0xF7, overlong forms,
// surrogates, code points above U+10FFFF); the serialiser threw, and create, unlink and
// rmdir of such names failed with EIO. Each must round-trip, and valid UTF-8 stays text.
TEST(OverlayRegressions, DirModeJournalsNamesThatOnlyLookLikeUtf8) {
  OverlayDir dir;
  const std::vector<std::string> names = {
      "a\xf5\x80\x80\x80", "b\xe0\x80\x80", "c\xed\xa0\x80", "d\xf4\x90\x80\x80",
      "e\xf0\x80\x80\x80", "f\xc1\xbf",     "g\xe2\x82",     "caf\xc3\xa9-\xf0\x9f\x98\x80"};
  {
    auto fs = MountOrDie(dir.path());
    for (const std::string& name : names) {
      struct stat f;
      ASSERT_EQ(0, fs->Create(Namespace::kRootIno, name, 0644, kUser, &f)) << name;
      fs->Release(f.st_ino);
    }
    ASSERT_EQ(0, fs->Unlink(Namespace::kRootIno, names[0]));
  }
  auto fs = MountOrDie(dir.path());
  struct stat st;
  EXPECT_EQ(-ENOENT, fs->Lookup(Namespace::kRootIno, names[0], &st));
  for (size_t i = 1; i < names.size(); ++i)
    EXPECT_EQ(0, fs->Lookup(Namespace::kRootIno, names[i], &st)) << names[i];
  std::ifstream journal(dir.path() + "/journal.jsonl");
  const std::string text((std::istreambuf_iterator<char>(journal)), {});
  EXPECT_NE(text.find("caf\xc3\xa9-\xf0\x9f\x98\x80"), std::string::npos)
      << "valid UTF-8 kept as text";
}

// Same for symlink targets, which are bytes too.
TEST(OverlayRegressions, DirModeJournalsSymlinkTargetsThatAreNotUtf8) {
  OverlayDir dir;
  const std::string target = "../\xfe\xfe";
  {
    auto fs = MountOrDie(dir.path());
    struct stat l, d;
    ASSERT_EQ(0, fs->Symlink(Namespace::kRootIno, "link", target, kUser, &l));
    EXPECT_EQ(0, fs->Mkdir(Namespace::kRootIno, "after", 0755, kUser, &d));
  }
  auto fs = MountOrDie(dir.path());
  struct stat st;
  ASSERT_EQ(0, fs->Lookup(Namespace::kRootIno, "link", &st));
  std::string read_back;
  EXPECT_EQ(0, fs->ReadLink(st.st_ino, &read_back));
  EXPECT_EQ(read_back, target);
}

// The fuzzer (tests/fuzz/fuzz_journal) and faults.sh enospc: a journal whose records are
// well-formed JSON of the wrong shape is malformed input (kBadInput), never an
// exception escaping ShadowFs::Create (which kills sfsg-mount with std::terminate).
TEST(OverlayRegressions, MisshapenJournalRecordsAreBadInput) {
  const char* records[] = {
      "[1]",
      "[{\"op\":\"blocks\",\"ino\":\"x\",\"blocks\":[1]}]",
      "[{\"op\":\"blocks\",\"ino\":7}]",
      "[{\"op\":\"free\"}]",
      "[{\"op\":\"dirent\",\"dir\":\"1\",\"name\":\"a\",\"ino\":5}]",
      "[{\"op\":7}]",
  };
  for (const char* record : records) {
    SCOPED_TRACE(record);
    OverlayDir dir;
    { auto fs = MountOrDie(dir.path()); }  // writes the journal header
    std::ofstream(dir.path() + "/journal.jsonl", std::ios::app) << record << "\n";
    try {
      auto fs = Mount(dir.path());
      ASSERT_FALSE(fs.ok());
      EXPECT_EQ(fs.error().code, ErrorCode::kBadInput);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "exception escaped ShadowFs::Create: " << e.what();
    }
  }
}

// faults.sh scratch: once the overlay directory is gone, fsync must not claim the data
// is durable (a remount could never find it).
TEST(OverlayRegressions, FsyncFailsOnceTheOverlayDirectoryIsGone) {
  OverlayDir dir;
  auto fs = MountOrDie(dir.path());
  struct stat f;
  ASSERT_EQ(0, fs->Create(Namespace::kRootIno, "x", 0644, kUser, &f));
  ASSERT_EQ(0, Write(*fs, f.st_ino, 0, "before"));
  ASSERT_EQ(0, fs->Fsync(f.st_ino));
  std::filesystem::remove_all(dir.path());
  Write(*fs, f.st_ino, 6, "after");
  EXPECT_NE(0, fs->Fsync(f.st_ino));
}

// faults.sh fdlimit: dir mode must not need one descriptor per written file (bonnie++,
// dbench and untar write thousands of files; the default soft limit is 1024).
TEST(OverlayRegressions, DirModeWritesMoreFilesThanTheDescriptorLimit) {
  OverlayDir dir;
  struct rlimit saved;
  ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &saved));
  struct rlimit low = saved;
  low.rlim_cur = 64;  // as if sfsg-mount had been started under `ulimit -n 64`
  ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &low));
  int failures = 0;
  {
    auto fs = MountOrDie(dir.path());
    for (int i = 0; fs && i < 200; ++i) {
      struct stat f;
      if (fs->Create(Namespace::kRootIno, "f" + std::to_string(i), 0644, kUser, &f) != 0) {
        ++failures;
        continue;
      }
      if (Write(*fs, f.st_ino, 0, "data") != 0) ++failures;
      fs->Release(f.st_ino);
    }
  }
  setrlimit(RLIMIT_NOFILE, &saved);
  EXPECT_EQ(failures, 0);
}

}  // namespace
}  // namespace sfsg
