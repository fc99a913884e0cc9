#include "predictor/meter.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

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

bool Contains(const std::string& mount_point, const std::string& path) {
  if (mount_point == "/") return true;
  return path.compare(0, mount_point.size(), mount_point) == 0 &&
         (path.size() == mount_point.size() || path[mount_point.size()] == '/');
}

std::optional<DiskCounters> ReadDiskstats(unsigned major, unsigned minor, std::string* name) {
  std::ifstream in("/proc/diskstats");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    unsigned ma = 0, mi = 0;
    std::string dev;
    uint64_t reads = 0, reads_merged = 0, sectors_read = 0, ms_reading = 0, writes = 0,
             writes_merged = 0, sectors_written = 0;
    if (!(fields >> ma >> mi >> dev >> reads >> reads_merged >> sectors_read >> ms_reading >>
          writes >> writes_merged >> sectors_written))
      continue;
    if (ma != major || mi != minor) continue;
    if (name) *name = dev;
    return DiskCounters{reads, writes, sectors_read * 512, sectors_written * 512};
  }
  return std::nullopt;
}

}  // namespace

Result<MeterSource> ResolveMeterSource(const std::string& path) {
  char resolved[PATH_MAX];
  if (!realpath(path.c_str(), resolved)) return Error::Io(path + ": " + std::strerror(errno));
  const std::string real = resolved;
  std::ifstream in("/proc/self/mountinfo");
  if (!in) return Error::Io("/proc/self/mountinfo: cannot read");
  MeterSource source;
  source.path = path;
  std::string line, mount_source;
  while (std::getline(in, line)) {
    // id parent major:minor root mount_point options [optional...] - type source super
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    if (!(fields >> id >> parent >> devno >> root >> mount_point)) continue;
    mount_point = Unescape(mount_point);
    if (!Contains(mount_point, real) || mount_point.size() < source.mount_point.size()) continue;
    const size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream tail(line.substr(dash + 3));
    std::string type, src;
    tail >> type >> src;
    unsigned major = 0, minor = 0;
    if (std::sscanf(devno.c_str(), "%u:%u", &major, &minor) != 2) continue;
    // Later lines over the same mount point are mounts stacked on top: they win.
    source.mount_point = mount_point;
    source.fs_type = type;
    source.major = major;
    source.minor = minor;
    mount_source = Unescape(src);
  }
  if (source.mount_point.empty())
    return Error::Io(path + ": no mount found in /proc/self/mountinfo");
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
  sample.capacity_bytes = static_cast<uint64_t>(vfs.f_blocks) * fragment;
  sample.used_bytes = static_cast<uint64_t>(vfs.f_blocks - vfs.f_bfree) * fragment;
  sample.files = vfs.f_files >= vfs.f_ffree ? vfs.f_files - vfs.f_ffree : 0;
  if (!source.device.empty()) {
    std::string name;
    sample.disk = ReadDiskstats(source.major, source.minor, &name);
    if (!sample.disk) return Error::Io("/proc/diskstats: device " + source.device + " vanished");
  }
  return sample;
}

std::string MeterCsvHeader() {
  return "timestamp,used_bytes,capacity_bytes,files,read_ops,write_ops,read_bytes,write_bytes\n";
}

std::string MeterCsvRow(const MeterSample& s) {
  char buf[320];
  int n = std::snprintf(buf, sizeof(buf), "%.3f,%" PRIu64 ",%" PRIu64 ",%" PRIu64, s.time_s,
                        s.used_bytes, s.capacity_bytes, s.files);
  if (s.disk) {
    std::snprintf(buf + n, sizeof(buf) - n, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n",
                  s.disk->read_ops, s.disk->write_ops, s.disk->read_bytes, s.disk->write_bytes);
  } else {
    std::snprintf(buf + n, sizeof(buf) - n, ",,,,\n");
  }
  return buf;
}

Status AppendMeterSample(const std::string& csv_path, const MeterSample& sample) {
  // The header is the first line that is not a comment: a file may open with '#' lines
  // (a note on where its rows came from, as scripts/demo writes), which sfsg-predict
  // skips and which are kept as they are.
  std::string header;
  bool ends_with_newline = true;
  {
    std::ifstream existing(csv_path);
    std::string line;
    while (existing && std::getline(existing, line)) {
      ends_with_newline = !existing.eof();
      if (!line.empty() && line[0] == '#') continue;
      header = line;
      break;
    }
  }
  const std::string expected = MeterCsvHeader();
  if (!header.empty() && header + "\n" != expected)
    return Error::BadInput(csv_path + ": has a different header ('" + header +
                           "'); write to a new file");
  std::FILE* f = std::fopen(csv_path.c_str(), "a");
  if (!f) return Error::Io(csv_path + ": " + std::strerror(errno));
  // A file of comments only, its last line unterminated, gets the newline first.
  std::string text = (header.empty() && !ends_with_newline ? "\n" : "") +
                     (header.empty() ? expected : "") + MeterCsvRow(sample);
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed) return Error::Io(csv_path + ": write failed");
  return Status::Ok();
}

}  // namespace sfsg
