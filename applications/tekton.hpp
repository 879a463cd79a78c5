#pragma once

#include "applications/app_catalog.hpp"

#include <caf/expected.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace ecr {

class outbound_http_client;

/// Where Tekton serves the application settings of one service instance
/// (spec 7.2): `{base}/api/v1/app-configs?serviceInstanceName={instance}`.
std::string tekton_app_configs_url(std::string_view base_url,
                                   std::string_view instance);

/// Parses Tekton's answer (the shape is ours, documented in
/// docs/configuration.md, "Application settings from Tekton"):
///
///     {"applications": [{"name": "smart-meter",
///                        "tenantId": "<tenant>",
///                        "config": {<kaa.applications.<app> keys>},
///                        "appVersions": [{"name": "smart-meter-v1",
///                                         "config": {<version keys>}}]}]}
///
/// `tenantId` (optional) names the tenant owning the application and its
/// versions in tenant-scoped mode; without it the default tenant owns them.
/// Schemas are JSON values or strings holding JSON and are compiled here.
/// Any mistake fails the whole answer with `ec::invalid_argument` and a
/// message naming where it is (e.g. `applications[0].config.endpoint-
/// configuration.schema: ...`): half a catalog is worse than the old one.
caf::expected<app_catalog> parse_tekton_app_configs(std::string_view json);

/// GETs and parses the settings of `instance` from Tekton at `base_url`,
/// sending `headers` too (the service token). A non-200 answer is
/// `ec::upstream_failure` (`ec::unavailable` for 503).
caf::expected<app_catalog>
fetch_tekton_app_configs(outbound_http_client& http, std::string_view base_url,
                         std::string_view instance,
                         std::vector<std::string> headers = {});

} // namespace ecr
