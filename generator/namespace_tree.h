// Internal to the namespace model: the level-order budget-splitting tree (see
// namespace.h). Not a public header; namespace.cc is its only user besides tests.
//
// The profile says how many directories and entries sit at each depth; the tree keeps
// those counts exactly (scaled by largest remainder). Directories are numbered level
// by level (root = 1, then depth 1, depth 2, ...), and so are entries. The directories
// of depth t+1 are shared out among the directories of depth t by a seeded binary
// cascade over the parents' index range: each halving gives the left half a
// heavy-tailed share of the budget, so a parent's child count and its position are
// found in O(log n) with no per-node state. Entries of depth t are shared out among
// the directories of depth t the same way. Every query is a few such descents.
#pragma once

#include <cstdint>
#include <vector>

#include "generator/profile.h"

namespace sfsg::internal {

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
  // The j-th subdirectory of `dir` (j < dir.child_dirs). O(log n).
  DirNode Child(const DirNode& dir, uint64_t j) const;
  // Directory `ino`; false if out of range. O(log n), independent of depth.
  bool FindDir(uint64_t ino, DirNode* out) const;
  // The directory that directly holds entry `entry` (< entries). O(log n).
  DirNode FindEntryParent(uint64_t entry) const;

  // Exact counts by depth (what the profile asked for, scaled).
  const std::vector<uint64_t>& dirs_by_depth() const { return level_dirs_; }
  const std::vector<uint64_t>& entries_by_depth() const { return level_entries_; }

 private:
  // Where leaf k of a cascade over [0, n) with `budget` units sits: its units and the
  // units before it.
  struct Share {
    uint64_t offset = 0;
    uint64_t count = 0;
  };
  Share ShareOf(uint64_t tag, uint32_t level, uint64_t n, uint64_t budget, double blend,
                uint64_t k) const;
  // The leaf k whose units hold unit `unit` (< budget), with its share.
  uint64_t HolderOf(uint64_t tag, uint32_t level, uint64_t n, uint64_t budget, double blend,
                    uint64_t unit, Share* share) const;
  // Directory k of depth t, given its parent and index there.
  DirNode MakeDir(uint32_t t, uint64_t k, uint64_t parent_ino, uint64_t index_in_parent) const;
  uint32_t LevelOfDir(uint64_t ino) const;

  uint64_t seed_;
  std::vector<uint64_t> level_dirs_, level_entries_;
  std::vector<double> child_blend_, entry_blend_;  // cascade steepness by depth
  std::vector<uint64_t> dir_start_;                // inode of the first directory of each depth
  std::vector<uint64_t> entry_start_;              // index of the first entry of each depth
};

}  // namespace sfsg::internal
