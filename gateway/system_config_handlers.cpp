#include "gateway/rest_handler.hpp"

#include "core/error.hpp"
#include "core/identifiers.hpp"
#include "gateway/json.hpp"
#include "gateway/request.hpp"

#include <array>

// S1-S6 (A17): system configurations of tenants, applications, app
// versions and endpoints.

namespace ecr {

namespace {

/// A system configuration's version tag: its configId stays the same across
/// updates, its update time does not.
std::string system_config_etag(const system_config_record& record) {
  return etag(record.config_id + "-" + std::to_string(record.updated_ms));
}

http_response system_config_response(unsigned status,
                                     const system_config_record& record) {
  auto res = status == 200 ? json_response(200, render_system_config(record))
                           : http_response{};
  res.status = status;
  res.headers.emplace_back("ETag", system_config_etag(record));
  return res;
}

/// The level a system configuration path names (`tenants`, `applications`,
/// `app-versions`, `endpoints`) and what its id is called.
struct system_level_path {
  std::string_view segment;
  const char* level;
  const char* id_name;
};

constexpr std::array<system_level_path, 4> system_level_paths{{
  {"tenants", system_level::tenant, "tenantId"},
  {"applications", system_level::application, "applicationName"},
  {"app-versions", system_level::app_version, "appVersionName"},
  {"endpoints", system_level::endpoint, "endpointId"},
}};

/// The level (tenant, level, levelId) a system configuration route names.
caf::expected<system_config_record>
system_scope(const route_match& found, const std::string& tenant) {
  for (const auto& path : system_level_paths) {
    if (found.params[0] != path.segment)
      continue;
    auto id = path_identifier(found.params[1], path.id_name);
    if (!id)
      return id.error();
    system_config_record scope;
    scope.tenant_id = tenant;
    scope.level = path.level;
    scope.level_id = std::move(*id);
    return scope;
  }
  return make_error(ec::not_found,
                    "no such system configuration level; use tenants, "
                    "applications, app-versions or endpoints");
}

/// A17 body: JSON, with a valid `name` when there is one.
caf::expected<system_config_input>
system_config_body(const http_request& req) {
  if (auto err = check_json_content_type(req))
    return err;
  auto input = parse_system_config(req.body);
  if (input && input->name)
    if (auto err = check_config_name(*input->name))
      return err;
  return input;
}

} // namespace

/// S1 (POST: 201 with Location and ETag) and S2 (GET: a page).
void rest_handler::handle_system_configs(const http_request& req,
                                         const route_match& found,
                                         std::string_view path,
                                         std::string_view query,
                                         const std::string& tenant,
                                         http_reply reply) const {
  auto scope = system_scope(found, tenant);
  if (!scope)
    return reply(error_response(scope.error()));
  if (req.method == "GET") {
    auto page = query_param(query, "page");
    auto size = query_param(query, "size");
    if (!page || !size)
      return reply(error_response(!page ? page.error() : size.error()));
    int64_t number = 0;
    int64_t page_size = 20;
    if (auto err = parse_paging(*page, *size, number, page_size))
      return reply(error_response(err));
    return ask<std::vector<system_config_record>>(
      cfg_.system_configs, std::move(reply),
      [number, page_size](std::vector<system_config_record>& records) {
        return json_response(
          200, render_system_config_page(records, number, page_size));
      },
      atom::list_v, std::move(*scope));
  }
  auto input = system_config_body(req);
  if (!input)
    return reply(error_response(input.error()));
  if (!input->name)
    return reply(error_response(400, "invalid system configuration: name "
                                     "is required"));
  scope->name = std::move(*input->name);
  scope->display_name = input->display_name.value_or("");
  scope->content = std::move(input->content);
  ask<system_config_record>(
    cfg_.system_configs, std::move(reply),
    [location = std::string{path}](system_config_record& created) {
      auto res = system_config_response(201, created);
      res.headers.emplace_back("Location",
                               location + "/" + created.config_id);
      return res;
    },
    atom::create_v, std::move(*scope));
}

/// S3: the named record at the level, walking up unless told to SKIP.
void rest_handler::handle_system_config_current(const route_match& found,
                                                std::string_view query,
                                                const std::string& tenant,
                                                http_reply reply) const {
  auto scope = system_scope(found, tenant);
  if (!scope)
    return reply(error_response(scope.error()));
  auto name = config_name_of(query);
  if (!name)
    return reply(error_response(name.error()));
  auto strategy = query_param(query, "treeTraversalStrategy");
  if (!strategy)
    return reply(error_response(strategy.error()));
  if (!strategy->empty() && *strategy != "SKIP")
    return reply(error_response(
      400, "treeTraversalStrategy must be SKIP or absent (walk up)"));
  scope->name = std::move(*name);
  ask<system_config_record>(
    cfg_.system_configs, std::move(reply),
    [](system_config_record& found) {
      return system_config_response(200, found);
    },
    atom::resolve_v, std::move(*scope), strategy->empty());
}

/// S4 (GET), S5 (PUT: 204) and S6 (DELETE: 204) of one configId.
void rest_handler::handle_system_config(const http_request& req,
                                        const route_match& found,
                                        const std::string& tenant,
                                        http_reply reply) const {
  auto scope = system_scope(found, tenant);
  if (!scope)
    return reply(error_response(scope.error()));
  auto config_id = path_identifier(found.params[2], "configId");
  if (!config_id)
    return reply(error_response(config_id.error()));
  scope->config_id = std::move(*config_id);
  if (req.method == "GET")
    return ask<system_config_record>(
      cfg_.system_configs, std::move(reply),
      [](system_config_record& x) { return system_config_response(200, x); },
      atom::get_v, std::move(*scope));
  if (req.method == "DELETE")
    return ask<system_config_record>(
      cfg_.system_configs, std::move(reply),
      [](system_config_record&) {
        http_response res;
        res.status = 204;
        return res;
      },
      atom::erase_v, std::move(*scope));
  auto input = system_config_body(req);
  if (!input)
    return reply(error_response(input.error()));
  scope->name = input->name.value_or("");
  scope->display_name = input->display_name.value_or("");
  scope->content = std::move(input->content);
  ask<system_config_record>(
    cfg_.system_configs, std::move(reply),
    [](system_config_record& x) { return system_config_response(204, x); },
    atom::put_v, std::move(*scope));
}

} // namespace ecr
