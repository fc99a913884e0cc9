// The one check of a versioned JSON document's header: {"format": NAME, "version": N}.
// Every sfsg document (profile, workload, curve, ...) opens with it, and a reader
// refuses another format (malformed input) or a version it does not read (a newer
// writer's document it would misread). Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string_view>

#include "generator/util/json_io.h"
#include "generator/util/status.h"

namespace sfsg {

// REQUIRES: nothing. `what` names the document for people ("a profile"), `name` is the
// prefix of messages (a file name). Errors: kBadInput (not an object, no "format" or
// "version" field, another format: "NAME.format: 'x' is not 'sfsg-profile'");
// kUnsupported (another version: "NAME.version: 2 is not supported (this sfsg reads
// version 1)").
Status CheckFormatVersion(const Json& json, std::string_view format, uint64_t version,
                          std::string_view what, std::string_view name);

}  // namespace sfsg
