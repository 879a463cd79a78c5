#include "gateway/rest_handler.hpp"

#include "applications/app_catalog.hpp"
#include "core/error.hpp"
#include "core/metrics.hpp"
#include "gateway/route_access.hpp"
#include "security/license.hpp"
#include "security/tenant_boundary.hpp"

#include <chrono>

namespace ecr {

rest_handler::rest_handler(rest_api_config cfg) : cfg_(std::move(cfg)) {
  // nop
}

void rest_handler::handle(http_request&& req, http_reply reply) const {
  auto [path, query] = split_target(req.target);
  if (path == cfg_.metrics_path && req.method == "GET")
    return reply(metrics_response());
  auto found = match_route(req.method, path);
  reply = measured(found.matched ? found.matched->uri : unknown_uri,
                   req.method, std::move(reply));
  if (found.matched && req.method != "GET" && !cfg_.license->open())
    return reply(error_response(503, "the license is not valid: changes "
                                     "are refused until a valid one is "
                                     "installed (kaa.license.enforce)"));
  if (!found.matched) {
    if (!found.allow.empty()) {
      auto res = error_response(405, "method " + req.method
                                       + " is not allowed here; allowed: "
                                       + found.allow);
      res.headers.emplace_back("Allow", found.allow);
      reply(std::move(res));
    } else {
      reply(error_response(404, "no such route: " + req.method + " "
                                  + std::string{path}));
    }
    return;
  }
  if (!cfg_.guards.empty() && found.matched->versioned) {
    auto permissions = permissions_of(found, req.method, query,
                                      *cfg_.applications->current());
    auto access = access_of(req);
    // Who may not learn why a request is refused must be authenticated
    // first; the refusal (403) then follows.
    if (!permissions)
      return check_access(
        std::move(access), std::move(reply),
        [err = permissions.error()](gateway_actor::pointer,
                                    const http_reply& r, const access_grant&) {
          r(error_response(err));
        });
    access.permissions = std::move(*permissions);
    if (auto known = cfg_.checker->check_cached(access)) {
      if (!*known)
        return reply(error_response(known->error()));
      return serve(req, std::move(reply), tenant_of(**known));
    }
    return check_access(std::move(access),
                        std::move(reply),
                        [handler = shared_from_this(), req = std::move(req)](
                          gateway_actor::pointer, const http_reply& r,
                          const access_grant& grant) {
                          handler->serve(req, r, handler->tenant_of(grant));
                        });
  }
  serve(req, std::move(reply), cfg_.tenant_id);
}

void rest_handler::serve(const http_request& req, http_reply reply,
                         const std::string& tenant) const {
  auto [path, query] = split_target(req.target);
  auto found = match_route(req.method, path);
  if (cfg_.tenant_scoped)
    if (auto err = check_boundary(found, boundary_of(tenant)))
      return reply(error_response(err));
  switch (found.matched->id) {
    case route_id::endpoint_config:
    case route_id::default_config:
      return handle_config(req, found, query, tenant, std::move(reply));
    case route_id::endpoint_configs:
    case route_id::default_configs:
      return handle_list(found, tenant, std::move(reply));
    case route_id::statuses:
      return handle_statuses(query, tenant, std::move(reply));
    case route_id::batch:
      return handle_batch(req, query, tenant, std::move(reply));
    case route_id::filter:
      return handle_filter(req, found, query, tenant, std::move(reply));
    case route_id::schema:
    case route_id::schema_validation:
      return handle_schema(req, found, std::move(reply));
    case route_id::system_configs:
      return handle_system_configs(req, found, path, query, tenant,
                                   std::move(reply));
    case route_id::system_config_current:
      return handle_system_config_current(found, query, tenant,
                                          std::move(reply));
    case route_id::system_config:
      return handle_system_config(req, found, tenant, std::move(reply));
    case route_id::health:
    case route_id::health_startup:
    case route_id::health_ready:
      return handle_health(found.matched->id, std::move(reply));
  }
}

access_request rest_handler::access_of(const http_request& req) {
  access_request result;
  if (auto header = req.header("authorization"))
    result.credential = *header;
  if (auto header = req.header("x-iamcore-api-key"))
    result.api_key = *header;
  return result;
}

const std::string& rest_handler::tenant_of(const access_grant& grant) const {
  return cfg_.tenant_scoped ? grant.tenant_id : cfg_.tenant_id;
}

tenant_boundary rest_handler::boundary_of(const std::string& tenant) const {
  return {cfg_.applications->current(), tenant, cfg_.tenant_id};
}

caf::error rest_handler::check_tenant(const std::vector<config_key>& keys,
                                      const std::string& tenant) const {
  return cfg_.tenant_scoped ? boundary_of(tenant).keys(keys) : caf::error{};
}

access_guard_actor rest_handler::next_guard() const {
  if (cfg_.guards.empty())
    return {};
  return cfg_.guards[next_guard_++ % cfg_.guards.size()];
}

http_reply rest_handler::measured(std::string_view uri, std::string_view method,
                                  http_reply reply) const {
  return [metrics = cfg_.metrics, uri, method = std::string{method},
          started = std::chrono::steady_clock::now(),
          reply = std::move(reply)](http_response res) {
    metrics->http_request(uri, method, static_cast<int>(res.status),
                          std::chrono::steady_clock::now() - started);
    reply(std::move(res));
  };
}

caf::error validate(const rest_api_config& cfg) {
  if (!cfg.cache || !cfg.bridge || !cfg.config_manager || !cfg.reads
      || !cfg.reads->has_readers()
      || !cfg.system_configs || !cfg.node || !cfg.metrics || !cfg.applications
      || !cfg.license)
    return make_error(ec::invalid_configuration,
                      "the REST API needs the cache, the gateway bridge, the "
                      "config managers, store readers, the node, metrics and "
                      "the application settings");
  if (cfg.guards.empty() != !cfg.checker)
    return make_error(ec::invalid_configuration,
                      "the REST API's guards and their checker go together");
  return {};
}

http_service make_rest_handler(rest_api_config cfg) {
  auto reads = cfg.reads;
  auto handler = std::make_shared<const rest_handler>(std::move(cfg));
  return {[handler, reads](http_request&& req, http_reply reply) {
            read_batcher::burst collecting{*reads};
            handler->handle(std::move(req), std::move(reply));
          },
          [reads] { reads->flush(); }};
}

gateway_actor::behavior_type gateway_bridge(gateway_actor::pointer self) {
  return {
    [self](gateway_job& job) { job.run(self); },
  };
}

} // namespace ecr
