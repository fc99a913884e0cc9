// Overlay: everything clients changed in a shadow, on top of the synthetic namespace.
//
// Nodes: a record for every inode whose metadata differs from the synthetic one (a
// chmod, a write, a link) and for every inode a client created. Directories carry
// the names added to them and the synthetic names hidden in them (whiteouts). File
// bytes live in a BlockStore; synthetic content stays valid below `base_limit`, except in
// punched `holes`, which read as zeros and take no space.
//
// Durability (dir mode): each mutation appends one JSON line to PATH/journal.jsonl
// describing the resulting state of the nodes and entries it touched; a remount replays
// the journal. One write() per mutation, so a killed process leaves at most one torn
// last line, which replay ignores (and reports).
//
// Thread-compatible: ShadowFs serialises access with its own lock.
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "fuse/block_store.h"
#include "generator/namespace.h"
#include "generator/util/json_io.h"
#include "generator/util/status.h"

namespace sfsg {

// Inode numbers above the synthetic range.
inline constexpr uint64_t kControlIno = uint64_t{1} << 62;  // /.sfsg and its files
inline constexpr uint64_t kFirstOverlayIno = (uint64_t{1} << 62) + (uint64_t{1} << 40);

// The overlay's one node kind beyond the namespace's three: a FIFO, socket or device node
// (OverlayNode::special_type says which). The namespace never makes one, so it is not in
// NodeKind; a NodeKind holds it as its next value, which journals record: do not change.
inline constexpr NodeKind kSpecialKind = static_cast<NodeKind>(3);

struct DirState {
  std::map<std::string, uint64_t> added;  // names created or moved here
  std::set<std::string> whiteouts;        // synthetic names removed or shadowed
  std::map<uint64_t, std::string> order;  // readdir sequence -> added name
  std::unordered_map<std::string, uint64_t> sequence_of;
  uint64_t next_sequence = 0;

  // Takes an added name out of the entries and the listing order (not a whiteout).
  void Unlist(const std::string& name) {
    added.erase(name);
    if (const auto seq = sequence_of.find(name); seq != sequence_of.end()) {
      order.erase(seq->second);
      sequence_of.erase(seq);
    }
  }
};

struct OverlayNode {
  NodeKind kind = NodeKind::kFile;
  uint32_t mode = 0;  // permission and setuid/setgid/sticky bits
  uint32_t uid = 0, gid = 0, nlink = 1;
  uint64_t size_bytes = 0;
  timespec atime{}, mtime{}, ctime{};
  bool synthetic = false;      // a synthetic inode with local changes
  uint64_t base_limit = 0;     // synthetic content is valid below this offset
  RangeSet holes;              // byte ranges below base_limit punched out of that content
  uint64_t stored_blocks = 0;  // blocks the store holds or reserves (not journaled)
  uint16_t content_class = 0;
  uint64_t file_key = 0;
  std::string link_target;
  uint32_t special_type = 0;      // kSpecialKind: S_IFIFO, S_IFSOCK, S_IFCHR or S_IFBLK
  uint64_t rdev = 0;              // kSpecialKind: the device number of S_IFCHR and S_IFBLK
  std::unique_ptr<DirState> dir;  // directories only
  bool freed = false;             // a deleted synthetic inode: it must not reappear
};

class Journal {
 public:
  // Opens (creating if needed) PATH/journal.jsonl; `identity` must match the header of
  // an existing journal (same profile digest, seed and size), else kBadInput.
  static Result<std::unique_ptr<Journal>> Open(const std::string& dir, const Json& identity);
  ~Journal();
  // Space kept for the journal lines of mutations that free space (PATH/journal.reserve):
  // on a full disk an unlink must still be journaled before its data goes.
  static constexpr off_t kReserveBytes = 256 * 1024;
  // Appends one line (one mutation). 0 or -EIO/-ENOSPC. With `frees_space` (the line
  // drops blocks whose disk is freed after it), a full disk gives up the reserve to
  // make room for the line.
  int Append(const Json& records, bool frees_space = false);
  // Makes the reserve again once space was freed (nothing when it is there). Cheap.
  void Replenish();
  int Sync();
  // -EIO once the journal has been removed under the mount (its directory deleted),
  // logged once and then remembered, else 0. One fstat(2).
  int CheckAlive();
  bool lost() const { return lost_.load(std::memory_order_relaxed); }
  // Records after the header, in order; torn or corrupt lines are counted, not applied.
  const std::vector<Json>& replayed() const { return replayed_; }
  uint64_t torn_lines() const { return torn_lines_; }

 private:
  int AppendLine(const Json& records);

  int fd_ = -1;
  off_t end_ = -1;  // the journal's size after the last append (-1: unknown, ask lseek)
  std::string reserve_path_;
  bool reserve_ = false;                     // reserve_path_ holds kReserveBytes
  std::atomic<bool> failure_logged_{false};  // a journal failure was logged once
  std::atomic<bool> lost_{false};            // the journal was found removed
  std::vector<Json> replayed_;
  uint64_t torn_lines_ = 0;
};

// The journal's records. Each line of journal.jsonl after the header is a JSON array of
// records, each an object whose "op" names its kind. The names and fields are written
// to disk: never rename or renumber them. EncodeX and DecodeJournalRecord sit side by
// side in overlay.cc, one case per kind.
enum class JournalOp {
  kNode,     // {"op":"node","ino",...}: the whole state of one inode (EncodeNode; a
             // special file adds "type", S_IFIFO/S_IFSOCK/S_IFCHR/S_IFBLK, and "rdev")
  kDirent,   // {"op":"dirent","dir","name","ino"}: name added to dir; ino 0 removes it
  kBlocks,   // {"op":"blocks","ino","blocks":[...]}: the store holds these blocks of ino
  kDrop,     // {"op":"drop","ino","from"}: ino's blocks from `from` on are gone
  kPunch,    // {"op":"punch","ino","from","to"}: ino's blocks [from, to) are gone
  kReserve,  // {"op":"reserve","ino","from","to"}: ino's blocks [from, to) are reserved
  kFree,     // {"op":"free","ino"}: the inode is deleted
};

// A decoded record: the fields its op names are set, the others keep their defaults.
struct JournalRecord {
  JournalOp op = JournalOp::kNode;
  uint64_t ino = 0;
  OverlayNode node;              // kNode (a directory's entries come from kDirent)
  uint64_t dir = 0;              // kDirent
  std::string name;              // kDirent
  std::vector<uint64_t> blocks;  // kBlocks
  uint64_t from = 0, to = 0;     // kDrop (from), kPunch and kReserve ([from, to))
};

Json EncodeNode(uint64_t ino, const OverlayNode& node);
Json EncodeDirent(uint64_t dir, const std::string& name, uint64_t ino);
Json EncodeBlocks(uint64_t ino, const std::vector<uint64_t>& blocks);
Json EncodeDrop(uint64_t ino, uint64_t from);
Json EncodePunch(uint64_t ino, uint64_t from, uint64_t to);
Json EncodeReserve(uint64_t ino, uint64_t from, uint64_t to);
Json EncodeFree(uint64_t ino);

// Decodes one record. Errors (kBadInput): not an object, no "op" string, an unknown op,
// a field missing or of the wrong type or range; never an exception.
Result<JournalRecord> DecodeJournalRecord(const Json& record);

}  // namespace sfsg
