#pragma once

// The route table of the REST API: which paths exist, under which base
// paths (A1), with which methods, and how each is named in metrics.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ecr {

enum class route_id {
  endpoint_config,
  endpoint_configs,
  endpoint_history,
  endpoint_version,
  endpoint_diff,
  endpoint_rollback,
  default_config,
  default_configs,
  default_history,
  default_version,
  default_diff,
  default_rollback,
  statuses,
  batch,
  filter,
  system_configs,
  system_config_current,
  system_config,
  schema,
  schema_validation,
  health,
  health_ready,
  health_startup,
};

/// A path pattern; `{}` captures one segment. Versioned routes live under
/// every base path (A1), the others at the root. `uri` names the route in
/// metrics.
struct route {
  route_id id;
  bool versioned;
  std::vector<std::string_view> pattern;
  std::vector<std::string_view> methods;
  std::string_view uri;
};

/// Whether `id` addresses an endpoint's configurations (captures: endpoint
/// id, app version, ...) rather than an app version's defaults (captures:
/// app version, ...).
bool is_endpoint_route(route_id id) noexcept;

/// The revision history routes of either kind (B1).
bool is_history_route(route_id id) noexcept;

/// Every route, in matching order.
const std::vector<route>& route_table();

/// How unrouted requests show in metrics.
constexpr std::string_view unknown_uri = "UNKNOWN";

struct route_match {
  const route* matched = nullptr;
  /// Raw (still percent-encoded) captures.
  std::vector<std::string_view> params;
  /// Set when the path is known but the method is not allowed.
  std::string allow;
};

/// The route `method` and `path` name; unmatched (with `allow` set when only
/// the method is wrong) otherwise.
route_match match_route(std::string_view method, std::string_view path);

/// The path and the query of a request target.
std::pair<std::string_view, std::string_view>
split_target(std::string_view target);

} // namespace ecr
