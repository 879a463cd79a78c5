#pragma once

#include "actors/actors.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

namespace ecr {

class nats_client;
class service_metrics;

struct filter_resolver_config {
  std::shared_ptr<nats_client> nats;
  /// The EPR instance answering EFMP requests.
  std::string endpoint_register = "epr";
  /// Answers come to a subject of this replica.
  std::string replica_id;
  std::chrono::milliseconds timeout{5000};
  size_t max_payload_bytes = 1024 * 1024;
  /// Counts undecodable answers.
  std::shared_ptr<service_metrics> metrics;
};

caf::error validate(const filter_resolver_config& cfg);

struct filter_resolver_state {
  // Not an aggregate: CAF 0.17 would try to build it from `self` (C++20
  // parenthesized aggregate init).
  filter_resolver_state() = default;

  filter_resolver_config cfg;
  /// Requests waiting for EPR, by correlationId.
  std::unordered_map<std::string,
                     caf::typed_response_promise<std::vector<config_key>>>
    pending;

  static inline const char* name = "filter-resolver";
};

/// Subscribes the replica's EFMP response subject and answers `resolve`
/// requests by asking EPR.
filter_resolver_actor::behavior_type filter_resolver(
  filter_resolver_actor::stateful_pointer<filter_resolver_state> self,
  filter_resolver_config cfg);

} // namespace ecr
