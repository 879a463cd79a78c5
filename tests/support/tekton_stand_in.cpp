#include "tests/support/tekton_stand_in.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ecr::test {

namespace {

std::string script_path() {
  return (std::filesystem::path{__FILE__}.parent_path() / "tekton_stand_in.py").string();
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

tekton_stand_in::tekton_stand_in(const std::string& app_configs, uint16_t port,
                                 int status) {
  serve(app_configs);
  fail_with(status);
  auto port_file = dir_.file("port");
  process_ = std::make_unique<process>(process_options{
    {"/usr/bin/python3", script_path(), "--port", std::to_string(port), "--dir",
     dir_.path().string(), "--port-file", port_file},
    {},
    dir_.file("stand-in.log")});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto text = read_file(port_file); !text.empty()) {
      port_ = static_cast<uint16_t>(std::stoi(text));
      return;
    }
    if (!process_->running())
      throw std::runtime_error("the Tekton stand-in exited: " + process_->log());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("the Tekton stand-in did not start: " + process_->log());
}

tekton_stand_in::~tekton_stand_in() {
  stop();
}

std::string tekton_stand_in::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

void tekton_stand_in::write(const std::string& name, const std::string& content) {
  auto temporary = dir_.file(name + ".tmp");
  {
    std::ofstream out{temporary, std::ios::binary};
    out << content;
  }
  std::filesystem::rename(temporary, dir_.file(name));
}

void tekton_stand_in::serve(const std::string& app_configs) {
  write("app-configs.json", app_configs);
}

void tekton_stand_in::fail_with(int status) {
  if (status == 0)
    std::filesystem::remove(dir_.file("status"));
  else
    write("status", std::to_string(status));
}

void tekton_stand_in::release(const std::string& name) {
  write("release-" + name, "");
}

std::vector<std::string> tekton_stand_in::requests() const {
  std::vector<std::string> lines;
  std::istringstream in{read_file(dir_.file("requests.log"))};
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

void tekton_stand_in::stop() {
  if (!process_ || !process_->running())
    return;
  process_->terminate();
  if (!process_->wait_exit(std::chrono::seconds(10)))
    process_->kill();
}

} // namespace ecr::test
