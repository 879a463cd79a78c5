#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace ecr {

/// What a look at the license file found (A23).
struct license_status {
  enum class state {
    /// No file at the path.
    missing,
    /// Unreadable, not PKCS#12, wrong password, or without a certificate.
    invalid,
    not_yet_valid,
    valid,
    /// Valid, but ends within the warning window.
    expiring,
    expired,
  };

  state current = state::missing;
  /// The certificate's subject, once read.
  std::string subject;
  int64_t not_before_ms = 0;
  int64_t not_after_ms = 0;
  /// Why it is missing or invalid.
  std::string detail;

  /// Whether the license allows the service to run today.
  bool usable() const noexcept {
    return current == state::valid || current == state::expiring;
  }

  /// Whole days until the end of validity at `now_ms` (negative once over).
  int64_t days_left(int64_t now_ms) const noexcept;

  /// One line for logs and the health route.
  std::string describe(int64_t now_ms) const;
};

std::string_view to_string(license_status::state x) noexcept;

/// Whether writes may proceed under the license policy (A23): the license
/// checker closes it when an enforced license is unusable; the REST API reads
/// it on every write. Open until told otherwise.
class license_gate {
public:
  void set_open(bool open) noexcept {
    open_.store(open, std::memory_order_relaxed);
  }

  bool open() const noexcept {
    return open_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<bool> open_{true};
};

/// Loads the PKCS#12 file at `path` with `password` (legacy RC2/3DES
/// encryption accepted) and checks its certificate's validity window at
/// `now_ms`; `warn_days` before the end it counts as expiring.
license_status check_license(const std::string& path,
                             const std::string& password, int64_t now_ms,
                             int64_t warn_days = 14);

} // namespace ecr
