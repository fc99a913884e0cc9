// WalkTree: the parallel directory walk behind ScanTree (see scanner.h for the rules it
// follows: statx relative to the directory fd, no symlink followed, one filesystem by
// default, unreadable entries counted as skipped).
//
// Internal to sfsg_scan. Workers share a LIFO stack of directory paths (depth-first, so
// the stack stays small) under one mutex taken once per directory; each worker fills
// its own ScanStats, merged at the end. Progress is reported on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "generator/scan/scan_stats.h"
#include "generator/scan/scanner.h"
#include "generator/util/status.h"

namespace sfsg::scan {

struct WalkConfig {
  std::string root;  // a directory; may itself be a symlink to one (followed once)
  bool one_file_system = true;
  int threads = 4;
  double scan_time_unix = 0;   // the age reference
  size_t sample_capacity = 0;  // content-sample candidates kept per extension
  std::function<void(const ScanProgress&)> progress;
  double progress_interval_s = 0.5;
};

// Walks the tree. Errors: kIo when the root cannot be opened as a directory.
Result<ScanStats> WalkTree(const WalkConfig& config);

// "dir" + "/" + "name", without doubling the slash of "/".
std::string JoinPath(const std::string& dir, std::string_view name);

}  // namespace sfsg::scan
