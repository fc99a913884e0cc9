#include "generator/namespace_tree.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "generator/util/hash.h"

namespace sfsg::internal {
namespace {

constexpr uint64_t kChildTag = 0xc4115d1a5ull;
constexpr uint64_t kEntryTag = 0xe7a1e5ull;
// The steepest cascade step; a blend weight per depth tunes it down to the profile.
constexpr int kCascadeGamma = 3;

// `total` split in proportion to `weights` by largest remainder: the parts sum to
// `total` exactly and each is within 1 of its exact share. Ties go to the shallower
// level, so the result is the same on every machine.
std::vector<uint64_t> Apportion(const std::vector<double>& weights, uint64_t total) {
  std::vector<uint64_t> parts(weights.size(), 0);
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  if (weights.empty()) return parts;
  if (!(sum > 0)) {
    parts[0] = total;
    return parts;
  }
  std::vector<std::pair<double, size_t>> remainders;
  uint64_t given = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const double exact = static_cast<double>(total) * weights[i] / sum;
    parts[i] = static_cast<uint64_t>(std::floor(exact));
    given += parts[i];
    remainders.emplace_back(exact - std::floor(exact), i);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = 0; given < total; i = (i + 1) % remainders.size(), ++given)
    ++parts[remainders[i].second];
  return parts;
}

// The share of a budget that goes to the left part of a range split at `base` (the
// left part's fraction of the range). Its median is `base`; the odds are scaled by
// (u / (1 - u))^gamma, a logistic perturbation, so repeated halving gives heavy-tailed
// leaf budgets (a multiplicative cascade). Plain IEEE arithmetic with a small integer
// power: identical on every machine.
double LeftShare(uint64_t key, double base, int gamma) {
  const double u = (static_cast<double>(key >> 11) + 0.5) * 0x1.0p-53;
  const double step = u / (1.0 - u);
  double odds = step;
  for (int i = 1; i < gamma; ++i) odds *= step;
  return base * odds / (base * odds + (1.0 - base));
}

uint64_t TakeShare(uint64_t total, double share) {
  const double left = std::floor(static_cast<double>(total) * share);
  return std::min<uint64_t>(total, static_cast<uint64_t>(std::max(0.0, left)));
}

// Blend weight w in [0, 1]: 0 splits evenly (every parent gets about the mean), 1 is
// the steep cascade (most parents get nothing, a few get much).
double BlendShare(uint64_t key, double base, double w) {
  return (1.0 - w) * base + w * LeftShare(key, base, kCascadeGamma);
}

// Adds every leaf's units of the cascade over [lo, hi) with `budget` units to `counts`.
void LeafCounts(uint64_t seed, uint64_t tag, uint32_t level, uint64_t lo, uint64_t hi,
                uint64_t budget, double w, SparseHistogram& counts) {
  if (budget == 0) {
    counts.Add(0, hi - lo);
    return;
  }
  if (hi - lo == 1) {
    counts.Add(budget);
    return;
  }
  const uint64_t mid = lo + (hi - lo) / 2;
  const double base = static_cast<double>(mid - lo) / static_cast<double>(hi - lo);
  const uint64_t left = TakeShare(budget, BlendShare(HashWords(seed, tag, level, lo, hi), base, w));
  LeafCounts(seed, tag, level, lo, mid, left, w, counts);
  LeafCounts(seed, tag, level, mid, hi, budget - left, w, counts);
}

// Total-variation distance between two histograms over the same LogBuckets bins.
double HistogramDistance(const SparseHistogram& a, const SparseHistogram& b) {
  const double ta = static_cast<double>(a.total()), tb = static_cast<double>(b.total());
  if (ta == 0 || tb == 0) return 1.0;
  double distance = 0;
  size_t i = 0, j = 0;
  while (i < a.bins.size() || j < b.bins.size()) {
    if (j == b.bins.size() || (i < a.bins.size() && a.bins[i].first < b.bins[j].first)) {
      distance += static_cast<double>(a.bins[i++].second) / ta;
    } else if (i == a.bins.size() || b.bins[j].first < a.bins[i].first) {
      distance += static_cast<double>(b.bins[j++].second) / tb;
    } else {
      distance += std::fabs(static_cast<double>(a.bins[i++].second) / ta -
                            static_cast<double>(b.bins[j++].second) / tb);
    }
  }
  return distance / 2;
}

// The blend weight whose cascade shares `budget` units among n parents most like the
// profile's histogram of units per parent (`target`, e.g. files per directory at this
// depth), by total-variation distance. Searched on a grid then refined, on a cascade of
// at most 8192 parents with the same budget per parent. Deterministic.
double FitBlend(uint64_t seed, uint64_t tag, uint32_t level, uint64_t n, uint64_t budget,
                const SparseHistogram& target) {
  if (n <= 1 || budget == 0 || target.total() == 0) return 0.0;
  constexpr uint64_t kProbeParents = 8192;
  const uint64_t probe_n = std::min(n, kProbeParents);
  const uint64_t probe_budget = static_cast<uint64_t>(std::llround(
      static_cast<double>(budget) * static_cast<double>(probe_n) / static_cast<double>(n)));
  auto distance = [&](double w) {
    SparseHistogram counts;
    LeafCounts(seed, tag, level, 0, probe_n, probe_budget, w, counts);
    return HistogramDistance(counts, target);
  };
  double best_w = 0, best = distance(0);
  for (int i = 1; i <= 16; ++i) {
    const double w = i / 16.0, d = distance(w);
    if (d < best) best = d, best_w = w;
  }
  for (double step = 1 / 32.0; step > 1 / 512.0; step /= 2) {
    for (const double w : {best_w - step, best_w + step}) {
      if (w < 0 || w > 1) continue;
      if (const double d = distance(w); d < best) best = d, best_w = w;
    }
  }
  return best_w;
}

}  // namespace

