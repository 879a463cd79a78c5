#include "security/permissions.hpp"

#include "applications/app_catalog.hpp"
#include "core/error.hpp"

#include <set>

namespace ecr {

namespace {

/// A kind of resource as permissions name it, `<type>-<handle>`, and the
/// identifier its handle comes from, for messages.
struct resource_type {
  std::string_view name;
  std::string_view handle;
};

constexpr resource_type endpoint_type{"endpoint", "endpointId"};
constexpr resource_type application_type{"application", "the application name"};
constexpr resource_type tenant_type{"tenant", "tenantId"};

/// `<type>-<handle>#<scope>`. Keycloak reads a permission by splitting it at
/// every `#` and keeping the first two parts as resource and scopes, so a
/// `#` in the handle would change what is asked: for the handle
/// `a#endpoint:read`, `endpoint-a#endpoint:read#endpoint:update` is
/// decided as reading `endpoint-a`. Such a handle is refused, not encoded:
/// Kaa names resources after the identifier itself, so an encoded name
/// would name no resource, or another one. `,` separates scopes only after
/// the `#`, and `-` only ends the type (no type holds one): both may stay.
caf::expected<std::string> permission(const resource_type& type,
                                      std::string_view handle,
                                      std::string_view scope) {
  if (handle.find('#') != std::string_view::npos)
    return make_error(ec::invalid_argument,
                      std::string{type.handle}
                        + " must not contain '#' while security is on: a "
                          "permission names its resource before a '#' and "
                          "its scope after it, so this one cannot be checked");
  return std::string{type.name} + "-" + std::string{handle} + "#"
         + std::string{scope};
}

/// `application-{app}` for an app version: its application from the
/// application settings (spec 9.2, step 5).
caf::expected<std::string>
application_of(const app_catalog& applications, std::string_view app_version) {
  auto app = applications.application_of(app_version);
  if (!app)
    return make_error(ec::forbidden,
                      "app version " + std::string{app_version}
                        + " belongs to no known application, so permissions "
                          "on it cannot be checked");
  return *app;
}

} // namespace

caf::expected<std::string> permission_of(const protected_resource& resource,
                                         const app_catalog& applications) {
  using kind = protected_resource::kind;
  auto reads = resource.action == access_action::read;
  // Only endpoint configuration defaults have a scope of their own for
  // deleting; elsewhere a delete is an update.
  auto scope = reads ? "read" : "update";
  switch (resource.type) {
    case kind::endpoint:
      return permission(endpoint_type, resource.id,
                        std::string{"endpoint:"} + scope);
    case kind::app_version_endpoint_configs: {
      auto app = application_of(applications, resource.id);
      if (!app)
        return app.error();
      auto action = resource.action == access_action::remove ? "delete" : scope;
      return permission(application_type, *app,
                        std::string{"application:endpoint-config:"} + action);
    }
    case kind::app_version: {
      auto app = application_of(applications, resource.id);
      if (!app)
        return app.error();
      return permission(application_type, *app,
                        std::string{"application:"} + scope);
    }
    case kind::application:
      return permission(application_type, resource.id,
                        std::string{"application:"} + scope);
    case kind::tenant:
      return permission(tenant_type, resource.id, std::string{"tenant:"} + scope);
  }
  return make_error(ec::forbidden, "no permission rule for this resource");
}

caf::expected<std::vector<std::string>>
endpoint_updates(const std::vector<config_key>& keys) {
  std::set<std::string_view> endpoints;
  for (const auto& key : keys)
    endpoints.insert(key.endpoint_id);
  std::vector<std::string> result;
  for (auto endpoint : endpoints) {
    auto update = permission(endpoint_type, endpoint, "endpoint:update");
    if (!update)
      return update.error();
    result.push_back(std::move(*update));
  }
  return result;
}

} // namespace ecr
