// The built-in profile: a general-purpose file system of 100,000 files, shaped after
// published file-system metadata studies so that every command runs with no input.
//
// Sources, and what we took from them (figures rounded; the studies measured Windows
// desktop file systems, so treat this as a plausible default, not a measurement):
//  - N. Agrawal, W. J. Bolosky, J. R. Douceur, J. R. Lorch, "A Five-Year Study of
//    File-System Metadata", FAST 2007: file sizes by count are well modelled by a
//    lognormal with a median near 4 KiB; mean file size grew from 108 KB (2000) to
//    189 KB (2004); most directories hold few files, with a heavy tail; the namespace
//    is a few to about ten levels deep, with its bulk 4-9 levels down; most files are
//    older than months by modification time.
//  - D. T. Meyer, W. J. Bolosky, "A Study of Practical Deduplication", FAST 2011:
//    block-level deduplication within one file system removes a minority of the data;
//    we take a 4 KiB-chunk dedup ratio of 1.25.
//  - Compression: general-purpose mixes of text, binaries and already-compressed media
//    compress about 1.5-2x with fast codecs; we take 1.8 overall, per extension below.
#include <algorithm>
#include <cmath>

#include "generator/profile.h"
#include "generator/size_model.h"
#include "generator/config.h"

namespace sfsg {
namespace {

QuantileTable LogUniformAges(double median_s, double spread_decades) {
  // A lognormal in age, tabulated: 65 points.
  QuantileTable t;
  for (int i = 0; i <= 64; ++i) {
    const double u = i / 64.0;
    const double z = NormalQuantile(std::clamp(u, 0.001, 0.999));
    t.p.push_back(u);
    t.value.push_back(median_s * std::pow(10.0, z * spread_decades / 2.0));
  }
  return t;
}

SparseHistogram DiscreteLognormal(double zero_fraction, double median, double sigma, uint64_t total,
                                  uint64_t max_value) {
  SparseHistogram h;
  const uint64_t zeros = static_cast<uint64_t>(zero_fraction * total);
  if (zeros) h.Add(0, zeros);
  const double rest = static_cast<double>(total - zeros);
  double previous = 0;
  for (uint64_t n = 1; n <= max_value; ++n) {
    const double cdf = NormalCdf((std::log(n + 0.5) - std::log(median)) / sigma);
    const uint64_t count = static_cast<uint64_t>(std::llround(rest * (cdf - previous)));
    previous = cdf;
    if (count) h.Add(n, count);
  }
  return h;
}

Profile MakeDefault() {
  Profile p;
  p.origin = "builtin";
  // Sizes: lognormal body (median 4 KiB, sigma 2.5 in ln units) and a Pareto tail above
  // 32 MiB holding 0.05% of the files; mean about 100-150 KB as in Agrawal et al.
  p.sizes.fit = {std::log(4096.0), 2.5, 32.0 * 1024 * 1024, 1.4, 0.0005, 0.0};
  p.sizes.empty_fraction = 0.015;
  p.sizes.max_bytes = uint64_t{64} << 30;
  const uint64_t files = 100000, symlinks = 1500;
  p.sizes.log2_counts.assign(40, 0);
  p.sizes.log2_bytes.assign(40, 0.0);
  {
    // Bucket the model's own quantiles so the histogram agrees with the fit.
    const uint64_t nonempty = files - static_cast<uint64_t>(p.sizes.empty_fraction * files);
    p.sizes.log2_counts[0] = files - nonempty;
    const SizeSampler sampler(p.sizes);
    double bytes = 0;
    for (uint64_t i = 0; i < nonempty; ++i) {
      const uint64_t size = sampler.Bytes((i + 0.5) / nonempty);
      const int bucket = std::min(39, 64 - __builtin_clzll(size));
      p.sizes.log2_counts[bucket] += 1;
      p.sizes.log2_bytes[bucket] += static_cast<double>(size);
      bytes += static_cast<double>(size);
    }
    p.totals.bytes = bytes;
  }
  p.totals.files = files;
  p.totals.symlinks = symlinks;
  p.totals.dirs = 9000;
  // Directories by depth (root = depth 0): bulk 4-9 levels down.
  p.shape.dirs_by_depth = {1,   8,   40,  160, 480, 1000, 1450, 1600, 1450, 1100,
                           720, 460, 260, 140, 70,  35,   16,   8,    2};
  // Files follow directories one level further down on average (10.9 entries per dir).
  uint64_t placed = 0;
  p.shape.files_by_depth.assign(p.shape.dirs_by_depth.size(), 0);
  const uint64_t entries = files + symlinks;
  for (size_t d = 0; d < p.shape.dirs_by_depth.size(); ++d) {
    const uint64_t n = entries * p.shape.dirs_by_depth[d] / p.totals.dirs;
    p.shape.files_by_depth[d] = n;
    placed += n;
  }
  p.shape.files_by_depth[7] += entries - placed;
  p.shape.files_per_dir = DiscreteLognormal(0.22, 6.0, 1.3, p.totals.dirs, 4000);
  p.shape.subdirs_per_dir = DiscreteLognormal(0.60, 2.0, 1.0, p.totals.dirs, 500);
  p.shape.file_name_length = DiscreteLognormal(0.0, 12.0, 0.45, entries, 120);
  p.shape.dir_name_length = DiscreteLognormal(0.0, 8.0, 0.5, p.totals.dirs, 80);
  // Extensions and their compressibility (zstd level 3). log2_counts left empty: sizes
  // are drawn from the global model for every extension.
  struct Ext {
    const char* ext;
    double share;
    double ratio;
  };
  static const Ext kExtensions[] = {{"", 0.16, 2.2},     {"h", 0.09, 3.6},    {"c", 0.06, 3.6},
                                    {"txt", 0.06, 2.9},  {"py", 0.05, 3.4},   {"html", 0.05, 4.2},
                                    {"js", 0.05, 3.5},   {"json", 0.04, 5.0}, {"png", 0.06, 1.02},
                                    {"jpg", 0.05, 1.01}, {"so", 0.04, 2.6},   {"o", 0.03, 2.8},
                                    {"gz", 0.03, 1.0},   {"pdf", 0.02, 1.15}, {"log", 0.03, 6.0},
                                    {"xml", 0.03, 5.5},  {"mp4", 0.01, 1.0},  {"*", 0.14, 1.9}};
  for (const Ext& e : kExtensions) {
    ExtensionStats x;
    x.ext = e.ext;
    x.files = static_cast<uint64_t>(e.share * files);
    x.bytes = e.share * p.totals.bytes;
    x.compression_ratio = e.ratio;
    p.extensions.push_back(x);
  }
  p.ages.mtime_age_s = LogUniformAges(200 * 86400.0, 2.5);
  p.ages.atime_age_s = LogUniformAges(30 * 86400.0, 2.5);
  p.ages.ctime_age_s = LogUniformAges(150 * 86400.0, 2.5);
  p.links = {static_cast<double>(symlinks) / entries, 0.01};
  p.content = {1.8, 1.25, 0.02, 0, 0};
  p.source.fs_type = "builtin";
  p.source.capacity_bytes = uint64_t{64} << 30;
  p.source.used_bytes = static_cast<uint64_t>(p.totals.bytes);
  p.source.inodes_total = 4u << 20;
  p.source.inodes_used = files + symlinks + p.totals.dirs;
  p.source.scan_time_unix = config::kGeneratorEpochUnix;  // ages are relative to it
  return p;
}

}  // namespace

const Profile& DefaultProfile() {
  static const Profile profile = MakeDefault();
  return profile;
}

}  // namespace sfsg