Tree::Tree(const Profile& profile, uint64_t seed, uint64_t dirs, uint64_t entries) : seed_(seed) {
  dirs = std::max<uint64_t>(dirs, 1);
  const auto& by_depth = profile.shape.dirs_by_depth;
  const size_t depths = std::max<size_t>(by_depth.size(), 1);
  // Depth 0 is the root alone; the other directories follow the profile's depths.
  // Every depth the profile reaches keeps at least one directory while there are
  // directories to give (a shadow scaled far down stays as deep as it can).
  size_t levels = 1;
  while (levels < by_depth.size() && by_depth[levels] > 0 && levels < dirs) ++levels;
  if (levels == 1 && dirs > 1) levels = 2;  // a profile with no subdirectories at all
  std::vector<double> dir_weights(levels, 1.0);
  dir_weights[0] = 0.0;
  for (size_t t = 1; t < levels && t < by_depth.size(); ++t)
    dir_weights[t] = static_cast<double>(by_depth[t]);
  level_dirs_ = Apportion(dir_weights, dirs - 1);
  level_dirs_[0] = 1;
  for (size_t t = 1; t < levels; ++t) {
    if (level_dirs_[t] > 0) continue;
    *std::max_element(level_dirs_.begin() + 1, level_dirs_.end()) -= 1;
    level_dirs_[t] = 1;
  }
  std::vector<double> entry_weights(depths, 0.0);
  for (size_t t = 0; t < depths && t < profile.shape.files_by_depth.size(); ++t)
    entry_weights[t] = static_cast<double>(profile.shape.files_by_depth[t]);
  level_entries_ = Apportion(entry_weights, entries);
  // Entries the profile put deeper than the tree goes live at its deepest level.
  for (size_t t = levels; t < depths; ++t) level_entries_[levels - 1] += level_entries_[t];
  level_entries_.resize(levels);

  // Per depth, how unevenly subdirectories and entries are shared out: fitted to the
  // profile's subdirectories-per-directory and files-per-directory histograms.
  const auto& shape = profile.shape;
  child_blend_.assign(levels, 0.0);
  entry_blend_.assign(levels, 0.0);
  for (size_t t = 0; t < levels; ++t) {
    const auto& fanout =
        t < shape.subdirs_per_dir_by_depth.size() && shape.subdirs_per_dir_by_depth[t].total() > 0
            ? shape.subdirs_per_dir_by_depth[t]
            : shape.subdirs_per_dir;
    const auto& files =
        t < shape.files_per_dir_by_depth.size() && shape.files_per_dir_by_depth[t].total() > 0
            ? shape.files_per_dir_by_depth[t]
            : shape.files_per_dir;
    const uint32_t level = static_cast<uint32_t>(t);
    if (t + 1 < levels)
      child_blend_[t] =
          FitBlend(seed_, kChildTag, level, level_dirs_[t], level_dirs_[t + 1], fanout);
    entry_blend_[t] = FitBlend(seed_, kEntryTag, level, level_dirs_[t], level_entries_[t], files);
  }

  dir_start_.assign(levels + 1, 1);
  entry_start_.assign(levels + 1, 0);
  for (size_t t = 0; t < levels; ++t) {
    dir_start_[t + 1] = dir_start_[t] + level_dirs_[t];
    entry_start_[t + 1] = entry_start_[t] + level_entries_[t];
  }
}

