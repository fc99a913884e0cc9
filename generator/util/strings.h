// Small text helpers the renderings share: printf into a std::string, and escaping
// for HTML. Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace sfsg {

// printf's formatting into a string of whatever length it takes.
std::string StringPrintf(const char* format, ...) __attribute__((format(printf, 1, 2)));

// `text` with & < > " ' replaced by their HTML character references: safe in element
// content and in quoted attribute values.
std::string HtmlEscape(std::string_view text);

}  // namespace sfsg
