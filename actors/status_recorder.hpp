#pragma once

#include "actors/actors.hpp"
#include "storage/delivery_log.hpp"

#include <chrono>
#include <memory>

namespace ecr {

struct status_recorder_config {
  store_writer_actor writer;
  std::shared_ptr<delivery_log> log;
  /// The longest a record waits before it is written.
  std::chrono::milliseconds flush_interval{1000};
};

caf::error validate(const status_recorder_config& cfg);

struct status_recorder_state {
  // Not an aggregate: CAF 0.17 would try to build it from `self` (C++20
  // parenthesized aggregate init).
  status_recorder_state() = default;

  status_recorder_config cfg;
  bool flush_scheduled = false;
  /// A batch is with the writer.
  bool writing = false;
  /// The interval or a full log asked for a flush while one was written.
  bool flush_when_written = false;

  static inline const char* name = "status-recorder";
};

/// Drains the delivery log into the store, one batch at a time: within the
/// flush interval after the first record, at once when the log reaches its
/// high water.
status_recorder_actor::behavior_type status_recorder(
  status_recorder_actor::stateful_pointer<status_recorder_state> self,
  status_recorder_config cfg);

} // namespace ecr
