// ScanTree: pattern extraction. Walks a real directory tree and returns its Profile.
//
// The walk is parallel: worker threads share a stack of directories; each opens its
// directory (O_NOFOLLOW), lists it and statx()es every entry relative to the directory
// fd with AT_SYMLINK_NOFOLLOW, so a symlink is counted, never followed. By default the
// walk stays on the filesystem of PATH (a mount point below it is left out entirely, as
// `find -xdev` leaves out its content). What cannot be read (a directory that will not
// open, an entry that vanished, a sampled file that will not read) is skipped and
// counted in Profile::source.skipped; a directory that will not open still counts as a
// directory, with no entries.
//
// After the walk, a bounded content sample (stratified by extension: every top-K
// extension and the pooled rest get an equal share of the sample count, and the byte
// budget is spent round-robin across them) is read and measured with ContentMeter.
//
// Privacy: the returned Profile holds statistics only. Names are reduced to their
// lengths and their extensions; an extension is kept only when it is short
// (kMaxExtensionLength), made of [a-z0-9_+-] after lowercasing, and among the top-K;
// everything else is pooled as "*". Content bytes are measured, never kept.
//
// Thread-safety: ScanTree is reentrant; it starts and joins its own threads. The
// progress callback runs on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "generator/profile.h"
#include "generator/util/status.h"

namespace sfsg {

struct ScanProgress {
  const char* phase = "walk";  // "walk", then "content"
  uint64_t dirs = 0;
  uint64_t entries = 0;  // non-directory entries
  double bytes = 0;      // regular file bytes seen (walk) or sampled bytes read (content)
  uint64_t skipped = 0;
  double seconds = 0;
  bool done = false;  // the last call of a phase
};

struct ScanOptions {
  bool one_file_system = true;  // false: descend into other filesystems mounted below PATH
  int threads = 0;              // walk and sampling threads; 0 = max(4, 2 x cores)
  // Content sample: at most this many files and bytes. 0 files = no sampling (the
  // profile then carries the built-in content figures with sampled_files = 0).
  uint64_t sample_files = 2000;
  uint64_t sample_bytes = uint64_t{256} << 20;
  // Bytes read from the start of one sampled file; 0 = derived from the two above
  // (2 x sample_bytes / sample_files, clamped to [128 KiB, 64 MiB]), and then the
  // budget those reads leave lengthens the cut ones, up to 64 MiB each.
  uint64_t sample_file_bytes = 0;
  size_t top_extensions = 32;  // K; the rest pooled as "*"
  // Called about every progress_interval_s, and once at the end of each phase.
  std::function<void(const ScanProgress&)> progress;
  double progress_interval_s = 0.5;
};

// Scans the tree at `path`. Errors: kIo when PATH cannot be opened as a directory;
// kUsage for options out of range (threads > 1024, top_extensions 0 or > 10000).
Result<Profile> ScanTree(const std::string& path, const ScanOptions& options);

// The extension a file name contributes ("" for none, "*" when it is not keepable):
// the lowercased text after the last dot, when the name does not start with that dot.
// Exposed for the tests (they must be able to tell extensions from names).
std::string ExtensionOfName(std::string_view name);

}  // namespace sfsg
