#include "generator/util/command_line.h"

#include <cstdio>
#include <iostream>
#include <new>
#include <sstream>

#include "generator/util/option_error.h"

namespace sfsg {

namespace po = boost::program_options;

std::vector<std::string> CommandArgs(int argc, char** argv) {
  return argc > 1 ? std::vector<std::string>(argv + 1, argv + argc) : std::vector<std::string>{};
}

Result<po::variables_map> ParseCommandLine(const std::vector<std::string>& args,
                                           const po::options_description& options,
                                           std::string_view hint, const char* positional,
                                           int max_positional) {
  po::options_description all;
  all.add(options);
  po::positional_options_description order;
  if (positional) {
    all.add_options()(positional, po::value<std::vector<std::string>>(), "");
    order.add(positional, max_positional);
  }
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(order).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return Error::Usage(OptionErrorText(e) + " (" + std::string(hint) + ")");
  }
  return vm;
}

std::vector<std::string> PositionalArgs(const po::variables_map& vm, const char* name) {
  return vm.count(name) ? vm[name].as<std::vector<std::string>>() : std::vector<std::string>{};
}

std::string WithDefault(std::string_view description, std::string_view value) {
  return std::string(description) + " (default " + std::string(value) + ")";
}

std::string HelpText(const po::options_description& options) {
  std::ostringstream text;
  text << options;
  return text.str();
}

int ReportFailure(std::string_view command, const Error& error) {
  std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(command.size()), command.data(),
               error.message.c_str());
  return error.exit_code();
}

Status FlushStdout() {
  if (!std::cout.flush() || std::fflush(stdout) != 0 || std::ferror(stdout))
    return Error::Io("stdout: write error");
  return Status::Ok();
}

int FlushStdoutExit(std::string_view command) {
  Status flushed = FlushStdout();
  return flushed ? 0 : ReportFailure(command, flushed.error());
}

int WriteStdoutExit(std::string_view command, std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  return FlushStdoutExit(command);
}

int GuardedMain(std::string_view command, const std::function<int()>& body) {
  const std::string name(command);
  try {
    return body();
  } catch (const po::error& e) {
    // One line: the usage text is a --help away.
    std::fprintf(stderr, "%s: %s (see --help)\n", name.c_str(), OptionErrorText(e).c_str());
    return static_cast<int>(ErrorCode::kUsage);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "%s: out of memory\n", name.c_str());
    return static_cast<int>(ErrorCode::kInternal);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: internal error: %s\n", name.c_str(), e.what());
    return static_cast<int>(ErrorCode::kInternal);
  }
}

}  // namespace sfsg
