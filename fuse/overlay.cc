#include "fuse/overlay.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace sfsg {
namespace {

Json TimeToJson(const timespec& t) { return Json::array({t.tv_sec, t.tv_nsec}); }

bool TimeFromJson(const Json& j, timespec* t) {
  if (!j.is_array() || j.size() != 2 || !j[0].is_number_integer() || !j[1].is_number_integer())
    return false;
  t->tv_sec = j[0].get<int64_t>();
  t->tv_nsec = j[1].get<int64_t>();
  return true;
}

Json HolesToJson(const RangeSet& holes) {
  Json out = Json::array();
  for (const auto& [first, end] : holes.ranges()) out.push_back(Json::array({first, end}));
  return out;
}

}  // namespace

namespace {

// The records' "op" names, indexed by JournalOp: written to disk, never change them.
constexpr const char* kJournalOpNames[] = {"node",  "dirent",  "blocks", "drop",
                                           "punch", "reserve", "free"};

Json Record(JournalOp op, uint64_t ino) {
  return {{"op", kJournalOpNames[static_cast<int>(op)]}, {"ino", ino}};
}

// record[key] as an unsigned integer that fits T; throws std::invalid_argument for a
// float, a negative number or one out of range, and Json::exception when it is missing.
template <typename T>
T JournalUnsigned(const Json& record, const char* key) {
  const Json& v = record.at(key);
  if (!v.is_number_unsigned() || v.get<uint64_t>() > std::numeric_limits<T>::max())
    throw std::invalid_argument(std::string("\"") + key + "\": not an unsigned integer in range");
  return static_cast<T>(v.get<uint64_t>());
}

// The node fields of a "node" record into n; throws like JournalUnsigned.
Status DecodeNodeFields(const Json& r, uint64_t ino, OverlayNode& n) {
  const uint32_t kind = JournalUnsigned<uint32_t>(r, "kind");
  if (kind > static_cast<uint32_t>(kSpecialKind))
    return Error::BadInput("journal: bad node kind for inode " + std::to_string(ino));
  n.kind = static_cast<NodeKind>(kind);
  if (n.kind == kSpecialKind) {  // "type" and "rdev" are written for special files only
    n.special_type = JournalUnsigned<uint32_t>(r, "type");
    if (n.special_type != S_IFIFO && n.special_type != S_IFSOCK && n.special_type != S_IFCHR &&
        n.special_type != S_IFBLK)
      return Error::BadInput("journal: bad special file type for inode " + std::to_string(ino));
    n.rdev = JournalUnsigned<uint64_t>(r, "rdev");
  }
  n.mode = JournalUnsigned<uint32_t>(r, "mode");
  n.uid = JournalUnsigned<uint32_t>(r, "uid");
  n.gid = JournalUnsigned<uint32_t>(r, "gid");
  n.nlink = JournalUnsigned<uint32_t>(r, "nlink");
  n.size_bytes = JournalUnsigned<uint64_t>(r, "size");
  if (!TimeFromJson(r.at("atime"), &n.atime) || !TimeFromJson(r.at("mtime"), &n.mtime) ||
      !TimeFromJson(r.at("ctime"), &n.ctime))
    return Error::BadInput("journal: bad timestamps for inode " + std::to_string(ino));
  n.synthetic = r.at("synthetic").get<bool>();
  n.base_limit = JournalUnsigned<uint64_t>(r, "base_limit");
  n.content_class = JournalUnsigned<uint16_t>(r, "class");
  n.file_key = JournalUnsigned<uint64_t>(r, "key");
  n.link_target = r.at("link").get<std::string>();
  if (r.contains("holes")) {  // absent in journals written before holes existed
    const Json& holes = r.at("holes");
    if (!holes.is_array()) return Error::BadInput("journal: \"holes\" is not an array");
    for (const Json& h : holes) {
      if (!h.is_array() || h.size() != 2 || !h[0].is_number_unsigned() ||
          !h[1].is_number_unsigned())
        return Error::BadInput("journal: bad hole for inode " + std::to_string(ino));
      const uint64_t first = h[0].get<uint64_t>(), end = h[1].get<uint64_t>();
      n.holes.Add(first, std::min(end, n.base_limit));
    }
  }
  if (n.kind == NodeKind::kDirectory) n.dir = std::make_unique<DirState>();
  return Status::Ok();
}

}  // namespace

