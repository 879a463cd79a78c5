#include "tests/support/mongo_stand_in.hpp"

#include <chrono>
#include <filesystem>
#include <thread>

namespace ecr::test {

namespace {

std::string script_path() {
  return (std::filesystem::path{__FILE__}.parent_path() / "mongo_stand_in.py")
    .string();
}

/// The script's exit code when python3-mockupdb is missing.
constexpr int missing_module = 3;

} // namespace

mongo_stand_in::mongo_stand_in(uint16_t port) {
  auto port_file = dir_.file("port");
  process_ = std::make_unique<process>(process_options{
    {"/usr/bin/python3", script_path(), "--port", std::to_string(port),
     "--port-file", port_file},
    {},
    dir_.file("stand-in.log")});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto text = read_file(port_file); !text.empty()) {
      port_ = static_cast<uint16_t>(std::stoi(text));
      return;
    }
    if (!process_->running()) {
      if (process_->wait_exit(std::chrono::milliseconds{0})
            ->exited_with(missing_module))
        throw unavailable(process_->log());
      throw std::runtime_error("the MongoDB stand-in exited: "
                               + process_->log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("the MongoDB stand-in did not start: "
                           + process_->log());
}

mongo_stand_in::~mongo_stand_in() {
  stop();
}

std::string mongo_stand_in::url() const {
  return "mongodb://127.0.0.1:" + std::to_string(port_)
         + "/?socketTimeoutMS=5000";
}

std::string mongo_stand_in::log() const {
  return process_->log();
}

void mongo_stand_in::stop() {
  if (!process_ || !process_->running())
    return;
  process_->terminate();
  if (!process_->wait_exit(std::chrono::seconds(10)))
    process_->kill();
}

} // namespace ecr::test
