#pragma once

#include "actors/actors.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ecr {

class config_cache;
class delivery_log;
class live_app_catalog;
class nats_client;
class read_batcher;
class service_metrics;
struct nats_message;

/// A CDTP configuration request (RFC 6) after decoding and validation:
/// which configuration, what the consumer already has, where to answer.
struct config_pull {
  std::string correlation_id;
  config_key key;
  /// The configId the consumer reported; empty for none.
  std::string known_config_id;
  std::string reply_to;
  /// When the request arrived, for the latency metric.
  std::chrono::steady_clock::time_point received;
};

struct inbound_config {
  std::shared_ptr<nats_client> nats;
  std::shared_ptr<config_cache> cache;
  /// Resolve the requests the cache cannot answer, a batch per burst of
  /// requests.
  std::shared_ptr<read_batcher> reads;
  config_manager_actor config_manager;
  /// Dispatches and implicit confirmations go to the log; the recorder is
  /// woken when it has work.
  std::shared_ptr<delivery_log> deliveries;
  status_recorder_actor recorder;
  /// Counts requests, events and dropped messages.
  std::shared_ptr<service_metrics> metrics;
  /// Tenant of every record outside tenant-scoped mode; in it, the tenant
  /// of app versions no application assigns to a tenant.
  std::string tenant_id = "kaa";
  /// Tenant-scoped mode (multitenancy or iamcore): a CDTP request and the
  /// config.applied and endpoint unregistered events are handled in the
  /// tenant owning their app version.
  bool tenant_scoped = false;
  /// The application settings, which name the tenant owning each app
  /// version; null: the default tenant owns them all.
  std::shared_ptr<live_app_catalog> applications;
  /// Told (`atom::forget`) of every tenant a 21/TLE event updates or
  /// unregisters, on every replica: its cached security context is stale.
  /// Unset: the tenant events only purge.
  access_guard_actor tenant_listener;
  std::string instance_name = "ecr";
  std::string configuration_consumer = "cmx";
  std::string endpoint_register = "epr";
  std::string tenant_manager = "*";
  /// Larger payloads are dropped before decoding.
  size_t max_payload_bytes = 1024 * 1024;

  /// The tenant owning `app_version`: in tenant-scoped mode its
  /// application's tenant, if the settings name one; else `tenant_id`.
  std::string tenant_for(std::string_view app_version) const;
};

caf::error validate(const inbound_config& cfg);

/// Answers 6/CDTP configuration requests (decisions A10-A13). NATS delivery
/// threads call `handle`, which answers from the read cache when it can and
/// else has a store reader resolve the request and answer from its thread.
class cdtp_service : public std::enable_shared_from_this<cdtp_service> {
public:
  explicit cdtp_service(inbound_config cfg);

  /// Decodes, validates and answers one request. Drops (and logs)
  /// undecodable, oversize and expired requests. The store resolves what
  /// the cache cannot once no further request is waiting.
  void handle(const nats_message& msg);

  /// Answers with the effective configuration (nullptr: none is in force)
  /// and records the dispatch.
  void answer(const config_pull& pull, const config_record* effective);

  /// Answers that the request could not be served.
  void fail(const config_pull& pull, int32_t status, const char* reason);

  const inbound_config& config() const noexcept {
    return cfg_;
  }

private:
  /// Has a store reader resolve `pull` and answer it.
  void resolve_in_store(config_pull pull);

  void reply(const config_pull& pull, int32_t status, const char* reason,
             const config_record* content);

  void serve(const nats_message& msg);

  inbound_config cfg_;
};

struct inbound_state {
  // Not an aggregate: CAF 0.17 would try to build it from `self` (C++20
  // parenthesized aggregate init).
  inbound_state() = default;

  std::shared_ptr<cdtp_service> cdtp;

  static inline const char* name = "inbound";
};

inbound_actor::behavior_type
inbound(inbound_actor::stateful_pointer<inbound_state> self,
        std::shared_ptr<cdtp_service> cdtp);

/// Subscribes every subject ECR consumes: CDTP requests, config.applied,
/// endpoint and tenant unregistered events (queue group = instance name)
/// and, with a `tenant_listener`, tenant updated and unregistered events
/// again without a queue group, since every replica caches security
/// contexts of its own.
caf::error subscribe_inbound(std::shared_ptr<cdtp_service> cdtp,
                             inbound_actor target);

} // namespace ecr