Json EncodeNode(uint64_t ino, const OverlayNode& n) {
  Json r = Record(JournalOp::kNode, ino);
  r.update(Json{{"kind", static_cast<int>(n.kind)},
                {"mode", n.mode},
                {"uid", n.uid},
                {"gid", n.gid},
                {"nlink", n.nlink},
                {"size", n.size_bytes},
                {"atime", TimeToJson(n.atime)},
                {"mtime", TimeToJson(n.mtime)},
                {"ctime", TimeToJson(n.ctime)},
                {"synthetic", n.synthetic},
                {"base_limit", n.base_limit},
                {"class", n.content_class},
                {"key", n.file_key},
                {"link", n.link_target},
                {"holes", HolesToJson(n.holes)}});
  // Special files only, so the records of other nodes read as before.
  if (n.kind == kSpecialKind) {
    r["type"] = n.special_type;
    r["rdev"] = n.rdev;
  }
  return r;
}

Json EncodeDirent(uint64_t dir, const std::string& name, uint64_t ino) {
  Json r = Record(JournalOp::kDirent, ino);
  r["dir"] = dir;
  r["name"] = name;
  return r;
}

Json EncodeBlocks(uint64_t ino, const std::vector<uint64_t>& blocks) {
  Json r = Record(JournalOp::kBlocks, ino);
  r["blocks"] = blocks;
  return r;
}

Json EncodeDrop(uint64_t ino, uint64_t from) {
  Json r = Record(JournalOp::kDrop, ino);
  r["from"] = from;
  return r;
}

Json EncodePunch(uint64_t ino, uint64_t from, uint64_t to) {
  Json r = Record(JournalOp::kPunch, ino);
  r["from"] = from;
  r["to"] = to;
  return r;
}

Json EncodeReserve(uint64_t ino, uint64_t from, uint64_t to) {
  Json r = Record(JournalOp::kReserve, ino);
  r["from"] = from;
  r["to"] = to;
  return r;
}

Json EncodeFree(uint64_t ino) { return Record(JournalOp::kFree, ino); }

Result<JournalRecord> DecodeJournalRecord(const Json& r) {
  if (!r.is_object() || !r.contains("op") || !r["op"].is_string())
    return Error::BadInput("record without an \"op\" string");
  const std::string op = r["op"].get<std::string>();
  JournalRecord out;
  const auto* name = std::find_if(std::begin(kJournalOpNames), std::end(kJournalOpNames),
                                  [&](const char* n) { return op == n; });
  if (name == std::end(kJournalOpNames)) return Error::BadInput("unknown record '" + op + "'");
  out.op = static_cast<JournalOp>(name - std::begin(kJournalOpNames));
  try {
    out.ino = JournalUnsigned<uint64_t>(r, "ino");
    switch (out.op) {
      case JournalOp::kNode:
        if (auto s = DecodeNodeFields(r, out.ino, out.node); !s) return s.error();
        break;
      case JournalOp::kDirent:
        out.dir = JournalUnsigned<uint64_t>(r, "dir");
        out.name = r.at("name").get<std::string>();
        break;
      case JournalOp::kBlocks: {
        const Json& blocks = r.at("blocks");
        if (!blocks.is_array()) return Error::BadInput("\"blocks\" is not an array");
        for (const Json& b : blocks) {
          if (!b.is_number_unsigned()) return Error::BadInput("bad block number");
          out.blocks.push_back(b.get<uint64_t>());
        }
        break;
      }
      case JournalOp::kDrop:
        out.from = JournalUnsigned<uint64_t>(r, "from");
        break;
      case JournalOp::kPunch:
      case JournalOp::kReserve:
        out.from = JournalUnsigned<uint64_t>(r, "from");
        out.to = JournalUnsigned<uint64_t>(r, "to");
        break;
      case JournalOp::kFree:
        break;
    }
  } catch (const std::exception& e) {  // Json::exception or JournalUnsigned's
    return Error::BadInput("malformed " + op + " record: " + e.what());
  }
  return out;
}

