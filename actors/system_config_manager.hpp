#pragma once

#include "actors/actors.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ecr {

/// The application an app version belongs to, from the application settings;
/// nullopt when they do not list it.
using application_lookup
  = std::function<std::optional<std::string>(const std::string& app_version)>;

struct system_config_manager_config {
  store_writer_actor writer;
  std::vector<store_reader_actor> readers;
  /// Announces creates and updates (27/SCMP); none when unset.
  event_publisher_actor events;
  /// The APP_VERSION level's parent.
  application_lookup application_of;
};

caf::error validate(const system_config_manager_config& cfg);

struct system_config_manager_state {
  // Not an aggregate: CAF 0.17 would try to build it from `self` (C++20
  // parenthesized aggregate init).
  system_config_manager_state() = default;

  system_config_manager_config cfg;
  size_t next_reader = 0;

  /// Spreads reads over the readers, round robin.
  const store_reader_actor& reader();

  static inline const char* name = "system-config-manager";
};

system_config_manager_actor::behavior_type system_config_manager(
  system_config_manager_actor::stateful_pointer<system_config_manager_state>
    self,
  system_config_manager_config cfg);

} // namespace ecr
