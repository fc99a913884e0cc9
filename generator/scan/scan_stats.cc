#include "generator/scan/scan_stats.h"

#include <algorithm>
#include <cmath>

#include "generator/scan/scanner.h"
#include "generator/size_model.h"

namespace sfsg::scan {
namespace {

// An extension is kept only when at least this many files carry it: a lone "name.word"
// would otherwise publish a fragment of a real name.
constexpr uint64_t kMinFilesPerExtension = 2;

template <typename T>
void GrowTo(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

void MergeSparse(SparseHistogram& into, const SparseHistogram& from) {
  for (const auto& [value, count] : from.bins) into.Add(value, count);
}

template <typename T>
void AddVectors(std::vector<T>& into, const std::vector<T>& from) {
  GrowTo(into, from.size());
  for (size_t i = 0; i < from.size(); ++i) into[i] += from[i];
}

void MergeExtension(ExtensionAccum& into, ExtensionAccum&& from, size_t capacity) {
  into.files += from.files;
  into.bytes += from.bytes;
  for (int b = 0; b < kLog2Buckets; ++b) into.log2_counts[b] += from.log2_counts[b];
  into.sample.Merge(std::move(from.sample), capacity);
}

double Round6(double v) { return std::round(v * 1e6) / 1e6; }

}  // namespace

void BottomK::Offer(SampleCandidate candidate, size_t capacity) {
  if (capacity == 0) return;
  if (heap_.size() < capacity) {
    heap_.push_back(std::move(candidate));
    std::push_heap(heap_.begin(), heap_.end());
  } else if (candidate.hash < heap_.front().hash) {
    std::pop_heap(heap_.begin(), heap_.end());
    heap_.back() = std::move(candidate);
    std::push_heap(heap_.begin(), heap_.end());
  }
}

void BottomK::Merge(BottomK&& other, size_t capacity) {
  for (SampleCandidate& c : other.heap_) Offer(std::move(c), capacity);
  other.heap_.clear();
}

std::vector<SampleCandidate> BottomK::TakeSorted() {
  std::vector<SampleCandidate> out = std::move(heap_);
  heap_.clear();
  std::sort(out.begin(), out.end());
  return out;
}

void ScanStats::AddDirectory(uint32_t depth, size_t name_length) {
  ++dirs;
  GrowTo(dirs_by_depth, depth + 1);
  ++dirs_by_depth[depth];
  if (depth > 0) dir_name_length.Add(name_length);
}

void ScanStats::AddListing(uint32_t depth, uint64_t nondir_entries, uint64_t subdirs) {
  GrowTo(files_per_dir_by_depth, depth + 1);
  GrowTo(subdirs_per_dir_by_depth, depth + 1);
  files_per_dir_by_depth[depth].Add(nondir_entries);
  subdirs_per_dir_by_depth[depth].Add(subdirs);
}

void ScanStats::AddAges(double scan_time_unix, double mtime, double atime, double ctime) {
  auto age = [&](double t) {
    const double a = scan_time_unix - t;
    return a > 0 ? static_cast<uint64_t>(std::llround(std::min(a, 1e18))) : uint64_t{0};
  };
  mtime_age_s.Add(age(mtime));
  atime_age_s.Add(age(atime));
  ctime_age_s.Add(age(ctime));
}

ExtensionAccum& ScanStats::AddRegularFile(uint32_t parent_depth, std::string_view name,
                                          uint64_t size, uint32_t nlink) {
  ++files;
  if (size == 0) ++empty_files;
  if (nlink > 1) ++hardlinked_files;
  bytes += static_cast<double>(size);
  const int bucket = Log2Bucket(size);
  ++log2_counts[bucket];
  log2_bytes[bucket] += static_cast<double>(size);
  if (size > 0) nonempty_sizes.Add(size);
  GrowTo(files_by_depth, parent_depth + 1);
  ++files_by_depth[parent_depth];
  file_name_length.Add(name.size());
  std::string key = ExtensionOfName(name);
  auto it = extensions.find(key);
  if (it == extensions.end()) {
    // Bounded memory on trees where extensions are really serial numbers: once the
    // table is full, new extensions go straight to the pool.
    if (extensions.size() >= kMaxTrackedExtensions) key = "*";
    it = extensions.try_emplace(std::move(key)).first;
  }
  ExtensionAccum& ext = it->second;
  ++ext.files;
  ext.bytes += static_cast<double>(size);
  ++ext.log2_counts[bucket];
  return ext;
}

void ScanStats::AddSymlink(uint32_t parent_depth, size_t name_length) {
  ++symlinks;
  GrowTo(files_by_depth, parent_depth + 1);
  ++files_by_depth[parent_depth];
  file_name_length.Add(name_length);
}

void ScanStats::AddOther(uint32_t parent_depth, size_t name_length) {
  ++others;
  GrowTo(files_by_depth, parent_depth + 1);
  ++files_by_depth[parent_depth];
  file_name_length.Add(name_length);
}

void ScanStats::Merge(ScanStats&& o, size_t sample_capacity) {
  files += o.files;
  empty_files += o.empty_files;
  hardlinked_files += o.hardlinked_files;
  bytes += o.bytes;
  for (int b = 0; b < kLog2Buckets; ++b) {
    log2_counts[b] += o.log2_counts[b];
    log2_bytes[b] += o.log2_bytes[b];
  }
  nonempty_sizes.Merge(o.nonempty_sizes);
  dirs += o.dirs;
  symlinks += o.symlinks;
  others += o.others;
  skipped += o.skipped;
  AddVectors(dirs_by_depth, o.dirs_by_depth);
  AddVectors(files_by_depth, o.files_by_depth);
  GrowTo(files_per_dir_by_depth, o.files_per_dir_by_depth.size());
  for (size_t d = 0; d < o.files_per_dir_by_depth.size(); ++d)
    MergeSparse(files_per_dir_by_depth[d], o.files_per_dir_by_depth[d]);
  GrowTo(subdirs_per_dir_by_depth, o.subdirs_per_dir_by_depth.size());
  for (size_t d = 0; d < o.subdirs_per_dir_by_depth.size(); ++d)
    MergeSparse(subdirs_per_dir_by_depth[d], o.subdirs_per_dir_by_depth[d]);
  MergeSparse(file_name_length, o.file_name_length);
  MergeSparse(dir_name_length, o.dir_name_length);
  mtime_age_s.Merge(o.mtime_age_s);
  atime_age_s.Merge(o.atime_age_s);
  ctime_age_s.Merge(o.ctime_age_s);
  for (auto& [ext, accum] : o.extensions)
    MergeExtension(extensions[ext], std::move(accum), sample_capacity);
  o.extensions.clear();
}

QuantileTable QuantileTableOf(const LogHistogram& h, int uniform_steps, bool log2_values) {
  std::vector<double> grid;
  for (int i = 0; i < uniform_steps; ++i) grid.push_back(static_cast<double>(i) / uniform_steps);
  const double n = static_cast<double>(h.count());
  for (int j = 1;; ++j) {
    const double rest = std::exp2(-j / 4.0) / uniform_steps;
    if (rest * n < 0.5) break;
    grid.push_back(1.0 - rest);
  }
  grid.push_back(1.0);
  // The values are integers: a bucket holding low .. high-1 spreads its files over
  // [low - 0.5, high - 0.5), so rounding a quantile gives back the integers it holds.
  QuantileTable t;
  const auto& counts = h.counts();
  double seen = 0;
  int b = 0;
  for (const double p : grid) {
    const double target = p * n;
    while (b < LogBuckets::kCount && (counts[b] == 0 || seen + counts[b] < target)) {
      seen += static_cast<double>(counts[b]);
      ++b;
    }
    double v;
    if (b >= LogBuckets::kCount) {
      v = static_cast<double>(h.max());
    } else {
      const double low = static_cast<double>(LogBuckets::Low(b)) - 0.5;
      const double width = static_cast<double>(LogBuckets::High(b) - LogBuckets::Low(b));
      v = low + (target - seen) / static_cast<double>(counts[b]) * width;
    }
    v = std::clamp(v, static_cast<double>(h.min()), static_cast<double>(h.max()));
    if (log2_values) v = std::log2(std::max(1.0, v));
    v = Round6(v);
    t.p.push_back(p);
    t.value.push_back(t.value.empty() ? v : std::max(v, t.value.back()));
  }
  return t;
}

std::vector<std::vector<SampleCandidate>> FillProfileFromStats(ScanStats&& s, size_t top_k,
                                                               Profile* profile) {
  Profile& p = *profile;
  p.origin = "scan";
  p.totals = {s.files, s.dirs, s.symlinks, s.others, s.bytes};

  // Sizes.
  int buckets = 1;
  for (int b = 0; b < kLog2Buckets; ++b)
    if (s.log2_counts[b]) buckets = b + 1;
  p.sizes.log2_counts.assign(s.log2_counts.begin(), s.log2_counts.begin() + buckets);
  p.sizes.log2_bytes.assign(s.log2_bytes.begin(), s.log2_bytes.begin() + buckets);
  if (s.nonempty_sizes.count() > 0) {
    p.sizes.log2_quantiles = QuantileTableOf(s.nonempty_sizes, 1024, true);
    p.sizes.fit = FitSizes(s.nonempty_sizes);
  }
  p.sizes.empty_fraction =
      s.files ? static_cast<double>(s.empty_files) / static_cast<double>(s.files) : 0.0;
  p.sizes.max_bytes = s.nonempty_sizes.max();

  // Shape.
  const size_t depths = std::max<size_t>(1, s.dirs_by_depth.size());
  GrowTo(s.dirs_by_depth, depths);
  GrowTo(s.files_by_depth, depths);
  GrowTo(s.files_per_dir_by_depth, depths);
  GrowTo(s.subdirs_per_dir_by_depth, depths);
  p.shape.dirs_by_depth = s.dirs_by_depth;
  p.shape.files_by_depth = s.files_by_depth;
  p.shape.files_per_dir = {};
  p.shape.subdirs_per_dir = {};
  for (size_t d = 0; d < depths; ++d) {
    MergeSparse(p.shape.files_per_dir, s.files_per_dir_by_depth[d]);
    MergeSparse(p.shape.subdirs_per_dir, s.subdirs_per_dir_by_depth[d]);
  }
  p.shape.files_per_dir_by_depth = std::move(s.files_per_dir_by_depth);
  p.shape.subdirs_per_dir_by_depth = std::move(s.subdirs_per_dir_by_depth);
  p.shape.file_name_length = std::move(s.file_name_length);
  p.shape.dir_name_length = std::move(s.dir_name_length);

  // Extensions: the top K keepable ones by file count (ties by name, for determinism);
  // everything else pooled as "*".
  std::vector<std::pair<std::string, ExtensionAccum*>> ranked;
  for (auto& [ext, accum] : s.extensions)
    if (ext != "*" && accum.files >= kMinFilesPerExtension) ranked.emplace_back(ext, &accum);
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.second->files != b.second->files ? a.second->files > b.second->files
                                              : a.first < b.first;
  });
  if (ranked.size() > top_k) ranked.resize(top_k);
  ExtensionAccum pooled;
  for (auto& [ext, accum] : s.extensions) {
    const bool kept = std::any_of(ranked.begin(), ranked.end(),
                                  [&](const auto& r) { return r.second == &accum; });
    if (!kept) MergeExtension(pooled, std::move(accum), SIZE_MAX);
  }
  if (pooled.files > 0) ranked.emplace_back("*", &pooled);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.second->files > b.second->files; });
  std::vector<std::vector<SampleCandidate>> samples;
  p.extensions.clear();
  for (auto& [ext, accum] : ranked) {
    ExtensionStats e;
    e.ext = ext;
    e.files = accum->files;
    e.bytes = accum->bytes;
    e.log2_counts.assign(accum->log2_counts.begin(), accum->log2_counts.begin() + buckets);
    p.extensions.push_back(std::move(e));
    samples.push_back(accum->sample.TakeSorted());
  }

  // Ages.
  auto ages = [](const LogHistogram& h) {
    if (h.count() == 0) return QuantileTable{{0.0, 1.0}, {0.0, 0.0}};
    return QuantileTableOf(h, 128, false);
  };
  p.ages.mtime_age_s = ages(s.mtime_age_s);
  p.ages.atime_age_s = ages(s.atime_age_s);
  p.ages.ctime_age_s = ages(s.ctime_age_s);

  // Links.
  const uint64_t nondir = s.files + s.symlinks + s.others;
  p.links.symlink_fraction =
      nondir ? static_cast<double>(s.symlinks) / static_cast<double>(nondir) : 0.0;
  p.links.hardlink_fraction =
      s.files ? static_cast<double>(s.hardlinked_files) / static_cast<double>(s.files) : 0.0;
  p.source.skipped = s.skipped;
  return samples;
}

}  // namespace sfsg::scan
