#pragma once

// The permissions of spec 9.1: what a caller must hold to read or change a
// resource, named `<type>-<id>#<scope>` as Keycloak's UMA resources are (and
// as iamcore's checker turns into resource IRNs). The gateway says which
// resource a route acts on and how; the rules of naming live here.

#include "core/records.hpp"

#include <caf/expected.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace ecr {

class app_catalog;

/// How a request acts on what it names.
enum class access_action { read, update, remove };

/// What a request needs permission for.
struct protected_resource {
  enum class kind {
    /// An endpoint: its configurations, statuses and system configurations
    /// (`endpoint:read`, `endpoint:update`).
    endpoint,
    /// The endpoint configuration defaults and schemas of the application
    /// owning an app version (`application:endpoint-config:read`,
    /// `:update`, `:delete`).
    app_version_endpoint_configs,
    /// The application owning an app version, for its system
    /// configurations (`application:read`, `application:update`).
    app_version,
    /// An application (`application:read`, `application:update`).
    application,
    /// A tenant (`tenant:read`, `tenant:update`).
    tenant,
  };

  kind type;
  /// The endpoint id, app version name, application name or tenant id.
  std::string id;
  access_action action;
};

/// The permission to act on `resource`. An app version is answered for by
/// its application, from `applications`: a version no application lists
/// cannot be checked (`ec::forbidden`). A handle holding `#`, which would
/// end the resource's name early, is `ec::invalid_argument`.
caf::expected<std::string> permission_of(const protected_resource& resource,
                                         const app_catalog& applications);

/// `endpoint:update` on each endpoint of `keys` (E5, E6), once each; refused
/// as `permission_of` refuses.
caf::expected<std::vector<std::string>>
endpoint_updates(const std::vector<config_key>& keys);

} // namespace ecr
