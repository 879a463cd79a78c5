#pragma once

#include "actors/actors.hpp"
#include "gateway/http_types.hpp"
#include "storage/config_cache.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace ecr {

class access_checker;
class read_batcher;
class license_gate;
class live_app_catalog;
class service_metrics;

struct rest_api_config {
  /// The default tenant: of every record while data is not scoped by
  /// tenant, and the owner of applications that name no tenant.
  std::string tenant_id = "kaa";
  /// Each caller reads and writes its own tenant's data only (multitenancy
  /// or iamcore): the tenant of its access grant.
  bool tenant_scoped = false;
  std::shared_ptr<config_cache> cache;
  gateway_actor bridge;
  config_manager_actor config_manager;
  /// Answer GETs the cache cannot, a batch per burst of requests.
  std::shared_ptr<read_batcher> reads;
  system_config_manager_actor system_configs;
  /// Resolves filters for E6; invalid when the node runs without NATS.
  filter_resolver_actor filters;
  node_actor node;
  std::shared_ptr<service_metrics> metrics;
  /// Closed while an enforced license is unusable: writes get 503 (A23).
  std::shared_ptr<license_gate> license;
  /// Endpoint configuration schemas (A18).
  std::shared_ptr<live_app_catalog> applications;
  /// Where `metrics` are served (A22).
  std::string metrics_path = "/prometheus";
  /// Authenticate and authorize every API request, round robin (A20);
  /// none while security is off.
  std::vector<access_guard_actor> guards;
  /// The checker the guards share: asked first, on the HTTP thread, for a
  /// grant it has cached.
  std::shared_ptr<access_checker> checker;
};

caf::error validate(const rest_api_config& cfg);

/// The HTTP handler of the REST API (routes E1-E7, D1-D4 under `/api/v1` and
/// `/ecr/api/v1`) and the health routes. Runs on HTTP io threads: it parses
/// and validates there, answers cached GETs directly, and hands everything
/// else to the gateway bridge. Requests to actors carry no CAF timeout (CAF
/// 0.17 keeps each one in its clock until it fires); the HTTP server bounds
/// the wait instead.
http_service make_rest_handler(rest_api_config cfg);

/// The gateway bridge behavior: runs each job it receives.
gateway_actor::behavior_type gateway_bridge(gateway_actor::pointer self);

} // namespace ecr
