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

#include <atomic>
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
  bool cancelled = false;  // stopped because ChildRun::cancel was set
  double duration_s = 0;
};

// How RunChild runs a command.
struct ChildRun {
  std::map<std::string, std::string> env;  // added to (or replacing) the current environment
  double timeout_s = 0;                    // > 0: stopped after this long
  std::string working_dir;                 // "": the caller's working directory
  // Polled every 10 ms; once set, the child is stopped like a timed-out one. Null: never.
  const std::atomic<bool>* cancel = nullptr;
  // A stopped child gets SIGTERM first (sfsg-replay then removes its scratch directory),
  // SIGKILL this long after. 0: SIGKILL at once.
  double term_grace_s = 0;
  std::string what = "hook";  // names the command in error messages
  // Descriptors the child gets as its stdin, stdout and stderr; -1: /dev/null for stdin,
  // the caller's for the others. The caller keeps and closes them.
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
};

// Runs argv[0] (looked up in PATH when it has no '/'; a relative path is relative to
// `working_dir`) in `working_dir` ("" : the caller's working directory), with the
// current environment plus `env`, stdin from /dev/null and stdout/stderr inherited.
// Errors (kIo): the command cannot be started (no such file, not executable, the
// working directory is gone); the message says which.
Result<HookResult> RunHook(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& env, double timeout_s,
                           const std::string& working_dir = "");

// RunHook's general form: argv in its own process group, stdin from /dev/null and
// stdout/stderr inherited unless ChildRun says otherwise, stopped (the whole group) on timeout or cancel. Used for the
// hooks, the load ladder's process and the user's probes.
Result<HookResult> RunChild(const std::vector<std::string>& argv, const ChildRun& run);

}  // namespace sfsg
