#include "security/permissions.hpp"

#include "applications/app_catalog.hpp"
#include "core/error.hpp"

#include <set>

namespace ecr {

namespace {

std::string permission(std::string_view type, std::string_view handle,
                       std::string_view scope) {
  return std::string{type} + "-" + std::string{handle} + "#"
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
      return permission("endpoint", resource.id,
                        std::string{"endpoint:"} + scope);
    case kind::app_version_endpoint_configs: {
      auto app = application_of(applications, resource.id);
      if (!app)
        return app.error();
      auto action = resource.action == access_action::remove ? "delete" : scope;
      return permission("application", *app,
                        std::string{"application:endpoint-config:"} + action);
    }
    case kind::app_version: {
      auto app = application_of(applications, resource.id);
      if (!app)
        return app.error();
      return permission("application", *app,
                        std::string{"application:"} + scope);
    }
    case kind::application:
      return permission("application", resource.id,
                        std::string{"application:"} + scope);
    case kind::tenant:
      return permission("tenant", resource.id, std::string{"tenant:"} + scope);
  }
  return make_error(ec::forbidden, "no permission rule for this resource");
}

std::vector<std::string> endpoint_updates(const std::vector<config_key>& keys) {
  std::set<std::string_view> endpoints;
  for (const auto& key : keys)
    endpoints.insert(key.endpoint_id);
  std::vector<std::string> result;
  for (auto endpoint : endpoints)
    result.push_back(permission("endpoint", endpoint, "endpoint:update"));
  return result;
}

} // namespace ecr
