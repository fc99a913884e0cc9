#include "generator/util/json_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

namespace sfsg {
namespace {

std::string Field(std::string_view where, std::string_view key) {
  return std::string(where) + "." + std::string(key);
}

Result<const Json*> Find(const Json& object, std::string_view key, std::string_view where) {
  if (!object.is_object()) return Error::BadInput(std::string(where) + ": expected a JSON object");
  const auto it = object.find(std::string(key));
  if (it == object.end()) return Error::BadInput(Field(where, key) + ": missing field");
  return &*it;
}

}  // namespace

Result<std::string> ReadTextFile(const std::string& path, size_t limit) {
  // O_NONBLOCK: opening a FIFO nobody writes to returns at once (and then reads as
  // empty) instead of waiting forever; cleared again for the reads.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Error::Io(path + ": cannot open: " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    const std::string why = S_ISDIR(st.st_mode) ? "is a directory" : std::strerror(errno);
    ::close(fd);
    return Error::Io(path + ": cannot read: " + why);
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  const auto too_large = [&] {
    return Error::Io(path + ": larger than " + std::to_string(limit >> 20) +
                     " MiB, the most an input may be");
  };
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > limit) {
    ::close(fd);
    return too_large();
  }
  // Regular files report their size (except /proc's); pipes and devices are read in
  // chunks up to the limit.
  std::string text;
  text.resize(S_ISREG(st.st_mode) && st.st_size > 0 ? static_cast<size_t>(st.st_size) + 1 : 65536);
  size_t used = 0;
  for (;;) {
    if (used == text.size()) {
      if (used > limit) break;
      text.resize(std::min(limit + 1, 2 * text.size()));
    }
    const ssize_t n = ::read(fd, text.data() + used, text.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      return Error::Io(path + ": read error: " + why);
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  ::close(fd);
  if (used > limit) return too_large();
  text.resize(used);
  return text;
}

Result<Json> ParseJsonText(std::string_view text, std::string_view source_name) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    // parse_error, or out_of_range for a number too large for a double (1e999).
    // nlohmann's message starts with "[json.exception.parse_error.101] parse error at
    // line L, column C: ..."; keep the part after the bracket.
    std::string what = e.what();
    const auto bracket = what.find("] ");
    if (bracket != std::string::npos) what = what.substr(bracket + 2);
    return Error::BadInput(std::string(source_name) + ": invalid JSON: " + what);
  }
}

Result<Json> LoadJsonFile(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text) return text.error();
  return ParseJsonText(*text, path);
}

Status WriteFileAtomic(const std::string& path, std::string_view text) {
  // Something that exists and is not a regular file (/dev/stdout, a pipe, a device) is
  // written through: renaming over it would replace it.
  struct stat st;
  const bool through = ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode);
  const std::string temp = through ? path : path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error::Io(path + ": cannot create: " + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string why = std::strerror(errno);
      ::close(fd);
      if (!through) ::unlink(temp.c_str());
      return Error::Io(path + ": write failed: " + why);
    }
    done += static_cast<size_t>(n);
  }
  if (through) {
    if (::close(fd) != 0) return Error::Io(path + ": write failed: " + std::strerror(errno));
    return Status::Ok();
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(temp.c_str());
    return Error::Io(path + ": write failed: " + std::strerror(errno));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(temp.c_str());
    return Error::Io(path + ": cannot replace: " + why);
  }
  return Status::Ok();
}

Status CheckWritable(const std::string& path) {
  if (path.empty()) return Error::Io("'': cannot create: an empty path");
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Error::Io(path + ": cannot create: " + std::strerror(EISDIR));
    if (!S_ISREG(st.st_mode))  // written through, not replaced
      return ::access(path.c_str(), W_OK) == 0
                 ? Status::Ok()
                 : Error::Io(path + ": cannot write: " + std::strerror(errno));
  }
  const size_t slash = path.find_last_not_of('/', path.rfind('/'));
  const std::string dir = path.rfind('/') == std::string::npos ? "."
                          : slash == std::string::npos         ? "/"
                                                               : path.substr(0, slash + 1);
  if (::stat(dir.c_str(), &st) != 0)
    return Error::Io(path + ": cannot create: " + std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) return Error::Io(path + ": cannot create: " + std::strerror(ENOTDIR));
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return Error::Io(path + ": cannot create: " + std::strerror(errno));
  return Status::Ok();
}

Result<double> JsonNumber(const Json& object, std::string_view key, std::string_view where) {
  auto found = Find(object, key, where);
  if (!found) return found.error();
  const Json& v = **found;
  if (!v.is_number())
    return Error::BadInput(Field(where, key) + ": expected a number, got " + v.dump());
  const double d = v.get<double>();
  if (!std::isfinite(d)) return Error::BadInput(Field(where, key) + ": not a finite number");
  return d;
}

Result<uint64_t> JsonUint(const Json& object, std::string_view key, std::string_view where) {
  auto found = Find(object, key, where);
  if (!found) return found.error();
  const Json& v = **found;
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0)
    return static_cast<uint64_t>(v.get<int64_t>());
  return Error::BadInput(Field(where, key) + ": expected a non-negative integer, got " + v.dump());
}

Result<std::string> JsonString(const Json& object, std::string_view key, std::string_view where) {
  auto found = Find(object, key, where);
  if (!found) return found.error();
  if (!(*found)->is_string())
    return Error::BadInput(Field(where, key) + ": expected a string, got " + (*found)->dump());
  return (*found)->get<std::string>();
}

Result<const Json*> JsonObject(const Json& object, std::string_view key, std::string_view where) {
  auto found = Find(object, key, where);
  if (!found) return found.error();
  if (!(*found)->is_object()) return Error::BadInput(Field(where, key) + ": expected an object");
  return *found;
}

Result<const Json*> JsonArray(const Json& object, std::string_view key, std::string_view where) {
  auto found = Find(object, key, where);
  if (!found) return found.error();
  if (!(*found)->is_array()) return Error::BadInput(Field(where, key) + ": expected an array");
  return *found;
}

}  // namespace sfsg
