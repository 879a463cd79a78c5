#pragma once

// Keeps the read caches of an instance's replicas coherent. Each replica
// announces every configuration change it committed on the instance's
// sync subject (no queue group), and every other replica forgets that key,
// or everything after a purge. Missed notices cannot leave a cache stale:
// on a shared (MongoDB) store the cache is disabled while NATS is down (see
// `config_cache`).

#include "core/records.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ecr {

class config_cache;
class nats_client;
class service_metrics;

namespace replica_sync {

/// What one replica tells the others: it changed `key`, or (none) many.
struct notice {
  std::string replica_id;
  std::optional<config_key> key;
};

/// The subject all replicas of `instance` hear.
std::string subject(const std::string& instance);

std::string encode(const notice& x);

/// `ec::invalid_argument` for anything but an encoded notice.
caf::expected<notice> decode(std::string_view payload);

/// Makes `cache` forget what other replicas of `instance` announce;
/// `replica_id` names this replica, whose own notices are ignored.
caf::error subscribe(nats_client& nats, const std::string& instance,
                     const std::string& replica_id,
                     std::shared_ptr<config_cache> cache,
                     std::shared_ptr<service_metrics> metrics);

} // namespace replica_sync

} // namespace ecr
