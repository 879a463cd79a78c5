#include "gateway/route_access.hpp"

#include "core/identifiers.hpp"
#include "gateway/request.hpp"
#include "security/permissions.hpp"
#include "security/tenant_boundary.hpp"

#include <optional>

namespace ecr {

namespace {

/// What a route acts on, with the kind and path segment of its resource;
/// nullopt for routes that need no permission before they run.
std::optional<protected_resource>
resource_of(const route_match& found, std::string_view method,
            std::string_view query) {
  using kind = protected_resource::kind;
  auto action = method == "GET"      ? access_action::read
                : method == "DELETE" ? access_action::remove
                                     : access_action::update;
  auto named = [&](kind type, std::string_view raw, std::string_view what,
                   access_action how) -> std::optional<protected_resource> {
    auto id = path_identifier(raw, what);
    if (!id)
      return std::nullopt;
    return protected_resource{type, std::move(*id), how};
  };
  switch (found.matched->id) {
    case route_id::endpoint_config:
    case route_id::endpoint_configs:
    case route_id::endpoint_history:
    case route_id::endpoint_version:
    case route_id::endpoint_diff:
    case route_id::endpoint_rollback:
      return named(kind::endpoint, found.params[0], "endpointId", action);
    case route_id::statuses: {
      auto id = query_param(query, "endpointId");
      if (!id || check_identifier(*id, "endpointId"))
        return std::nullopt;
      return protected_resource{kind::endpoint, std::move(*id), action};
    }
    case route_id::default_config:
    case route_id::default_history:
    case route_id::default_version:
    case route_id::default_diff:
    case route_id::default_rollback:
      return named(kind::app_version_endpoint_configs, found.params[0],
                   "appVersionName", action);
    case route_id::default_configs:
    case route_id::schema:
    case route_id::schema_validation:
      return named(kind::app_version_endpoint_configs, found.params[0],
                   "appVersionName", access_action::read);
    case route_id::system_configs:
    case route_id::system_config_current:
    case route_id::system_config: {
      // A system configuration belongs to what its level names.
      auto level = found.params[0];
      if (level == "endpoints")
        return named(kind::endpoint, found.params[1], "endpointId", action);
      if (level == "app-versions")
        return named(kind::app_version, found.params[1], "appVersionName",
                     action);
      if (level == "applications")
        return named(kind::application, found.params[1], "levelId", action);
      if (level == "tenants")
        return named(kind::tenant, found.params[1], "levelId", action);
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

} // namespace

caf::expected<std::vector<std::string>>
permissions_of(const route_match& found, std::string_view method,
               std::string_view query, const app_catalog& applications) {
  auto resource = resource_of(found, method, query);
  if (!resource)
    return std::vector<std::string>{};
  auto permission = permission_of(*resource, applications);
  if (!permission)
    return permission.error();
  return std::vector<std::string>{std::move(*permission)};
}

caf::error check_boundary(const route_match& found,
                          const tenant_boundary& boundary) {
  auto named = [&](std::string_view raw, std::string_view what,
                   auto check) -> caf::error {
    auto id = path_identifier(raw, what);
    return id ? (boundary.*check)(*id) : caf::error{};
  };
  auto id = found.matched->id;
  if (is_endpoint_route(id))
    return named(found.params[1], "appVersionName",
                 &tenant_boundary::app_version);
  switch (id) {
    case route_id::default_config:
    case route_id::default_configs:
    case route_id::default_history:
    case route_id::default_version:
    case route_id::default_diff:
    case route_id::default_rollback:
    case route_id::schema:
    case route_id::schema_validation:
      return named(found.params[0], "appVersionName",
                   &tenant_boundary::app_version);
    case route_id::system_configs:
    case route_id::system_config_current:
    case route_id::system_config: {
      auto level = found.params[0];
      if (level == "tenants")
        return named(found.params[1], "tenantId", &tenant_boundary::tenant);
      if (level == "applications")
        return named(found.params[1], "appName",
                     &tenant_boundary::application);
      if (level == "app-versions")
        return named(found.params[1], "appVersionName",
                     &tenant_boundary::app_version);
      return {};
    }
    default:
      return {};
  }
}

} // namespace ecr
