// Profile: the statistics of a real filesystem that a shadow reproduces.
//
// A profile is what sfsg-scan measures and what the namespace and content models
// consume. It holds statistics only: never a real file name, directory name or content
// byte (extensions are kept, bounded to a top-K list of short lowercase strings).
// On disk it is versioned JSON ({"format": "sfsg-profile", "version": 1, ...}).
//
// Profile is a plain value type: copyable, thread-compatible. Loading validates every
// field and returns an Error naming the file and the field; nothing throws.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "generator/util/json_io.h"
#include "generator/util/status.h"

namespace sfsg {

inline constexpr const char* kProfileFormat = "sfsg-profile";
inline constexpr int kProfileVersion = 1;
// Longest extension kept, in bytes; longer ones are pooled as "*".
inline constexpr size_t kMaxExtensionLength = 12;
// The most files, directories, symlinks or others a profile may count (10^15).
inline constexpr uint64_t kMaxProfileEntries = 1000000000000000ull;

// A quantile function given by points: p[0] = 0 < ... < p[n-1] = 1, value[] non-decreasing.
// At(u) interpolates linearly. Pure and O(log n).
struct QuantileTable {
  std::vector<double> p;
  std::vector<double> value;

  bool empty() const { return p.empty(); }
  double At(double u) const;
};

// A sparse histogram of non-negative integers over LogBuckets (exact below 32, 3% above):
// pairs of (bucket low value, count), increasing by value.
struct SparseHistogram {
  std::vector<std::pair<uint64_t, uint64_t>> bins;

  uint64_t total() const;
  double mean() const;
  void Add(uint64_t value, uint64_t count = 1);
  // The q-quantile with linear interpolation inside a bucket.
  double Quantile(double q) const;
};

// Parametric model of non-empty regular-file sizes: a lognormal body and a Pareto tail
// above pareto_xmin_bytes holding tail_fraction of the files.
struct SizeFit {
  double lognormal_mu = 8.5;     // mean of ln(bytes)
  double lognormal_sigma = 2.4;  // std-dev of ln(bytes)
  double pareto_xmin_bytes = 0;  // 0: no tail
  double pareto_alpha = 1.2;
  double tail_fraction = 0;
  double ks_distance = 0;  // KS distance of the fit against the measured sizes
};

struct SizeStats {
  // Regular files by log2 bucket: bucket 0 holds size 0, bucket b holds [2^(b-1), 2^b).
  std::vector<uint64_t> log2_counts;
  std::vector<double> log2_bytes;
  // Quantile function of log2(size) over non-empty files (the generator's first
  // choice). Empty: the generator samples `fit` instead.
  QuantileTable log2_quantiles;
  SizeFit fit;
  double empty_fraction = 0;  // regular files of size 0
  uint64_t max_bytes = 0;     // largest regular file seen (the model's upper bound)
};

struct ShapeStats {
  // Index = depth; the root directory has depth 0, its entries' parent depth is 0.
  std::vector<uint64_t> dirs_by_depth;
  std::vector<uint64_t> files_by_depth;  // non-directory entries by their parent's depth
  SparseHistogram files_per_dir;         // non-directory entries per directory
  SparseHistogram subdirs_per_dir;
  std::vector<SparseHistogram> files_per_dir_by_depth;
  std::vector<SparseHistogram> subdirs_per_dir_by_depth;
  SparseHistogram file_name_length;  // bytes, extension included
  SparseHistogram dir_name_length;
};

struct ExtensionStats {
  std::string ext;  // lowercase, no dot; "" = no extension; "*" = all others pooled
  uint64_t files = 0;
  double bytes = 0;
  std::vector<uint64_t> log2_counts;  // size histogram, same buckets as SizeStats
  // Content, from sampled files; compression_ratio 0 = not sampled (use the global one).
  double compression_ratio = 0;
  uint64_t sampled_files = 0;
  uint64_t sampled_bytes = 0;
};

struct AgeStats {
  // Age = scan time - timestamp, in seconds, as quantile functions (values >= 0).
  QuantileTable mtime_age_s;
  QuantileTable atime_age_s;
  QuantileTable ctime_age_s;
};

struct LinkStats {
  double symlink_fraction = 0;   // symlinks / (non-directory entries)
  double hardlink_fraction = 0;  // regular files with nlink > 1 / regular files
};

struct ContentStats {
  double compression_ratio = 1;    // logical bytes / zstd-compressed bytes, over the sample
  double dedup_ratio = 1;          // 4 KiB chunks / distinct 4 KiB chunks, over the sample
  double zero_chunk_fraction = 0;  // all-zero 4 KiB chunks / chunks
  uint64_t sampled_files = 0;
  uint64_t sampled_bytes = 0;
};

struct SourceStats {
  std::string fs_type;  // e.g. "ext4"; "" when unknown
  uint64_t capacity_bytes = 0;
  uint64_t used_bytes = 0;
  uint64_t inodes_total = 0;
  uint64_t inodes_used = 0;
  double scan_time_unix = 0;  // when the scan started (the age reference)
  double scan_seconds = 0;
  uint64_t skipped = 0;  // entries that could not be read
};

struct Totals {
  uint64_t files = 0;  // regular files
  uint64_t dirs = 0;   // directories, the root included
  uint64_t symlinks = 0;
  uint64_t others = 0;  // fifos, sockets, devices: counted, never generated
  double bytes = 0;     // sum of regular file sizes
};

struct Profile {
  std::string origin;  // "scan" or "builtin"
  Totals totals;
  SizeStats sizes;
  ShapeStats shape;
  std::vector<ExtensionStats> extensions;  // most popular first; at most one "*"
  AgeStats ages;
  LinkStats links;
  ContentStats content;
  SourceStats source;
};

Json ProfileToJson(const Profile& profile);
// `source_name` (usually the path) prefixes every error message.
Result<Profile> ProfileFromJson(const Json& json, std::string_view source_name);
Result<Profile> LoadProfile(const std::string& path);
Status SaveProfile(const Profile& profile, const std::string& path);

// Checks internal consistency (monotone tables, fractions in range, ratios >= 1).
Status ValidateProfile(const Profile& profile, std::string_view source_name);

// The built-in profile, from published file-system metadata studies (see profile_default.cc).
const Profile& DefaultProfile();

}  // namespace sfsg
