// Reading and writing JSON files with errors that name the file and the field.
// Thread-safe (no shared state). Used by every module that reads a JSON input.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "generator/util/status.h"

namespace sfsg {

using Json = nlohmann::json;

// Reads and parses a JSON file. Errors: kIo (cannot read), kBadInput (parse error,
// with line and column).
Result<Json> LoadJsonFile(const std::string& path);
Result<Json> ParseJsonText(std::string_view text, std::string_view source_name);

// The most ReadTextFile takes by default: profiles, curves and usage series are far
// smaller; an fio iolog of 20 million operations fits.
inline constexpr size_t kMaxInputBytes = size_t{1} << 30;

// Reads a whole file into a string: a regular file, or a pipe or device up to `limit`
// bytes (`<(command)` works; /dev/zero is refused at the limit, a FIFO nobody writes to
// reads as empty). Errors: kIo (cannot open or read, a directory, over the limit).
Result<std::string> ReadTextFile(const std::string& path, size_t limit = kMaxInputBytes);

// Writes text to path atomically (temp file + rename), so a reader never sees half a
// file and a failed write loses nothing. Errors: kIo.
Status WriteFileAtomic(const std::string& path, std::string_view text);

// Whether WriteFileAtomic(path, ...) can succeed, checked before long work whose result
// would otherwise be lost at the end (a scan, a replay): path is not a directory, and its
// directory exists and is writable (or path is an existing writable non-regular file,
// such as /dev/stdout). Errors: kIo naming path, as WriteFileAtomic would say them.
Status CheckWritable(const std::string& path);

// Typed field access: `where` is the prefix for messages, e.g. "profile.json: sizes".
// Missing fields and wrong types are kBadInput errors naming where.key.
Result<double> JsonNumber(const Json& object, std::string_view key, std::string_view where);
Result<uint64_t> JsonUint(const Json& object, std::string_view key, std::string_view where);
Result<std::string> JsonString(const Json& object, std::string_view key, std::string_view where);
Result<const Json*> JsonObject(const Json& object, std::string_view key, std::string_view where);
Result<const Json*> JsonArray(const Json& object, std::string_view key, std::string_view where);

}  // namespace sfsg
