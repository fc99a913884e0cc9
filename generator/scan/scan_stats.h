// ScanStats: what one walker thread accumulates about the entries it saw, and the
// reduction of the merged accumulators into the statistics fields of a Profile.
//
// Internal to sfsg_scan. One ScanStats per thread (thread-compatible), merged when the
// walk ends. Adding an entry costs O(1) plus a binary search in small histograms; a
// ScanStats holds no name, only lengths and kept extensions (see scanner.h), plus the
// paths of content-sample candidates (never written out).
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "generator/profile.h"
#include "generator/util/log_histogram.h"

namespace sfsg::scan {

// Bucket b of a SizeStats log2 histogram: 0 for size 0, b for [2^(b-1), 2^b).
inline int Log2Bucket(uint64_t size) { return size == 0 ? 0 : 64 - __builtin_clzll(size); }
inline constexpr int kLog2Buckets = 65;

// A content-sample candidate: a non-empty regular file, chosen by the smallest ranks
// (a bottom-k sketch, so the union of per-thread samples is the sample of the union,
// whatever the thread schedule). The rank is u / size, u a hash of the path in (0, 1]:
// the k smallest are a priority sample (Duffield, Lund, Thorup, JACM 2007), big files
// drawn more often, which a byte-weighted ratio needs (a handful of big changelogs can
// hold most of a class's bytes); see SampleRank and content_sample.h.
struct SampleCandidate {
  uint64_t hash = 0;  // the rank, SampleRank(path hash, size)
  uint64_t size = 0;
  std::string path;
  bool operator<(const SampleCandidate& o) const { return hash < o.hash; }
};

// The rank of a file: the bits of u / size as a double (positive doubles order as their
// bits), u = the path hash's top 53 bits, plus one, over 2^53. REQUIRES: size > 0.
inline uint64_t SampleRank(uint64_t path_hash, uint64_t size) {
  const double u = static_cast<double>((path_hash >> 11) + 1) * 0x1p-53;
  return std::bit_cast<uint64_t>(u / static_cast<double>(size));
}
// The priority size / u of a rank.
inline double SamplePriority(uint64_t rank) { return 1.0 / std::bit_cast<double>(rank); }

// Keeps the `capacity` candidates with the smallest hashes.
class BottomK {
 public:
  // Whether a candidate with this hash would be kept (so the caller builds its path
  // only then).
  bool Wants(uint64_t hash, size_t capacity) const {
    return heap_.size() < capacity || hash < heap_.front().hash;
  }
  void Offer(SampleCandidate candidate, size_t capacity);
  void Merge(BottomK&& other, size_t capacity);
  // Sorted by hash; empties the sketch.
  std::vector<SampleCandidate> TakeSorted();

 private:
  std::vector<SampleCandidate> heap_;  // max-heap by hash
};

struct ExtensionAccum {
  uint64_t files = 0;
  double bytes = 0;
  std::array<uint64_t, kLog2Buckets> log2_counts{};
  BottomK sample;
};

// Distinct extensions one thread tracks by name; later new ones are pooled as "*". A
// top-K extension is common, so it is met long before the table fills.
inline constexpr size_t kMaxTrackedExtensions = 16384;

struct ScanStats {
  // Regular files.
  uint64_t files = 0;
  uint64_t empty_files = 0;
  uint64_t hardlinked_files = 0;
  double bytes = 0;
  std::array<uint64_t, kLog2Buckets> log2_counts{};
  std::array<double, kLog2Buckets> log2_bytes{};
  LogHistogram nonempty_sizes;
  // Other entries.
  uint64_t dirs = 0;
  uint64_t symlinks = 0;
  uint64_t others = 0;
  uint64_t skipped = 0;
  // Shape.
  std::vector<uint64_t> dirs_by_depth;
  std::vector<uint64_t> files_by_depth;
  std::vector<SparseHistogram> files_per_dir_by_depth;
  std::vector<SparseHistogram> subdirs_per_dir_by_depth;
  SparseHistogram file_name_length;
  SparseHistogram dir_name_length;
  // Ages in whole seconds before the scan time (future timestamps count as 0).
  LogHistogram mtime_age_s, atime_age_s, ctime_age_s;
  // Keyed by kept-able extension ("" none, "*" not keepable).
  std::unordered_map<std::string, ExtensionAccum> extensions;

  void AddDirectory(uint32_t depth, size_t name_length);
  // A directory that was listed: its non-directory entries and subdirectories.
  void AddListing(uint32_t depth, uint64_t nondir_entries, uint64_t subdirs);
  void AddAges(double scan_time_unix, double mtime, double atime, double ctime);
  // Returns the extension accumulator the file went to (for sampling).
  ExtensionAccum& AddRegularFile(uint32_t parent_depth, std::string_view name, uint64_t size,
                                 uint32_t nlink);
  void AddSymlink(uint32_t parent_depth, size_t name_length);
  void AddOther(uint32_t parent_depth, size_t name_length);

  void Merge(ScanStats&& other, size_t sample_capacity);
};

// Fills every statistics field of `profile` (totals, sizes with fit, shape, extensions
// (top `top_k`, the rest pooled), ages, links) from merged stats. Content and source
// fields are left to the caller. Returns, for each kept extension (same order as
// profile->extensions), its sample candidates sorted by hash.
std::vector<std::vector<SampleCandidate>> FillProfileFromStats(ScanStats&& stats, size_t top_k,
                                                               Profile* profile);

// The quantile table of a histogram: uniform_steps + 1 evenly spaced points, then
// geometric steps toward 1 (four per halving) while they still separate files, so the
// tail keeps its shape. Values are log2(quantile) when log2_values (the quantile
// clamped to >= 1), else the quantile; non-decreasing. REQUIRES: histogram.count() > 0.
QuantileTable QuantileTableOf(const LogHistogram& histogram, int uniform_steps, bool log2_values);

}  // namespace sfsg::scan
