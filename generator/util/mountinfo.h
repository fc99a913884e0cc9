// The mount table of a mount namespace, as /proc/<pid>/mountinfo gives it (shared by
// the scanner, the meter and the mount's private view).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sfsg {

struct MountInfo {
  uint64_t id = 0;          // the kernel's mount ID
  std::string devno;        // "major:minor"
  std::string mount_point;  // unescaped
  std::string fs_type;      // "" when the line has no " - " part
  std::string source;       // unescaped
};

// The lines of `file` in order (a mount comes after the one it is mounted on; later
// lines over the same mount point are mounts stacked on top). Empty when unreadable.
std::vector<MountInfo> ReadMountInfo(const std::string& file = "/proc/self/mountinfo");

// Whether `path` is `dir` or lies below it ("/" holds every absolute path).
bool PathWithin(const std::string& dir, const std::string& path);

}  // namespace sfsg
