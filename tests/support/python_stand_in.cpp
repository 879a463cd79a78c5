#include "tests/support/python_stand_in.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace ecr::test {

namespace {

constexpr auto start_timeout = std::chrono::seconds(20);
constexpr auto stop_grace = std::chrono::seconds(10);

std::string port_file(const python_stand_in_options& options) {
  return (options.dir / "port").string();
}

process_options launch_options(const python_stand_in_options& options) {
  // The scripts sit beside this file in the source tree.
  auto script = std::filesystem::path{__FILE__}.parent_path() / options.script;
  // -B: no __pycache__ beside the scripts in the source tree.
  std::vector<std::string> argv{"/usr/bin/python3", "-B",
                                script.string(),
                                "--port",
                                std::to_string(options.port),
                                "--port-file",
                                port_file(options)};
  argv.insert(argv.end(), options.args.begin(), options.args.end());
  return {std::move(argv), {}, (options.dir / "stand-in.log").string()};
}

} // namespace

uint16_t free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0
      || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free loopback port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

python_stand_in::python_stand_in(const python_stand_in_options& options)
  : process_(launch_options(options)) {
  auto deadline = std::chrono::steady_clock::now() + start_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto text = read_file(port_file(options)); !text.empty()) {
      port_ = static_cast<uint16_t>(std::stoi(text));
      return;
    }
    if (!process_.running())
      throw exited(options.name + " exited: " + process_.log(),
                   *process_.wait_exit(std::chrono::milliseconds{0}));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error(options.name + " did not start: " + process_.log());
}

python_stand_in::~python_stand_in() {
  stop();
}

std::string python_stand_in::log() const {
  return process_.log();
}

void python_stand_in::stop() {
  process_.stop(stop_grace);
}

} // namespace ecr::test
