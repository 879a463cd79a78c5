#pragma once

#include "actors/access_guard.hpp"
#include "actors/actors.hpp"
#include "actors/app_settings_refresher.hpp"
#include "actors/license_checker.hpp"
#include "actors/memory_keeper.hpp"
#include "actors/system_config_manager.hpp"
#include "actors/token_refresher.hpp"
#include "messaging/inbound.hpp"
#include "settings/settings.hpp"
#include "storage/store.hpp"

#include <caf/fwd.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

namespace ecr {

class live_app_catalog;
class config_cache;
class nats_client;
class service_metrics;
struct store_space;

/// What the NODE spawns, in order.
struct node_config {
  store_ptr writer_store;
  std::vector<store_ptr> reader_stores;
  std::shared_ptr<config_cache> cache;
  std::shared_ptr<service_metrics> metrics;
  size_t group_commit_max = 512;
  /// Messaging; without a NATS client the node runs REST only.
  std::shared_ptr<nats_client> nats;
  /// Subjects, tenant and limits of inbound messaging (the node fills in the
  /// client, cache and actors).
  inbound_config messaging;
  /// Sent as originatorReplicaId in events; names the EFMP reply subject.
  std::string replica_id;
  /// How long EPR may take to answer an EFMP request.
  std::chrono::milliseconds filter_timeout{5000};
  /// The license file, policy and gate (A23); the node fills in metrics.
  license_checker_config license;
  /// Set when free heap memory is given back to the system.
  std::optional<memory_keeper_config> memory;
  /// Applications, app versions and schemas (A17's tree walk, A18).
  std::shared_ptr<live_app_catalog> applications;
  /// Set when Tekton provides `applications` (they start empty then).
  std::optional<tekton_config> tekton;
  /// Set when REST callers must be authenticated and authorized (A20): the
  /// checker the guards share, which the HTTP threads also ask for cached
  /// grants.
  std::shared_ptr<access_checker> security;
  /// Set when ECR has client credentials: its own token for outbound calls.
  std::optional<token_refresher_config> service_token;
};

caf::error validate(const node_config& cfg);

struct node_state {
  // Not an aggregate: CAF 0.17 would try to build it from `self` (C++20
  // parenthesized aggregate init).
  node_state() = default;

  store_writer_actor writer;
  /// What the writer learned of the store's space, for readiness.
  std::shared_ptr<store_space> space;
  std::vector<store_reader_actor> readers;
  /// Sends the cache misses of REST and CDTP to the readers.
  std::shared_ptr<read_batcher> reads;
  status_recorder_actor recorder;
  event_publisher_actor events;
  config_manager_actor config_manager;
  inbound_actor inbound;
  filter_resolver_actor filters;
  system_config_manager_actor system_configs;
  /// Only while Tekton provides the application settings.
  tekton_fetcher_actor tekton_fetcher;
  app_settings_refresher_actor app_settings;
  license_checker_actor license;
  memory_keeper_actor memory;
  /// Only while security is on; each blocks on HTTP, so there are two.
  std::vector<access_guard_actor> guards;
  token_refresher_actor token_refresher;
  gateway_actor gateway;
  std::shared_ptr<nats_client> nats;
  /// Set once shutdown began, so components going down are expected.
  bool stopping = false;

  static inline const char* name = "node";
};

/// The NODE: spawns the license checker and the memory keeper (both
/// detached), storage (detached), the Tekton fetcher (detached) and
/// the app settings refresher when Tekton is enabled, the status recorder,
/// the event publisher, the configuration manager, the inbound actor
/// (subscribing its NATS subjects, and 17/SCMP for the refresher) and the
/// gateway bridge in that order, monitors them, answers health queries, and
/// on exit stops them in reverse order.
node_actor::behavior_type node(node_actor::stateful_pointer<node_state> self,
                               std::shared_ptr<node_config> cfg);

struct rest_api_config;

/// Scheduler size and message types for the service's actor system.
void configure_actor_system(caf::actor_system_config& sys_cfg,
                            const settings& cfg);

/// Opens the store handles (one writer, `storage.sqlite.readers` readers)
/// and gathers what the node spawns.
caf::expected<std::shared_ptr<node_config>>
make_node_config(const settings& cfg, std::shared_ptr<config_cache> cache,
                 std::shared_ptr<service_metrics> metrics);

/// Connects to NATS (in the background: an unreachable server is no error)
/// and fills in the messaging part of `ncfg`.
caf::expected<std::shared_ptr<nats_client>>
connect_messaging(const settings& cfg, node_config& ncfg);

/// Asks a running node for the components the REST API talks to; the cache
/// and metrics are the node's.
caf::expected<rest_api_config>
connect_gateway(caf::scoped_actor& self, const node_actor& supervisor,
                const settings& cfg, const node_config& ncfg);

/// Runs the service until SIGTERM or SIGINT: loads nothing itself, logs, and
/// returns the process exit code (0 after a clean shutdown).
int run_service(const settings& cfg);

} // namespace ecr
