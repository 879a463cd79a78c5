#pragma once

#include <caf/error.hpp>
#include <caf/make_message.hpp>

#include <cstdint>
#include <string>

namespace ecr {

/// Error codes of the service. Each maps to one HTTP status at the gateway.
enum class ec : uint8_t {
  /// Not an error.
  no_error = 0,
  /// A client sent a malformed or out-of-range value (400).
  invalid_argument,
  /// The addressed record does not exist (404).
  not_found,
  /// An If-Match precondition did not hold (412).
  precondition_failed,
  /// A uniqueness rule would be violated (409).
  conflict,
  /// A request body exceeded the configured limit (413).
  payload_too_large,
  /// A request body was not JSON (415).
  unsupported_media_type,
  /// The store failed to read or write (500).
  storage_failure,
  /// The service configuration is invalid (exit code 2 at start).
  invalid_configuration,
  /// A dependency is not available right now (503).
  unavailable,
  /// A dependency did not answer in time (504).
  timeout,
  /// A dependency answered with a failure (502).
  upstream_failure,
  /// The caller is not authenticated: no or an invalid credential (401).
  unauthenticated,
  /// The caller is authenticated but not permitted (403).
  forbidden,
  /// The store had no space for a write, which stored nothing of it (507).
  storage_full,
  /// Sentinel; keep last.
  ec_count,
};

/// @relates ec
const char* to_string(ec code) noexcept;

/// Builds an error of our category with a human-readable message.
caf::error make_error(ec code, std::string message);

/// The human-readable message carried by `err`, or a rendering of the error
/// when it came from another category; empty for no error.
std::string error_message(const caf::error& err);

/// Our code for `err` (`no_error` for none); errors of other categories
/// count as storage failures when they reach the gateway: they are internal.
ec error_code(const caf::error& err) noexcept;

/// A one-line rendering for logs: "<code>: <message>".
std::string render(const caf::error& err);

} // namespace ecr

CAF_ERROR_CODE_ENUM(ecr::ec, "ecr")
