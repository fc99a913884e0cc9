// What every sfsg command does the same way with its command line: parse it with
// Boost.Program_options, collect its positional arguments, print its help, report a
// failure on stderr with the error's exit code, and keep any exception from ending the
// process without a message. Only a command's main.cc uses these (libraries never read
// argv). Thread-compatible; the reporting functions write to stdout/stderr.
#pragma once

#include <boost/program_options.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "generator/util/status.h"

namespace sfsg {

// argv without the program name.
std::vector<std::string> CommandArgs(int argc, char** argv);

// Parses `args` against `options`. With a non-null `positional`, the positional
// arguments are collected in order under that (hidden) name, at most `max_positional`
// of them (-1: any number); PositionalArgs reads them back. Errors: kUsage,
// "BOOST'S TEXT (HINT)" (OptionErrorText: safe for any user input), for instance with
// `hint` "see sfsg-scan --help".
Result<boost::program_options::variables_map> ParseCommandLine(
    const std::vector<std::string>& args,
    const boost::program_options::options_description& options, std::string_view hint,
    const char* positional = nullptr, int max_positional = -1);

// The positional arguments ParseCommandLine collected under `name` (none: empty).
std::vector<std::string> PositionalArgs(const boost::program_options::variables_map& vm,
                                        const char* name);

// "DESCRIPTION (default VALUE)": a --help line that shows the value the command takes,
// given from the same constant or variable the command uses.
std::string WithDefault(std::string_view description, std::string_view value);

// The text --help prints for `options`.
std::string HelpText(const boost::program_options::options_description& options);

// Prints "COMMAND: MESSAGE" on stderr; returns the error's exit code.
int ReportFailure(std::string_view command, const Error& error);

// Flushes stdout: a full disk or a closed pipe is an error (kIo, "stdout: write
// error"), not a silent success.
Status FlushStdout();

// FlushStdout as an exit code: 0, or its error reported (ReportFailure).
int FlushStdoutExit(std::string_view command);

// Writes `text` (a --help, a document) to stdout; returns FlushStdoutExit's code.
int WriteStdoutExit(std::string_view command, std::string_view text);

// Runs a command's body and returns its exit code. What it throws ends in one line on
// stderr: a Boost option error "COMMAND: TEXT (see --help)" (kUsage), std::bad_alloc
// "COMMAND: out of memory" and any other exception "COMMAND: internal error: WHAT"
// (kInternal).
int GuardedMain(std::string_view command, const std::function<int()>& body);

}  // namespace sfsg
