#pragma once

#include "tests/support/python_stand_in.hpp"
#include "tests/support/temp_dir.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace ecr::test {

/// A MongoDB deployment for tests where no server can be installed:
/// mongo_stand_in.py speaks the wire protocol (through python3-mockupdb) and
/// executes the MongoDB store's commands on in-memory data, so the real
/// driver and store code run end to end. The constructor returns once it
/// listens on 127.0.0.1; the destructor stops it by PID.
class mongo_stand_in {
public:
  /// This machine lacks python3-mockupdb: tests skip rather than fail.
  class unavailable : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
  };

  /// Serves on `port` (0: a free one). Throws `unavailable` without
  /// python3-mockupdb and std::runtime_error when the stand-in fails.
  explicit mongo_stand_in(uint16_t port = 0);

  mongo_stand_in(const mongo_stand_in&) = delete;
  mongo_stand_in& operator=(const mongo_stand_in&) = delete;

  uint16_t port() const noexcept {
    return server_.port();
  }

  /// A connection string with a short socket timeout, so that a command the
  /// stand-in cannot answer fails in seconds instead of minutes.
  std::string url() const;

  /// What the stand-in printed: failed, unknown and unsupported commands.
  std::string log() const;

  /// SIGTERM by PID, then reaps.
  void stop();

private:
  temp_dir dir_{"ecr-mongo"};
  python_stand_in server_;
};

} // namespace ecr::test
