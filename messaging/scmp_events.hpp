#pragma once

// 17/SCMP: Tekton announces changed application settings; every replica
// reloads them.

#include "actors/actors.hpp"

#include <caf/error.hpp>

#include <cstddef>
#include <memory>
#include <string>

namespace ecr {

class nats_client;
class service_metrics;

struct scmp_subscription_config {
  std::shared_ptr<nats_client> nats;
  /// This service instance: the targeted subjects.
  std::string instance;
  /// Tekton's instance: the broadcast subjects.
  std::string provider;
  size_t max_payload_bytes = 1024 * 1024;
  std::shared_ptr<service_metrics> metrics;
  app_settings_refresher_actor refresher;
};

/// Subscribes the 17/SCMP broadcast and targeted `upsert` and `delete`
/// subjects without a queue group (every replica must refresh) and sends
/// the refresher a reload for each event that decodes.
caf::error subscribe_scmp(const scmp_subscription_config& cfg);

} // namespace ecr
