// Metering: sampling the usage of a real tree, the built-in source of usage series for
// users with none. sfsg-meter and the forecaster's --watch DIR both call TakeSample, so
// one path gives the same numbers from either.
//
// What a sample measures depends on the path:
//   - the mount point of its filesystem, or not a directory: the filesystem, as df(1)
//     reports it: used = (f_blocks - f_bfree) x f_frsize, capacity = used + f_bavail x
//     f_frsize (blocks reserved for root are not available to users), files = f_files -
//     f_ffree, capacity_files = f_files;
//   - a directory below its mount point: that tree, walked (MeterTree: its non-directory
//     entries and their bytes, never their names), with the filesystem's available
//     space as its room to grow: capacity = used + f_bavail x f_frsize, capacity_files =
//     files + f_favail. The walk stays on the tree's filesystem and costs one stat per
//     entry.
// Both carry the cumulative I/O counters of the block device backing the mount, from
// /proc/diskstats. The device is the mount's major:minor in /proc/self/mountinfo (the
// longest mount point containing the path), or, when that is not a block device (btrfs,
// device-mapper views), the device node named as the mount's source. Filesystems with no
// block device (tmpfs, FUSE, NFS) leave the I/O columns empty.
//
// Rows go to the usage CSV that series.h reads:
//   timestamp,used_bytes,capacity_bytes,files,read_ops,write_ops,read_bytes,write_bytes,
//   capacity_files,read_time_ms,write_time_ms,io_time_ms,io_weighted_ms
// (the last five were added later; a file with the first eight only is continued as it is).
// Functions are thread-compatible (no shared state) and do a few small reads each, but
// for a tree's walk.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "generator/util/status.h"

namespace sfsg {

struct DiskCounters {
  uint64_t read_ops = 0, write_ops = 0;      // completed requests
  uint64_t read_bytes = 0, write_bytes = 0;  // sectors x 512
  // Cumulative milliseconds, /proc/diskstats fields 7, 11, 13 and 14: reading, writing,
  // with any I/O in flight, and weighted by the number in flight.
  uint64_t read_time_ms = 0, write_time_ms = 0, io_time_ms = 0, io_weighted_ms = 0;
};

struct MeterSource {
  std::string path;  // as given
  std::string mount_point;
  std::string fs_type;
  std::string device;  // diskstats name ("vda", "nvme0n1p2"); empty: none
  unsigned major = 0, minor = 0;
  bool tree = false;  // a directory below mount_point: metered by walking it
};

struct MeterSample {
  double time_s = 0;  // unix seconds
  uint64_t used_bytes = 0, capacity_bytes = 0, files = 0, capacity_files = 0;
  std::optional<DiskCounters> disk;
};

// The counts of a real tree: non-directory entries, the bytes of its regular files, and
// the entries that could not be read. Names are never kept.
struct TreeUsage {
  uint64_t entries = 0, bytes = 0, unreadable = 0;
};

// Walks the tree at dir (not following symlinks, not crossing mounts). Errors: kIo (dir
// cannot be walked).
Result<TreeUsage> MeterTree(const std::string& dir);

// Finds the mount and the device behind path. Errors: kIo (path missing, /proc unreadable).
Result<MeterSource> ResolveMeterSource(const std::string& path);

// Samples the source now (see the top of this file for what it measures). Errors: kIo.
Result<MeterSample> TakeSample(const MeterSource& source);

// The CSV header line (with '\n') and one row for a sample; empty cells for no device.
// `legacy`: the first eight columns only (for a file begun with that header).
std::string MeterCsvHeader(bool legacy = false);
std::string MeterCsvRow(const MeterSample& sample, bool legacy = false);

// How rows reach an --out target: appended to a regular file (checked and reopened per
// sample), or written through a stream opened once for the run (a FIFO, a character
// device such as /dev/stdout or /dev/null, a socket), header first, never read.
enum class MeterOutputKind { kFile, kStream };

// Classifies csv_path without opening it (a missing path is a new file). Errors: kIo for
// a directory, a block device or anything else that cannot take CSV rows.
Result<MeterOutputKind> ClassifyMeterOutput(const std::string& csv_path);

// Appends a row to csv_path, writing the header first when the file is new, empty or
// holds only comments. Leading lines starting with '#' are comments: skipped when
// looking for the header, and kept. A file whose last line is unterminated gets the
// newline first, so no row is ever glued onto another; a file with CRLF line endings is
// continued with CRLF. Reads at most the first 1 MiB and the last byte. Errors: kIo
// (cannot open or write, not a regular file); kBadInput when an existing file has a
// different header (its first line that is not a comment) or none in its first 1 MiB.
// A file whose header has the first eight columns only gets rows of those columns.
Status AppendMeterSample(const std::string& csv_path, const MeterSample& sample);

}  // namespace sfsg
