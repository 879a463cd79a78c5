#include "gateway/routes.hpp"

#include <array>

namespace ecr {

bool is_endpoint_route(route_id id) noexcept {
  switch (id) {
    case route_id::endpoint_config:
    case route_id::endpoint_configs:
    case route_id::endpoint_history:
    case route_id::endpoint_version:
    case route_id::endpoint_diff:
    case route_id::endpoint_rollback:
      return true;
    default:
      return false;
  }
}

bool is_history_route(route_id id) noexcept {
  switch (id) {
    case route_id::endpoint_history:
    case route_id::endpoint_version:
    case route_id::endpoint_diff:
    case route_id::endpoint_rollback:
    case route_id::default_history:
    case route_id::default_version:
    case route_id::default_diff:
    case route_id::default_rollback:
      return true;
    default:
      return false;
  }
}

const std::vector<route>& route_table() {
  static const std::vector<route> table{
    {route_id::endpoint_config, true,
     {"endpoints", "{}", "app-versions", "{}"},
     {"GET", "PUT", "PATCH", "DELETE"},
     "/api/v1/endpoints/{endpointId}/app-versions/{appVersionName}"},
    {route_id::endpoint_configs, true,
     {"endpoints", "{}", "app-versions", "{}", "configurations"}, {"GET"},
     "/api/v1/endpoints/{endpointId}/app-versions/{appVersionName}/"
     "configurations"},
    {route_id::endpoint_history, true,
     {"endpoints", "{}", "app-versions", "{}", "history"}, {"GET"},
     "/api/v1/endpoints/{endpointId}/app-versions/{appVersionName}/history"},
    {route_id::endpoint_version, true,
     {"endpoints", "{}", "app-versions", "{}", "history", "{}"}, {"GET"},
     "/api/v1/endpoints/{endpointId}/app-versions/{appVersionName}/history/"
     "{configId}"},
    {route_id::endpoint_diff, true,
     {"endpoints", "{}", "app-versions", "{}", "diff"}, {"GET"},
     "/api/v1/endpoints/{endpointId}/app-versions/{appVersionName}/diff"},
    {route_id::endpoint_rollback, true,
     {"endpoints", "{}", "app-versions", "{}", "rollback"}, {"POST"},
     "/api/v1/endpoints/{endpointId}/app-versions/{appVersionName}/rollback"},
    {route_id::default_config, true, {"app-versions", "{}"},
     {"GET", "PUT", "PATCH", "DELETE"}, "/api/v1/app-versions/{appVersionName}"},
    {route_id::default_configs, true, {"app-versions", "{}", "configurations"},
     {"GET"}, "/api/v1/app-versions/{appVersionName}/configurations"},
    {route_id::default_history, true, {"app-versions", "{}", "history"},
     {"GET"}, "/api/v1/app-versions/{appVersionName}/history"},
    {route_id::default_version, true, {"app-versions", "{}", "history", "{}"},
     {"GET"}, "/api/v1/app-versions/{appVersionName}/history/{configId}"},
    {route_id::default_diff, true, {"app-versions", "{}", "diff"}, {"GET"},
     "/api/v1/app-versions/{appVersionName}/diff"},
    {route_id::default_rollback, true, {"app-versions", "{}", "rollback"},
     {"POST"}, "/api/v1/app-versions/{appVersionName}/rollback"},
    {route_id::statuses, true, {"statuses"}, {"GET"}, "/api/v1/statuses"},
    {route_id::batch, true, {"endpoints", "batch"}, {"PUT", "PATCH"},
     "/api/v1/endpoints/batch"},
    {route_id::filter, true, {"endpoints", "filters", "{}"}, {"PUT", "PATCH"},
     "/api/v1/endpoints/filters/{filterId}"},
    {route_id::schema, true, {"app-versions", "{}", "schemas"}, {"GET"},
     "/api/v1/app-versions/{appVersionName}/schemas"},
    {route_id::schema_validation, true,
     {"app-versions", "{}", "schemas", "validate"}, {"PUT"},
     "/api/v1/app-versions/{appVersionName}/schemas/validate"},
    // `current` is listed before `{configId}`, so that it wins (S3).
    {route_id::system_configs, true, {"system", "{}", "{}", "configs"},
     {"GET", "POST"}, "/api/v1/system/{level}/{levelId}/configs"},
    {route_id::system_config_current, true,
     {"system", "{}", "{}", "configs", "current"}, {"GET"},
     "/api/v1/system/{level}/{levelId}/configs/current"},
    {route_id::system_config, true, {"system", "{}", "{}", "configs", "{}"},
     {"GET", "PUT", "DELETE"},
     "/api/v1/system/{level}/{levelId}/configs/{configId}"},
    {route_id::health, false, {"health"}, {"GET"}, "/health"},
    {route_id::health_ready, false, {"health", "ready"}, {"GET"},
     "/health/ready"},
    {route_id::health_startup, false, {"health", "startup"}, {"GET"},
     "/health/startup"},
  };
  return table;
}

namespace {

constexpr std::array<std::array<std::string_view, 3>, 2> base_paths{{
  {"api", "v1", ""},
  {"ecr", "api", "v1"},
}};

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  if (!path.empty() && path.front() == '/')
    path.remove_prefix(1);
  for (;;) {
    auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos)
      return segments;
    path.remove_prefix(slash + 1);
  }
}

/// How many leading segments form a base path; 0 if none matches.
size_t base_path_length(const std::vector<std::string_view>& segments) {
  for (const auto& base : base_paths) {
    size_t length = base[2].empty() ? 2 : 3;
    if (segments.size() < length)
      continue;
    bool equal = true;
    for (size_t i = 0; i < length; ++i)
      equal = equal && segments[i] == base[i];
    if (equal)
      return length;
  }
  return 0;
}

/// Matches `segments` after the first `skip` against the route's pattern.
bool matches(const route& r, const std::vector<std::string_view>& segments,
             size_t skip, std::vector<std::string_view>& params) {
  if (r.pattern.size() + skip != segments.size())
    return false;
  params.clear();
  for (size_t i = 0; i < r.pattern.size(); ++i) {
    auto segment = segments[i + skip];
    if (r.pattern[i] == "{}")
      params.push_back(segment);
    else if (r.pattern[i] != segment)
      return false;
  }
  return true;
}

} // namespace

route_match match_route(std::string_view method, std::string_view path) {
  auto segments = split_path(path);
  auto base_length = base_path_length(segments);
  route_match result;
  for (const auto& r : route_table()) {
    auto skip = r.versioned ? base_length : 0;
    if ((r.versioned && base_length == 0)
        || !matches(r, segments, skip, result.params))
      continue;
    for (auto allowed : r.methods)
      if (allowed == method) {
        result.matched = &r;
        return result;
      }
    for (auto allowed : r.methods)
      result.allow += (result.allow.empty() ? "" : ", ")
                      + std::string{allowed};
  }
  result.params.clear();
  return result;
}

std::pair<std::string_view, std::string_view>
split_target(std::string_view target) {
  auto question = target.find('?');
  if (question == std::string_view::npos)
    return {target, {}};
  return {target.substr(0, question), target.substr(question + 1)};
}

} // namespace ecr
