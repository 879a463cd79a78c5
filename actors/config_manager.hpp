#pragma once

#include "actors/actors.hpp"
#include "storage/config_cache.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace ecr {

struct config_manager_config {
  store_writer_actor writer;
  std::vector<store_reader_actor> readers;
  std::shared_ptr<config_cache> cache;
  /// Announces changed effective configurations; none when unset.
  event_publisher_actor events;
};

caf::error validate(const config_manager_config& cfg);

struct config_manager_state {
  // Not an aggregate: CAF 0.17 would try to build it from `self` (C++20
  // parenthesized aggregate init).
  config_manager_state() = default;

  config_manager_config cfg;
  size_t next_reader = 0;

  /// Spreads reads over the readers, round robin.
  const store_reader_actor& reader();

  static inline const char* name = "config-manager";
};

config_manager_actor::behavior_type config_manager(
  config_manager_actor::stateful_pointer<config_manager_state> self,
  config_manager_config cfg);

} // namespace ecr
