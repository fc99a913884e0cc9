// ShadowFs semantics without mounting: the overlay, whiteouts, limits and the journal.
// (tests/mount/ runs real clients against real mounts.)
#include "fuse/shadow_fs.h"

#include <fuse_lowlevel.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include "fuse/shadow_fs_testing.h"

namespace sfsg {
namespace {

using testing::FreshDir;
using testing::kUser;
using testing::MakeFs;

std::vector<std::string> List(const ShadowFs& fs, uint64_t dir) {
  std::vector<std::string> names;
  fs.ReadDir(dir, 0, [&](std::string_view name, const struct stat&, uint64_t) {
    names.emplace_back(name);
    return true;
  });
  return names;
}

std::string ReadAll(const ShadowFs& fs, uint64_t ino, size_t n) {
  std::string out(n, '\0');
  size_t done = 0;
  EXPECT_EQ(0, fs.Read(ino, 0, {reinterpret_cast<std::byte*>(out.data()), n}, &done));
  out.resize(done);
  return out;
}

int Write(ShadowFs& fs, uint64_t ino, uint64_t offset, const std::string& text) {
  size_t done = 0;
  return fs.Write(ino, offset, {reinterpret_cast<const std::byte*>(text.data()), text.size()},
                  &done);
}

// The first regular synthetic file directly in the root (there is one for this seed).
std::pair<std::string, struct stat> SomeFile(const ShadowFs& fs,
                                             uint64_t dir = Namespace::kRootIno) {
  std::pair<std::string, struct stat> found;
  fs.ReadDir(dir, 0, [&](std::string_view name, const struct stat& st, uint64_t) {
    if (S_ISREG(st.st_mode) && st.st_size > 10000 && st.st_ino < kControlIno) {
      found = {std::string(name), st};
      return false;
    }
    return true;
  });
  return found;
}

uint64_t SomeDirWithFiles(const ShadowFs& fs) {
  for (uint64_t d = 1; d <= fs.ns().dir_count(); ++d)
    if (!SomeFile(fs, d).first.empty()) return d;
  return 0;
}

TEST(ShadowFs, ControlDirIsReachableByNameButNotListed) {
  auto fs = MakeFs(MakeMemoryStore(0));
  const auto names = List(*fs, Namespace::kRootIno);
  ASSERT_GE(names.size(), 3u);
  EXPECT_EQ(names[0], ".");
  EXPECT_EQ(names[1], "..");
  EXPECT_EQ(std::count(names.begin(), names.end(), ".sfsg"), 0);
  struct stat dir;
  ASSERT_EQ(0, fs->Lookup(Namespace::kRootIno, ".sfsg", &dir));
  EXPECT_EQ(dir.st_ino, kControlIno);
  const auto control = List(*fs, kControlIno);
  EXPECT_EQ(std::set<std::string>(control.begin() + 2, control.end()),
            (std::set<std::string>{"status", "profile", "metrics", "forecast", "alerts", "curve"}));
  struct stat st;
  ASSERT_EQ(0, fs->Lookup(kControlIno, "status", &st));
  auto status = ParseJsonText(fs->ControlText(st.st_ino), "status");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ((*status)["entries"], 3000);
  EXPECT_EQ(fs->Open(st.st_ino, O_WRONLY), -EACCES);
}

TEST(ShadowFs, WritesReadBackOverSyntheticContent) {
  auto fs = MakeFs(MakeMemoryStore(0));
  const uint64_t dir = SomeDirWithFiles(*fs);
  const auto [name, st] = SomeFile(*fs, dir);
  const std::string before = ReadAll(*fs, st.st_ino, st.st_size);
  ASSERT_EQ(0, Write(*fs, st.st_ino, 5000, "hello"));
  const std::string after = ReadAll(*fs, st.st_ino, st.st_size);
  EXPECT_EQ(after.substr(5000, 5), "hello");
  EXPECT_EQ(after.substr(0, 5000), before.substr(0, 5000));
  EXPECT_EQ(after.substr(5005), before.substr(5005));
}

TEST(ShadowFs, TruncateThenExtendReadsZerosBeyondTheCut) {
  auto fs = MakeFs(MakeMemoryStore(0));
  const auto [name, st] = SomeFile(*fs, SomeDirWithFiles(*fs));
  const std::string before = ReadAll(*fs, st.st_ino, 8192);
  struct stat attr {
  }, out;
  attr.st_size = 100;
  ASSERT_EQ(0, fs->SetAttr(st.st_ino, attr, FUSE_SET_ATTR_SIZE, &out));
  attr.st_size = 8192;
  ASSERT_EQ(0, fs->SetAttr(st.st_ino, attr, FUSE_SET_ATTR_SIZE, &out));
  const std::string after = ReadAll(*fs, st.st_ino, 8192);
  EXPECT_EQ(after.substr(0, 100), before.substr(0, 100));
  EXPECT_EQ(after.substr(100), std::string(8092, '\0'));
  attr.st_size = static_cast<off_t>(ShadowFs::kMaxFileBytes) + 1;
  EXPECT_EQ(-EFBIG, fs->SetAttr(st.st_ino, attr, FUSE_SET_ATTR_SIZE, &out));
}

TEST(ShadowFs, UnlinkLeavesAWhiteoutAndRenameMovesContent) {
  auto fs = MakeFs(MakeMemoryStore(0));
  const uint64_t dir = SomeDirWithFiles(*fs);
  const auto [name, st] = SomeFile(*fs, dir);
  const std::string content = ReadAll(*fs, st.st_ino, st.st_size);
  ASSERT_EQ(0, fs->Rename(dir, name, Namespace::kRootIno, "moved.bin", 0));
  struct stat found;
  EXPECT_EQ(-ENOENT, fs->Lookup(dir, name, &found));
  ASSERT_EQ(0, fs->Lookup(Namespace::kRootIno, "moved.bin", &found));
  EXPECT_EQ(ReadAll(*fs, found.st_ino, found.st_size), content);
  const auto names = List(*fs, dir);
  EXPECT_EQ(std::count(names.begin(), names.end(), name), 0);
  ASSERT_EQ(0, fs->Unlink(Namespace::kRootIno, "moved.bin"));
  EXPECT_EQ(-ENOENT, fs->Lookup(Namespace::kRootIno, "moved.bin", &found));
  EXPECT_EQ(-ENOENT, fs->GetAttr(st.st_ino, &found));
}

TEST(ShadowFs, CreateMkdirLinkSymlinkAndOwnership) {
  auto fs = MakeFs(MakeMemoryStore(0));
  struct stat d, f, l, s;
  ASSERT_EQ(0, fs->Mkdir(Namespace::kRootIno, "new", 02775, kUser, &d));
  EXPECT_EQ(d.st_uid, 1000u);
  ASSERT_EQ(0, fs->Create(d.st_ino, "a.txt", 0644, RequestContext{2000, 2000}, &f));
  EXPECT_EQ(f.st_uid, 2000u);
  EXPECT_EQ(f.st_gid, 1000u) << "setgid directory passes its group on";
  ASSERT_EQ(0, Write(*fs, f.st_ino, 0, "data"));
  ASSERT_EQ(0, fs->Link(f.st_ino, Namespace::kRootIno, "hard", &l));
  EXPECT_EQ(l.st_nlink, 2u);
  ASSERT_EQ(0, fs->Symlink(Namespace::kRootIno, "soft", "new/a.txt", kUser, &s));
  std::string target;
  ASSERT_EQ(0, fs->ReadLink(s.st_ino, &target));
  EXPECT_EQ(target, "new/a.txt");
  EXPECT_EQ(-EEXIST, fs->Create(d.st_ino, "a.txt", 0644, kUser, &f));
  EXPECT_EQ(-ENOTEMPTY, fs->Rmdir(Namespace::kRootIno, "new"));
  EXPECT_EQ(-ENAMETOOLONG, fs->Create(d.st_ino, std::string(256, 'x'), 0644, kUser, &f));
  ASSERT_EQ(0, fs->Unlink(d.st_ino, "a.txt"));
  EXPECT_EQ(0, fs->Rmdir(Namespace::kRootIno, "new"));
  EXPECT_EQ(ReadAll(*fs, l.st_ino, 4), "data");
}

TEST(ShadowFs, RenameFlags) {
  auto fs = MakeFs(MakeMemoryStore(0));
  struct stat a, b;
  ASSERT_EQ(0, fs->Create(Namespace::kRootIno, "a", 0644, kUser, &a));
  ASSERT_EQ(0, fs->Create(Namespace::kRootIno, "b", 0644, kUser, &b));
  EXPECT_EQ(-EEXIST,
            fs->Rename(Namespace::kRootIno, "a", Namespace::kRootIno, "b", RENAME_NOREPLACE));
  ASSERT_EQ(0, fs->Rename(Namespace::kRootIno, "a", Namespace::kRootIno, "b", RENAME_EXCHANGE));
  struct stat now;
  ASSERT_EQ(0, fs->Lookup(Namespace::kRootIno, "b", &now));
  EXPECT_EQ(now.st_ino, a.st_ino);
  EXPECT_EQ(-EINVAL, fs->Rename(Namespace::kRootIno, "a", Namespace::kRootIno, "b", 0x80));
}

TEST(ShadowFs, MemoryLimitGivesEnospcAndKeepsEarlierData) {
  auto fs = MakeFs(MakeMemoryStore(64 * 1024));
  struct stat f;
  ASSERT_EQ(0, fs->Create(Namespace::kRootIno, "big", 0644, kUser, &f));
  const std::string chunk(32 * 1024, 'z');
  ASSERT_EQ(0, Write(*fs, f.st_ino, 0, chunk));
  ASSERT_EQ(0, Write(*fs, f.st_ino, chunk.size(), chunk));
  EXPECT_EQ(-ENOSPC, Write(*fs, f.st_ino, 2 * chunk.size(), chunk));
  EXPECT_EQ(ReadAll(*fs, f.st_ino, 2 * chunk.size()), chunk + chunk);
}

// Reads of 256 KiB and more are filled in two halves, one on a helper thread: the bytes
// are those of small reads, at any offset, with several readers at once (the helper
// busy, free, or taken back by a reader).
TEST(ShadowFs, LargeReadsSplitWithTheHelperGiveTheSameBytes) {
  auto fs = MakeFs(MakeMemoryStore(0));
  uint64_t ino = 0, size = 0;
  for (uint64_t i = 0; i < fs->ns().entry_count(); ++i) {
    const auto attr = fs->ns().GetAttr(fs->ns().InoOfEntryIndex(i));
    if (attr && attr->kind == NodeKind::kFile && attr->size_bytes > size)
      std::tie(ino, size) = std::pair(attr->ino, attr->size_bytes);
  }
  ASSERT_GT(size, uint64_t{3} << 20);
  auto read = [&](uint64_t offset, size_t n, size_t piece) {
    std::string out(n, '\0');
    for (size_t at = 0; at < n; at += piece) {
      size_t done = 0;
      const size_t len = std::min(piece, n - at);
      EXPECT_EQ(0,
                fs->Read(ino, offset + at, {reinterpret_cast<std::byte*>(&out[at]), len}, &done));
      EXPECT_EQ(done, len);
    }
    return out;
  };
  std::atomic<int> compared{0}, mismatches{0};
  std::vector<std::thread> readers;
  for (uint64_t t = 0; t < 4; ++t)
    readers.emplace_back([&, t] {
      for (uint64_t k = 0; k < 25; ++k) {
        const size_t n = (256 << 10) + (k * 65537 + t * 4099) % (1 << 20);
        const uint64_t offset = (t * 7919 + k * 104729) % (size - n);
        if (read(offset, n, n) != read(offset, n, 16 << 10)) ++mismatches;
        ++compared;
      }
    });
  for (auto& r : readers) r.join();
  EXPECT_EQ(compared.load(), 100);
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(ShadowFs, DiscardKeepsSizesButNotBytes) {
  auto fs = MakeFs(MakeDiscardStore());
  struct stat f;
  ASSERT_EQ(0, fs->Create(Namespace::kRootIno, "x", 0644, kUser, &f));
  ASSERT_EQ(0, Write(*fs, f.st_ino, 0, std::string(10000, 'q')));
  struct stat st;
  ASSERT_EQ(0, fs->GetAttr(f.st_ino, &st));
  EXPECT_EQ(st.st_size, 10000);
  EXPECT_EQ(ReadAll(*fs, f.st_ino, 10000), std::string(10000, '\0'));
  EXPECT_EQ(fs->metrics().bytes_written(), 10000u);
}

TEST(ShadowFs, DirModeSurvivesARemountAndRefusesAnotherSeed) {
  const std::string dir = FreshDir("overlay");
  uint64_t removed_parent = 0;
  std::string removed;
  {
    auto store = MakeDirStore(dir, 0);
    ASSERT_TRUE(store.ok());
    auto fs = MakeFs(std::move(*store), dir);
    struct stat d, f;
    ASSERT_EQ(0, fs->Mkdir(Namespace::kRootIno, "kept", 0755, kUser, &d));
    ASSERT_EQ(0, fs->Create(d.st_ino, "file", 0600, kUser, &f));
    ASSERT_EQ(0, Write(*fs, f.st_ino, 0, std::string(9000, 'k') + "end"));
    ASSERT_EQ(0, fs->Fsync(f.st_ino));
    removed_parent = SomeDirWithFiles(*fs);
    removed = SomeFile(*fs, removed_parent).first;
    ASSERT_EQ(0, fs->Unlink(removed_parent, removed));
  }
  {
    auto store = MakeDirStore(dir, 0);
    auto fs = MakeFs(std::move(*store), dir);
    struct stat d, f;
    ASSERT_EQ(0, fs->Lookup(Namespace::kRootIno, "kept", &d));
    ASSERT_EQ(0, fs->Lookup(d.st_ino, "file", &f));
    EXPECT_EQ(f.st_mode & 0777, 0600u);
    EXPECT_EQ(ReadAll(*fs, f.st_ino, 9003), std::string(9000, 'k') + "end");
    struct stat gone;
    EXPECT_EQ(-ENOENT, fs->Lookup(removed_parent, removed, &gone));
  }
  {
    // A torn last line (a crash mid-append) is ignored, earlier lines still apply.
    std::ofstream(dir + "/journal.jsonl", std::ios::app) << "[{\"op\":\"node\",\"ino\":12";
    auto store = MakeDirStore(dir, 0);
    auto fs = MakeFs(std::move(*store), dir);
    struct stat d;
    EXPECT_EQ(0, fs->Lookup(Namespace::kRootIno, "kept", &d));
  }
  auto ns = Namespace::Create(DefaultProfile(), {.seed = 6, .files = 3000, .dirs = 100});
  ShadowConfig config;
  config.overlay_dir = dir;
  auto other = ShadowFs::Create(std::move(*ns), std::move(*MakeDirStore(dir, 0)), config);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("another profile, seed, size or content generator"),
            std::string::npos);
  {
    // A journal from a build whose generator made other bytes is refused the same way.
    std::ifstream in(dir + "/journal.jsonl");
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string mine = "\"generator\":" + std::to_string(ContentModel::kGeneratorVersion);
    const auto at = all.find(mine);
    ASSERT_NE(at, std::string::npos) << all.substr(0, 200);
    all.replace(at, mine.size(), "\"generator\":1");
    std::ofstream(dir + "/journal.jsonl", std::ios::trunc) << all;
    auto older = ShadowFs::Create(
        std::move(*Namespace::Create(DefaultProfile(), {.seed = 5, .files = 3000, .dirs = 100})),
        std::move(*MakeDirStore(dir, 0)), config);
    ASSERT_FALSE(older.ok());
    EXPECT_NE(older.error().message.find("content generator"), std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

// A dir overlay with one written file (ino in *file_ino), then unmounted: for the remount
// checks below. Returns the directory.
std::string WrittenOverlay(const std::string& name, uint64_t* file_ino) {
  const std::string dir = FreshDir(name);
  auto store = MakeDirStore(dir, 0);
  EXPECT_TRUE(store.ok());
  auto fs = MakeFs(std::move(*store), dir);
  struct stat f;
  EXPECT_EQ(0, fs->Create(Namespace::kRootIno, "written", 0644, kUser, &f));
  EXPECT_EQ(0, Write(*fs, f.st_ino, 0, std::string(9000, 'w')));
  EXPECT_EQ(0, fs->Fsync(f.st_ino));
  *file_ino = f.st_ino;
  return dir;
}

Result<std::unique_ptr<ShadowFs>> Remount(const std::string& dir) {
  auto store = MakeDirStore(dir, 0);
  if (!store) return store.error();
  auto ns = Namespace::Create(DefaultProfile(), {.seed = 5, .files = 3000, .dirs = 100});
  ShadowConfig config;
  config.overlay_dir = dir;
  config.capacity_bytes = uint64_t{1} << 40;
  return ShadowFs::Create(std::move(*ns), std::move(*store), config);
}

TEST(ShadowFs, DirModeRefusesADataDirectoryReplacedByAFile) {
  uint64_t ino = 0;
  const std::string dir = WrittenOverlay("data-file", &ino);
  std::filesystem::remove_all(dir + "/data");
  std::ofstream(dir + "/data") << "not a directory";
  auto fs = Remount(dir);
  ASSERT_FALSE(fs.ok()) << "mounted over a data/ that is a file";
  EXPECT_EQ(fs.error().code, ErrorCode::kIo);
  EXPECT_NE(fs.error().message.find(dir + "/data"), std::string::npos) << fs.error().message;
  std::filesystem::remove_all(dir);
}

TEST(ShadowFs, DirModeRefusesMissingDataFiles) {
  uint64_t ino = 0;
  const std::string dir = WrittenOverlay("data-gone", &ino);
  const std::string data_file = dir + "/data/" + std::to_string(ino);
  ASSERT_TRUE(std::filesystem::remove(data_file));
  auto fs = Remount(dir);
  ASSERT_FALSE(fs.ok()) << "mounted with written blocks whose data file is gone";
  EXPECT_EQ(fs.error().code, ErrorCode::kIo);
  EXPECT_NE(fs.error().message.find(data_file), std::string::npos) << fs.error().message;
  std::filesystem::remove_all(dir);
}

TEST(ShadowFs, JournalOfAnotherVersionIsUnsupportedAndBlankLinesAreFine) {
  uint64_t ino = 0;
  const std::string dir = WrittenOverlay("journal-version", &ino);
  const std::string path = dir + "/journal.jsonl";
  std::ifstream in(path);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  // A trailing blank line and one in the middle (an editor's) are no records.
  const auto first_end = all.find('\n');
  std::ofstream(path, std::ios::trunc) << all.substr(0, first_end + 1) << "\n"
                                       << all.substr(first_end + 1) << "\n";
  {
    auto fs = Remount(dir);
    ASSERT_TRUE(fs.ok()) << fs.error().message;
    struct stat f;
    EXPECT_EQ(0, (*fs)->Lookup(Namespace::kRootIno, "written", &f));
  }
  const auto at = all.find("\"version\":1");
  ASSERT_NE(at, std::string::npos) << all.substr(0, 200);
  all.replace(at, 11, "\"version\":9");
  std::ofstream(path, std::ios::trunc) << all;
  auto fs = Remount(dir);
  ASSERT_FALSE(fs.ok()) << "mounted a version 9 journal";
  EXPECT_EQ(fs.error().code, ErrorCode::kUnsupported) << fs.error().message;
  EXPECT_NE(fs.error().message.find("version 9"), std::string::npos) << fs.error().message;
  std::filesystem::remove_all(dir);
}

// A shadow over the dir overlay `dir` (a remount when it holds a journal).
std::unique_ptr<ShadowFs> MountDir(const std::string& dir) {
  auto store = MakeDirStore(dir, 0);
  EXPECT_TRUE(store.ok());
  return store.ok() ? MakeFs(std::move(*store), dir) : nullptr;
}

// A full disk for this process while in scope: RLIMIT_FSIZE at `bytes`, which fails a
// write past it with EFBIG once SIGXFSZ is ignored (a write across it is cut short).
class FileSizeCap {
 public:
  explicit FileSizeCap(uint64_t bytes) : old_handler_(::signal(SIGXFSZ, SIG_IGN)) {
    EXPECT_EQ(0, ::getrlimit(RLIMIT_FSIZE, &before_));
    struct rlimit cap = before_;
    cap.rlim_cur = bytes;
    EXPECT_EQ(0, ::setrlimit(RLIMIT_FSIZE, &cap));
  }
  ~FileSizeCap() {
    ::setrlimit(RLIMIT_FSIZE, &before_);
    ::signal(SIGXFSZ, old_handler_);
  }
  FileSizeCap(const FileSizeCap&) = delete;
  FileSizeCap& operator=(const FileSizeCap&) = delete;

 private:
  struct rlimit before_ {};
  sighandler_t old_handler_;
};

TEST(ShadowFs, ACreateWhoseJournalLineFailsLeavesNoEntry) {
  // A journal that cannot grow (a full disk; here RLIMIT_FSIZE, which fails the write with
  // EFBIG once SIGXFSZ is ignored): the failed create, mkdir, symlink and link must not
  // be listed afterwards, nor a line cut short be left in the journal.
  const std::string dir = FreshDir("journal-full");
  auto fs = MountDir(dir);
  ASSERT_NE(fs, nullptr);
  struct stat kept;
  ASSERT_EQ(0, fs->Create(Namespace::kRootIno, "kept", 0644, kUser, &kept));
  struct stat st;
  int create = 0, mkdir = 0, symlink = 0, link = 0;
  {
    const FileSizeCap full(std::filesystem::file_size(dir + "/journal.jsonl"));
    create = fs->Create(Namespace::kRootIno, "after.txt", 0644, kUser, &st);
    mkdir = fs->Mkdir(Namespace::kRootIno, "after-dir", 0755, kUser, &st);
    symlink = fs->Symlink(Namespace::kRootIno, "after-link", "kept", kUser, &st);
    link = fs->Link(kept.st_ino, Namespace::kRootIno, "after-hard", &st);
  }
  EXPECT_LT(create, 0);
  EXPECT_LT(mkdir, 0);
  EXPECT_LT(symlink, 0);
  EXPECT_LT(link, 0);
  const auto names = List(*fs, Namespace::kRootIno);
  for (const char* name : {"after.txt", "after-dir", "after-link", "after-hard"}) {
    EXPECT_EQ(std::count(names.begin(), names.end(), name), 0) << name << " listed";
    EXPECT_EQ(-ENOENT, fs->Lookup(Namespace::kRootIno, name, &st)) << name;
  }
  ASSERT_EQ(0, fs->GetAttr(kept.st_ino, &st));
  EXPECT_EQ(st.st_nlink, 1u);
  // With room again, the same names can be created.
  EXPECT_EQ(0, fs->Create(Namespace::kRootIno, "after.txt", 0644, kUser, &st));
  EXPECT_EQ(0, fs->Mkdir(Namespace::kRootIno, "after-dir", 0755, kUser, &st));
  // The disk full in the middle of a line: the half line is cut off, so the next line
  // starts where it did and a remount replays the journal (a half line followed by
  // others would be refused as corrupt).
  const auto size = std::filesystem::file_size(dir + "/journal.jsonl");
  {
    const FileSizeCap full(size + 16);
    EXPECT_LT(fs->Create(Namespace::kRootIno, "cut", 0644, kUser, &st), 0);
  }
  EXPECT_EQ(std::filesystem::file_size(dir + "/journal.jsonl"), size);
  ASSERT_EQ(0, fs->Create(Namespace::kRootIno, "after-cut", 0644, kUser, &st));
  fs.reset();
  fs = MountDir(dir);
  ASSERT_NE(fs, nullptr);
  EXPECT_EQ(0, fs->Lookup(Namespace::kRootIno, "after.txt", &st));
  EXPECT_EQ(0, fs->Lookup(Namespace::kRootIno, "after-cut", &st));
  EXPECT_EQ(-ENOENT, fs->Lookup(Namespace::kRootIno, "cut", &st));
  fs.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sfsg
