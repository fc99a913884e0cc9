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
  if (argv.empty()) return Error::Usage("hook: empty command");
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
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
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
    if (elapsed > timeout_s) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      result.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  result.duration_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (exec_failed && failure[0] == 1)
    return Error::Io("hook " + argv[0] + ": cannot change to its working directory " + working_dir +
                     ": " + strerror(failure[1]));
  if (exec_failed) {
    std::string where;
    if (argv[0].find('/') != std::string::npos && argv[0][0] != '/')
      where = " (relative to " +
              (working_dir.empty() ? std::string("the working directory") : working_dir) + ")";
    return Error::Io("hook " + argv[0] + where + ": cannot run: " + strerror(failure[1]));
  }
  result.exit_status = WIFEXITED(status)     ? WEXITSTATUS(status)
                       : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                             : -1;
  return result;
}

}  // namespace sfsg
