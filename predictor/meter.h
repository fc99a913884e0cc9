// Metering a real mount: the built-in source of usage series for users with none.
//
// A sample is statvfs(2) of the path (used bytes = (blocks - free blocks) x fragment size,
// capacity, used inodes) plus the cumulative I/O counters of the block device backing the
// mount, from /proc/diskstats. The device is the mount's major:minor in
// /proc/self/mountinfo (the longest mount point containing the path), or, when that is
// not a block device (btrfs, device-mapper views), the device node named as the mount's
// source. Filesystems with no block device (tmpfs, FUSE, NFS) leave the I/O columns empty.
//
// Rows go to the usage CSV that series.h reads:
//   timestamp,used_bytes,capacity_bytes,files,read_ops,write_ops,read_bytes,write_bytes
// Functions are thread-compatible (no shared state) and do a few small reads each.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "generator/util/status.h"

namespace sfsg {

struct DiskCounters {
  uint64_t read_ops = 0, write_ops = 0;      // completed requests
  uint64_t read_bytes = 0, write_bytes = 0;  // sectors x 512
};

struct MeterSource {
  std::string path;  // as given
  std::string mount_point;
  std::string fs_type;
  std::string device;  // diskstats name ("vda", "nvme0n1p2"); empty: none
  unsigned major = 0, minor = 0;
};

struct MeterSample {
  double time_s = 0;  // unix seconds
  uint64_t used_bytes = 0, capacity_bytes = 0, files = 0;
  std::optional<DiskCounters> disk;
};

// Finds the mount and the device behind path. Errors: kIo (path missing, /proc unreadable).
Result<MeterSource> ResolveMeterSource(const std::string& path);

// Reads statvfs and the device counters now. Errors: kIo.
Result<MeterSample> TakeSample(const MeterSource& source);

// The CSV header line (with '\n') and one row for a sample; empty cells for no device.
std::string MeterCsvHeader();
std::string MeterCsvRow(const MeterSample& sample);

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
Status AppendMeterSample(const std::string& csv_path, const MeterSample& sample);

}  // namespace sfsg
