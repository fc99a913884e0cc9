#include "generator/util/mountinfo.h"

#include <fstream>
#include <sstream>

namespace sfsg {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const std::string digits = s.substr(i + 1, 3);
      if (digits.find_first_not_of("01234567") == std::string::npos) {
        out += static_cast<char>(std::stoi(digits, nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

}  // namespace

std::vector<MountInfo> ReadMountInfo(const std::string& file) {
  std::vector<MountInfo> mounts;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    // id parent major:minor root mount_point options [optional...] - type source super
    std::istringstream fields(line);
    std::string id, parent, root, mount_point;
    MountInfo m;
    if (!(fields >> id >> parent >> m.devno >> root >> mount_point)) continue;
    m.id = std::strtoull(id.c_str(), nullptr, 10);
    m.mount_point = Unescape(mount_point);
    if (const size_t dash = line.find(" - "); dash != std::string::npos) {
      std::istringstream tail(line.substr(dash + 3));
      std::string source;
      tail >> m.fs_type >> source;
      m.source = Unescape(source);
    }
    mounts.push_back(std::move(m));
  }
  return mounts;
}

bool PathWithin(const std::string& dir, const std::string& path) {
  if (dir == "/") return path.starts_with('/');
  return path.compare(0, dir.size(), dir) == 0 &&
         (path.size() == dir.size() || path[dir.size()] == '/');
}

}  // namespace sfsg
