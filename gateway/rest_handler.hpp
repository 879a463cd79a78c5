#pragma once

// The REST handler's shared part, private to gateway/: configuration,
// dispatch and the ways a handler reaches the actors. Each resource family
// defines its handlers in a file of its own (config_handlers.cpp,
// batch_handlers.cpp, status_handlers.cpp, schema_handlers.cpp,
// system_config_handlers.cpp, health_handlers.cpp).

#include "gateway/responses.hpp"
#include "gateway/rest_api.hpp"
#include "gateway/routes.hpp"
#include "security/access.hpp"

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ecr {

class tenant_boundary;

/// Runs `then(self, reply, grant)` once `guard` grants `access`; the refusal
/// is the answer otherwise.
template <class Then>
void when_granted(gateway_actor::pointer self, const access_guard_actor& guard,
                  access_request access, const http_reply& reply, Then then) {
  self->request(guard, caf::infinite, atom::check_v, std::move(access))
    .then(
      [self, reply, then = std::move(then)](access_grant& grant) mutable {
        then(self, reply, grant);
      },
      [reply](caf::error& err) { reply(error_response(err)); });
}

/// Parses and validates requests on the HTTP io threads, answers cached
/// GETs there, and hands everything else to the gateway bridge.
class rest_handler : public std::enable_shared_from_this<rest_handler> {
public:
  explicit rest_handler(rest_api_config cfg);

  void handle(http_request&& req, http_reply reply) const;

private:
  /// Runs a routed, permitted request in the caller's tenant.
  void serve(const http_request& req, http_reply reply,
             const std::string& tenant) const;

  // -- one resource family each (see the file comment) ----------------------

  void handle_config(const http_request& req, const route_match& found,
                     std::string_view query, const std::string& tenant,
                     http_reply reply) const;
  void handle_list(const route_match& found, const std::string& tenant,
                   http_reply reply) const;
  void handle_batch(const http_request& req, std::string_view query,
                    const std::string& tenant, http_reply reply) const;
  void handle_filter(const http_request& req, const route_match& found,
                     std::string_view query, const std::string& tenant,
                     http_reply reply) const;
  void handle_statuses(std::string_view query, const std::string& tenant,
                       http_reply reply) const;
  void handle_schema(const http_request& req, const route_match& found,
                     http_reply reply) const;
  void handle_system_configs(const http_request& req, const route_match& found,
                             std::string_view path, std::string_view query,
                             const std::string& tenant, http_reply reply) const;
  void handle_system_config_current(const route_match& found,
                                    std::string_view query,
                                    const std::string& tenant,
                                    http_reply reply) const;
  void handle_system_config(const http_request& req, const route_match& found,
                            const std::string& tenant, http_reply reply) const;
  void handle_health(route_id id, http_reply reply) const;
  http_response metrics_response() const;

  // -- helpers ---------------------------------------------------------------

  /// Builds the key addressed by a config route: endpoint routes capture
  /// (endpointId, appVersionName), default routes (appVersionName).
  caf::expected<config_key> key_of(const route_match& found,
                                   std::string_view query,
                                   const std::string& tenant) const;

  /// What the caller presents: its Authorization header.
  static access_request access_of(const http_request& req);

  /// The tenant whose data a permitted caller works on.
  const std::string& tenant_of(const access_grant& grant) const;

  /// What `tenant` may touch, by the application settings in force.
  tenant_boundary boundary_of(const std::string& tenant) const;

  /// In tenant-scoped mode, refuses keys of another tenant's app versions.
  caf::error check_tenant(const std::vector<config_key>& keys,
                          const std::string& tenant) const;

  /// One of the guards, round robin; none while security is off.
  access_guard_actor next_guard() const;

  /// `reply`, recording the request in the metrics when it is answered.
  http_reply measured(std::string_view uri, std::string_view method,
                      http_reply reply) const;

  /// Asks a guard whether `access` is granted; `then(self, reply, grant)`
  /// runs on the gateway bridge if so, else the refusal is the answer.
  template <class Then>
  void check_access(access_request access, http_reply reply, Then then) const {
    run(std::move(reply),
        [guard = next_guard(), access = std::move(access),
         then = std::move(then)](gateway_actor::pointer self,
                                 const http_reply& r) {
          when_granted(self, guard, access, r, then);
        });
  }

  /// Runs `job` on the gateway bridge.
  template <class Job>
  void run(http_reply reply, Job job) const {
    caf::anon_send(cfg_.bridge,
                   gateway_job{[reply = std::move(reply), job = std::move(job)](
                                 gateway_actor::pointer self) {
                     job(self, reply);
                   }});
  }

  /// Sends a request to `dest` from the bridge and replies with
  /// `on_result(result)`, or with the error mapped to its HTTP status.
  template <class Result, class Handle, class OnResult, class... Ts>
  void ask(const Handle& dest, http_reply reply, OnResult on_result,
           Ts... args) const {
    run(std::move(reply),
        [dest, on_result = std::move(on_result),
         args...](gateway_actor::pointer self, const http_reply& r) {
          self->request(dest, caf::infinite, args...)
            .then([r, on_result](Result& result) { r(on_result(result)); },
                  [r](caf::error& err) { r(error_response(err)); });
        });
  }

  rest_api_config cfg_;
  mutable std::atomic<size_t> next_guard_ = 0;
};

} // namespace ecr
