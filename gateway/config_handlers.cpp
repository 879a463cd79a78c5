#include "gateway/rest_handler.hpp"

#include "applications/app_catalog.hpp"
#include "applications/schema_check.hpp"
#include "gateway/json.hpp"
#include "gateway/patches.hpp"
#include "gateway/request.hpp"
#include "storage/config_cache.hpp"

// E1-E4 and D1-D4: one configuration, and all names of an endpoint or
// app version.

namespace ecr {

caf::expected<config_key> rest_handler::scope_of(const route_match& found,
                                                 const std::string& tenant) {
  config_key key;
  key.tenant_id = tenant;
  auto endpoint = is_endpoint_route(found.matched->id);
  if (endpoint) {
    auto id = path_identifier(found.params[0], "endpointId");
    if (!id)
      return id.error();
    key.endpoint_id = std::move(*id);
  }
  auto app_version = path_identifier(found.params[endpoint ? 1 : 0],
                                     "appVersionName");
  if (!app_version)
    return app_version.error();
  key.app_version = std::move(*app_version);
  return key;
}

caf::expected<config_key> rest_handler::key_of(const route_match& found,
                                               std::string_view query,
                                               const std::string& tenant) {
  auto key = scope_of(found, tenant);
  if (!key)
    return key;
  auto name = config_name_of(query);
  if (!name)
    return name.error();
  key->name = std::move(*name);
  return key;
}

void rest_handler::handle_config(const http_request& req,
                                 const route_match& found,
                                 std::string_view query, const caller& who,
                                 http_reply reply) const {
  auto key = key_of(found, query, who.tenant);
  if (!key)
    return reply(error_response(key.error()));
  if (req.method == "GET") {
    auto if_none_match = req.header("if-none-match");
    auto inm = if_none_match ? *if_none_match : std::string{};
    if (auto hit = cfg_.cache->find(*key)) {
      if (!*hit)
        return reply(error_response(404, "configuration not found"));
      const auto& cached = **hit;
      return reply(not_modified(cached.record, inm)
                     ? not_modified_response(cached.record)
                     : config_response(cached.record, cached.body));
    }
    // A miss goes to a reader with the other misses of this burst; the
    // reader answers from its thread.
    cfg_.reads->add(config_read{
      std::move(*key), false,
      config_delivery{[reply = std::move(reply),
                       inm](caf::expected<config_record> record) {
        if (!record)
          return reply(error_response(record.error()));
        reply(not_modified(*record, inm) ? not_modified_response(*record)
                                         : config_response(*record));
      }}});
    return;
  }
  if (req.method == "DELETE")
    return ask<config_record>(
      cfg_.config_manager, std::move(reply),
      [](config_record&) {
        http_response res;
        res.status = 204;
        return res;
      },
      atom::erase_v, std::move(*key), if_match(req),
      change_source{change_origin::remove, who.actor});
  if (req.method == "PATCH")
    return handle_patch(req, std::move(*key), who, std::move(reply));
  if (auto err = check_json_content_type(req))
    return reply(error_response(err));
  auto content = minify_json(req.body);
  if (!content)
    return reply(error_response(content.error()));
  if (auto err = check_schema(
        cfg_.applications->current()->schema_for(key->app_version),
        key->app_version, *content))
    return reply(error_response(err));
  ask<put_result>(
    cfg_.config_manager, std::move(reply),
    [](put_result& result) { return config_response(result.record); },
    atom::put_v, std::move(*key), std::move(*content), if_match(req),
    change_source{change_origin::put, who.actor});
}

/// B2: a merge patch or a JSON Patch of one configuration; never creates.
void rest_handler::handle_patch(const http_request& req, config_key key,
                                const caller& who, http_reply reply) const {
  auto kind = patch_kind_of(req);
  if (!kind)
    return reply(error_response(kind.error()));
  if (auto err = check_patch(*kind, req.body))
    return reply(error_response(err));
  ask<put_result>(
    cfg_.config_manager, std::move(reply),
    [](put_result& result) { return config_response(result.record); },
    atom::patch_v, std::move(key),
    change_of(*kind, req.body, cfg_.applications), if_match(req),
    change_source{change_origin::patch, who.actor});
}

void rest_handler::handle_list(const route_match& found,
                               const std::string& tenant,
                               http_reply reply) const {
  auto scope = scope_of(found, tenant);
  if (!scope)
    return reply(error_response(scope.error()));
  ask<std::vector<config_record>>(
    cfg_.config_manager, std::move(reply),
    [](std::vector<config_record>& records) {
      return json_response(200, render_config_list(records));
    },
    atom::list_v, std::move(*scope));
}

} // namespace ecr
