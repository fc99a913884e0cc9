#include "generator/scan/scanner.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>

#include "generator/scan/content_sample.h"
#include "generator/scan/scan_stats.h"
#include "generator/scan/tree_walk.h"
#include "generator/util/mountinfo.h"

namespace sfsg {
namespace {

// The longest read of one sampled file (what is left of the byte budget after the
// first prefixes lengthens them up to this).
constexpr uint64_t kMaxSampleFileBytes = uint64_t{64} << 20;

bool KeepableExtensionChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '-';
}

// The filesystem type of the mount holding `path`, from /proc/self/mountinfo (the last
// mount of that device wins, as the kernel stacks them); "" when unknown.
std::string FilesystemType(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return "";
  const std::string device =
      std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev));
  std::string type;
  for (const MountInfo& m : ReadMountInfo())
    if (m.devno == device && !m.fs_type.empty()) type = m.fs_type;
  return type;
}

void FillSource(const std::string& path, Profile* profile) {
  SourceStats& s = profile->source;
  s.fs_type = FilesystemType(path);
  struct statvfs v;
  if (::statvfs(path.c_str(), &v) == 0) {
    const uint64_t unit = v.f_frsize ? v.f_frsize : v.f_bsize;
    s.capacity_bytes = static_cast<uint64_t>(v.f_blocks) * unit;
    s.used_bytes = static_cast<uint64_t>(v.f_blocks - std::min(v.f_bfree, v.f_blocks)) * unit;
    s.inodes_total = v.f_files;
    s.inodes_used = v.f_files - std::min(v.f_ffree, v.f_files);
  }
}

// Without a content sample the profile carries the built-in content figures (marked as
// unmeasured by sampled_files = 0), which make a better shadow than "incompressible".
void FillUnsampledContent(Profile* profile) {
  profile->content = DefaultProfile().content;
  profile->content.sampled_files = 0;
  profile->content.sampled_bytes = 0;
  for (ExtensionStats& e : profile->extensions) {
    e.compression_ratio = 0;
    e.sampled_files = 0;
    e.sampled_bytes = 0;
  }
}

}  // namespace

std::string ExtensionOfName(std::string_view name) {
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == name.size()) return "";
  const std::string_view ext = name.substr(dot + 1);
  if (ext.size() > kMaxExtensionLength) return "*";
  std::string out(ext);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (!KeepableExtensionChar(c)) return "*";
  }
  return out;
}

Result<Profile> ScanTree(const std::string& path, const ScanOptions& options) {
  if (options.threads < 0 || options.threads > 1024)
    return Error::Usage("--threads: " + std::to_string(options.threads) + " is not in 1..1024");
  if (options.top_extensions == 0 || options.top_extensions > 10000)
    return Error::Usage("--top-extensions: " + std::to_string(options.top_extensions) +
                        " is not in 1..10000");
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = options.threads > 0 ? options.threads : std::max(4, 2 * cores);
  const bool sampling = options.sample_files > 0 && options.sample_bytes > 0;
  const uint64_t file_bytes =
      options.sample_file_bytes > 0
          ? options.sample_file_bytes
          : std::clamp<uint64_t>(
                2 * options.sample_bytes / std::max<uint64_t>(1, options.sample_files), 128 << 10,
                kMaxSampleFileBytes);

  const auto wall_start = std::chrono::system_clock::now();
  const auto start = std::chrono::steady_clock::now();
  scan::WalkConfig walk;
  walk.root = path;
  walk.one_file_system = options.one_file_system;
  walk.threads = threads;
  walk.scan_time_unix = std::chrono::duration<double>(wall_start.time_since_epoch()).count();
  // Candidates kept per extension: enough for a class's equal share several times over
  // (shares grow when other classes run short), bounded so memory stays small on trees
  // with thousands of extensions.
  walk.sample_capacity =
      sampling ? std::min<uint64_t>(
                     options.sample_files,
                     std::max<uint64_t>(256, 8 * options.sample_files / options.top_extensions))
               : 0;
  walk.progress = options.progress;
  walk.progress_interval_s = options.progress_interval_s;
  auto stats = scan::WalkTree(walk);
  if (!stats) return stats.error();

  Profile profile;
  auto candidates = scan::FillProfileFromStats(std::move(*stats), options.top_extensions, &profile);
  if (sampling) {
    std::vector<std::string> keys;
    for (const ExtensionStats& e : profile.extensions) keys.push_back(e.ext);
    const auto plan = scan::PlanSample(
        candidates, walk.sample_capacity, options.sample_files, options.sample_bytes, file_bytes,
        options.sample_file_bytes > 0 ? file_bytes : kMaxSampleFileBytes);
    const scan::SampleOutcome outcome =
        scan::MeasureSample(plan, keys, threads, options.progress, options.progress_interval_s);
    if (outcome.meter.total().files > 0) {
      scan::FillContent(outcome, &profile);
    } else {
      FillUnsampledContent(&profile);  // nothing non-empty could be read
    }
    profile.source.skipped += outcome.unreadable;
  } else {
    FillUnsampledContent(&profile);
  }
  FillSource(path, &profile);
  profile.source.scan_time_unix = walk.scan_time_unix;
  profile.source.scan_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (auto status = ValidateProfile(profile, path); !status)
    return Error::Internal("scan produced an invalid profile: " + status.error().message);
  return profile;
}

}  // namespace sfsg
