#pragma once

#include "actors/actors.hpp"

#include <chrono>
#include <string>
#include <unordered_map>

namespace ecr {

struct status_recorder_config {
  store_writer_actor writer;
  /// The longest a record waits before it is written.
  std::chrono::milliseconds flush_interval{100};
  /// Records that trigger a write before the interval ends.
  size_t max_pending = 4096;
};

caf::error validate(const status_recorder_config& cfg);

struct status_recorder_state {
  // Not an aggregate: CAF 0.17 would try to build it from `self` (C++20
  // parenthesized aggregate init).
  status_recorder_state() = default;

  status_recorder_config cfg;
  /// Pending records by (tenant, endpoint, app version, configId): repeated
  /// dispatches of one configuration collapse into the latest.
  std::unordered_map<std::string, status_record> dispatches;
  std::unordered_map<std::string, status_record> confirmations;
  bool flush_scheduled = false;

  static inline const char* name = "status-recorder";
};

status_recorder_actor::behavior_type status_recorder(
  status_recorder_actor::stateful_pointer<status_recorder_state> self,
  status_recorder_config cfg);

} // namespace ecr
