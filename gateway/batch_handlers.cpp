#include "gateway/rest_handler.hpp"

#include "applications/app_catalog.hpp"
#include "applications/schema_check.hpp"
#include "core/error.hpp"
#include "core/identifiers.hpp"
#include "core/json_text.hpp"
#include "gateway/json.hpp"
#include "gateway/patches.hpp"
#include "gateway/request.hpp"
#include "security/permissions.hpp"
#include "security/tenant_boundary.hpp"

// E5 and E6: one configuration for many endpoints, named in the body or by
// an EPR filter; and B2's bulk partial updates of the same endpoints.

namespace ecr {

namespace {

/// Endpoints one bulk patch may touch (B2).
constexpr size_t max_patched_endpoints = 10'000;

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
             const change_source& source, const http_reply& reply) {
  self->request(manager, caf::infinite, atom::put_v, keys, content, source)
    .then([reply](uint64_t changed) { reply(updated_response(changed)); },
          [reply](caf::error& err) { reply(error_response(err)); });
}

/// Patches every key (B2) and answers `{"updated": n, "unchanged": m,
/// "missing": ["<appVersionName>/<endpointId>", …]}`.
void patch_all(gateway_actor::pointer self,
               const config_manager_actor& manager,
               const std::vector<config_key>& keys, const config_change& change,
               const change_source& source, const http_reply& reply) {
  self->request(manager, caf::infinite, atom::patch_v, keys, change, source)
    .then(
      [reply](bulk_patch_result& outcome) {
        uint64_t updated = 0;
        for (const auto& result : outcome.results)
          updated += result.changed ? 1 : 0;
        reply(json_response(200, json_text([&](json_writer& out) {
          out.StartObject();
          out.Key("updated");
          out.Uint64(updated);
          out.Key("unchanged");
          out.Uint64(outcome.results.size() - updated);
          out.Key("missing");
          out.StartArray();
          for (const auto& key : outcome.missing)
            write_string(out, key.app_version + "/" + key.endpoint_id);
          out.EndArray();
          out.EndObject();
        })));
      },
      [reply](caf::error& err) { reply(error_response(err)); });
}

/// 413 past the endpoints one bulk patch may touch.
caf::error check_patch_size(size_t endpoints) {
  if (endpoints <= max_patched_endpoints)
    return {};
  return make_error(ec::payload_too_large,
                    "a bulk patch touches at most "
                      + std::to_string(max_patched_endpoints)
                      + " endpoints; this one names "
                      + std::to_string(endpoints));
}

} // namespace

caf::expected<std::vector<config_key>>
rest_handler::batch_keys(const http_request& req, std::string_view query,
                         std::string_view payload_member,
                         const std::string& tenant, std::string& payload) const {
  auto name = config_name_of(query);
  if (!name)
    return name.error();
  if (auto err = check_json_content_type(req))
    return err;
  auto batch = parse_batch(req.body, payload_member);
  if (!batch)
    return batch.error();
  std::vector<config_key> keys;
  keys.reserve(batch->targets.size());
  for (auto& [app_version, endpoint] : batch->targets) {
    for (auto [value, what] : {std::pair{&app_version, "appVersionName"},
                               std::pair{&endpoint, "endpointId"}})
      if (auto err = check_identifier(*value, what))
        return err;
    keys.push_back({tenant, std::move(endpoint), std::move(app_version),
                    *name});
  }
  if (auto err = check_tenant(keys, tenant))
    return err;
  payload = std::move(batch->payload);
  return keys;
}

void rest_handler::write_keys(const http_request& req,
                              std::vector<config_key> keys, http_reply reply,
                              keys_writer write) const {
  if (cfg_.guards.empty())
    return run(std::move(reply),
               [keys = std::move(keys), write = std::move(write)](
                 gateway_actor::pointer self, const http_reply& r) {
                 write(self, r, keys);
               });
  auto access = access_of_keys(access_of(req), keys);
  if (!access)
    return reply(error_response(access.error()));
  check_access(std::move(*access), std::move(reply),
               [keys = std::move(keys), write = std::move(write)](
                 gateway_actor::pointer self, const http_reply& r,
                 const access_grant&) { write(self, r, keys); });
}

/// E5 (A16): everything is validated before anything is written; answers
/// `{"updated": n}` with the number of configurations that changed.
void rest_handler::handle_batch(const http_request& req, std::string_view query,
                                const caller& who, http_reply reply) const {
  std::string content;
  auto keys = batch_keys(req, query, "configPayload", who.tenant, content);
  if (!keys)
    return reply(error_response(keys.error()));
  if (auto err = check_schemas(*cfg_.applications->current(), *keys, content))
    return reply(error_response(err));
  write_keys(req, std::move(*keys), std::move(reply),
             [manager = cfg_.config_manager, content = std::move(content),
              source = change_source{change_origin::batch, who.actor}](
               gateway_actor::pointer self, const http_reply& r,
               const std::vector<config_key>& keys) {
               put_all(self, manager, keys, content, source, r);
             });
}

