#include "generator/util/option_error.h"

#include <map>

namespace sfsg {
namespace {

namespace po = boost::program_options;

// Reads the protected substitution map through a pointer to member: the member is
// declared in error_with_option_name, so the pointer applies to any such object.
struct SubstitutionsOf : po::error_with_option_name {
  static const std::map<std::string, std::string>& Get(const po::error_with_option_name& e) {
    return e.*(&SubstitutionsOf::m_substitutions);
  }
};

// U+FF05 FULLWIDTH PERCENT SIGN: reads as '%' in the message and is no placeholder.
std::string Neutralise(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '%')
      out += "\xef\xbc\x85";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string OptionErrorText(const po::error& e) {
  const auto* named = dynamic_cast<const po::error_with_option_name*>(&e);
  if (!named) return e.what();
  po::error_with_option_name safe = *named;
  for (const auto& [key, value] : SubstitutionsOf::Get(*named))
    if (value.find('%') != std::string::npos) safe.set_substitute(key, Neutralise(value));
  return safe.what();
}

}  // namespace sfsg
