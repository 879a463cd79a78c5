#pragma once

#include "actors/actors.hpp"

#include <memory>
#include <optional>
#include <string>

namespace ecr {

class nats_client;
class service_metrics;

struct event_publisher_config {
  std::shared_ptr<nats_client> nats;
  std::string instance_name;
  /// Sent as originatorReplicaId.
  std::string replica_id;
  std::shared_ptr<service_metrics> metrics;
};

caf::error validate(const event_publisher_config& cfg);

struct event_publisher_state {
  // Not an aggregate: CAF 0.17 would try to build it from `self` (C++20
  // parenthesized aggregate init).
  event_publisher_state() = default;

  event_publisher_config cfg;

  /// Announces a committed change of `key` (none: of many keys) to the
  /// other replicas.
  void tell_replicas(std::optional<config_key> key);

  static inline const char* name = "event-publisher";
};

/// Publishes one 6/CDTP ConfigUpdated per endpoint, and a 27/SCMP
/// SystemConfigUpdated per stored system configuration, and tells the other
/// replicas of the instance which configurations changed. While NATS is
/// down the client buffers events up to its reconnect buffer (A24).
event_publisher_actor::behavior_type event_publisher(
  event_publisher_actor::stateful_pointer<event_publisher_state> self,
  event_publisher_config cfg);

} // namespace ecr
