#include "generator/namespace_tree.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>
#include <span>

#include "generator/util/hash.h"
#include "generator/util/log_histogram.h"

namespace sfsg::internal {

CountDraw::CountDraw(const SparseHistogram& histogram) {
  for (const auto& [low, count] : histogram.bins) {
    if (count == 0) continue;
    const int bucket = LogBuckets::Of(low);
    total_ += count;
    bins_.push_back(Bin{total_, count, LogBuckets::Low(bucket),
                        LogBuckets::High(bucket) - LogBuckets::Low(bucket)});
  }
  if (total_ == 0) return;
  // Slot g holds the draws whose top 8 bits are g; its smallest draw is at rank
  // (g << 56) * total / 2^64, so its bin is at or after that rank's bin.
  guide_.resize(kGuideSlots);
  for (uint64_t g = 0; g < kGuideSlots; ++g) {
    const uint64_t rank = BoundedFromBits(g << 56, total_);
    guide_[g] = static_cast<uint32_t>(
        std::upper_bound(bins_.begin(), bins_.end(), rank,
                         [](uint64_t r, const Bin& bin) { return r < bin.end; }) -
        bins_.begin());
  }
}

double CountDraw::mean() const {
  double sum = 0;
  for (const Bin& bin : bins_)
    sum += static_cast<double>(bin.count) *
           (static_cast<double>(bin.low) + static_cast<double>(bin.width - 1) / 2);
  return total_ > 0 ? sum / static_cast<double>(total_) : 0.0;
}

inline uint64_t CountDraw::Value(uint64_t bits) const {
  const uint64_t rank = BoundedFromBits(bits, total_);
  size_t i = guide_[bits >> 56];
  while (bins_[i].end <= rank) ++i;
  const Bin& bin = bins_[i];
  // The rank's low bits, remixed, pick a value inside the bin: spread evenly, no division.
  const uint64_t value =
      bin.width == 1 ? bin.low : bin.low + BoundedFromBits(bits * 0x9e3779b97f4a7c15ull, bin.width);
  if (scale_ == 1.0) return value;
  // Capped so a block's sum cannot overflow; the block's fitting absorbs the cap.
  const double scaled = std::min(static_cast<double>(value) * scale_, 0x1p56);
  const double floor = std::floor(scaled);
  return static_cast<uint64_t>(floor) +
         (UnitFromBits(bits * 0xd1b54a32d192ed03ull) < scaled - floor);
}

namespace {

constexpr uint64_t kChildTag = 0xc4115d1a5ull;
constexpr uint64_t kEntryTag = 0xe7a1e5ull;
constexpr uint64_t kDrawTag = 0xd7a3b10c5ull;
constexpr int kStratumBits = std::countr_zero(kBlockDirs);
constexpr int kStratumShift = 64 - kStratumBits;
static_assert(std::has_single_bit(kBlockDirs), "blocks hold a power of two directories");
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

// The units the node [lo, hi) of a cascade gives its left half [lo, mid), out of its
// `units`: the halves' share of the n directories (in blocks of `block`) blended by w
// with the node's hashed draw.
uint64_t LeftUnits(uint64_t seed, uint64_t tag, uint32_t level, uint64_t n, uint64_t block,
                   uint64_t lo, uint64_t mid, uint64_t hi, uint64_t units, double w) {
  const auto dirs = [&](uint64_t a, uint64_t b) { return std::min(b * block, n) - a * block; };
  const double base = static_cast<double>(dirs(lo, mid)) / static_cast<double>(dirs(lo, hi));
  return TakeShare(units, BlendShare(HashWords(seed, tag, level, lo, hi), base, w));
}

// The key of block b's draws (distinct from the cascade's keys, which hash lo < hi).
uint64_t BlockKey(uint64_t seed, uint64_t tag, uint32_t level, uint64_t block) {
  return HashWords(seed, tag ^ kDrawTag, level, block);
}

// The largest water level L with sum(max(v - L, 0)) >= excess, and how many values lie
// above it; REQUIRES 0 < excess <= sum(v). Walks the distinct values down from the top,
// so it costs O(size) per value cut: a deficit usually touches one or two. Gives up
// (returns false) once more than half the values would be cut.
bool WaterLevel(const uint64_t* values, size_t size, uint64_t excess, uint64_t* level,
                size_t* above) {
  uint64_t top = *std::max_element(values, values + size);
  uint64_t removed = 0;  // sum(max(v - top, 0))
  size_t at_or_above = 0;
  for (size_t i = 0; i < size; ++i) at_or_above += values[i] == top;
  while (2 * at_or_above <= size) {
    uint64_t next = 0;
    for (size_t i = 0; i < size; ++i) next = std::max(next, values[i] < top ? values[i] : 0);
    size_t at_next = 0;
    for (size_t i = 0; i < size; ++i) at_next += values[i] == next;
    const uint64_t step = (top - next) * at_or_above;
    if (removed + step >= excess) {
      *level = top - (excess - removed + at_or_above - 1) / at_or_above;
      *above = at_or_above;
      return true;
    }
    removed += step;
    top = next;
    at_or_above += at_next;
  }
  return false;
}

// Makes `values` sum to `units` while keeping small values exact: a surplus goes to the
// largest value, a deficit is cut from the largest ones down to a common level (water
// filling). When that level would cut more than half the values, they are scaled
// proportionally instead (cumulative rounding), which keeps their shape.
void FitBlockToBudget(uint64_t* values, size_t size, uint64_t units) {
  uint64_t drawn = 0;
  for (size_t i = 0; i < size; ++i) drawn += values[i];
  if (drawn <= units) {
    *std::max_element(values, values + size) += units - drawn;
    return;
  }
  uint64_t level = 0;
  size_t above = 0;
  if (WaterLevel(values, size, drawn - units, &level, &above)) {
    // Every value above `level` is cut to it, then the first few get back the units
    // cut beyond the excess (fewer than `above`).
    uint64_t kept = 0;
    for (size_t i = 0; i < size; ++i) kept += std::min(values[i], level);
    uint64_t extra = units - kept;
    for (size_t i = 0; i < size; ++i) {
      if (values[i] <= level) continue;
      values[i] = level + (extra > 0 ? 1 : 0);
      if (extra > 0) --extra;
    }
    return;
  }
  uint64_t prefix = 0, given = 0;
  for (size_t i = 0; i < size; ++i) {
    prefix += values[i];
    const auto upto = static_cast<uint64_t>(static_cast<unsigned __int128>(units) * prefix / drawn);
    values[i] = upto - given;
    given = upto;
  }
}

// The counts of the `size` directories of one block, drawn from `draw` and made to sum
// to `units`.
void BlockCounts(const CountDraw& draw, uint64_t key, uint64_t units, uint64_t* values,
                 size_t size) {
  if (units == 0) {
    std::fill(values, values + size, 0);
    return;
  }
  // Stratified draws (Latin hypercube): directory i of the block draws from the
  // quantile stratum (a i + c) mod kBlockDirs, an affine permutation, so every full block
  // holds one draw from each 1/kBlockDirs of the histogram. Its draws then follow the
  // histogram closely and sum to near the block's share of the budget.
  SplitMixStream stream(key);
  const uint64_t a = stream.Next() | 1, c = stream.Next();
  for (size_t i = 0; i < size; ++i) {
    const uint64_t stratum = (a * i + c) & (kBlockDirs - 1);
    values[i] = draw.Value(stratum << kStratumShift | stream.Next() >> kStratumBits);
  }
  FitBlockToBudget(values, size, units);
}

// Adds to `counts` (indexed by LogBuckets) the units of every directory of blocks
// [lo, hi) of a sharing of `budget` units among n directories in blocks of `block`.
void ProbeCounts(uint64_t seed, uint64_t tag, uint32_t level, uint64_t n, uint64_t block,
                 const CountDraw& draw, uint64_t lo, uint64_t hi, uint64_t budget, double w,
                 std::vector<uint64_t>& counts) {
  const auto dirs = [&](uint64_t a, uint64_t b) { return std::min(b * block, n) - a * block; };
  if (hi - lo == 1) {
    uint64_t values[kBlockDirs];
    const size_t size = dirs(lo, hi);
    BlockCounts(draw, BlockKey(seed, tag, level, lo), budget, values, size);
    for (size_t i = 0; i < size; ++i) ++counts[LogBuckets::Of(values[i])];
    return;
  }
  const uint64_t mid = lo + (hi - lo) / 2;
  const uint64_t left = LeftUnits(seed, tag, level, n, block, lo, mid, hi, budget, w);
  ProbeCounts(seed, tag, level, n, block, draw, lo, mid, left, w, counts);
  ProbeCounts(seed, tag, level, n, block, draw, mid, hi, budget - left, w, counts);
}

// Total-variation distance between two histograms given as counts by LogBuckets bucket.
double HistogramDistance(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  const double ta = static_cast<double>(std::accumulate(a.begin(), a.end(), uint64_t{0}));
  const double tb = static_cast<double>(std::accumulate(b.begin(), b.end(), uint64_t{0}));
  if (ta == 0 || tb == 0) return 1.0;
  double distance = 0;
  for (size_t i = 0; i < a.size(); ++i)
    distance += std::fabs(static_cast<double>(a[i]) / ta - static_cast<double>(b[i]) / tb);
  return distance / 2;
}

// The blend weight whose sharing of `budget` units among n directories (blocks of
// `block` directories, each drawing from `draw`) gives a histogram of units per
// directory most like `target` (e.g. files per directory at this depth), by total
// variation. Searched on a grid then refined, on at most 8192 directories with the same
// budget per directory. Deterministic.
double FitBlend(uint64_t seed, uint64_t tag, uint32_t level, uint64_t n, uint64_t budget,
                uint64_t block, const CountDraw& draw, const SparseHistogram& target) {
  if (n <= block || budget == 0 || target.total() == 0) return 0.0;
  constexpr uint64_t kProbeDirs = 8192;
  const uint64_t probe_n = std::min(n, kProbeDirs);
  const uint64_t probe_budget = static_cast<uint64_t>(std::llround(
      static_cast<double>(budget) * static_cast<double>(probe_n) / static_cast<double>(n)));
  std::vector<uint64_t> wanted(LogBuckets::kCount, 0);
  for (const auto& [low, count] : target.bins) wanted[LogBuckets::Of(low)] += count;
  auto distance = [&](double w) {
    std::vector<uint64_t> counts(LogBuckets::kCount, 0);
    ProbeCounts(seed, tag, level, probe_n, block, draw, 0, (probe_n + block - 1) / block,
                probe_budget, w, counts);
    return HistogramDistance(counts, wanted);
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

  // Per depth, how subdirectories and entries are shared out: drawn from, and the
  // cascade fitted to, the profile's subdirectories-per-directory and
  // files-per-directory histograms.
  const auto& shape = profile.shape;
  children_.resize(levels);
  entries_.resize(levels);
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
    InitSharing(children_[t], kChildTag, level, t + 1 < levels ? level_dirs_[t + 1] : 0, fanout);
    InitSharing(entries_[t], kEntryTag, level, level_entries_[t], files);
  }

  dir_start_.assign(levels + 1, 1);
  entry_start_.assign(levels + 1, 0);
  for (size_t t = 0; t < levels; ++t) {
    dir_start_[t + 1] = dir_start_[t] + level_dirs_[t];
    entry_start_[t + 1] = entry_start_[t] + level_entries_[t];
  }
}

void Tree::InitSharing(Sharing& s, uint64_t tag, uint32_t level, uint64_t budget,
                       const SparseHistogram& target) const {
  s.tag = tag;
  s.level = level;
  s.n = level_dirs_[level];
  s.budget = budget;
  s.draw = CountDraw(target);
  const double draw_mean = s.draw.mean();
  const double wanted_mean = static_cast<double>(budget) / static_cast<double>(s.n);
  if (s.draw.empty() || (draw_mean == 0 && budget > 0)) {
    // No histogram, or one that cannot hold the budget: the plain cascade over single
    // directories, evenly split (no histogram) or steep (a histogram of zeros).
    s.draw = CountDraw();
    s.block = 1;
    s.blend = draw_mean == 0 && budget > 0 && target.total() > 0 ? 1.0 : 0.0;
    return;
  }
  // A histogram whose mean is far from this depth's (a profile without per-depth
  // histograms, a resized tree) is scaled to it, so blocks neither lack nor pile up
  // units; within 10%, the draws stay exact and the blocks absorb the difference.
  if (draw_mean > 0 && std::fabs(wanted_mean / draw_mean - 1) > 0.1)
    s.draw.set_scale(wanted_mean / draw_mean);
  s.block = kBlockDirs;
  s.blend = FitBlend(seed_, tag, level, s.n, budget, s.block, s.draw, target);
}

// Both descents below walk the cascade over the blocks of a sharing: the node over
// blocks [lo, hi) gives its left half a share of its units (median: the left half's
// share of the directories), then the block's draws are fitted to the block's units.
template <typename GoLeft>
uint64_t Tree::Descend(const Sharing& s, Share* share, GoLeft go_left) const {
  uint64_t lo = 0, hi = (s.n + s.block - 1) / s.block;
  *share = Share{0, s.budget};
  while (hi - lo > 1) {
    const uint64_t mid = lo + (hi - lo) / 2;
    const uint64_t left =
        LeftUnits(seed_, s.tag, s.level, s.n, s.block, lo, mid, hi, share->count, s.blend);
    if (go_left(mid, *share, left)) {
      hi = mid;
      share->count = left;
    } else {
      lo = mid;
      share->offset += left;
      share->count -= left;
    }
  }
  return lo;
}

size_t Tree::BlockShares(const Sharing& s, uint64_t b, uint64_t* block_offset,
                         uint64_t* values) const {
  Share share;
  Descend(s, &share, [b](uint64_t mid, const Share&, uint64_t) { return b < mid; });
  *block_offset = share.offset;
  const size_t size = std::min((b + 1) * s.block, s.n) - b * s.block;
  if (s.block == 1) {
    values[0] = share.count;
  } else {
    BlockCounts(s.draw, BlockKey(seed_, s.tag, s.level, b), share.count, values, size);
  }
  return size;
}

Tree::Share Tree::ShareOf(const Sharing& s, uint64_t k) const {
  const uint64_t b = k / s.block;
  uint64_t values[kBlockDirs];
  Share share;
  BlockShares(s, b, &share.offset, values);
  const uint64_t j = k - b * s.block;
  for (uint64_t i = 0; i < j; ++i) share.offset += values[i];
  share.count = values[j];
  return share;
}

uint64_t Tree::Children(const DirNode& dir, uint64_t start, std::span<DirNode> out) const {
  if (start >= dir.child_dirs) return 0;
  const uint32_t t = dir.depth + 1;
  const bool has_children = t + 1 < level_dirs_.size();
  const uint64_t first = dir.first_child_ino - dir_start_[t];
  const uint64_t count = std::min<uint64_t>(dir.child_dirs - start, out.size());
  // One cascade descent and one set of draws per block of children, not per child.
  uint64_t child_values[kBlockDirs], entry_values[kBlockDirs];
  uint64_t child_at = UINT64_MAX, entry_at = UINT64_MAX, child_offset = 0, entry_offset = 0;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t k = first + start + i;
    DirNode& d = out[i];
    d.ino = dir_start_[t] + k;
    d.parent_ino = dir.ino;
    d.depth = t;
    d.index_in_parent = start + i;
    d.child_dirs = d.first_child_ino = 0;
    if (has_children) {
      const Share c = NextShare(children_[t], k, child_values, &child_at, &child_offset);
      d.child_dirs = c.count;
      d.first_child_ino = dir_start_[t + 1] + c.offset;
    }
    const Share e = NextShare(entries_[t], k, entry_values, &entry_at, &entry_offset);
    d.local_entries = e.count;
    d.entry_base = entry_start_[t] + e.offset;
  }
  return count;
}

Tree::Share Tree::NextShare(const Sharing& s, uint64_t k, uint64_t* values, uint64_t* at,
                            uint64_t* offset) const {
  // `values` hold the block of directory *at (UINT64_MAX: none yet) and *offset the units
  // before directory *at; directories are visited in increasing order.
  const uint64_t b = k / s.block;
  if (*at == UINT64_MAX || *at / s.block != b) {
    BlockShares(s, b, offset, values);
    *at = b * s.block;
  }
  for (; *at < k; ++*at) *offset += values[*at - b * s.block];
  return Share{*offset, values[k - b * s.block]};
}

uint64_t Tree::HolderOf(const Sharing& s, uint64_t unit, Share* share) const {
  Share found;
  const uint64_t lo = Descend(s, &found, [unit](uint64_t, const Share& at, uint64_t left) {
    return unit < at.offset + left;
  });
  if (s.block == 1) {
    *share = found;
    return lo;
  }
  uint64_t values[kBlockDirs];
  const size_t size = std::min((lo + 1) * s.block, s.n) - lo * s.block;
  BlockCounts(s.draw, BlockKey(seed_, s.tag, s.level, lo), found.count, values, size);
  size_t j = 0;
  while (j + 1 < size && unit >= found.offset + values[j]) found.offset += values[j++];
  *share = Share{found.offset, values[j]};
  return lo * s.block + j;
}

DirNode Tree::MakeDir(uint32_t t, uint64_t k, uint64_t parent_ino, uint64_t index_in_parent,
                      const Share* entries) const {
  DirNode d;
  d.ino = dir_start_[t] + k;
  d.parent_ino = parent_ino;
  d.depth = t;
  d.index_in_parent = index_in_parent;
  if (t + 1 < level_dirs_.size()) {
    const Share children = ShareOf(children_[t], k);
    d.child_dirs = children.count;
    d.first_child_ino = dir_start_[t + 1] + children.offset;
  }
  const Share local = entries != nullptr ? *entries : ShareOf(entries_[t], k);
  d.local_entries = local.count;
  d.entry_base = entry_start_[t] + local.offset;
  return d;
}

DirNode Tree::DirAt(uint32_t t, uint64_t k, const Share* entries) const {
  if (t == 0) return MakeDir(0, 0, 1, 0, entries);
  Share siblings;
  const uint64_t parent_k = HolderOf(children_[t - 1], k, &siblings);
  return MakeDir(t, k, dir_start_[t - 1] + parent_k, k - siblings.offset, entries);
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
  *out = DirAt(t, ino - dir_start_[t]);
  return true;
}

bool Tree::FindDirContents(uint64_t ino, DirNode* out) const {
  if (ino < 1 || ino >= dir_start_.back()) return false;
  const uint32_t t = LevelOfDir(ino);
  *out = MakeDir(t, ino - dir_start_[t], 0, 0);
  return true;
}

uint32_t Tree::EntryParentDepth(uint64_t entry) const {
  const auto it = std::upper_bound(entry_start_.begin(), entry_start_.end(), entry);
  return static_cast<uint32_t>(it - entry_start_.begin() - 1);
}

DirNode Tree::FindEntryParent(uint64_t entry) const {
  const uint32_t t = EntryParentDepth(entry);
  Share share;
  const uint64_t k = HolderOf(entries_[t], entry - entry_start_[t], &share);
  return DirAt(t, k, &share);
}

}  // namespace sfsg::internal
