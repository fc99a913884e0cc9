// Special files in the overlay (FIFOs, sockets, device nodes): what ShadowFs::Mknod makes,
// how the other operations treat them, and their journal records in dir mode.
// (tests/stress/conformance.sh compares them with tmpfs through a real mount.)
#include <fuse_lowlevel.h>
#include <gtest/gtest.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "fuse/shadow_fs.h"
#include "fuse/shadow_fs_testing.h"

namespace sfsg {
namespace {

using testing::FreshDir;
using testing::kUser;
using testing::MakeFs;

constexpr uint64_t kRoot = Namespace::kRootIno;

struct Made {
  const char* name;
  uint32_t type;
  uint64_t rdev;
};
const Made kSpecials[] = {{"fifo", S_IFIFO, 0},
                          {"sock", S_IFSOCK, 0},
                          {"chr", S_IFCHR, makedev(1, 3)},
                          {"blk", S_IFBLK, makedev(7, 300)}};

TEST(SpecialFiles, MknodMakesEachTypeWithModeOwnerAndDevice) {
  auto fs = MakeFs(MakeMemoryStore(0));
  for (const Made& m : kSpecials) {
    struct stat st;
    ASSERT_EQ(0, fs->Mknod(kRoot, m.name, m.type | 0640, m.rdev, kUser, &st)) << m.name;
    EXPECT_EQ(st.st_mode, m.type | 0640) << m.name;
    EXPECT_EQ(st.st_rdev, m.rdev) << m.name;
    EXPECT_EQ(st.st_uid, kUser.uid);
    EXPECT_EQ(st.st_gid, kUser.gid);
    EXPECT_EQ(st.st_nlink, 1u);
    EXPECT_EQ(st.st_size, 0);
    EXPECT_EQ(st.st_blocks, 0);
    struct stat again;
    ASSERT_EQ(0, fs->Lookup(kRoot, m.name, &again));
    EXPECT_EQ(again.st_ino, st.st_ino);
    EXPECT_EQ(again.st_mode, st.st_mode);
  }
  // A FIFO or socket keeps no device number, as the kernel's own filesystems.
  struct stat st;
  ASSERT_EQ(0, fs->Mknod(kRoot, "fifo_rdev", S_IFIFO | 0600, makedev(5, 5), kUser, &st));
  EXPECT_EQ(st.st_rdev, 0u);
  // mknod(2) with type 0 or S_IFREG makes a regular file.
  ASSERT_EQ(0, fs->Mknod(kRoot, "plain", 0644, 0, kUser, &st));
  EXPECT_EQ(st.st_mode, S_IFREG | 0644);
  ASSERT_EQ(0, fs->Mknod(kRoot, "plain2", S_IFREG | 0600, 0, kUser, &st));
  EXPECT_EQ(st.st_mode, S_IFREG | 0600);
  // The listing carries each type (d_type comes from st_mode).
  std::map<std::string, uint32_t> types;
  fs->ReadDir(kRoot, 0, [&](std::string_view name, const struct stat& s, uint64_t) {
    types[std::string(name)] = s.st_mode & S_IFMT;
    return true;
  });
  for (const Made& m : kSpecials) EXPECT_EQ(types[m.name], m.type) << m.name;
}

TEST(SpecialFiles, BadMknodChangesNothing) {
  auto fs = MakeFs(MakeMemoryStore(0));
  struct stat st;
  EXPECT_EQ(-EPERM, fs->Mknod(kRoot, "dir", S_IFDIR | 0755, 0, kUser, &st));
  EXPECT_EQ(-EINVAL, fs->Mknod(kRoot, "bogus", 0170000 | 0644, 0, kUser, &st));
  EXPECT_EQ(-EINVAL, fs->Mknod(kRoot, "bogus2", 0030000 | 0644, 0, kUser, &st));
  EXPECT_EQ(-ENOENT, fs->Lookup(kRoot, "dir", &st));
  EXPECT_EQ(-ENOENT, fs->Lookup(kRoot, "bogus", &st));
  ASSERT_EQ(0, fs->Mknod(kRoot, "fifo", S_IFIFO | 0644, 0, kUser, &st));
  EXPECT_EQ(-EEXIST, fs->Mknod(kRoot, "fifo", S_IFSOCK | 0644, 0, kUser, &st));
  EXPECT_EQ(-ENAMETOOLONG, fs->Mknod(kRoot, std::string(256, 'n'), S_IFIFO, 0, kUser, &st));
  EXPECT_EQ(-ENOTDIR, fs->Mknod(st.st_ino, "x", S_IFIFO, 0, kUser, &st));
}

TEST(SpecialFiles, LinkRenameChmodUnlinkAndNoData) {
  auto fs = MakeFs(MakeMemoryStore(0));
  struct stat dir, st;
  ASSERT_EQ(0, fs->Mkdir(kRoot, "d", 0755, kUser, &dir));
  for (const Made& m : kSpecials) {
    ASSERT_EQ(0, fs->Mknod(dir.st_ino, m.name, m.type | 0600, m.rdev, kUser, &st));
    const uint64_t ino = st.st_ino;
    const std::string other = std::string(m.name) + "_link";
    ASSERT_EQ(0, fs->Link(ino, dir.st_ino, other, &st));
    EXPECT_EQ(st.st_nlink, 2u);
    EXPECT_EQ(st.st_mode, m.type | 0600);
    struct stat attr {};
    attr.st_mode = 0751;
    attr.st_uid = 7;
    ASSERT_EQ(0, fs->SetAttr(ino, attr, FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID, &st));
    EXPECT_EQ(st.st_mode, m.type | 0751) << "chmod keeps the type";
    EXPECT_EQ(st.st_uid, 7u);
    EXPECT_EQ(st.st_rdev, m.rdev);
    attr.st_size = 10;
    EXPECT_EQ(-EINVAL, fs->SetAttr(ino, attr, FUSE_SET_ATTR_SIZE, &st));
    size_t done = 0;
    std::byte byte{};
    EXPECT_EQ(-EINVAL, fs->Write(ino, 0, {&byte, 1}, &done));
    EXPECT_EQ(-EINVAL, fs->Read(ino, 0, {&byte, 1}, &done));
    const std::string moved = std::string(m.name) + "_moved";
    ASSERT_EQ(0, fs->Rename(dir.st_ino, m.name, kRoot, moved, 0));
    ASSERT_EQ(0, fs->Lookup(kRoot, moved, &st));
    EXPECT_EQ(st.st_ino, ino);
    ASSERT_EQ(0, fs->Unlink(kRoot, moved));
    ASSERT_EQ(0, fs->Lookup(dir.st_ino, other, &st));
    EXPECT_EQ(st.st_nlink, 1u);
    ASSERT_EQ(0, fs->Unlink(dir.st_ino, other));
    EXPECT_EQ(-ENOENT, fs->GetAttr(ino, &st));
  }
  EXPECT_EQ(0, fs->Rmdir(kRoot, "d"));
}

TEST(SpecialFiles, DirModeJournalsThemAcrossARemount) {
  const std::string dir = FreshDir("special-overlay");
  std::map<std::string, struct stat> before;
  {
    auto fs = MakeFs(std::move(*MakeDirStore(dir, 0)), dir);
    struct stat st;
    for (const Made& m : kSpecials) {
      ASSERT_EQ(0, fs->Mknod(kRoot, m.name, m.type | 0604, m.rdev, kUser, &st));
      before[m.name] = st;
    }
    ASSERT_EQ(0, fs->Link(before["fifo"].st_ino, kRoot, "fifo2", &st));
    ASSERT_EQ(0, fs->Rename(kRoot, "sock", kRoot, "sock2", 0));
    ASSERT_EQ(0, fs->Mknod(kRoot, "gone", S_IFCHR | 0600, makedev(4, 4), kUser, &st));
    ASSERT_EQ(0, fs->Unlink(kRoot, "gone"));
  }
  auto fs = MakeFs(std::move(*MakeDirStore(dir, 0)), dir);
  ASSERT_NE(fs, nullptr);
  for (const Made& m : kSpecials) {
    const std::string name = std::string(m.name) == "sock" ? "sock2" : m.name;
    struct stat st;
    ASSERT_EQ(0, fs->Lookup(kRoot, name, &st)) << name;
    EXPECT_EQ(st.st_ino, before[m.name].st_ino);
    EXPECT_EQ(st.st_mode, m.type | 0604);
    EXPECT_EQ(st.st_rdev, m.rdev);
    EXPECT_EQ(st.st_uid, kUser.uid);
    EXPECT_EQ(st.st_nlink, std::string(m.name) == "fifo" ? 2u : 1u);
    EXPECT_EQ(st.st_mtim.tv_nsec, before[m.name].st_mtim.tv_nsec);
  }
  struct stat st;
  EXPECT_EQ(-ENOENT, fs->Lookup(kRoot, "sock", &st));
  EXPECT_EQ(-ENOENT, fs->Lookup(kRoot, "gone", &st));
  fs.reset();
  std::filesystem::remove_all(dir);
}

TEST(SpecialFiles, AJournalWithABadTypeIsRefusedNamingTheInode) {
  const std::string dir = FreshDir("special-bad");
  {
    auto fs = MakeFs(std::move(*MakeDirStore(dir, 0)), dir);
    struct stat st;
    ASSERT_EQ(0, fs->Mknod(kRoot, "fifo", S_IFIFO | 0600, 0, kUser, &st));
  }
  std::ifstream in(dir + "/journal.jsonl");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string fifo = "\"type\":" + std::to_string(S_IFIFO);
  const auto at = all.find(fifo);
  ASSERT_NE(at, std::string::npos) << all;
  all.replace(at, fifo.size(), "\"type\":" + std::to_string(S_IFDIR));
  std::ofstream(dir + "/journal.jsonl", std::ios::trunc) << all;
  auto ns = Namespace::Create(DefaultProfile(), {.seed = 5, .files = 3000, .dirs = 100});
  ShadowConfig config;
  config.overlay_dir = dir;
  auto fs = ShadowFs::Create(std::move(*ns), std::move(*MakeDirStore(dir, 0)), config);
  ASSERT_FALSE(fs.ok());
  EXPECT_NE(fs.error().message.find("bad special file type for inode"), std::string::npos)
      << fs.error().message;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sfsg
