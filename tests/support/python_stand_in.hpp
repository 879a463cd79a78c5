#pragma once

#include "tests/support/process.hpp"

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace ecr::test {

/// A loopback port that nothing listens on right now, for a server the test
/// starts later.
uint16_t free_loopback_port();

struct python_stand_in_options {
  /// Names the server in error messages: "the Tekton stand-in".
  std::string name;
  /// The script's file name in tests/support: "tekton_stand_in.py".
  std::string script;
  /// Receives the port file and the log ("stand-in.log"); must outlive the
  /// stand-in.
  std::filesystem::path dir;
  /// 0: any free port.
  uint16_t port = 0;
  /// The script's own arguments, after the shared ones. (`= {}` keeps GCC's
  /// -Wmissing-field-initializers quiet when a designated initializer omits
  /// it.)
  std::vector<std::string> args = {};
};

/// A stand-in for an outside service, written in Python beside this file.
/// Every such script follows one protocol, so that this class alone starts
/// and stops them: run as `python3 <script> --port <port> --port-file <file>
/// <args>`, it listens on 127.0.0.1:<port>, then writes the port it got to
/// <file> (whole, by a rename) and serves until SIGTERM. The constructor
/// returns once the port file appears; the destructor stops the server by
/// PID.
class python_stand_in {
public:
  /// The script ended before it listened; `what()` holds its output.
  class exited : public std::runtime_error {
  public:
    exited(const std::string& what, exit_status status)
      : std::runtime_error(what), status_(status) {
    }

    /// Lets a caller tell a documented exit code (say, a missing Python
    /// module) from a crash.
    exit_status status() const noexcept {
      return status_;
    }

  private:
    exit_status status_;
  };

  /// Throws `exited`, or std::runtime_error when the script is still not
  /// listening after 20 s.
  explicit python_stand_in(const python_stand_in_options& options);
  ~python_stand_in();

  python_stand_in(const python_stand_in&) = delete;
  python_stand_in& operator=(const python_stand_in&) = delete;

  uint16_t port() const noexcept {
    return port_;
  }

  /// What the script printed so far.
  std::string log() const;

  /// SIGTERM by PID, then reaps (SIGKILL after 10 s): the port refuses
  /// connections afterwards.
  void stop();

private:
  process process_;
  uint16_t port_ = 0;
};

} // namespace ecr::test
