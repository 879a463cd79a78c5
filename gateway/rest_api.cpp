#include "gateway/rest_api.hpp"

#include "actors/access_guard.hpp"
#include "actors/read_batcher.hpp"
#include "core/app_catalog.hpp"
#include "core/error.hpp"
#include "core/identifiers.hpp"
#include "core/license.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "gateway/json.hpp"

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <array>
#include <atomic>
#include <set>
#include <chrono>
#include <string_view>

namespace ecr {

namespace {

// -- routing ------------------------------------------------------------------

enum class route_id {
  endpoint_config,
  endpoint_configs,
  default_config,
  default_configs,
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

const std::vector<route>& route_table() {
  static const std::vector<route> table{
    {route_id::endpoint_config, true,
     {"endpoints", "{}", "app-versions", "{}"}, {"GET", "PUT", "DELETE"},
     "/api/v1/endpoints/{endpointId}/app-versions/{appVersionName}"},
    {route_id::endpoint_configs, true,
     {"endpoints", "{}", "app-versions", "{}", "configurations"}, {"GET"},
     "/api/v1/endpoints/{endpointId}/app-versions/{appVersionName}/"
     "configurations"},
    {route_id::default_config, true, {"app-versions", "{}"},
     {"GET", "PUT", "DELETE"}, "/api/v1/app-versions/{appVersionName}"},
    {route_id::default_configs, true, {"app-versions", "{}", "configurations"},
     {"GET"}, "/api/v1/app-versions/{appVersionName}/configurations"},
    {route_id::statuses, true, {"statuses"}, {"GET"}, "/api/v1/statuses"},
    {route_id::batch, true, {"endpoints", "batch"}, {"PUT"},
     "/api/v1/endpoints/batch"},
    {route_id::filter, true, {"endpoints", "filters", "{}"}, {"PUT"},
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

/// How unrouted requests show in metrics.
constexpr std::string_view unknown_uri = "UNKNOWN";

constexpr std::array<std::array<std::string_view, 3>, 2> base_paths{{
  {"api", "v1", ""},
  {"ecr", "api", "v1"},
}};

struct route_match {
  const route* matched = nullptr;
  /// Raw (still percent-encoded) captures.
  std::vector<std::string_view> params;
  /// Set when the path is known but the method is not allowed.
  std::string allow;
};

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

// -- request values -----------------------------------------------------------

/// The first value of query parameter `name`, percent-decoded; empty if
/// absent.
caf::expected<std::string> query_param(std::string_view query,
                                       std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    auto eq = pair.find('=');
    auto key = pair.substr(0, eq);
    if (key == name)
      return percent_decode(eq == std::string_view::npos ? std::string_view{}
                                                         : pair.substr(eq + 1),
                            true);
    if (amp == std::string_view::npos)
      break;
    query.remove_prefix(amp + 1);
  }
  return std::string{};
}

caf::expected<std::string> path_identifier(std::string_view raw,
                                           std::string_view what) {
  auto decoded = percent_decode(raw);
  if (!decoded)
    return make_error(ec::invalid_argument,
                      std::string{what} + ": " + error_message(decoded.error()));
  if (auto err = check_identifier(*decoded, what))
    return err;
  return decoded;
}

/// The `name` query parameter (A2): `default` when missing or empty.
caf::expected<std::string> config_name_of(std::string_view query) {
  auto name = query_param(query, "name");
  if (!name)
    return make_error(ec::invalid_argument,
                      "name: " + error_message(name.error()));
  if (name->empty())
    return std::string{default_config_name};
  if (auto err = check_config_name(*name))
    return err;
  return name;
}

/// 415 unless the body is declared as JSON (A8).
caf::error check_json_content_type(const http_request& req) {
  auto content_type = req.header("content-type");
  if (!content_type || !is_json_media_type(*content_type))
    return make_error(ec::unsupported_media_type,
                      "Content-Type must be application/json");
  return {};
}

/// Entity tags of an If-Match / If-None-Match header: quotes and weak
/// prefixes removed; `*` stays `*`.
std::vector<std::string> entity_tags(std::string_view header) {
  std::vector<std::string> tags;
  while (true) {
    auto comma = header.find(',');
    auto tag = header.substr(0, comma);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t'))
      tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t'))
      tag.remove_suffix(1);
    if (tag.substr(0, 2) == "W/")
      tag.remove_prefix(2);
    if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"')
      tag = tag.substr(1, tag.size() - 2);
    if (!tag.empty())
      tags.emplace_back(tag);
    if (comma == std::string_view::npos)
      return tags;
    header.remove_prefix(comma + 1);
  }
}

/// The If-Match condition of a write. A present header without any tag
/// matches nothing, so the write is refused rather than guessed at.
precondition if_match(const http_request& req) {
  precondition result;
  auto header = req.header("if-match");
  if (!header)
    return result;
  result.required = true;
  auto tags = entity_tags(*header);
  if (tags.empty()) {
    result.config_ids.emplace_back();
    return result;
  }
  for (auto& tag : tags) {
    if (tag == "*")
      return precondition{true, {}};
    result.config_ids.push_back(std::move(tag));
  }
  return result;
}

// -- responses ----------------------------------------------------------------

http_response json_response(unsigned status, std::string body) {
  http_response res;
  res.status = status;
  res.content_type = "application/json";
  res.body = std::move(body);
  return res;
}

/// The answer to batch and filter upserts: how many configurations changed.
http_response updated_response(uint64_t changed) {
  return json_response(200, "{\"updated\":" + std::to_string(changed) + "}");
}

http_response error_response(unsigned status, std::string_view message) {
  return json_response(status, render_message(message));
}

unsigned status_of(const caf::error& err) {
  switch (error_code(err)) {
    case ec::invalid_argument: return 400;
    case ec::not_found: return 404;
    case ec::precondition_failed: return 412;
    case ec::conflict: return 409;
    case ec::payload_too_large: return 413;
    case ec::unsupported_media_type: return 415;
    case ec::unavailable: return 503;
    case ec::timeout: return 504;
    case ec::upstream_failure: return 502;
    case ec::unauthenticated: return 401;
    case ec::forbidden: return 403;
    default: return 500;
  }
}

http_response error_response(const caf::error& err) {
  auto status = status_of(err);
  if (status == 504)
    return error_response(status, "the request timed out inside the service");
  if (status == 500) {
    // Internal details go to the log, not to clients.
    ECR_ERROR("request failed: {}", render(err));
    return error_response(status, "internal error; see the service log");
  }
  auto res = error_response(status, error_message(err));
  // RFC 6750: a 401 names the scheme the caller must use.
  if (status == 401)
    res.headers.emplace_back("WWW-Authenticate", "Bearer");
  return res;
}

std::string etag(const std::string& config_id) {
  return '"' + config_id + '"';
}

std::string no_schema_message(const std::string& app_version) {
  return "app version " + app_version
         + " has no endpoint configuration schema";
}

/// A18: whether `content` may be stored under `app_version`, whose schema
/// rule is `rule`. With a schema in force, every violation is named (400);
/// without one, an application that requires a schema refuses (404).
caf::error check_schema(const schema_rule& rule, const std::string& app_version,
                        std::string_view content) {
  if (!rule.schema) {
    if (rule.required)
      return make_error(ec::not_found,
                        "the endpoint configuration schema is required by "
                        "the settings of app version "
                          + app_version + "'s application but missing");
    return {};
  }
  auto violations = rule.schema->violations(content);
  if (violations.empty())
    return {};
  std::string message = "the configuration does not match the schema of app "
                        "version "
                        + app_version + ": ";
  for (size_t i = 0; i < violations.size(); ++i)
    message += (i > 0 ? "; " : "") + violations[i];
  return make_error(ec::invalid_argument, std::move(message));
}

/// `check_schema` for each app version of `keys` (once per version).
caf::error check_schemas(const app_catalog& applications,
                         const std::vector<config_key>& keys,
                         std::string_view content) {
  std::set<std::string_view> checked;
  for (const auto& key : keys)
    if (checked.insert(key.app_version).second)
      if (auto err = check_schema(applications.schema_for(key.app_version),
                                  key.app_version, content))
        return err;
  return {};
}

/// Paging parameters: `page` 0-based, `size` 1..1000; empty texts keep the
/// defaults in `number` and `size`.
caf::error parse_paging(std::string_view page_text, std::string_view size_text,
                        int64_t& number, int64_t& size) {
  if (!page_text.empty()) {
    auto parsed = parse_bounded_integer(page_text, 0, 1'000'000'000);
    if (!parsed)
      return make_error(ec::invalid_argument,
                        "page must be a whole number from 0");
    number = *parsed;
  }
  if (!size_text.empty()) {
    auto parsed = parse_bounded_integer(size_text, 1, 1000);
    if (!parsed)
      return make_error(ec::invalid_argument,
                        "size must be a whole number from 1 to 1000");
    size = *parsed;
  }
  return {};
}

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

http_response config_response(const config_record& record,
                               std::string body) {
  auto res = json_response(200, std::move(body));
  res.headers.emplace_back("ETag", etag(record.config_id));
  return res;
}

http_response config_response(const config_record& record) {
  return config_response(record, render_config(record));
}

/// True if an If-None-Match header names the record's current tag.
bool not_modified(const config_record& record,
                  const std::string& if_none_match) {
  for (const auto& tag : entity_tags(if_none_match))
    if (tag == "*" || tag == record.config_id)
      return true;
  return false;
}

http_response not_modified_response(const config_record& record) {
  http_response res;
  res.status = 304;
  res.headers.emplace_back("ETag", etag(record.config_id));
  return res;
}

// -- permissions (spec 9.1) ------------------------------------------------------

std::string permission(std::string_view type, std::string_view handle,
                       std::string_view scope) {
  return std::string{type} + "-" + std::string{handle} + "#"
         + std::string{scope};
}

/// `endpoint:update` on each endpoint of `keys` (E5, E6), once each.
std::vector<std::string> endpoint_updates(const std::vector<config_key>& keys) {
  std::set<std::string_view> endpoints;
  for (const auto& key : keys)
    endpoints.insert(key.endpoint_id);
  std::vector<std::string> result;
  for (auto endpoint : endpoints)
    result.push_back(permission("endpoint", endpoint, "endpoint:update"));
  return result;
}

/// `application-{app}` for an app version: its application from the
/// application settings (spec 9.2, step 5).
caf::expected<std::string>
application_resource(const app_catalog& applications,
                     std::string_view app_version) {
  auto app = applications.application_of(app_version);
  if (!app)
    return make_error(ec::forbidden,
                      "app version " + std::string{app_version}
                        + " belongs to no known application, so permissions "
                          "on it cannot be checked");
  return *app;
}

/// The permissions a request to `found` needs before it runs. Batch and
/// filter updates are checked per endpoint once their endpoints are known.
/// What cannot be named here (an invalid identifier) needs none: the
/// handler refuses it after authentication.
caf::expected<std::vector<std::string>>
permissions_of(const route_match& found, std::string_view method,
               std::string_view query, const app_catalog& applications) {
  bool reads = method == "GET";
  auto endpoint = [&](const caf::expected<std::string>& id) {
    std::vector<std::string> result;
    if (id)
      result.push_back(permission("endpoint", *id,
                                  reads ? "endpoint:read" : "endpoint:update"));
    return result;
  };
  auto application = [&](std::string_view raw_app_version, std::string_view scope)
    -> caf::expected<std::vector<std::string>> {
    auto app_version = path_identifier(raw_app_version, "appVersionName");
    if (!app_version)
      return std::vector<std::string>{};
    auto app = application_resource(applications, *app_version);
    if (!app)
      return app.error();
    return std::vector<std::string>{permission("application", *app, scope)};
  };
  switch (found.matched->id) {
    case route_id::endpoint_config:
    case route_id::endpoint_configs:
      return endpoint(path_identifier(found.params[0], "endpointId"));
    case route_id::statuses: {
      auto id = query_param(query, "endpointId");
      if (!id || check_identifier(*id, "endpointId"))
        return std::vector<std::string>{};
      return endpoint(id);
    }
    case route_id::default_config:
      return application(found.params[0],
                         reads                ? "application:endpoint-config:read"
                         : method == "DELETE" ? "application:endpoint-config:delete"
                                              : "application:endpoint-config:update");
    case route_id::default_configs:
    case route_id::schema:
    case route_id::schema_validation:
      return application(found.params[0], "application:endpoint-config:read");
    case route_id::system_configs:
    case route_id::system_config_current:
    case route_id::system_config: {
      // A system configuration belongs to what its level names.
      auto level = found.params[0];
      if (level == "endpoints")
        return endpoint(path_identifier(found.params[1], "endpointId"));
      auto scope = reads ? "read" : "update";
      if (level == "app-versions")
        return application(found.params[1],
                           std::string{"application:"} + scope);
      auto id = path_identifier(found.params[1], "levelId");
      if (!id || (level != "applications" && level != "tenants"))
        return std::vector<std::string>{};
      auto type = level == "tenants" ? "tenant" : "application";
      return std::vector<std::string>{
        permission(type, *id, std::string{type} + ":" + scope)};
    }
    default:
      return std::vector<std::string>{};
  }
}

// -- tenants (spec 7.3) ---------------------------------------------------------

/// Who may touch the data of an app version, application or tenant while
/// data is scoped by tenant: the owner an application's `tenant-id` names,
/// else the default tenant. CDTP serves an app version from its owner's
/// data, so no other tenant may write there.
class tenant_boundary {
public:
  tenant_boundary(std::shared_ptr<const app_catalog> applications,
                  std::string caller, std::string default_tenant)
    : applications_(std::move(applications)), caller_(std::move(caller)),
      default_tenant_(std::move(default_tenant)) {
    // nop
  }

  caf::error app_version(std::string_view name) const {
    return check(applications_->tenant_of(name), "app version", name);
  }

  caf::error application(std::string_view name) const {
    const auto& known = applications_->applications();
    auto app = known.find(std::string{name});
    std::optional<std::string> owner;
    if (app != known.end()
        && !app->second.tenant_id.empty())
      owner = app->second.tenant_id;
    return check(owner, "application", name);
  }

  caf::error tenant(std::string_view id) const {
    return check(std::string{id}, "tenant", id);
  }

  caf::error keys(const std::vector<config_key>& keys) const {
    for (const auto& key : keys)
      if (auto err = app_version(key.app_version))
        return err;
    return {};
  }

  /// The check of what `found` names; identifiers the handler will refuse
  /// pass here.
  caf::error route(const route_match& found) const {
    auto named = [&](std::string_view raw, std::string_view what,
                     auto check) -> caf::error {
      auto id = path_identifier(raw, what);
      return id ? (this->*check)(*id) : caf::error{};
    };
    switch (found.matched->id) {
      case route_id::endpoint_config:
      case route_id::endpoint_configs:
      case route_id::default_config:
      case route_id::default_configs:
      case route_id::schema:
      case route_id::schema_validation:
        return named(found.params.back(), "appVersionName",
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

private:
  caf::error check(const std::optional<std::string>& owner,
                   std::string_view what, std::string_view name) const {
    if (owner.value_or(default_tenant_) == caller_)
      return {};
    return make_error(ec::forbidden,
                      std::string{what} + " " + std::string{name}
                        + " belongs to another tenant (an application's "
                          "tenant-id names its owner; without one, the "
                          "default tenant owns it)");
  }

  std::shared_ptr<const app_catalog> applications_;
  std::string caller_;
  std::string default_tenant_;
};

// -- on the gateway bridge -----------------------------------------------------------

/// Runs `then(self, reply, grant)` once `guard` grants `access`; the refusal
/// is the answer otherwise.
template <class Then>
void when_granted(gateway_actor::pointer self, const access_guard_actor& guard,
                  access_request access, const http_reply& reply, Then then) {
  self->request(guard, caf::infinite, atom::check_v, std::move(access))
    .then(
      [self, reply, then = std::move(then)](access_grant& grant) mutable {
        then(self, reply, grant);
      },
      [reply](caf::error& err) { reply(error_response(err)); });
}

/// `access` needing `endpoint:update` on every endpoint of `keys`.
access_request access_of_keys(access_request access,
                              const std::vector<config_key>& keys) {
  access.permissions = endpoint_updates(keys);
  return access;
}

/// Writes `content` at every key (E5, E6) and answers `{"updated": n}`.
void put_all(gateway_actor::pointer self, const config_manager_actor& manager,
             const std::vector<config_key>& keys, const std::string& content,
             const http_reply& reply) {
  self->request(manager, caf::infinite, atom::put_v, keys, content)
    .then([reply](uint64_t changed) { reply(updated_response(changed)); },
          [reply](caf::error& err) { reply(error_response(err)); });
}

// -- the handler --------------------------------------------------------------

/// The path and the query of a request target.
std::pair<std::string_view, std::string_view>
split_target(std::string_view target) {
  auto question = target.find('?');
  if (question == std::string_view::npos)
    return {target, {}};
  return {target.substr(0, question), target.substr(question + 1)};
}

class rest_handler : public std::enable_shared_from_this<rest_handler> {
public:
  explicit rest_handler(rest_api_config cfg) : cfg_(std::move(cfg)) {
    // nop
  }

  void handle(http_request&& req, http_reply reply) const {
    auto [path, query] = split_target(req.target);
    if (path == cfg_.metrics_path && req.method == "GET")
      return reply(metrics_response());
    auto found = match_route(req.method, path);
    reply = measured(found.matched ? found.matched->uri : unknown_uri,
                     req.method, std::move(reply));
    if (found.matched && req.method != "GET" && !cfg_.license->open())
      return reply(error_response(503, "the license is not valid: changes "
                                       "are refused until a valid one is "
                                       "installed (kaa.license.enforce)"));
    if (!found.matched) {
      if (!found.allow.empty()) {
        auto res = error_response(405, "method " + req.method
                                         + " is not allowed here; allowed: "
                                         + found.allow);
        res.headers.emplace_back("Allow", found.allow);
        reply(std::move(res));
      } else {
        reply(error_response(404, "no such route: " + req.method + " "
                                    + std::string{path}));
      }
      return;
    }
    if (!cfg_.guards.empty() && found.matched->versioned) {
      auto permissions = permissions_of(found, req.method, query,
                                        *cfg_.applications->current());
      auto access = access_of(req);
      // Who may not learn why a request is refused must be authenticated
      // first; the refusal (403) then follows.
      if (!permissions)
        return check_access(
          std::move(access), std::move(reply),
          [err = permissions.error()](gateway_actor::pointer,
                                      const http_reply& r, const access_grant&) {
            r(error_response(err));
          });
      access.permissions = std::move(*permissions);
      if (auto known = cfg_.checker->check_cached(access)) {
        if (!*known)
          return reply(error_response(known->error()));
        return serve(req, std::move(reply), tenant_of(**known));
      }
      return check_access(std::move(access),
                          std::move(reply),
                          [handler = shared_from_this(), req = std::move(req)](
                            gateway_actor::pointer, const http_reply& r,
                            const access_grant& grant) {
                            handler->serve(req, r, handler->tenant_of(grant));
                          });
    }
    serve(req, std::move(reply), cfg_.tenant_id);
  }

private:
  /// Runs a routed, permitted request in the caller's tenant.
  void serve(const http_request& req, http_reply reply,
             const std::string& tenant) const {
    auto [path, query] = split_target(req.target);
    auto found = match_route(req.method, path);
    if (cfg_.tenant_scoped)
      if (auto err = boundary_of(tenant).route(found))
        return reply(error_response(err));
    switch (found.matched->id) {
      case route_id::endpoint_config:
      case route_id::default_config:
        return handle_config(req, found, query, tenant, std::move(reply));
      case route_id::endpoint_configs:
      case route_id::default_configs:
        return handle_list(found, tenant, std::move(reply));
      case route_id::statuses:
        return handle_statuses(query, tenant, std::move(reply));
      case route_id::batch:
        return handle_batch(req, query, tenant, std::move(reply));
      case route_id::filter:
        return handle_filter(req, found, query, tenant, std::move(reply));
      case route_id::schema:
      case route_id::schema_validation:
        return handle_schema(req, found, std::move(reply));
      case route_id::system_configs:
        return handle_system_configs(req, found, path, query, tenant,
                                     std::move(reply));
      case route_id::system_config_current:
        return handle_system_config_current(found, query, tenant,
                                            std::move(reply));
      case route_id::system_config:
        return handle_system_config(req, found, tenant, std::move(reply));
      case route_id::health:
      case route_id::health_startup:
        return run(std::move(reply), [](gateway_actor::pointer, http_reply r) {
          r(json_response(200, render_health(true, {})));
        });
      case route_id::health_ready:
        return ask<std::vector<component_health>>(
          cfg_.node, std::move(reply),
          [](std::vector<component_health>& parts) {
            bool up = true;
            for (const auto& part : parts)
              up = up && part.up;
            return json_response(up ? 200 : 503, render_health(up, parts));
          },
          atom::status_v);
    }
  }

  /// What the caller presents: its Authorization header.
  static access_request access_of(const http_request& req,
                                  std::vector<std::string> permissions = {}) {
    access_request result;
    if (auto header = req.header("authorization"))
      result.credential = *header;
    if (auto header = req.header("x-iamcore-api-key"))
      result.api_key = *header;
    result.permissions = std::move(permissions);
    return result;
  }

  /// The tenant whose data a permitted caller works on.
  const std::string& tenant_of(const access_grant& grant) const {
    return cfg_.tenant_scoped ? grant.tenant_id : cfg_.tenant_id;
  }

  /// What `tenant` may touch, by the application settings in force.
  tenant_boundary boundary_of(const std::string& tenant) const {
    return {cfg_.applications->current(), tenant, cfg_.tenant_id};
  }

  /// In tenant-scoped mode, refuses keys of another tenant's app versions.
  caf::error check_tenant(const std::vector<config_key>& keys,
                          const std::string& tenant) const {
    return cfg_.tenant_scoped ? boundary_of(tenant).keys(keys) : caf::error{};
  }

  /// One of the guards, round robin; none while security is off.
  access_guard_actor next_guard() const {
    if (cfg_.guards.empty())
      return {};
    return cfg_.guards[next_guard_++ % cfg_.guards.size()];
  }

  /// Asks a guard whether `access` is granted; `then(self, reply, grant)`
  /// runs on the gateway bridge if so, else the refusal is the answer.
  template <class Then>
  void check_access(access_request access, http_reply reply, Then then) const {
    run(std::move(reply),
        [guard = next_guard(), access = std::move(access),
         then = std::move(then)](gateway_actor::pointer self,
                                 const http_reply& r) {
          when_granted(self, guard, access, r, then);
        });
  }

  /// Builds the key addressed by a config route: endpoint routes capture
  /// (endpointId, appVersionName), default routes (appVersionName).
  caf::expected<config_key> key_of(const route_match& found,
                                   std::string_view query,
                                   const std::string& tenant) const {
    config_key key;
    key.tenant_id = tenant;
    bool endpoint = found.params.size() == 2;
    if (endpoint) {
      auto id = path_identifier(found.params[0], "endpointId");
      if (!id)
        return id.error();
      key.endpoint_id = std::move(*id);
    }
    auto app_version = path_identifier(found.params.back(), "appVersionName");
    if (!app_version)
      return app_version.error();
    key.app_version = std::move(*app_version);
    auto name = config_name_of(query);
    if (!name)
      return name.error();
    key.name = std::move(*name);
    return key;
  }

  void handle_config(const http_request& req, const route_match& found,
                     std::string_view query, const std::string& tenant,
                     http_reply reply) const {
    auto key = key_of(found, query, tenant);
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
        atom::erase_v, std::move(*key), if_match(req));
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
      atom::put_v, std::move(*key), std::move(*content), if_match(req));
  }

  void handle_list(const route_match& found, const std::string& tenant,
                   http_reply reply) const {
    config_key scope;
    scope.tenant_id = tenant;
    if (found.params.size() == 2) {
      auto id = path_identifier(found.params[0], "endpointId");
      if (!id)
        return reply(error_response(id.error()));
      scope.endpoint_id = std::move(*id);
    }
    auto app_version = path_identifier(found.params.back(), "appVersionName");
    if (!app_version)
      return reply(error_response(app_version.error()));
    scope.app_version = std::move(*app_version);
    ask<std::vector<config_record>>(
      cfg_.config_manager, std::move(reply),
      [](std::vector<config_record>& records) {
        return json_response(200, render_config_list(records));
      },
      atom::list_v, std::move(scope));
  }

  /// E5 (A16): everything is validated before anything is written; answers
  /// `{"updated": n}` with the number of configurations that changed.
  void handle_batch(const http_request& req, std::string_view query,
                    const std::string& tenant, http_reply reply) const {
    auto name = config_name_of(query);
    if (!name)
      return reply(error_response(name.error()));
    if (auto err = check_json_content_type(req))
      return reply(error_response(err));
    auto batch = parse_batch(req.body);
    if (!batch)
      return reply(error_response(batch.error()));
    std::vector<config_key> keys;
    keys.reserve(batch->targets.size());
    for (auto& [app_version, endpoint] : batch->targets) {
      for (auto [value, what] : {std::pair{&app_version, "appVersionName"},
                                 std::pair{&endpoint, "endpointId"}})
        if (auto err = check_identifier(*value, what))
          return reply(error_response(err));
      keys.push_back({tenant, std::move(endpoint), std::move(app_version),
                      *name});
    }
    if (auto err = check_tenant(keys, tenant))
      return reply(error_response(err));
    if (auto err = check_schemas(*cfg_.applications->current(), keys,
                                 batch->payload))
      return reply(error_response(err));
    if (cfg_.guards.empty())
      return ask<uint64_t>(cfg_.config_manager, std::move(reply),
                           updated_response, atom::put_v, std::move(keys),
                           std::move(batch->payload));
    auto permissions = endpoint_updates(keys);
    check_access(access_of(req, std::move(permissions)), std::move(reply),
                 [manager = cfg_.config_manager, keys = std::move(keys),
                  content = std::move(batch->payload)](
                   gateway_actor::pointer self, const http_reply& r,
                   const access_grant&) { put_all(self, manager, keys, content, r); });
  }

  /// E6 (A15): EPR names the endpoints of the filter, then as batch.
  void handle_filter(const http_request& req, const route_match& found,
                     std::string_view query, const std::string& tenant,
                     http_reply reply) const {
    auto filter_id = path_identifier(found.params[0], "filterId");
    if (!filter_id)
      return reply(error_response(filter_id.error()));
    auto name = config_name_of(query);
    if (!name)
      return reply(error_response(name.error()));
    if (auto err = check_json_content_type(req))
      return reply(error_response(err));
    auto content = minify_json(req.body);
    if (!content)
      return reply(error_response(content.error()));
    if (!cfg_.filters)
      return reply(error_response(503, "filters need NATS, which is off"));
    run(std::move(reply),
        [resolver = cfg_.filters, manager = cfg_.config_manager,
         guard = next_guard(), access = access_of(req),
         applications = cfg_.applications, tenant,
         boundary = cfg_.tenant_scoped
                      ? std::optional{boundary_of(tenant)} : std::nullopt,
         filter = std::move(*filter_id),
         name = std::move(*name), content = std::move(*content)](
          gateway_actor::pointer self, const http_reply& r) {
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
                if (auto err = check_schemas(*applications->current(), keys,
                                             content))
                  return r(error_response(err));
                if (boundary)
                  if (auto err = boundary->keys(keys))
                    return r(error_response(err));
                auto write = [manager, keys, content](gateway_actor::pointer self,
                                                      const http_reply& r,
                                                      const access_grant&) {
                  put_all(self, manager, keys, content, r);
                };
                if (!guard)
                  return write(self, r, {});
                when_granted(self, guard,
                             access_of_keys(access, keys), r, write);
              },
              [r](caf::error& err) { r(error_response(err)); });
        });
  }

  void handle_statuses(std::string_view query, const std::string& tenant,
                       http_reply reply) const {
    auto parsed = status_query_of(query, tenant);
    if (!parsed)
      return reply(error_response(parsed.error()));
    ask<status_page>(
      cfg_.config_manager, std::move(reply),
      [q = *parsed](status_page& page) {
        return json_response(200, render_status_page(page, q));
      },
      atom::list_v, *parsed);
  }

  /// D5 (GET: the schema in force) and D6 (PUT: validate a configuration
  /// against it); both 404 without a schema.
  void handle_schema(const http_request& req, const route_match& found,
                     http_reply reply) const {
    auto app_version = path_identifier(found.params[0], "appVersionName");
    if (!app_version)
      return reply(error_response(app_version.error()));
    auto rule = cfg_.applications->current()->schema_for(*app_version);
    if (!rule.schema)
      return reply(error_response(404, no_schema_message(*app_version)));
    if (req.method == "GET")
      return reply(json_response(200, rule.schema->text()));
    if (auto err = check_json_content_type(req))
      return reply(error_response(err));
    auto content = minify_json(req.body);
    if (!content)
      return reply(error_response(content.error()));
    if (auto err = check_schema(rule, *app_version, *content))
      return reply(error_response(err));
    reply(json_response(200, R"({"valid":true})"));
  }

  /// The level (tenant, level, levelId) a system configuration route names.
  caf::expected<system_config_record>
  system_scope(const route_match& found, const std::string& tenant) const {
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
  static caf::expected<system_config_input>
  system_config_body(const http_request& req) {
    if (auto err = check_json_content_type(req))
      return err;
    auto input = parse_system_config(req.body);
    if (input && input->name)
      if (auto err = check_config_name(*input->name))
        return err;
    return input;
  }

  /// S1 (POST: 201 with Location and ETag) and S2 (GET: a page).
  void handle_system_configs(const http_request& req, const route_match& found,
                             std::string_view path, std::string_view query,
                             const std::string& tenant, http_reply reply) const {
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
  void handle_system_config_current(const route_match& found,
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
  void handle_system_config(const http_request& req, const route_match& found,
                            const std::string& tenant, http_reply reply) const {
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

  /// E7 parameters (A9): endpointId required; page >= 0; size 1..1000;
  /// sort by lastDispatchedDate, descending unless asked otherwise.
  caf::expected<status_query> status_query_of(std::string_view query,
                                              const std::string& tenant) const {
    status_query result;
    result.tenant_id = tenant;
    auto text = [&](std::string_view name) { return query_param(query, name); };
    auto endpoint = text("endpointId");
    auto app_version = text("appVersionName");
    auto config_id = text("configId");
    auto page = text("page");
    auto size = text("size");
    auto sort = text("sort");
    for (auto* value : {&endpoint, &app_version, &config_id, &page, &size, &sort})
      if (!*value)
        return value->error();
    if (endpoint->empty())
      return make_error(ec::invalid_argument,
                        "the endpointId query parameter is required");
    result.endpoint_id = std::move(*endpoint);
    result.app_version = std::move(*app_version);
    result.config_id = std::move(*config_id);
    if (auto err = parse_paging(*page, *size, result.page, result.size))
      return err;
    if (*sort == "lastDispatchedDate" || *sort == "lastDispatchedDate,asc")
      result.ascending = true;
    else if (!sort->empty() && *sort != "lastDispatchedDate,desc")
      return make_error(ec::invalid_argument,
                        "sort must be lastDispatchedDate,asc or "
                        "lastDispatchedDate,desc");
    return result;
  }

  http_response metrics_response() const {
    http_response res;
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    res.body = cfg_.metrics->render();
    return res;
  }

  /// `reply`, recording the request in the metrics when it is answered.
  http_reply measured(std::string_view uri, std::string_view method,
                      http_reply reply) const {
    return [metrics = cfg_.metrics, uri, method = std::string{method},
            started = std::chrono::steady_clock::now(),
            reply = std::move(reply)](http_response res) {
      metrics->http_request(uri, method, static_cast<int>(res.status),
                            std::chrono::steady_clock::now() - started);
      reply(std::move(res));
    };
  }

  /// Runs `job` on the gateway bridge.
  template <class Job>
  void run(http_reply reply, Job job) const {
    caf::anon_send(cfg_.bridge,
                   gateway_job{[reply = std::move(reply), job = std::move(job)](
                                 gateway_actor::pointer self) {
                     job(self, reply);
                   }});
  }

  /// Sends a request to `dest` from the bridge and replies with
  /// `on_result(result)`, or with the error mapped to its HTTP status.
  template <class Result, class Handle, class OnResult, class... Ts>
  void ask(const Handle& dest, http_reply reply, OnResult on_result,
           Ts... args) const {
    run(std::move(reply),
        [dest, on_result = std::move(on_result),
         args...](gateway_actor::pointer self, const http_reply& r) {
          self->request(dest, caf::infinite, args...)
            .then([r, on_result](Result& result) { r(on_result(result)); },
                  [r](caf::error& err) { r(error_response(err)); });
        });
  }

  rest_api_config cfg_;
  mutable std::atomic<size_t> next_guard_ = 0;
};

} // namespace

caf::error validate(const rest_api_config& cfg) {
  if (!cfg.cache || !cfg.bridge || !cfg.config_manager || !cfg.reads
      || !cfg.reads->has_readers()
      || !cfg.system_configs || !cfg.node || !cfg.metrics || !cfg.applications
      || !cfg.license)
    return make_error(ec::invalid_configuration,
                      "the REST API needs the cache, the gateway bridge, the "
                      "config managers, store readers, the node, metrics and "
                      "the application settings");
  if (cfg.guards.empty() != !cfg.checker)
    return make_error(ec::invalid_configuration,
                      "the REST API's guards and their checker go together");
  return {};
}

http_service make_rest_handler(rest_api_config cfg) {
  auto reads = cfg.reads;
  auto handler = std::make_shared<const rest_handler>(std::move(cfg));
  return {[handler, reads](http_request&& req, http_reply reply) {
            read_batcher::burst collecting{*reads};
            handler->handle(std::move(req), std::move(reply));
          },
          [reads] { reads->flush(); }};
}

gateway_actor::behavior_type gateway_bridge(gateway_actor::pointer self) {
  return {
    [self](gateway_job& job) { job.run(self); },
  };
}

} // namespace ecr
