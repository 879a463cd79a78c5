#pragma once

#include "actors/add_message_types.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

namespace ecr::test {

/// The actor system of a service test: every message type of the service,
/// two scheduler threads.
///
/// Declare it before the actor handles in a fixture: the system waits for
/// its actors when it goes, and a detached actor's thread ends only once no
/// handle refers to it, so the handles must go first (after the fixture's
/// destructor sent the actors their exit).
class service_actor_system {
public:
  service_actor_system() : system_(configured(config_)) {
    // nop
  }

  caf::actor_system& operator*() noexcept {
    return system_;
  }

  caf::actor_system* operator->() noexcept {
    return &system_;
  }

private:
  static caf::actor_system_config& configured(caf::actor_system_config& cfg) {
    add_message_types(cfg);
    cfg.set("scheduler.max-threads", 2);
    return cfg;
  }

  caf::actor_system_config config_;
  caf::actor_system system_;
};

} // namespace ecr::test
