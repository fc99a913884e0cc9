// Namespace: the lazy, deterministic directory tree of a shadow.
//
// Given a profile, a seed and a size (scale, or exact file/dir counts and bytes), the
// namespace answers every metadata question about the synthetic tree without ever
// materialising it: attributes by inode, lookup by name, children by index, paths.
//
// Model (level-order budget splitting): the profile's directory and entry counts by
// depth, scaled, are kept exactly. The directories of depth t+1 are shared out among
// those of depth t, and the entries of depth t among the directories of depth t: a
// seeded binary cascade, fitted per depth, shares each budget among blocks of 32
// consecutive directories, and inside a block each directory's count is drawn from the
// profile's per-depth histogram (subdirectories or files per directory), adjusted at
// the top so the block sums to its share. A parent's share is found in O(log n + 32)
// with no per-node state, so memory is O(depth). Directory inodes are dense in level
// order (root = 1, then depth 1, ...); entry inodes follow all directories, in level
// order too. File sizes are stratified: regular file i gets the size quantile at
// (pi(i) + 0.5) / N for a seeded permutation pi, so the multiset of sizes is exactly
// the model's N-point quantile grid and total bytes match the model's mean to well
// under 0.5%.
//
// Names carry the entry's index ("a4k-rt7qz.txt"), so Lookup parses, regenerates and
// compares: O(log n) with no search.
//
// Re-scaling: Rescale() grows a live namespace by appending a layer (a tree of its own
// whose root merges with the shadow's root; its inodes are (layer << 44) | local) and
// shrinks it by hiding the newest layers. Entries that exist before and after keep
// their inode, name, attributes and content key. At most 64 layers; a new layer adds at
// least 1% of the shadow (2% past 16 layers, 4% past 32, 8% past 48), so a continuously
// re-scaled shadow can grow about tenfold before Rescale() says kUnsupported.
//
// Thread-safety: every const method is thread-safe, lock-free and allocation-free
// except those returning std::string; Rescale() may run concurrently with them (the
// readers see the layers before or after, never a mix within one call). Each call is a
// pure function of (profile, options, arguments): the same on every run and machine.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "generator/profile.h"
#include "generator/util/status.h"

namespace sfsg {

struct NamespaceOptions {
  uint64_t seed = 1;
  double scale = 1.0;   // multiplies the profile's entry and directory counts
  uint64_t files = 0;   // non-directory entries (regular files + symlinks); 0 = scale
  uint64_t dirs = 0;    // directories incl. the root; 0 = files x profile's dir ratio
  uint64_t bytes = 0;   // total regular-file bytes; 0 = what the size model gives
  double now_unix = 0;  // timestamps are "now - age"; 0 = the profile's scan time
};

// What a Rescale() changed: layers [old_layers, new_layers) appeared when growing,
// [new_layers, old_layers) vanished when shrinking.
struct RescaleChange {
  uint32_t old_layers = 1;
  uint32_t new_layers = 1;
};

enum class NodeKind : uint8_t { kDirectory, kFile, kSymlink };

struct NodeAttr {
  uint64_t ino = 0;
  NodeKind kind = NodeKind::kFile;
  uint64_t size_bytes = 0;  // directories: 4096 x ceil(entries / 128); symlinks: target length
  uint32_t mode = 0;        // permission bits only (0755 dirs, 0644/0755 files, 0777 links)
  uint32_t nlink = 1;
  int64_t mtime_ns = 0, atime_ns = 0, ctime_ns = 0;
  uint32_t depth = 0;          // root = 0
  uint16_t content_class = 0;  // for ContentModel::Fill (regular files)
  uint64_t file_index = 0;     // regular files and symlinks: dense index in [0, entries)
};

struct DirEntryView {
  std::string name;
  NodeAttr attr;
};

class Namespace {
 public:
  static constexpr uint64_t kRootIno = 1;

  // Builds the model. Errors (kUsage): a size that cannot hold the tree (0 files is
  // fine; dirs > files + 1 budgets are clamped), more than 2^60 entries.
  static Result<std::unique_ptr<Namespace>> Create(const Profile& profile,
                                                   const NamespaceOptions& options);
  ~Namespace();
  Namespace(const Namespace&) = delete;
  Namespace& operator=(const Namespace&) = delete;

  uint64_t dir_count() const;    // directories, root included
  uint64_t entry_count() const;  // non-directory entries
  uint64_t file_count() const;   // regular files
  uint64_t symlink_count() const;
  uint64_t total_bytes() const;  // sum of regular file sizes (exact)
  uint64_t max_ino() const;      // every synthetic inode is <= max_ino (sparse past layer 0)
  double scale() const;          // the profile multiple the shadow holds now
  uint32_t layer_count() const;
  uint64_t seed() const;
  const Profile& profile() const;

  // Attributes of a synthetic inode; nullopt if ino is not one.
  std::optional<NodeAttr> GetAttr(uint64_t ino) const;
  // The child called `name` of directory `parent`; nullopt if absent or parent is no dir.
  std::optional<NodeAttr> Lookup(uint64_t parent, std::string_view name) const;
  // Number of entries in a directory (subdirectories first, then files), excluding . and ..
  uint64_t ChildCount(uint64_t dir) const;
  // Calls emit(entry) for children index >= start in order until emit returns false or
  // the directory ends; returns the index after the last child emitted. Offsets are
  // stable: index i always names the same child.
  uint64_t ListChildren(uint64_t dir, uint64_t start,
                        const std::function<bool(const DirEntryView&)>& emit) const;
  // The name of an inode inside its parent ("" for the root); nullopt if not synthetic.
  std::optional<std::string> NameOf(uint64_t ino) const;
  // Parent directory inode (the root is its own parent).
  std::optional<uint64_t> ParentOf(uint64_t ino) const;
  // Path relative to the root ("a/b/c.txt", "" for the root).
  std::optional<std::string> PathOf(uint64_t ino) const;
  // Symlink target (relative, always resolving inside the tree).
  std::optional<std::string> ReadLink(uint64_t ino) const;
  // The inode of the entry with dense index `i` in [0, entry_count()); level order.
  uint64_t InoOfEntryIndex(uint64_t i) const;

  // Grows or shrinks the shadow to about `target_scale` times the profile (within one
  // layer when shrinking past hidden layers). Errors: kUsage for a bad scale,
  // kUnsupported past 64 layers.
  Result<RescaleChange> Rescale(double target_scale);
  // Names of the root children that layers [from, to) contribute (to invalidate them).
  std::vector<std::string> RootNamesOfLayers(uint32_t from, uint32_t to) const;

 private:
  struct Impl;
  explicit Namespace(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sfsg
