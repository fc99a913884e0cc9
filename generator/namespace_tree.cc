#include "generator/namespace_tree.h"

#include <algorithm>
#include <cmath>

#include "generator/util/hash.h"

namespace sfsg::internal {
namespace {

constexpr uint64_t kSplitTag = 0x5f1175917e5ull;
constexpr uint64_t kLocalTag = 0x10ca1e717e5ull;

// The share of a budget that goes to the left half of a child range of nL + nR
// children. Its median is nL / (nL + nR); the odds are scaled by u / (1 - u), a
// logistic perturbation, so repeated halving gives heavy-tailed child budgets (a
// multiplicative cascade). Plain IEEE arithmetic: identical on every machine.
double LeftShare(uint64_t key, uint64_t n_left, uint64_t n_right) {
  const double base = static_cast<double>(n_left) / static_cast<double>(n_left + n_right);
  const double u = (static_cast<double>(key >> 11) + 0.5) * 0x1.0p-53;
  return u * base / (u * base + (1.0 - u) * (1.0 - base));
}

uint64_t TakeShare(uint64_t total, double share) {
  const double left = std::floor(static_cast<double>(total) * share);
  return std::min<uint64_t>(total, static_cast<uint64_t>(std::max(0.0, left)));
}

}  // namespace

Tree::Tree(const Profile& profile, uint64_t seed, uint64_t dirs, uint64_t entries)
    : seed_(seed), dirs_(dirs), entries_(entries) {
  const auto& dirs_by_depth = profile.shape.dirs_by_depth;
  const size_t depths = dirs_by_depth.size();
  std::vector<double> at_or_below(depths + 1, 0.0);
  for (size_t t = depths; t-- > 0;)
    at_or_below[t] = at_or_below[t + 1] + static_cast<double>(dirs_by_depth[t]);
  next_level_share_.assign(depths, 1.0);
  for (size_t t = 0; t + 1 < depths; ++t)
    if (at_or_below[t + 1] > 0)
      next_level_share_[t] = static_cast<double>(dirs_by_depth[t + 1]) / at_or_below[t + 1];
  entries_per_dir_.assign(depths, 0.0);
  for (size_t t = 0; t < depths; ++t) {
    const double files = t < profile.shape.files_by_depth.size()
                             ? static_cast<double>(profile.shape.files_by_depth[t])
                             : 0.0;
    entries_per_dir_[t] = dirs_by_depth[t] ? files / static_cast<double>(dirs_by_depth[t]) : 0.0;
  }
  // deeper_entry_weight_[t] = expected entries per descendant directory of a depth-t dir.
  deeper_entry_weight_.assign(depths, 0.0);
  for (size_t t = 0; t < depths; ++t) {
    double weighted = 0;
    for (size_t s = t + 1; s < depths; ++s)
      weighted += static_cast<double>(dirs_by_depth[s]) * entries_per_dir_[s];
    deeper_entry_weight_[t] = at_or_below[t + 1] > 0 ? weighted / at_or_below[t + 1] : 0.0;
  }
  files_per_dir_ = profile.shape.files_per_dir_by_depth;
  files_per_dir_mean_.clear();
  for (const auto& h : files_per_dir_) files_per_dir_mean_.push_back(h.mean());
}

void Tree::Derive(DirNode& node) const {
  if (node.desc_dirs == 0) {
    node.child_dirs = 0;
    node.local_entries = node.entries;
    return;
  }
  const size_t t = std::min<size_t>(node.depth, next_level_share_.size() - 1);
  const double share = node.depth + 1 < next_level_share_.size() ? next_level_share_[t] : 1.0;
  const double wanted = std::round(static_cast<double>(node.desc_dirs) * share);
  node.child_dirs = std::clamp<uint64_t>(static_cast<uint64_t>(wanted), 1, node.desc_dirs);
  // Expected share of the subtree's entries that sit directly here, then a seeded
  // spread drawn from the profile's files-per-directory distribution at this depth.
  const double here = entries_per_dir_[t];
  const double below = static_cast<double>(node.desc_dirs) * deeper_entry_weight_[t];
  double expected = here + below > 0 ? static_cast<double>(node.entries) * here / (here + below)
                                     : static_cast<double>(node.entries) / (1.0 + node.desc_dirs);
  if (t < files_per_dir_.size() && files_per_dir_mean_[t] > 0) {
    const double u = UnitFromBits(HashWords(seed_, kLocalTag, node.ino));
    expected *= files_per_dir_[t].Quantile(u) / files_per_dir_mean_[t];
  }
  node.local_entries =
      std::min<uint64_t>(node.entries, static_cast<uint64_t>(std::llround(expected)));
}

DirNode Tree::Root() const {
  DirNode root;
  root.ino = 1;
  root.parent_ino = 1;
  root.desc_dirs = dirs_ - 1;
  root.entries = entries_;
  Derive(root);
  return root;
}

ChildSlot Tree::Slot(const DirNode& dir, uint64_t j) const {
  uint64_t lo = 0, hi = dir.child_dirs;
  ChildSlot slot;
  slot.desc_dirs = dir.desc_dirs - dir.child_dirs;
  slot.entries = dir.entries - dir.local_entries;
  while (hi - lo > 1) {
    const uint64_t mid = lo + (hi - lo) / 2;
    const double share =
        LeftShare(HashWords(seed_, kSplitTag, dir.ino, lo, hi), mid - lo, hi - mid);
    const uint64_t left_dirs = TakeShare(slot.desc_dirs, share);
    const uint64_t left_entries = TakeShare(slot.entries, share);
    if (j < mid) {
      hi = mid;
      slot.desc_dirs = left_dirs;
      slot.entries = left_entries;
    } else {
      slot.dir_offset += (mid - lo) + left_dirs;
      slot.entry_offset += left_entries;
      lo = mid;
      slot.desc_dirs -= left_dirs;
      slot.entries -= left_entries;
    }
  }
  return slot;
}

DirNode Tree::Child(const DirNode& dir, uint64_t j) const {
  const ChildSlot slot = Slot(dir, j);
  DirNode child;
  child.ino = dir.ino + 1 + slot.dir_offset;
  child.parent_ino = dir.ino;
  child.depth = dir.depth + 1;
  child.index_in_parent = j;
  child.desc_dirs = slot.desc_dirs;
  child.entries = slot.entries;
  child.entry_base = dir.entry_base + dir.local_entries + slot.entry_offset;
  Derive(child);
  return child;
}

uint64_t Tree::ChildHoldingDir(const DirNode& dir, uint64_t ino) const {
  const uint64_t target = ino - dir.ino - 1;
  uint64_t lo = 0, hi = dir.child_dirs, dirs = dir.desc_dirs - dir.child_dirs, offset = 0;
  while (hi - lo > 1) {
    const uint64_t mid = lo + (hi - lo) / 2;
    const double share =
        LeftShare(HashWords(seed_, kSplitTag, dir.ino, lo, hi), mid - lo, hi - mid);
    const uint64_t left_dirs = TakeShare(dirs, share);
    const uint64_t left_span = (mid - lo) + left_dirs;
    if (target < offset + left_span) {
      hi = mid;
      dirs = left_dirs;
    } else {
      offset += left_span;
      lo = mid;
      dirs -= left_dirs;
    }
  }
  return lo;
}

uint64_t Tree::ChildHoldingEntry(const DirNode& dir, uint64_t entry) const {
  const uint64_t target = entry - (dir.entry_base + dir.local_entries);
  uint64_t lo = 0, hi = dir.child_dirs, entries = dir.entries - dir.local_entries, offset = 0;
  while (hi - lo > 1) {
    const uint64_t mid = lo + (hi - lo) / 2;
    const double share =
        LeftShare(HashWords(seed_, kSplitTag, dir.ino, lo, hi), mid - lo, hi - mid);
    const uint64_t left_entries = TakeShare(entries, share);
    if (target < offset + left_entries) {
      hi = mid;
      entries = left_entries;
    } else {
      offset += left_entries;
      lo = mid;
      entries -= left_entries;
    }
  }
  return lo;
}

bool Tree::FindDir(uint64_t ino, DirNode* out) const {
  if (ino < 1 || ino > dirs_) return false;
  DirNode node = Root();
  while (node.ino != ino) node = Child(node, ChildHoldingDir(node, ino));
  *out = node;
  return true;
}

DirNode Tree::FindEntryParent(uint64_t entry) const {
  DirNode node = Root();
  while (entry >= node.entry_base + node.local_entries)
    node = Child(node, ChildHoldingEntry(node, entry));
  return node;
}

}  // namespace sfsg::internal
