#include "fuse/forecaster/hooks.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

extern char** environ;

namespace sfsg {
namespace {

// Stops the process group `pid` leads: SIGTERM, then SIGKILL after `grace_s` (at once
// when 0), and reaps the leader into *status.
void StopGroup(pid_t pid, double grace_s, int* status) {
  if (grace_s > 0) {
    ::kill(-pid, SIGTERM);
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(grace_s);
    while (std::chrono::steady_clock::now() < until) {
      if (::waitpid(pid, status, WNOHANG) == pid) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ::kill(-pid, SIGKILL);
  ::waitpid(pid, status, 0);
}

}  // namespace

Result<std::vector<std::string>> SplitCommand(std::string_view text) {
  std::vector<std::string> argv;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < text.size()) {
        word.push_back(text[++i]);
      } else {
        word.push_back(c);
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < text.size()) {
      word.push_back(text[++i]);
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) argv.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (quote) return Error::Usage("hook '" + std::string(text) + "': unterminated quote");
  if (in_word) argv.push_back(std::move(word));
  if (argv.empty()) return Error::Usage("hook: empty command");
  return argv;
}

Result<HookResult> RunHook(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& env, double timeout_s,
                           const std::string& working_dir) {
  ChildRun run;
  run.env = env;
  run.timeout_s = timeout_s;
  run.working_dir = working_dir;
  return RunChild(argv, run);
}

Result<HookResult> RunChild(const std::vector<std::string>& argv, const ChildRun& run) {
  const std::map<std::string, std::string>& env = run.env;
  const std::string& working_dir = run.working_dir;
  const std::string& what = run.what;
  if (argv.empty()) return Error::Usage(what + ": empty command");
  // Everything the child needs is built before fork: after it, only async-signal-safe
  // calls (the daemon is multithreaded).
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string_view::npos && env.count(std::string(entry.substr(0, eq)))) continue;
    env_strings.emplace_back(entry);
  }
  for (const auto& [key, value] : env) env_strings.push_back(key + "=" + value);
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);
  int error_pipe[2];
  if (::pipe2(error_pipe, O_CLOEXEC) != 0)
    return Error::Io(std::string("pipe: ") + strerror(errno));

  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(error_pipe[0]);
    ::close(error_pipe[1]);
    return Error::Io(std::string("fork: ") + strerror(errno));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    const int in_fd = run.stdin_fd >= 0 ? run.stdin_fd : ::open("/dev/null", O_RDONLY);
    if (in_fd >= 0) ::dup2(in_fd, 0);
    if (run.stdout_fd >= 0) ::dup2(run.stdout_fd, 1);
    if (run.stderr_fd >= 0) ::dup2(run.stderr_fd, 2);
    // {stage, errno}: 1 the chdir failed, 2 the exec did.
    int failure[2] = {1, 0};
    if (working_dir.empty() || ::chdir(working_dir.c_str()) == 0) {
      failure[0] = 2;
      ::execvpe(args[0], args.data(), envp.data());
    }
    failure[1] = errno;
    (void)!::write(error_pipe[1], failure, sizeof failure);
    ::_exit(127);
  }
  ::close(error_pipe[1]);
  int failure[2] = {0, 0};
  const bool exec_failed = ::read(error_pipe[0], failure, sizeof failure) == sizeof failure;
  ::close(error_pipe[0]);

  HookResult result;
  int status = 0;
  while (true) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (done < 0 && errno != EINTR) return Error::Io(std::string("waitpid: ") + strerror(errno));
    const bool timed_out = run.timeout_s > 0 && elapsed > run.timeout_s;
    const bool cancelled = run.cancel != nullptr && run.cancel->load();
    if (timed_out || cancelled) {
      result.timed_out = timed_out;
      result.cancelled = cancelled && !timed_out;
      StopGroup(pid, run.term_grace_s, &status);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  result.duration_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (exec_failed && failure[0] == 1)
    return Error::Io(what + " " + argv[0] + ": cannot change to its working directory " + working_dir +
                     ": " + strerror(failure[1]));
  if (exec_failed) {
    std::string where;
    if (argv[0].find('/') != std::string::npos && argv[0][0] != '/')
      where = " (relative to " +
              (working_dir.empty() ? std::string("the working directory") : working_dir) + ")";
    return Error::Io(what + " " + argv[0] + where + ": cannot run: " + strerror(failure[1]));
  }
  result.exit_status = WIFEXITED(status)     ? WEXITSTATUS(status)
                       : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                             : -1;
  return result;
}

}  // namespace sfsg
