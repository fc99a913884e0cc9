#include "predictor/meter.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <vector>

#include "generator/util/mountinfo.h"

namespace sfsg {
namespace {

std::optional<DiskCounters> ReadDiskstats(unsigned major, unsigned minor, std::string* name) {
  std::ifstream in("/proc/diskstats");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    unsigned ma = 0, mi = 0;
    std::string dev;
    // Fields 4 to 14 (1-based); the time counters are 7, 11, 13 and 14.
    uint64_t reads = 0, reads_merged = 0, sectors_read = 0, ms_reading = 0, writes = 0,
             writes_merged = 0, sectors_written = 0, ms_writing = 0, in_flight = 0, ms_io = 0,
             ms_weighted = 0;
    if (!(fields >> ma >> mi >> dev >> reads >> reads_merged >> sectors_read >> ms_reading >>
          writes >> writes_merged >> sectors_written >> ms_writing >> in_flight >> ms_io >>
          ms_weighted))
      continue;
    if (ma != major || mi != minor) continue;
    if (name) *name = dev;
    return DiskCounters{reads,      writes, sectors_read * 512, sectors_written * 512, ms_reading,
                        ms_writing, ms_io,  ms_weighted};
  }
  return std::nullopt;
}

// nftw(3) takes a plain function: the walk in progress counts into this thread's tree.
thread_local TreeUsage* walk_usage = nullptr;

int CountEntry(const char*, const struct stat* st, int type, struct FTW*) {
  if (type == FTW_DNR || type == FTW_NS) {
    ++walk_usage->unreadable;
  } else if (type == FTW_F || type == FTW_SL) {
    ++walk_usage->entries;
    if (S_ISREG(st->st_mode)) walk_usage->bytes += static_cast<uint64_t>(st->st_size);
  }
  return 0;
}

}  // namespace

Result<TreeUsage> MeterTree(const std::string& dir) {
  TreeUsage usage;
  walk_usage = &usage;
  const int rc = ::nftw(dir.c_str(), CountEntry, 64, FTW_PHYS | FTW_MOUNT);
  walk_usage = nullptr;
  if (rc != 0) return Error::Io(dir + ": cannot walk it");
  return usage;
}

Result<MeterSource> ResolveMeterSource(const std::string& path) {
  char resolved[PATH_MAX];
  if (!realpath(path.c_str(), resolved)) return Error::Io(path + ": " + std::strerror(errno));
  const std::string real = resolved;
  const std::vector<MountInfo> mounts = ReadMountInfo();
  if (mounts.empty()) return Error::Io("/proc/self/mountinfo: cannot read");
  MeterSource source;
  source.path = path;
  std::string mount_source;
  for (const MountInfo& m : mounts) {
    if (m.fs_type.empty() || !PathWithin(m.mount_point, real) ||
        m.mount_point.size() < source.mount_point.size())
      continue;
    unsigned major = 0, minor = 0;
    if (std::sscanf(m.devno.c_str(), "%u:%u", &major, &minor) != 2) continue;
    // Later lines over the same mount point are mounts stacked on top: they win.
    source.mount_point = m.mount_point;
    source.fs_type = m.fs_type;
    source.major = major;
    source.minor = minor;
    mount_source = m.source;
  }
  if (source.mount_point.empty())
    return Error::Io(path + ": no mount found in /proc/self/mountinfo");
  struct stat path_st;
  source.tree =
      real != source.mount_point && ::stat(real.c_str(), &path_st) == 0 && S_ISDIR(path_st.st_mode);
  if (!ReadDiskstats(source.major, source.minor, &source.device)) {
    struct stat st;
    if (mount_source.rfind("/dev/", 0) == 0 && stat(mount_source.c_str(), &st) == 0 &&
        S_ISBLK(st.st_mode) &&
        ReadDiskstats(major(st.st_rdev), minor(st.st_rdev), &source.device)) {
      source.major = major(st.st_rdev);
      source.minor = minor(st.st_rdev);
    } else {
      source.device.clear();
    }
  }
  return source;
}

Result<MeterSample> TakeSample(const MeterSource& source) {
  struct statvfs vfs;
  if (statvfs(source.path.c_str(), &vfs) != 0)
    return Error::Io(source.path + ": statvfs: " + std::strerror(errno));
  MeterSample sample;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  sample.time_s = static_cast<double>(now.tv_sec) + now.tv_nsec * 1e-9;
  const uint64_t fragment = vfs.f_frsize ? vfs.f_frsize : vfs.f_bsize;
  const uint64_t available_bytes = static_cast<uint64_t>(vfs.f_bavail) * fragment;
  if (source.tree) {
    auto tree = MeterTree(source.path);
    if (!tree) return tree.error();
    sample.used_bytes = tree->bytes;
    sample.files = tree->entries;
    sample.capacity_files = tree->entries + static_cast<uint64_t>(vfs.f_favail);
  } else {
    sample.used_bytes = static_cast<uint64_t>(vfs.f_blocks - vfs.f_bfree) * fragment;
    sample.files = vfs.f_files >= vfs.f_ffree ? vfs.f_files - vfs.f_ffree : 0;
    sample.capacity_files = vfs.f_files;
  }
  sample.capacity_bytes = sample.used_bytes + available_bytes;
  if (!source.device.empty()) {
    std::string name;
    sample.disk = ReadDiskstats(source.major, source.minor, &name);
    if (!sample.disk) return Error::Io("/proc/diskstats: device " + source.device + " vanished");
  }
  return sample;
}

std::string MeterCsvHeader(bool legacy) {
  std::string header =
      "timestamp,used_bytes,capacity_bytes,files,read_ops,write_ops,read_bytes,write_bytes";
  if (!legacy) header += ",capacity_files,read_time_ms,write_time_ms,io_time_ms,io_weighted_ms";
  return header + "\n";
}

