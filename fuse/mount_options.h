// Command-line options of sfsg-mount, parsed once in main into a plain struct.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "generator/util/status.h"

namespace sfsg {

struct MountOptions {
  std::string mountpoint;
  std::string profile_path;  // "" or "builtin": the built-in profile
  uint64_t seed = 1;
  double scale = 1.0;
  uint64_t files = 0, dirs = 0, bytes = 0;  // 0: from scale
  uint64_t capacity_bytes = 0;              // 0: the profile's source capacity x scale
  std::string writes = "memory";            // discard | memory[:LIMIT] | dir:PATH[:LIMIT]
  bool foreground = false;
  bool debug = false;
  bool kernel_cache = false;
  bool allow_other = false;
  bool read_only = false;
  unsigned threads = 4;
  double entry_timeout_s = 3600;
  std::string log_level = "info";
  std::vector<std::string> fuse_options;  // passed through to libfuse (-o)
  bool help = false, version = false;
};

// Parses argv (including "-o a=b,c" in the mount-helper style). Errors: kUsage.
Result<MountOptions> ParseMountOptions(int argc, char** argv, std::string* help_text);

}  // namespace sfsg
