#pragma once

#include "tests/support/python_stand_in.hpp"
#include "tests/support/temp_dir.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ecr::test {

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

  tekton_stand_in(const tekton_stand_in&) = delete;
  tekton_stand_in& operator=(const tekton_stand_in&) = delete;

  uint16_t port() const noexcept {
    return server_->port();
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

  /// The credential header of each request, in the order of `requests()`:
  /// "Authorization: <value>", else "X-iamcore-API-Key: <value>", else "".
  std::vector<std::string> credentials() const;

  /// SIGTERM by PID, then reaps.
  void stop();

private:
  temp_dir dir_{"ecr-tekton"};
  /// Started once `dir_` holds what it serves.
  std::unique_ptr<python_stand_in> server_;
};

} // namespace ecr::test
