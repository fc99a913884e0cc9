// Internal to the namespace model: the level-order budget-splitting tree (see
// namespace.h). Not a public header; namespace.cc is its only user besides tests.
//
// The profile says how many directories and entries sit at each depth; the tree keeps
// those counts exactly (scaled by largest remainder). Directories are numbered level
// by level (root = 1, then depth 1, depth 2, ...), and so are entries. The directories
// of depth t+1 are shared out among the directories of depth t in two steps:
//  - the directories of depth t are cut into blocks of kBlockDirs consecutive ones, and
//    a seeded binary cascade over the block range gives each block its budget (each
//    halving gives the left part a share whose steepness is fitted to the profile);
//  - inside a block, each directory draws a count from the profile's histogram for its
//    depth by quantile (stratified: a full block takes one draw from each 1/kBlockDirs
//    of the histogram), and the block's draws are made to sum to the block's budget
//    while small counts stay exact: a surplus goes to the largest draw, a deficit is
//    cut from the largest first (water filling), and only when that would change most
//    of the block are the draws scaled proportionally. A histogram whose mean is more
//    than 10% off the depth's (no per-depth histogram, a resized tree) is scaled to it.
// A parent's count and position are thus found in O(log n + kBlockDirs) with no
// per-node state. Entries of depth t are shared out among the directories of depth t
// the same way. A depth whose histogram is empty falls back to the plain cascade over
// single directories. Every query is a few such descents.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "generator/profile.h"

namespace sfsg::internal {

// Directories per block of the sharing (see above): enough draws for a block to follow
// the histogram's small counts, few enough to keep a query near a microsecond.
inline constexpr uint64_t kBlockDirs = 32;

// Integer draws from a SparseHistogram by quantile: a pure function of 64 random bits,
// the same on every machine (integer arithmetic, plus one IEEE multiply when scaled). A draw inside
// a LogBuckets bin wider than 1 is spread evenly over the bin's values. O(1) expected via a guide
// table (Chen & Asau's indexed search); allocation-free once built.
class CountDraw {
 public:
  CountDraw() = default;
  explicit CountDraw(const SparseHistogram& histogram);
  bool empty() const { return total_ == 0; }
  // The mean of the draws before scaling.
  double mean() const;
  // Draws are multiplied by `factor` (rounded up or down at random, so the mean scales
  // exactly); 1 keeps them exact.
  void set_scale(double factor) { scale_ = factor; }
  // REQUIRES: !empty().
  uint64_t Value(uint64_t bits) const;

 private:
  struct Bin {
    uint64_t end = 0;  // cumulative count up to and including this bin
    uint64_t count = 0;
    uint64_t low = 0;
    uint64_t width = 1;
  };
  static constexpr uint64_t kGuideSlots = 256;
  std::vector<Bin> bins_;
  std::vector<uint32_t> guide_;  // first bin that can hold a draw of each slot
  uint64_t total_ = 0;
  double scale_ = 1.0;
};

// A directory with what it holds. Directory inodes are dense in level order (root =
// 1); entry indices (non-directories) are dense in level order too.
struct DirNode {
  uint64_t ino = 1;
  uint64_t parent_ino = 1;
  uint32_t depth = 0;
  uint64_t index_in_parent = 0;  // child index in the parent's listing (dirs come first)
  uint64_t child_dirs = 0;       // immediate subdirectories
  uint64_t first_child_ino = 0;  // inode of subdirectory 0 (when child_dirs > 0)
  uint64_t local_entries = 0;    // non-directory entries directly inside
  uint64_t entry_base = 0;       // index of the first of them
};

class Tree {
 public:
  // `dirs` >= 1 directories (root included) and `entries` non-directory entries.
  Tree(const Profile& profile, uint64_t seed, uint64_t dirs, uint64_t entries);

