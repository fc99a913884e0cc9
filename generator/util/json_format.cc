#include "generator/util/json_format.h"

#include <string>

namespace sfsg {

Status CheckFormatVersion(const Json& json, std::string_view format, uint64_t version,
                          std::string_view what, std::string_view name) {
  const std::string where(name);
  if (!json.is_object())
    return Error::BadInput(where + ": " + std::string(what) + " must be a JSON object");
  auto found_format = JsonString(json, "format", where);
  if (!found_format) return found_format.error();
  if (*found_format != format)
    return Error::BadInput(where + ".format: '" + *found_format + "' is not '" +
                           std::string(format) + "'");
  auto found_version = JsonUint(json, "version", where);
  if (!found_version) return found_version.error();
  if (*found_version != version)
    return Error::Unsupported(where + ".version: " + std::to_string(*found_version) +
                              " is not supported (this sfsg reads version " +
                              std::to_string(version) + ")");
  return Status::Ok();
}

}  // namespace sfsg
