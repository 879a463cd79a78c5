#pragma once

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ecr::test {

/// A loopback port that nothing listens on right now, for a server the test
/// starts later.
uint16_t free_loopback_port();

/// Tekton's REST API as a small Python server (tekton_stand_in.py) on
/// 127.0.0.1. What it serves is re-read on every request, so a test changes
/// it mid-run. The constructor returns once the server listens; the
/// destructor stops it by PID.
class tekton_stand_in {
public:
  /// Serves `app_configs` (the body of GET /api/v1/app-configs) on `port`
  /// (0: a free one); with `status` set, answers every request with it.
  explicit tekton_stand_in(const std::string& app_configs, uint16_t port = 0,
                           int status = 0);
  ~tekton_stand_in();

  tekton_stand_in(const tekton_stand_in&) = delete;
  tekton_stand_in& operator=(const tekton_stand_in&) = delete;

  uint16_t port() const noexcept {
    return port_;
  }

  /// `http://127.0.0.1:<port>`.
  std::string url() const;

  /// Serves `app_configs` from the next request on.
  void serve(const std::string& app_configs);

  /// Answers every request with `status` from now on; 0 goes back to normal.
  void fail_with(int status);

  /// Lets the requests held on `GET /hold?name=<name>` answer.
  void release(const std::string& name);

  /// Every request so far, as "GET <path?query>", oldest first.
  std::vector<std::string> requests() const;

  /// SIGTERM by PID, then reaps.
  void stop();

private:
  /// Replaces `name` in the served directory atomically.
  void write(const std::string& name, const std::string& content);

  temp_dir dir_{"ecr-tekton"};
  std::unique_ptr<process> process_;
  uint16_t port_ = 0;
};

} // namespace ecr::test
