// libFuzzer target: profile JSON (ProfileFromJson), then the models built from any
// profile it accepts. An accepted profile must survive its own serialisation and give
// a namespace and content that can be walked without a crash, a hang or UB.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "generator/content_model.h"
#include "generator/namespace.h"
#include "generator/profile.h"

namespace {

// Lists the root and a few directories below it, stats and reads what it meets.
void Walk(const sfsg::Namespace& ns, const sfsg::ContentModel& content) {
  std::vector<std::byte> buffer(8192);
  std::vector<uint64_t> dirs = {sfsg::Namespace::kRootIno};
  for (size_t visited = 0; visited < dirs.size() && visited < 8; ++visited) {
    ns.ListChildren(dirs[visited], 0, [&](const sfsg::DirEntryView& e) {
      const auto found = ns.Lookup(dirs[visited], e.name);
      if (!found || found->ino != e.attr.ino) std::abort();  // listing and lookup disagree
      if (e.attr.kind == sfsg::NodeKind::kDirectory) dirs.push_back(e.attr.ino);
      if (e.attr.kind == sfsg::NodeKind::kSymlink && !ns.ReadLink(e.attr.ino)) std::abort();
      if (e.attr.kind == sfsg::NodeKind::kFile) {
        const uint64_t offset = e.attr.size_bytes > 5000 ? e.attr.size_bytes - 5000 : 0;
        content.Fill(e.attr.content_class, e.attr.file_index, offset, buffer);
      }
      return dirs.size() < 64;
    });
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The same path as the commands: text -> ParseJsonText -> the typed reader.
  auto json =
      sfsg::ParseJsonText(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.json");
  if (!json) return 0;
  auto profile = sfsg::ProfileFromJson(*json, "fuzz.json");
  if (!profile) return 0;
  // What we accept we must be able to write and read back.
  auto again = sfsg::ProfileFromJson(sfsg::ProfileToJson(*profile), "roundtrip.json");
  if (!again) std::abort();
  sfsg::NamespaceOptions options;
  options.files = 300;
  auto ns = sfsg::Namespace::Create(*profile, options);
  if (!ns) return 0;
  const sfsg::ContentModel content((*ns)->profile(), (*ns)->seed());
  Walk(**ns, content);
  return 0;
}
