#pragma once

#include "actors/actors.hpp"
#include "security/license.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace ecr {

class service_metrics;

struct license_checker_config {
  /// The PKCS#12 file and its password (KAA_LICENSE_CERT_*).
  std::string path;
  std::string password;
  /// When set, an unusable license fails readiness and closes the gate.
  bool enforce = false;
  std::chrono::milliseconds interval{std::chrono::hours{1}};
  int64_t warn_days = 14;
  std::shared_ptr<service_metrics> metrics;
  /// Closed for writes while an enforced license is unusable.
  std::shared_ptr<license_gate> gate;
};

caf::error validate(const license_checker_config& cfg);

struct license_checker_state {
  // Not an aggregate: CAF 0.17 would try to build it from `self` (C++20
  // parenthesized aggregate init).
  license_checker_state() = default;

  license_checker_config cfg;
  license_status last;

  /// Checks the file, logs, and updates the metrics and the gate.
  void check();

  static inline const char* name = "license-checker";
};

/// Must be spawned `caf::detached`: checks read the file.
license_checker_actor::behavior_type license_checker(
  license_checker_actor::stateful_pointer<license_checker_state> self,
  license_checker_config cfg);

} // namespace ecr
