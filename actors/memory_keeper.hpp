#pragma once

#include "actors/actors.hpp"

#include <chrono>
#include <cstddef>

namespace ecr {

struct memory_keeper_config {
  /// How often the free heap is looked at.
  std::chrono::milliseconds interval{std::chrono::seconds{10}};
  /// Free heap bytes from which they are given back, if the process also
  /// grew by as much since it last gave memory back (free memory already
  /// given back still counts as free).
  size_t release_above = 4 * 1024 * 1024;
};

caf::error validate(const memory_keeper_config& cfg);

struct memory_keeper_state {
  // Not an aggregate: CAF 0.17 would try to build it from `self` (C++20
  // parenthesized aggregate init).
  memory_keeper_state() = default;

  memory_keeper_config cfg;
  /// Resident bytes right after memory was last given back.
  size_t resident_after_release = 0;

  /// Gives the free heap back if both it and the growth since the last
  /// time reached `release_above`.
  void look();

  static inline const char* name = "memory-keeper";
};

/// Should be spawned `caf::detached`: giving back a large heap walks all of
/// it, which would hold up a scheduler thread for milliseconds.
memory_keeper_actor::behavior_type
memory_keeper(memory_keeper_actor::stateful_pointer<memory_keeper_state> self,
              memory_keeper_config cfg);

} // namespace ecr
