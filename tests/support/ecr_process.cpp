#include "tests/support/ecr_process.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>
#include <regex>
#include <stdexcept>
#include <thread>

namespace ecr::test {

namespace {

std::string log_excerpt(const std::string& log) {
  constexpr size_t max = 8192;
  return log.size() > max ? "..." + log.substr(log.size() - max) : log;
}

} // namespace

/// Writes the config file and starts the binary with the test environment.
std::unique_ptr<process> launch_ecr(const ecr_options& options,
                                    const std::filesystem::path& dir) {
  if (options.binary.empty())
    throw std::invalid_argument("ecr_options.binary is empty");
  auto config_path = dir / "service-config.yml";
  {
    std::ofstream out(config_path, std::ios::binary | std::ios::trunc);
    out << options.yaml;
    if (!out)
      throw std::runtime_error("cannot write " + config_path.string());
  }
  std::filesystem::create_directories(dir / "data");
  env_overrides env{
    {"APP_CONFIG_PATH", config_path.string()},
    {"SERVER_ADDRESS", "127.0.0.1"},
    {"SERVER_PORT", "0"},
    {"STORAGE_SQLITE_PATH", (dir / "data" / "ecr.db").string()},
    {"NATS_URLS", options.nats_urls.empty() ? unreachable_nats_url : options.nats_urls},
  };
  for (const auto& [name, value] : options.env)
    env[name] = value;
  // One log per run, so a restart on the same directory reads only its own.
  static std::atomic<int> run_counter{0};
  auto log_path = dir / ("ecr-" + std::to_string(++run_counter) + ".log");
  return std::make_unique<process>(
    process_options{{options.binary}, std::move(env), log_path.string()});
}

ecr_exit run_ecr_to_exit(const ecr_options& options, std::chrono::milliseconds timeout) {
  std::unique_ptr<temp_dir> owned;
  auto dir = options.dir;
  if (dir.empty()) {
    owned = std::make_unique<temp_dir>("ecr-e2e");
    dir = owned->path();
  }
  auto child = launch_ecr(options, dir);
  auto status = child->wait_exit(timeout);
  if (!status)
    throw std::runtime_error("ecr still running after "
                             + std::to_string(timeout.count())
                             + " ms; expected it to exit. Log:\n"
                             + log_excerpt(child->log()));
  return {*status, child->log()};
}

ecr_process::ecr_process(ecr_options options, std::chrono::milliseconds ready_timeout) {
  if (options.dir.empty()) {
    owned_dir_ = std::make_unique<temp_dir>("ecr-e2e");
    options.dir = owned_dir_->path();
  }
  dir_ = options.dir;
  if (options.nats_urls.empty()) {
    owned_nats_ = std::make_unique<nats_server>();
    options.nats_urls = owned_nats_->url();
  }
  process_ = launch_ecr(options, dir_);
  static const std::regex ready_line("listening on [^ ]+:([0-9]+)");
  auto deadline = std::chrono::steady_clock::now() + ready_timeout;
  for (;;) {
    auto text = process_->log();
    std::smatch match;
    if (std::regex_search(text, match, ready_line)) {
      port_ = static_cast<uint16_t>(std::stoi(match[1].str()));
      break;
    }
    if (!process_->running())
      throw std::runtime_error("ecr exited before ready ("
                               + process_->wait_exit({})->describe() + "). Log:\n"
                               + log_excerpt(text));
    if (std::chrono::steady_clock::now() >= deadline)
      throw std::runtime_error("ecr not ready after " + std::to_string(ready_timeout.count())
                               + " ms. Log:\n" + log_excerpt(text));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (port_ == 0)
    throw std::runtime_error("ecr reported port 0. Log:\n" + log_excerpt(process_->log()));
  http_ = http_client(port_);
}

ecr_process::~ecr_process() {
  // The server's own account is the fastest way to understand a failure.
  if (::testing::Test::HasFailure())
    std::cerr << "---- ecr log (" << process_->log_path() << ") ----\n"
              << log_excerpt(process_->log()) << "---- end of ecr log ----\n";
}

exit_status ecr_process::stop(std::chrono::milliseconds timeout) {
  http_.close();
  process_->terminate();
  auto status = process_->wait_exit(timeout);
  if (!status) {
    ADD_FAILURE() << "ecr did not exit within " << timeout.count() << " ms of SIGTERM";
    process_->kill();
    status = process_->wait_exit(std::chrono::seconds(10));
    return status.value_or(exit_status{true, SIGKILL});
  }
  if (!status->exited_with(0))
    ADD_FAILURE() << "ecr ended with " << status->describe()
                  << " after SIGTERM; expected exit code 0";
  return *status;
}

void ecr_process::kill() {
  http_.close();
  process_->kill();
  if (!process_->wait_exit(std::chrono::seconds(10)))
    ADD_FAILURE() << "ecr did not die after SIGKILL";
}

} // namespace ecr::test
