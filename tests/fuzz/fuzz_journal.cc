// libFuzzer target: the dir-mode overlay journal. The input is the journal after its
// header line: each line one JSON array of records ("node", "dirent", "blocks", "drop",
// "free", ...). It goes through DecodeJournalRecord (per record) and through a whole remount
// (Journal::Open + ShadowFs replay) of a small shadow, which is then listed, stat'ed
// and read. A corrupt journal must give an error (kBadInput), never a crash, an
// uncaught exception or a hang.
//
// The overlay lives in a private directory under /dev/shm (fsync is free there).
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "fuse/block_store.h"
#include "fuse/overlay.h"
#include "fuse/shadow_fs.h"
#include "generator/namespace.h"
#include "generator/profile.h"

namespace {

std::string g_dir;
std::string g_header;  // the first line a journal of this shadow starts with

std::unique_ptr<sfsg::Namespace> SmallNamespace() {
  sfsg::NamespaceOptions options;
  options.files = 100;
  auto ns = sfsg::Namespace::Create(sfsg::DefaultProfile(), options);
  if (!ns) std::abort();
  return std::move(*ns);
}

sfsg::Result<std::unique_ptr<sfsg::ShadowFs>> Mount() {
  auto store = sfsg::MakeDirStore(g_dir, 0);
  if (!store) std::abort();
  sfsg::ShadowConfig config;
  config.writes = "dir:" + g_dir;
  config.overlay_dir = g_dir;
  return sfsg::ShadowFs::Create(SmallNamespace(), std::move(*store), config);
}

void Clear() {
  std::error_code ignored;
  std::filesystem::remove_all(g_dir + "/data", ignored);
  std::filesystem::remove(g_dir + "/journal.jsonl", ignored);
}

// Lists every directory reachable from the root (bounded), stats and reads entries.
void Walk(const sfsg::ShadowFs& fs) {
  std::vector<std::byte> buffer(16384);
  std::vector<uint64_t> dirs = {sfsg::Namespace::kRootIno};
  for (size_t i = 0; i < dirs.size() && i < 64; ++i) {
    fs.ReadDir(dirs[i], 0, [&](std::string_view name, const struct stat& st, uint64_t) {
      if (name == "." || name == ".." || name == ".sfsg") return true;
      struct stat again;
      fs.GetAttr(st.st_ino, &again);
      struct stat looked;
      fs.Lookup(dirs[i], name, &looked);
      if (S_ISDIR(st.st_mode)) dirs.push_back(st.st_ino);
      if (S_ISREG(st.st_mode)) {
        size_t done = 0;
        fs.Read(st.st_ino, 0, buffer, &done);
        if (st.st_size > 8192) fs.Read(st.st_ino, st.st_size - 8192, buffer, &done);
      }
      if (S_ISLNK(st.st_mode)) {
        std::string target;
        fs.ReadLink(st.st_ino, &target);
      }
      return dirs.size() < 256;
    });
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char pattern[] = "/dev/shm/sfsg-fuzz-journal.XXXXXX";
  if (!mkdtemp(pattern)) std::abort();
  g_dir = pattern;
  {
    auto fs = Mount();  // writes the header of an empty journal
    if (!fs) std::abort();
  }
  auto text = sfsg::ReadTextFile(g_dir + "/journal.jsonl");
  if (!text || text->empty()) std::abort();
  g_header = text->substr(0, text->find('\n') + 1);
  std::atexit([] {
    std::error_code ignored;
    std::filesystem::remove_all(g_dir, ignored);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  // Record by record, as replay sees them.
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('\n', start);
    if (end == std::string::npos) end = body.size();
    const sfsg::Json line = sfsg::Json::parse(body.substr(start, end - start), nullptr, false);
    if (line.is_array())
      for (const sfsg::Json& record : line) (void)sfsg::DecodeJournalRecord(record);
    start = end + 1;
  }
  // A whole remount.
  Clear();
  const std::string journal = g_header + body;
  const int fd = ::open((g_dir + "/journal.jsonl").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || ::write(fd, journal.data(), journal.size()) != static_cast<ssize_t>(journal.size()))
    std::abort();
  ::close(fd);
  auto fs = Mount();
  if (fs) Walk(**fs);
  return 0;
}
