#include "tests/support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace ecr::test {

namespace {

std::vector<std::string> child_environment(const env_overrides& overrides) {
  std::map<std::string, std::string> merged;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    auto eq = text.find('=');
    if (eq != std::string_view::npos)
      merged[std::string(text.substr(0, eq))] = std::string(text.substr(eq + 1));
  }
  for (const auto& [name, value] : overrides) {
    if (value)
      merged[name] = *value;
    else
      merged.erase(name);
  }
  std::vector<std::string> result;
  result.reserve(merged.size());
  for (const auto& [name, value] : merged)
    result.push_back(name + "=" + value);
  return result;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> result;
  result.reserve(strings.size() + 1);
  for (auto& s : strings)
    result.push_back(s.data());
  result.push_back(nullptr);
  return result;
}

exit_status decode_wait_status(int status) {
  if (WIFSIGNALED(status))
    return {true, WTERMSIG(status)};
  return {false, WEXITSTATUS(status)};
}

} // namespace

std::string exit_status::describe() const {
  if (signaled)
    return "signal " + std::to_string(value) + " (" + strsignal(value) + ")";
  return "exit code " + std::to_string(value);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path, std::ios::binary);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

std::chrono::milliseconds cpu_time(pid_t pid) {
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  // The command name may hold spaces; the fields after it do not.
  auto after_name = stat.rfind(')');
  if (after_name == std::string::npos)
    throw std::runtime_error("cpu_time: no /proc/" + std::to_string(pid) + "/stat");
  std::istringstream fields(stat.substr(after_name + 1));
  // Fields 3 to 13 precede utime (14) and stime (15).
  std::string skipped;
  for (int field = 3; field <= 13; ++field)
    fields >> skipped;
  long long user = 0;
  long long system = 0;
  fields >> user >> system;
  return std::chrono::milliseconds((user + system) * 1000 / ::sysconf(_SC_CLK_TCK));
}

int open_sockets(pid_t pid) {
  int count = 0;
  std::error_code ignored;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ignored)) {
    // A descriptor may close while being looked at.
    auto target = std::filesystem::read_symlink(entry.path(), ignored);
    if (target.string().starts_with("socket:"))
      ++count;
  }
  return count;
}

void replace_file(const std::string& path, const std::string& content) {
  auto temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary);
    out << content;
  }
  std::filesystem::rename(temporary, path);
}

process::process(const process_options& options) : log_path_(options.log_path) {
  if (options.argv.empty())
    throw std::invalid_argument("process: empty argv");
  // Everything the child needs is prepared before fork: only
  // async-signal-safe calls are allowed between fork and exec.
  auto argv_strings = options.argv;
  auto argv = c_strings(argv_strings);
  auto env_strings = child_environment(options.env);
  auto envp = c_strings(env_strings);
  int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0)
    throw std::runtime_error("process: cannot open log " + log_path_ + ": "
                             + std::strerror(errno));
  auto parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) {
    auto err = errno;
    ::close(log_fd);
    throw std::runtime_error(std::string("process: fork failed: ") + std::strerror(err));
  }
  if (pid_ == 0) {
    // Dies with the test process even if the test itself crashes.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
      ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0)
      ::dup2(null_fd, STDIN_FILENO);
    // Keeps test sockets and files out of the child.
    ::close_range(3, ~0U, 0);
    ::execve(argv[0], argv.data(), envp.data());
    static constexpr char msg[] = "process: execve failed\n";
    [[maybe_unused]] auto ignored = ::write(STDERR_FILENO, msg, sizeof(msg) - 1);
    ::_exit(127);
  }
  ::close(log_fd);
}

process::~process() {
  if (status_)
    return;
  signal(SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

std::string process::log() const {
  return read_file(log_path_);
}

bool process::try_reap() {
  if (status_)
    return true;
  int status = 0;
  auto result = ::waitpid(pid_, &status, WNOHANG);
  if (result == pid_) {
    status_ = decode_wait_status(status);
    return true;
  }
  return false;
}

bool process::running() {
  return !try_reap();
}

void process::signal(int sig) {
  // A reaped pid may already belong to another process.
  if (!try_reap())
    ::kill(pid_, sig);
}

void process::terminate() {
  signal(SIGTERM);
}

void process::kill() {
  signal(SIGKILL);
}

void process::stop(std::chrono::milliseconds grace) {
  terminate();
  if (!wait_exit(grace)) {
    kill();
    wait_exit(grace);
  }
}

std::optional<exit_status> process::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!try_reap()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status_;
}

} // namespace ecr::test