  DirNode Root() const;
  // The j-th subdirectory of `dir` (j < dir.child_dirs). O(log n + kBlockDirs).
  DirNode Child(const DirNode& dir, uint64_t j) const;
  // Subdirectories start, start+1, ... of `dir` into `out`, as many as fit and exist;
  // returns how many. Consecutive children share their cascade descents, so a listing
  // costs O((log n) / kBlockDirs + 1) per child.
  uint64_t Children(const DirNode& dir, uint64_t start, std::span<DirNode> out) const;
  // Directory `ino`; false if out of range. O(log n + kBlockDirs), independent of depth.
  bool FindDir(uint64_t ino, DirNode* out) const;
  // Directory `ino` without where it sits (parent_ino and index_in_parent are left 0):
  // what attributes, listings and lookups need, one descent cheaper than FindDir.
  bool FindDirContents(uint64_t ino, DirNode* out) const;
  // The directory that directly holds entry `entry` (< entries). O(log n + kBlockDirs).
  DirNode FindEntryParent(uint64_t entry) const;
  // The depth of that directory, in O(log depth).
  uint32_t EntryParentDepth(uint64_t entry) const;

  // Exact counts by depth (what the profile asked for, scaled).
  const std::vector<uint64_t>& dirs_by_depth() const { return level_dirs_; }
  const std::vector<uint64_t>& entries_by_depth() const { return level_entries_; }

 private:
  // Where leaf k of a sharing over [0, n) with `budget` units sits: its units and the
  // units before it.
  struct Share {
    uint64_t offset = 0;
    uint64_t count = 0;
  };
  // How one budget (subdirectories or entries of one depth) is shared among the n
  // directories of a depth.
  struct Sharing {
    uint64_t tag = 0;
    uint32_t level = 0;
    uint64_t n = 1;       // directories sharing the budget
    uint64_t budget = 0;  // units shared
    uint64_t block = 1;   // directories per block; 1: the plain cascade, no draws
    double blend = 0;     // cascade steepness over the blocks
    CountDraw draw;       // the profile's histogram of units per directory
  };
  void InitSharing(Sharing& s, uint64_t tag, uint32_t level, uint64_t budget,
                   const SparseHistogram& target) const;
  // The units of every directory of block b (returns how many directories it holds)
  // and the units before the block.
  size_t BlockShares(const Sharing& s, uint64_t b, uint64_t* block_offset, uint64_t* values) const;
  // Walks the cascade of `s` from the top to one block and returns it, `share` ending as
  // the block's units: at each node [lo, hi) `go_left(mid, share so far, units of the
  // left half)` says whether the walk takes [lo, mid).
  template <typename GoLeft>
  uint64_t Descend(const Sharing& s, Share* share, GoLeft go_left) const;
  Share ShareOf(const Sharing& s, uint64_t k) const;
  // ShareOf for increasing k, reusing the block in `values` while k stays in it.
  Share NextShare(const Sharing& s, uint64_t k, uint64_t* values, uint64_t* at,
                  uint64_t* offset) const;
  // The leaf k whose units hold unit `unit` (< budget), with its share.
  uint64_t HolderOf(const Sharing& s, uint64_t unit, Share* share) const;
  // Directory k of depth t, given its parent and index there; `entries`, when known,
  // saves recomputing its share of the entries.
  DirNode MakeDir(uint32_t t, uint64_t k, uint64_t parent_ino, uint64_t index_in_parent,
                  const Share* entries = nullptr) const;
  // Directory k of depth t found from the top.
  DirNode DirAt(uint32_t t, uint64_t k, const Share* entries = nullptr) const;
  uint32_t LevelOfDir(uint64_t ino) const;

  uint64_t seed_;
  std::vector<uint64_t> level_dirs_, level_entries_;
  std::vector<Sharing> children_, entries_;  // by depth
  std::vector<uint64_t> dir_start_;          // inode of the first directory of each depth
  std::vector<uint64_t> entry_start_;        // index of the first entry of each depth
};

}  // namespace sfsg::internal