Tree::Share Tree::ShareOf(uint64_t tag, uint32_t level, uint64_t n, uint64_t budget, double blend,
                          uint64_t k) const {
  uint64_t lo = 0, hi = n;
  Share share{0, budget};
  while (hi - lo > 1) {
    const uint64_t mid = lo + (hi - lo) / 2;
    const uint64_t key = HashWords(seed_, tag, level, lo, hi);
    const double base = static_cast<double>(mid - lo) / static_cast<double>(hi - lo);
    const uint64_t left = TakeShare(share.count, BlendShare(key, base, blend));
    if (k < mid) {
      hi = mid;
      share.count = left;
    } else {
      lo = mid;
      share.offset += left;
      share.count -= left;
    }
  }
  return share;
}

uint64_t Tree::HolderOf(uint64_t tag, uint32_t level, uint64_t n, uint64_t budget, double blend,
                        uint64_t unit, Share* share) const {
  uint64_t lo = 0, hi = n;
  Share s{0, budget};
  while (hi - lo > 1) {
    const uint64_t mid = lo + (hi - lo) / 2;
    const uint64_t key = HashWords(seed_, tag, level, lo, hi);
    const double base = static_cast<double>(mid - lo) / static_cast<double>(hi - lo);
    const uint64_t left = TakeShare(s.count, BlendShare(key, base, blend));
    if (unit < s.offset + left) {
      hi = mid;
      s.count = left;
    } else {
      lo = mid;
      s.offset += left;
      s.count -= left;
    }
  }
  *share = s;
  return lo;
}

DirNode Tree::MakeDir(uint32_t t, uint64_t k, uint64_t parent_ino, uint64_t index_in_parent) const {
  DirNode d;
  d.ino = dir_start_[t] + k;
  d.parent_ino = parent_ino;
  d.depth = t;
  d.index_in_parent = index_in_parent;
  const uint64_t n = level_dirs_[t];
  if (t + 1 < level_dirs_.size()) {
    const Share children = ShareOf(kChildTag, t, n, level_dirs_[t + 1], child_blend_[t], k);
    d.child_dirs = children.count;
    d.first_child_ino = dir_start_[t + 1] + children.offset;
  }
  const Share entries = ShareOf(kEntryTag, t, n, level_entries_[t], entry_blend_[t], k);
  d.local_entries = entries.count;
  d.entry_base = entry_start_[t] + entries.offset;
  return d;
}

uint32_t Tree::LevelOfDir(uint64_t ino) const {
  const auto it = std::upper_bound(dir_start_.begin(), dir_start_.end(), ino);
  return static_cast<uint32_t>(it - dir_start_.begin() - 1);
}

DirNode Tree::Root() const { return MakeDir(0, 0, 1, 0); }

DirNode Tree::Child(const DirNode& dir, uint64_t j) const {
  const uint64_t ino = dir.first_child_ino + j;
  return MakeDir(dir.depth + 1, ino - dir_start_[dir.depth + 1], dir.ino, j);
}

bool Tree::FindDir(uint64_t ino, DirNode* out) const {
  if (ino < 1 || ino >= dir_start_.back()) return false;
  const uint32_t t = LevelOfDir(ino);
  const uint64_t k = ino - dir_start_[t];
  if (t == 0) {
    *out = Root();
    return true;
  }
  Share siblings;
  const uint64_t parent_k = HolderOf(kChildTag, t - 1, level_dirs_[t - 1], level_dirs_[t],
                                     child_blend_[t - 1], k, &siblings);
  *out = MakeDir(t, k, dir_start_[t - 1] + parent_k, k - siblings.offset);
  return true;
}

DirNode Tree::FindEntryParent(uint64_t entry) const {
  const auto it = std::upper_bound(entry_start_.begin(), entry_start_.end(), entry);
  const uint32_t t = static_cast<uint32_t>(it - entry_start_.begin() - 1);
  Share share;
  const uint64_t k = HolderOf(kEntryTag, t, level_dirs_[t], level_entries_[t], entry_blend_[t],
                              entry - entry_start_[t], &share);
  DirNode d;
  FindDir(dir_start_[t] + k, &d);
  return d;
}

}  // namespace sfsg::internal
