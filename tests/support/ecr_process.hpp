#pragma once

#include "tests/support/http_client.hpp"
#include "tests/support/nats_server.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace ecr::test {

struct ecr_options {
  /// Path of the `ecr` executable.
  std::string binary;
  /// Content of `service-config.yml`.
  std::string yaml;
  /// Extra environment, applied after the defaults (so it can override or
  /// unset them): `APP_CONFIG_PATH=<dir>/service-config.yml`,
  /// `SERVER_ADDRESS=127.0.0.1`, `SERVER_PORT=0`,
  /// `STORAGE_SQLITE_PATH=<dir>/data/ecr.db`, `NATS_URLS=<nats_urls>`.
  env_overrides env;
  /// `NATS_URLS` for the run. Empty: ecr_process starts a nats-server of its
  /// own (run_ecr_to_exit uses `unreachable_nats_url`). Tests pass a shared
  /// server's url(), or an unreachable URL.
  std::string nats_urls;
  /// Working directory for the config file, the log and the data. Empty: a
  /// fresh temp dir owned by the process object. Pass the same directory to
  /// a second run to restart on the same data.
  std::filesystem::path dir;
};

/// How a run that ended on its own finished (start-up failure tests).
struct ecr_exit {
  exit_status status;
  std::string output;
};

/// Starts `ecr` in `dir` (which must exist) without waiting for anything,
/// for tests that act at any moment of its start.
std::unique_ptr<process> launch_ecr(const ecr_options& options,
                                    const std::filesystem::path& dir);

/// Starts `ecr` and waits for it to exit by itself.
ecr_exit run_ecr_to_exit(const ecr_options& options,
                         std::chrono::milliseconds timeout = std::chrono::seconds(20));

/// A running `ecr`. The constructor returns once the log shows the ready line
/// (`listening on <address>:<port>`), or throws with the log when the process
/// exits or is not ready within `ready_timeout`.
class ecr_process {
public:
  explicit ecr_process(ecr_options options,
                       std::chrono::milliseconds ready_timeout = std::chrono::seconds(20));
  ~ecr_process();

  ecr_process(const ecr_process&) = delete;
  ecr_process& operator=(const ecr_process&) = delete;

  uint16_t port() const noexcept {
    return port_;
  }

  /// A client kept by this object, for the test's sequential requests.
  http_client& http() noexcept {
    return http_;
  }

  /// A new client with its own connection (for concurrent use).
  http_client new_client() const {
    return http_client(port_);
  }

  std::string log() const {
    return process_->log();
  }

  process& proc() noexcept {
    return *process_;
  }

  /// SIGTERM, then waits; records a test failure (with the log) unless the
  /// process exits with code 0 in time.
  exit_status stop(std::chrono::milliseconds timeout = std::chrono::seconds(20));

  /// SIGKILL and reap.
  void kill();

private:
  std::unique_ptr<temp_dir> owned_dir_;
  std::filesystem::path dir_;
  // Declared before process_: ecr stops before its NATS server goes away.
  std::unique_ptr<nats_server> owned_nats_;
  std::unique_ptr<process> process_;
  uint16_t port_ = 0;
  http_client http_{0};
};

} // namespace ecr::test
