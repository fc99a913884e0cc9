// The text of a Boost.Program_options error, safe for any user input.
//
// Boost builds an error's message by replacing placeholders such as %value% with what
// the user typed, in a loop that never ends when the typed text contains the same
// placeholder (`--files %value%`): what() hangs. OptionErrorText neutralises the '%'
// in the user's text first, then asks Boost for the message.
#pragma once

#include <boost/program_options/errors.hpp>
#include <string>

namespace sfsg {

std::string OptionErrorText(const boost::program_options::error& e);

}  // namespace sfsg