std::string MeterCsvRow(const MeterSample& s, bool legacy) {
  char buf[512];
  size_t n =
      static_cast<size_t>(std::snprintf(buf, sizeof(buf), "%.3f,%" PRIu64 ",%" PRIu64 ",%" PRIu64,
                                        s.time_s, s.used_bytes, s.capacity_bytes, s.files));
  auto put = [&](const char* format, auto... values) {
    n += static_cast<size_t>(std::snprintf(buf + n, sizeof(buf) - n, format, values...));
  };
  if (s.disk)
    put(",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64, s.disk->read_ops, s.disk->write_ops,
        s.disk->read_bytes, s.disk->write_bytes);
  else
    put("%s", ",,,,");
  if (!legacy) {
    put(",%" PRIu64, s.capacity_files);
    if (s.disk)
      put(",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64, s.disk->read_time_ms,
          s.disk->write_time_ms, s.disk->io_time_ms, s.disk->io_weighted_ms);
    else
      put("%s", ",,,,");
  }
  put("%s", "\n");
  return buf;
}

Result<MeterOutputKind> ClassifyMeterOutput(const std::string& csv_path) {
  struct stat st;
  if (::stat(csv_path.c_str(), &st) != 0) {
    if (errno == ENOENT) return MeterOutputKind::kFile;
    return Error::Io(csv_path + ": " + std::strerror(errno));
  }
  if (S_ISREG(st.st_mode)) return MeterOutputKind::kFile;
  if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISSOCK(st.st_mode))
    return MeterOutputKind::kStream;
  return Error::Io(csv_path + ": " +
                   (S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file") +
                   "; give a CSV file, a FIFO or - for standard output");
}

namespace {

// The most of an existing CSV read to find its header: comments longer than this are
// not what sfsg-meter or scripts/demo write.
constexpr size_t kMaxHeaderSearchBytes = size_t{1} << 20;

// The first line of text (without its ending) that is not a '#' comment, whether it
// was complete, and whether the file uses CRLF. Stops at kMaxHeaderSearchBytes.
struct ExistingHeader {
  std::string line;  // empty: none yet (empty file or comments only)
  bool crlf = false;
  bool truncated = false;  // no newline within the search limit
};

Result<ExistingHeader> ReadExistingHeader(int fd, const std::string& csv_path) {
  std::string text(kMaxHeaderSearchBytes, '\0');
  size_t used = 0;
  while (used < text.size()) {
    const ssize_t n = ::pread(fd, text.data() + used, text.size() - used, used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::Io(csv_path + ": read error: " + std::strerror(errno));
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  text.resize(used);
  ExistingHeader found;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    const bool complete = end != std::string::npos;
    if (!complete) end = text.size();
    std::string line = text.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
      found.crlf = complete;
    }
    if (line.empty() || line[0] != '#') {
      if (line.empty() && complete) {  // a blank line before the header is not one
        begin = end + 1;
        continue;
      }
      found.line = std::move(line);
      found.truncated = !complete && used == kMaxHeaderSearchBytes;
      return found;
    }
    if (!complete && used == kMaxHeaderSearchBytes)
      return Error::BadInput(csv_path + ": no header line in its first 1 MiB; write to a new file");
    begin = end + 1;
  }
  return found;
}

// Shortens a line quoted in a message, so a binary or huge file gives one short line.
std::string Quote(const std::string& line) {
  std::string out;
  for (const char c : line.substr(0, 100))
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  return "'" + out + (line.size() > 100 ? "...'" : "'");
}

Status WriteAll(int fd, const std::string& text, const std::string& csv_path) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::Io(csv_path + ": write failed: " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

Status AppendMeterSample(const std::string& csv_path, const MeterSample& sample) {
  // O_NONBLOCK: something swapped for a FIFO since the run began must not block here; it
  // is refused below as not a regular file.
  const int fd =
      ::open(csv_path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0644);
  if (fd < 0) return Error::Io(csv_path + ": " + std::strerror(errno));
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) return Error::Io(csv_path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Error::Io(csv_path + ": not a regular file");
  // The header is the first line that is not a comment: a file may open with '#' lines
  // (a note on where its rows came from, as scripts/demo writes), which sfsg-predict
  // skips and which are kept as they are.
  auto header = ReadExistingHeader(fd, csv_path);
  if (!header) return header.error();
  std::string expected = MeterCsvHeader();
  expected.pop_back();
  std::string legacy_header = MeterCsvHeader(/*legacy=*/true);
  legacy_header.pop_back();
  const bool legacy = header->line == legacy_header && !header->truncated;
  if (!header->line.empty() && !legacy && (header->truncated || header->line != expected))
    return Error::BadInput(csv_path + ": has a different header (" + Quote(header->line) +
                           "); write to a new file");
  // A last line without its newline (a comment, the header or a row cut short) gets one
  // first: a row glued onto it would corrupt both.
  bool ends_with_newline = true;
  if (st.st_size > 0) {
    char last = '\n';
    if (::pread(fd, &last, 1, st.st_size - 1) != 1)
      return Error::Io(csv_path + ": read error: " + std::strerror(errno));
    ends_with_newline = last == '\n';
  }
  const std::string eol = header->crlf ? "\r\n" : "\n";
  std::string row = MeterCsvRow(sample, legacy);
  if (header->crlf) row.insert(row.size() - 1, "\r");
  const std::string text =
      (ends_with_newline ? "" : eol) + (header->line.empty() ? expected + eol : "") + row;
  return WriteAll(fd, text, csv_path);
}

}  // namespace sfsg