namespace {

// Names and link targets are bytes, not necessarily UTF-8, and JSON text must be UTF-8:
// a string that is not valid UTF-8 is journaled as {"$bytes": "<hex>"} and turned back
// on replay, so every record round-trips whatever its names.
// Strict UTF-8 as RFC 3629 (and the JSON serialiser) defines it: no lead byte above
// 0xF4, no overlong form, no surrogate (U+D800-DFFF), nothing above U+10FFFF. The bounds
// of the second byte carry those rules; later bytes are any continuation byte.
bool IsUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = 0;
    unsigned char low = 0x80, high = 0xbf;  // allowed range of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
      n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 3;
      if (c == 0xe0) low = 0xa0;   // overlong
      if (c == 0xed) high = 0x9f;  // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 4;
      if (c == 0xf0) low = 0x90;   // overlong
      if (c == 0xf4) high = 0x8f;  // above U+10FFFF
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    const auto second = static_cast<unsigned char>(s[i + 1]);
    if (second < low || second > high) return false;
    for (size_t k = 2; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    i += n;
  }
  return true;
}

// A copy of j in which `leaf` has rewritten every value it takes (it returns nothing for
// the values it leaves alone); objects and arrays are walked into.
template <typename Leaf>
Json Rewrite(const Json& j, const Leaf& leaf) {
  if (std::optional<Json> replaced = leaf(j)) return *replaced;
  if (!j.is_object() && !j.is_array()) return j;
  Json out = j.is_object() ? Json::object() : Json::array();
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (j.is_object())
      out[it.key()] = Rewrite(it.value(), leaf);
    else
      out.push_back(Rewrite(it.value(), leaf));
  }
  return out;
}

// Whether j holds a string that is not valid UTF-8 (names and link targets rarely do: a
// line without one is written as it is, with no rewritten copy).
bool HasNonUtf8(const Json& j) {
  if (j.is_string()) return !IsUtf8(j.get_ref<const std::string&>());
  if (!j.is_object() && !j.is_array()) return false;
  for (const Json& v : j)
    if (HasNonUtf8(v)) return true;
  return false;
}

Json EncodeBytes(const Json& j) {
  return Rewrite(j, [](const Json& v) -> std::optional<Json> {
    if (!v.is_string() || IsUtf8(v.get_ref<const std::string&>())) return std::nullopt;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned char c : v.get_ref<const std::string&>()) hex += {kHex[c >> 4], kHex[c & 15]};
    return Json{{"$bytes", hex}};
  });
}

Json DecodeBytes(const Json& j) {
  return Rewrite(j, [](const Json& v) -> std::optional<Json> {
    if (!v.is_object() || v.size() != 1 || !v.contains("$bytes") || !v["$bytes"].is_string())
      return std::nullopt;
    const std::string& hex = v["$bytes"].get_ref<const std::string&>();
    std::string s;
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
      s.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return Json(s);
  });
}

}  // namespace

Result<std::unique_ptr<Journal>> Journal::Open(const std::string& dir, const Json& identity) {
  const std::string path = dir + "/journal.jsonl";
  auto journal = std::make_unique<Journal>();
  auto existing = ReadTextFile(path);
  bool have_header = false;
  if (existing.ok() && !existing->empty()) {
    std::istringstream lines(*existing);
    std::string line;
    bool complete_last = existing->back() == '\n';
    size_t line_number = 0;
    const size_t total_lines =
        static_cast<size_t>(std::count(existing->begin(), existing->end(), '\n')) +
        (complete_last ? 0 : 1);
    while (std::getline(lines, line)) {
      ++line_number;
      const bool last = line_number == total_lines;
      // Blank lines (an editor's trailing newline) carry no record.
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      Json record;
      try {
        record = Json::parse(line);
      } catch (const Json::exception&) {  // parse_error, or out_of_range (1e999)
        if (last && !complete_last) {
          ++journal->torn_lines_;  // a write cut short by a crash: never acknowledged
          continue;
        }
        return Error::BadInput(path + ":" + std::to_string(line_number) + ": corrupt journal line");
      }
      if (!have_header) {
        if (!record.is_object() || record.value("format", "") != "sfsg-overlay")
          return Error::BadInput(path + ":1: not an sfsg overlay journal");
        // Version 1 is the only one written; a later one may mean records this
        // version would replay wrongly.
        if (record.value("version", Json(1)) != Json(1))
          return Error::Unsupported(path + ":1: journal version " +
                                    record.value("version", Json()).dump() +
                                    " is not supported (this sfsg reads version 1)");
        // Not malformed: unusable for this shadow (exit 3, as the man page says).
        if (record.value("identity", Json()) != identity)
          return Error::Io(
              path +
              ": written by a shadow with another profile, seed, size or content generator (" +
              record.value("identity", Json()).dump() +
              "); use the same options or a new directory");
        have_header = true;
        continue;
      }
      try {
        journal->replayed_.push_back(DecodeBytes(record));
      } catch (const std::exception&) {
        return Error::BadInput(path + ":" + std::to_string(line_number) + ": bad $bytes value");
      }
    }
  }
  journal->fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (journal->fd_ < 0) return Error::Io(path + ": cannot open: " + std::strerror(errno));
  if (journal->torn_lines_ > 0) {
    // Cut the torn tail so new lines start clean.
    const auto keep = existing->rfind('\n');
    if (::ftruncate(journal->fd_, keep == std::string::npos ? 0 : static_cast<off_t>(keep + 1)) !=
        0)
      return Error::Io(path + ": cannot trim a torn line: " + std::strerror(errno));
  }
  journal->end_ = ::lseek(journal->fd_, 0, SEEK_END);
  journal->reserve_path_ = dir + "/journal.reserve";
  journal->Replenish();
  if (!have_header) {
    const Json header = {{"format", "sfsg-overlay"}, {"version", 1}, {"identity", identity}};
    if (journal->Append(header) != 0) return Error::Io(path + ": cannot write the header");
    journal->Sync();
  }
  return journal;
}

