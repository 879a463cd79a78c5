#include "gateway/rest_handler.hpp"

#include "applications/app_catalog.hpp"
#include "applications/schema_check.hpp"
#include "core/error.hpp"
#include "core/identifiers.hpp"
#include "gateway/json.hpp"
#include "gateway/request.hpp"
#include "security/permissions.hpp"
#include "security/tenant_boundary.hpp"

// E5 and E6: one configuration for many endpoints, named in the body or by
// an EPR filter.

namespace ecr {

namespace {

/// `access` needing `endpoint:update` on every endpoint of `keys`.
caf::expected<access_request> access_of_keys(access_request access,
                                             const std::vector<config_key>& keys) {
  auto permissions = endpoint_updates(keys);
  if (!permissions)
    return permissions.error();
  access.permissions = std::move(*permissions);
  return access;
}

/// Writes `content` at every key (E5, E6) and answers `{"updated": n}`.
void put_all(gateway_actor::pointer self, const config_manager_actor& manager,
             const std::vector<config_key>& keys, const std::string& content,
             const http_reply& reply) {
  self->request(manager, caf::infinite, atom::put_v, keys, content)
    .then([reply](uint64_t changed) { reply(updated_response(changed)); },
          [reply](caf::error& err) { reply(error_response(err)); });
}

} // namespace

/// E5 (A16): everything is validated before anything is written; answers
/// `{"updated": n}` with the number of configurations that changed.
void rest_handler::handle_batch(const http_request& req, std::string_view query,
                                const std::string& tenant,
                                http_reply reply) const {
  auto name = config_name_of(query);
  if (!name)
    return reply(error_response(name.error()));
  if (auto err = check_json_content_type(req))
    return reply(error_response(err));
  auto batch = parse_batch(req.body);
  if (!batch)
    return reply(error_response(batch.error()));
  std::vector<config_key> keys;
  keys.reserve(batch->targets.size());
  for (auto& [app_version, endpoint] : batch->targets) {
    for (auto [value, what] : {std::pair{&app_version, "appVersionName"},
                               std::pair{&endpoint, "endpointId"}})
      if (auto err = check_identifier(*value, what))
        return reply(error_response(err));
    keys.push_back({tenant, std::move(endpoint), std::move(app_version),
                    *name});
  }
  if (auto err = check_tenant(keys, tenant))
    return reply(error_response(err));
  if (auto err = check_schemas(*cfg_.applications->current(), keys,
                               batch->payload))
    return reply(error_response(err));
  if (cfg_.guards.empty())
    return ask<uint64_t>(cfg_.config_manager, std::move(reply),
                         updated_response, atom::put_v, std::move(keys),
                         std::move(batch->payload));
  auto access = access_of_keys(access_of(req), keys);
  if (!access)
    return reply(error_response(access.error()));
  check_access(std::move(*access), std::move(reply),
               [manager = cfg_.config_manager, keys = std::move(keys),
                content = std::move(batch->payload)](
                 gateway_actor::pointer self, const http_reply& r,
                 const access_grant&) { put_all(self, manager, keys, content, r); });
}

/// E6 (A15): EPR names the endpoints of the filter, then as batch.
void rest_handler::handle_filter(const http_request& req,
                                 const route_match& found,
                                 std::string_view query,
                                 const std::string& tenant,
                                 http_reply reply) const {
  auto filter_id = path_identifier(found.params[0], "filterId");
  if (!filter_id)
    return reply(error_response(filter_id.error()));
  auto name = config_name_of(query);
  if (!name)
    return reply(error_response(name.error()));
  if (auto err = check_json_content_type(req))
    return reply(error_response(err));
  auto content = minify_json(req.body);
  if (!content)
    return reply(error_response(content.error()));
  if (!cfg_.filters)
    return reply(error_response(503, "filters need NATS, which is off"));
  run(std::move(reply),
      [resolver = cfg_.filters, manager = cfg_.config_manager,
       guard = next_guard(), access = access_of(req),
       applications = cfg_.applications, tenant,
       boundary = cfg_.tenant_scoped
                    ? std::optional{boundary_of(tenant)} : std::nullopt,
       filter = std::move(*filter_id),
       name = std::move(*name), content = std::move(*content)](
        gateway_actor::pointer self, const http_reply& r) {
        self->request(resolver, caf::infinite, atom::resolve_v, filter)
          .then(
            [=](std::vector<config_key>& keys) {
              for (auto& key : keys) {
                key.tenant_id = tenant;
                key.name = name;
                auto bad = check_identifier(key.endpoint_id, "endpointId");
                if (!bad)
                  bad = check_identifier(key.app_version, "appVersionName");
                if (bad)
                  return r(error_response(make_error(
                    ec::upstream_failure,
                    "EPR named an invalid endpoint: " + error_message(bad))));
              }
              if (auto err = check_schemas(*applications->current(), keys,
                                           content))
                return r(error_response(err));
              if (boundary)
                if (auto err = boundary->keys(keys))
                  return r(error_response(err));
              auto write = [manager, keys, content](gateway_actor::pointer self,
                                                    const http_reply& r,
                                                    const access_grant&) {
                put_all(self, manager, keys, content, r);
              };
              if (!guard)
                return write(self, r, {});
              auto needed = access_of_keys(access, keys);
              if (!needed)
                return r(error_response(needed.error()));
              when_granted(self, guard, std::move(*needed), r, write);
            },
            [r](caf::error& err) { r(error_response(err)); });
      });
}

} // namespace ecr
