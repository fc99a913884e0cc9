// Internal to the namespace model: the budget-splitting tree (see namespace.h).
// Not a public header; namespace.cc is its only user besides tests.
#pragma once

#include <cstdint>
#include <vector>

#include "generator/profile.h"

namespace sfsg::internal {

// A directory with its subtree budget. Directory ids are dense pre-order numbers
// (root = 1); entry indices (non-directories) are dense pre-order too.
struct DirNode {
  uint64_t ino = 1;
  uint64_t parent_ino = 1;
  uint32_t depth = 0;
  uint64_t index_in_parent = 0;  // child index in the parent's listing (dirs come first)
  uint64_t desc_dirs = 0;        // directories strictly below
  uint64_t entries = 0;          // non-directory entries in the whole subtree
  uint64_t entry_base = 0;       // index of the first entry of the subtree
  uint64_t child_dirs = 0;       // immediate subdirectories (derived)
  uint64_t local_entries = 0;    // non-directory entries directly inside (derived)
};

// Where child j of a directory sits: its budget and its offsets.
struct ChildSlot {
  uint64_t desc_dirs = 0;
  uint64_t entries = 0;
  uint64_t dir_offset = 0;    // child ino = parent ino + 1 + dir_offset
  uint64_t entry_offset = 0;  // child entry_base = parent entry_base + local + entry_offset
};

class Tree {
 public:
  Tree(const Profile& profile, uint64_t seed, uint64_t dirs, uint64_t entries);

  DirNode Root() const;
  // The j-th subdirectory of `dir` (j < dir.child_dirs). O(log child_dirs).
  DirNode Child(const DirNode& dir, uint64_t j) const;
  // Index of the subdirectory whose subtree holds directory id `ino` (dir.ino < ino).
  uint64_t ChildHoldingDir(const DirNode& dir, uint64_t ino) const;
  // Index of the subdirectory whose subtree holds entry `entry` (beyond the local ones).
  uint64_t ChildHoldingEntry(const DirNode& dir, uint64_t entry) const;
  // Descends from the root to directory `ino`; false if out of range.
  bool FindDir(uint64_t ino, DirNode* out) const;
  // Descends to the directory that directly holds entry `entry`.
  DirNode FindEntryParent(uint64_t entry) const;

 private:
  void Derive(DirNode& node) const;
  ChildSlot Slot(const DirNode& dir, uint64_t j) const;

  uint64_t seed_;
  uint64_t dirs_, entries_;
  // Per depth: share of the remaining directories that sit exactly at depth t+1, and
  // the expected entries per directory (files_by_depth / dirs_by_depth).
  std::vector<double> next_level_share_;
  std::vector<double> entries_per_dir_;
  std::vector<double> deeper_entry_weight_;     // sum over s > t of share_s * entries_s
  std::vector<SparseHistogram> files_per_dir_;  // by depth (for the spread of local counts)
  std::vector<double> files_per_dir_mean_;
};

}  // namespace sfsg::internal