/// B2: one patch (an array: JSON Patch; an object: merge patch) for many
/// endpoints' own configurations, all or nothing.
void rest_handler::handle_batch_patch(const http_request& req,
                                      std::string_view query, const caller& who,
                                      http_reply reply) const {
  std::string patch;
  auto keys = batch_keys(req, query, "patch", who.tenant, patch);
  if (!keys)
    return reply(error_response(keys.error()));
  if (auto err = check_patch_size(keys->size()))
    return reply(error_response(err));
  auto kind = patch_kind_of_value(patch);
  if (!kind)
    return reply(error_response(kind.error()));
  if (auto err = check_patch(*kind, patch))
    return reply(error_response(err));
  write_keys(req, std::move(*keys), std::move(reply),
             [manager = cfg_.config_manager,
              change = change_of(*kind, std::move(patch), cfg_.applications),
              source = change_source{change_origin::patch, who.actor}](
               gateway_actor::pointer self, const http_reply& r,
               const std::vector<config_key>& keys) {
               patch_all(self, manager, keys, change, source, r);
             });
}

caf::expected<std::pair<std::string, std::string>>
rest_handler::filter_of(const route_match& found, std::string_view query) {
  auto filter_id = path_identifier(found.params[0], "filterId");
  if (!filter_id)
    return filter_id.error();
  auto name = config_name_of(query);
  if (!name)
    return name.error();
  return std::pair{std::move(*filter_id), std::move(*name)};
}

void rest_handler::for_filter(const http_request& req,
                              std::pair<std::string, std::string> filter_name,
                              const caller& who, http_reply reply,
                              keys_check check, keys_writer write) const {
  if (!cfg_.filters)
    return reply(error_response(503, "filters need NATS, which is off"));
  run(std::move(reply),
      [resolver = cfg_.filters, guard = next_guard(), access = access_of(req),
       tenant = who.tenant,
       boundary = cfg_.tenant_scoped ? std::optional{boundary_of(who.tenant)}
                                     : std::nullopt,
       filter = std::move(filter_name.first),
       name = std::move(filter_name.second),
       check = std::move(check),
       write = std::move(write)](gateway_actor::pointer self,
                                 const http_reply& r) {
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
              if (auto err = check(keys))
                return r(error_response(err));
              if (boundary)
                if (auto err = boundary->keys(keys))
                  return r(error_response(err));
              if (!guard)
                return write(self, r, keys);
              auto needed = access_of_keys(access, keys);
              if (!needed)
                return r(error_response(needed.error()));
              when_granted(self, guard, std::move(*needed), r,
                           [write, keys](gateway_actor::pointer self,
                                         const http_reply& r,
                                         const access_grant&) {
                             write(self, r, keys);
                           });
            },
            [r](caf::error& err) { r(error_response(err)); });
      });
}

/// E6 (A15): EPR names the endpoints of the filter, then as batch.
void rest_handler::handle_filter(const http_request& req,
                                 const route_match& found,
                                 std::string_view query, const caller& who,
                                 http_reply reply) const {
  auto filter = filter_of(found, query);
  if (!filter)
    return reply(error_response(filter.error()));
  if (auto err = check_json_content_type(req))
    return reply(error_response(err));
  auto content = minify_json(req.body);
  if (!content)
    return reply(error_response(content.error()));
  for_filter(req, std::move(*filter), who, std::move(reply),
             [applications = cfg_.applications,
              content = *content](const std::vector<config_key>& keys) {
               return check_schemas(*applications->current(), keys, content);
             },
             [manager = cfg_.config_manager, content = *content,
              source = change_source{change_origin::filter, who.actor}](
               gateway_actor::pointer self, const http_reply& r,
               const std::vector<config_key>& keys) {
               put_all(self, manager, keys, content, source, r);
             });
}

/// B2: EPR names the endpoints of the filter, then as a bulk patch; the
/// patch's kind comes from the Content-Type.
void rest_handler::handle_filter_patch(const http_request& req,
                                       const route_match& found,
                                       std::string_view query,
                                       const caller& who,
                                       http_reply reply) const {
  auto filter = filter_of(found, query);
  if (!filter)
    return reply(error_response(filter.error()));
  auto kind = patch_kind_of(req);
  if (!kind)
    return reply(error_response(kind.error()));
  if (auto err = check_patch(*kind, req.body))
    return reply(error_response(err));
  for_filter(req, std::move(*filter), who, std::move(reply),
             [](const std::vector<config_key>& keys) {
               return check_patch_size(keys.size());
             },
             [manager = cfg_.config_manager,
              change = change_of(*kind, req.body, cfg_.applications),
              source = change_source{change_origin::patch, who.actor}](
               gateway_actor::pointer self, const http_reply& r,
               const std::vector<config_key>& keys) {
               patch_all(self, manager, keys, change, source, r);
             });
}

} // namespace ecr
