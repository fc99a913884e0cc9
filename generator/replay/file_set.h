// FileSet: the files a workload touches, by popularity rank, and ScratchDir: the one
// place the replayer may create, write and delete.
//
// A FileSet over a Namespace maps a Zipf rank to an entry index through a seeded
// permutation (so popular files are scattered over the tree, not bunched in its first
// directory) and names it with Namespace::PathOf: no directory is ever listed, and a
// shadow mounted with the same (profile, seed, size) holds exactly these paths. A "hot"
// FileSet keeps only the K most popular regular files at least `min_size_bytes` long:
// the set that an emitted fio job lists, so fio and the replayer load the same files.
// A FileSet over a plain list serves real directories (files the replayer laid out).
//
// ScratchDir creates TARGET/.sfsg-replay-<pid>-<n>/ exclusively, and removes it and what
// is inside it (never following a symlink) when destroyed: everything there is ours.
//
// Both are immutable after construction and thread-safe for const use.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "generator/namespace.h"
#include "generator/util/hash.h"
#include "generator/util/status.h"
#include "generator/workload.h"

namespace sfsg {

// The largest request the workload makes (reads if it reads, writes if it writes): a
// hot file is at least this long, so neither fio nor the replayer is handed a file
// smaller than its block size.
uint64_t LargestRequestBytes(const Workload& w);

struct FileRef {
  std::string path;  // relative to the target directory
  uint64_t size_bytes = 0;
  bool regular = true;  // a regular file (not a directory or a symlink)
};

class FileSet {
 public:
  // Every entry of `ns` (which must outlive the FileSet), ranked by a permutation keyed
  // by `seed`. O(1) setup.
  static FileSet OverNamespace(const Namespace& ns, uint64_t seed);
  // The `count` most popular regular files of `ns` at least `min_size_bytes` long,
  // in rank order. Errors (kUsage): fewer such files among the first ranks searched
  // (with `fewer_ok`, only none: the set then holds those there are).
  static Result<FileSet> HotFiles(const Namespace& ns, uint64_t seed, uint64_t count,
                                  uint64_t min_size_bytes, bool fewer_ok = false);
  // An explicit list, rank 1 first. REQUIRES: non-empty.
  static FileSet OverList(std::vector<FileRef> files);

  uint64_t count() const;
  // REQUIRES: 1 <= rank <= count(). Allocates the path string.
  FileRef ByRank(uint64_t rank) const;
  // What a read opens: the entry at `rank` if it is a regular file, else the next
  // regular file down the ranking (a symlink may dangle, a directory cannot be read),
  // looking at most 64 ranks further (wrapping); the entry at `rank` if none is.
  FileRef RegularByRank(uint64_t rank) const;

 private:
  const Namespace* ns_ = nullptr;
  std::shared_ptr<const Permutation> rank_to_index_;
  std::vector<FileRef> list_;
};

class ScratchDir {
 public:
  // Creates a fresh scratch directory inside `target`. Errors: kIo.
  static Result<std::unique_ptr<ScratchDir>> Create(const std::string& target);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }  // absolute or as given
  const std::string& name() const { return name_; }  // relative to the target
  int fd() const { return fd_; }                     // O_DIRECTORY fd of path()

  // Removes the directory and its content now; later calls do nothing. Errors: kIo.
  Status Remove();

 private:
  ScratchDir(std::string path, std::string name, int fd);
  std::string path_, name_;
  int fd_;
  bool removed_ = false;
};

// Removes `name` inside directory `dir_fd` recursively, never following symlinks.
Status RemoveTree(int dir_fd, const std::string& name);

}  // namespace sfsg