Journal::~Journal() {
  if (fd_ >= 0) {
    ::fsync(fd_);
    ::close(fd_);
  }
}

// Callers serialise appends (the filesystem's lock), so the end before this line is
// where a failed line is cut back to: a full disk must not leave half a record that
// later lines would follow (a remount would then refuse the journal as corrupt).
void Journal::Replenish() {
  if (reserve_ || reserve_path_.empty()) return;
  const int fd = ::open(reserve_path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  int rc = ::fallocate(fd, 0, 0, kReserveBytes);
  if (rc != 0 && errno == EOPNOTSUPP) {  // written out where space cannot be allocated
    const std::string zeros(static_cast<size_t>(kReserveBytes), '\0');
    rc = ::pwrite(fd, zeros.data(), zeros.size(), 0) == kReserveBytes && ::fsync(fd) == 0 ? 0 : -1;
  }
  ::close(fd);
  reserve_ = rc == 0;
  if (!reserve_) ::unlink(reserve_path_.c_str());  // a disk too full: tried again later
}

int Journal::Append(const Json& records, bool frees_space) {
  const int rc = AppendLine(records);
  if (rc != -ENOSPC || !frees_space || !reserve_) return rc;
  ::unlink(reserve_path_.c_str());
  reserve_ = false;
  return AppendLine(records);
}

int Journal::AppendLine(const Json& records) {
  std::string line = HasNonUtf8(records) ? EncodeBytes(records).dump() : records.dump();
  line += '\n';
  // The end is known from the last append (no lseek per line) unless a cut failed.
  const off_t before = end_ >= 0 ? end_ : ::lseek(fd_, 0, SEEK_END);
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int rc = errno == ENOSPC || errno == EDQUOT ? -ENOSPC : -EIO;
      end_ = before;
      if (done > 0 && (before < 0 || ::ftruncate(fd_, before) != 0)) {
        end_ = -1;
        if (!failure_logged_.exchange(true, std::memory_order_relaxed))
          spdlog::error("overlay: cannot cut a partial journal line: {}", std::strerror(errno));
      }
      return rc;
    }
    done += static_cast<size_t>(n);
  }
  end_ = before < 0 ? -1 : before + static_cast<off_t>(line.size());
  return 0;
}

// A journal removed under the mount (its directory deleted) still takes writes through
// the open descriptor, but a remount could never read them: that is not durable.
int Journal::Sync() {
  if (const int rc = CheckAlive(); rc != 0) return rc;
  return ::fdatasync(fd_) == 0 ? 0 : -EIO;
}

int Journal::CheckAlive() {
  if (lost_.load(std::memory_order_relaxed)) return -EIO;
  struct stat st;
  if (::fstat(fd_, &st) == 0 && st.st_nlink > 0) return 0;
  lost_.store(true, std::memory_order_relaxed);
  if (!failure_logged_.exchange(true, std::memory_order_relaxed))
    spdlog::error("overlay: the journal was removed under the mount; changes fail with EIO");
  return -EIO;
}

}  // namespace sfsg
