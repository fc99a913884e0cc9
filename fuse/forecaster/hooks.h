// Scaling hooks: commands the forecaster runs when an alert fires or a scaling action
// is recommended.
//
// A hook is an argument vector, never a shell command line: SplitCommand() splits the
// configured text on blanks (single and double quotes group, a backslash escapes), with
// no expansion of any kind, and the figures reach the hook only through environment
// variables (SFSG_ALERT, SFSG_RECOMMENDED_BYTES, ...), so data can never become code.
// RunHook() waits at most `timeout_s`, then kills the hook's process group.
//
// Thread-safe (no shared state); RunHook blocks its caller for up to the timeout.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "generator/util/status.h"

namespace sfsg {

// Splits a configured command into argv. Errors (kUsage): an unterminated quote, an
// empty command.
Result<std::vector<std::string>> SplitCommand(std::string_view text);

struct HookResult {
  int exit_status = -1;  // the exit code, or 128 + signal
  bool timed_out = false;
  double duration_s = 0;
};

// Runs argv[0] (looked up in PATH when it has no '/'; a relative path is relative to
// `working_dir`) in `working_dir` ("" : the caller's working directory), with the
// current environment plus `env`, stdin from /dev/null and stdout/stderr inherited.
// Errors (kIo): the command cannot be started (no such file, not executable, the
// working directory is gone); the message says which.
Result<HookResult> RunHook(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& env, double timeout_s,
                           const std::string& working_dir = "");

}  // namespace sfsg
