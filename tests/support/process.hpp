#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ecr::test {

/// How a child process ended.
struct exit_status {
  bool signaled = false;
  /// The exit code, or the signal number when `signaled`.
  int value = 0;

  bool exited_with(int code) const noexcept {
    return !signaled && value == code;
  }

  /// "exit code 2" / "signal 9 (Killed)", for assertion messages.
  std::string describe() const;
};

/// Environment changes for a child: a value sets the variable, `nullopt`
/// removes it from the inherited environment.
using env_overrides = std::map<std::string, std::optional<std::string>>;

struct process_options {
  /// `argv[0]` is the executable path.
  std::vector<std::string> argv;
  env_overrides env;
  /// Receives the child's stdout and stderr (appended).
  std::string log_path;
};

/// A child process started with fork/exec. The destructor SIGKILLs and reaps
/// a child that is still running, so a failing test never leaks processes.
class process {
public:
  explicit process(const process_options& options);
  ~process();

  process(const process&) = delete;
  process& operator=(const process&) = delete;

  pid_t pid() const noexcept {
    return pid_;
  }

  const std::string& log_path() const noexcept {
    return log_path_;
  }

  /// The child's output so far.
  std::string log() const;

  /// True until the child has been reaped.
  bool running();

  /// Sends SIGTERM.
  void terminate();

  /// Sends SIGKILL.
  void kill();

  /// Sends `sig` unless the child is already reaped.
  void signal(int sig);

  /// SIGTERM, then SIGKILL when the child is still running after `grace`,
  /// each followed by up to `grace` of waiting for it to be reaped. Does
  /// nothing to a child already reaped.
  void stop(std::chrono::milliseconds grace);

  /// Waits for the child to end; empty when it is still running after
  /// `timeout`. Once reaped, keeps returning the same status.
  std::optional<exit_status> wait_exit(std::chrono::milliseconds timeout);

private:
  bool try_reap();

  pid_t pid_ = -1;
  std::string log_path_;
  std::optional<exit_status> status_;
};

/// CPU time (user and system) process `pid` has used so far.
std::chrono::milliseconds cpu_time(pid_t pid);

/// How many sockets process `pid` has open.
int open_sockets(pid_t pid);

/// Reads a whole file; empty when it does not exist.
std::string read_file(const std::string& path);

/// The lines of a file, without their ends; none when it does not exist.
std::vector<std::string> read_lines(const std::string& path);

/// Writes `content` beside `path`, then renames it into place: a server
/// that re-reads the file on every request never sees half of it.
void replace_file(const std::string& path, const std::string& content);

} // namespace ecr::test
