#include "applications/tekton.hpp"

#include "core/error.hpp"
#include "core/http_client.hpp"
#include "core/identifiers.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <map>
#include <utility>
#include <vector>

namespace ecr {

namespace {

using json_value = rapidjson::Value;

caf::error invalid(const std::string& where, const std::string& reason) {
  return make_error(ec::invalid_argument,
                    "Tekton app-configs: " + where + ": " + reason);
}

/// Member `name` of `object`; null when absent or JSON null.
const json_value* member(const json_value& object, const char* name) {
  auto i = object.FindMember(name);
  if (i == object.MemberEnd() || i->value.IsNull())
    return nullptr;
  return &i->value;
}

/// Member `key` of `object`: a string checked like a path identifier (A3);
/// empty when absent, unless `required`.
caf::expected<std::string> read_identifier(const json_value& object,
                                           const char* key,
                                           const std::string& where,
                                           std::string_view what,
                                           bool required) {
  auto value = member(object, key);
  if (!value && !required)
    return std::string{};
  auto value_where = where + "." + key;
  if (!value || !value->IsString())
    return invalid(value_where, "must be a string");
  std::string text{value->GetString(), value->GetStringLength()};
  if (auto err = check_identifier(text, what))
    return invalid(value_where, error_message(err));
  return text;
}

/// The optional `config` object of an application or app version.
caf::expected<const json_value*> read_config(const json_value& object,
                                             const std::string& where) {
  auto config = member(object, "config");
  if (config && !config->IsObject())
    return invalid(where + ".config", "must be an object");
  return config;
}

/// A schema given as a JSON value or as a string holding JSON; null when
/// absent.
caf::expected<std::shared_ptr<const json_schema>>
read_schema(const json_value* node, const std::string& where) {
  if (!node)
    return std::shared_ptr<const json_schema>{};
  std::string text;
  if (node->IsString()) {
    text.assign(node->GetString(), node->GetStringLength());
  } else {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer{buffer};
    node->Accept(writer);
    text.assign(buffer.GetString(), buffer.GetSize());
  }
  auto schema = json_schema::compile(text);
  if (!schema)
    return invalid(where, error_message(schema.error()));
  return schema;
}

caf::error read_app_settings(const json_value* config, const std::string& where,
                             application_settings& app) {
  if (!config)
    return {};
  auto block = member(*config, "endpoint-configuration");
  auto block_where = where + ".endpoint-configuration";
  if (block && !block->IsObject())
    return invalid(block_where, "must be an object");
  if (block) {
    if (auto required = member(*block, "schema-required")) {
      if (!required->IsBool())
        return invalid(block_where + ".schema-required", "must be true or false");
      app.schema_required = required->GetBool();
    }
  }
  // The current key, or the older one (spec 3.6); never both.
  auto current = block ? member(*block, "schema") : nullptr;
  auto older = member(*config, "endpointConfigurationSchema");
  if (current && older)
    return invalid(block_where + ".schema",
                   "give either this key or endpointConfigurationSchema, not "
                   "both");
  auto schema = current ? read_schema(current, block_where + ".schema")
                        : read_schema(older, where + ".endpointConfigurationSchema");
  if (!schema)
    return schema.error();
  app.schema = std::move(*schema);
  return {};
}

caf::error read_versions(const json_value& app_node, const std::string& where,
                         application_settings& app,
                         std::map<std::string, std::string>& owners) {
  auto versions = member(app_node, "appVersions");
  if (!versions)
    return {};
  if (!versions->IsArray())
    return invalid(where + ".appVersions", "must be an array");
  for (rapidjson::SizeType i = 0; i < versions->Size(); ++i) {
    const auto& version = (*versions)[i];
    auto version_where = where + ".appVersions[" + std::to_string(i) + "]";
    if (!version.IsObject())
      return invalid(version_where, "must be an object");
    auto name = read_identifier(version, "name", version_where,
                                "app version name", true);
    if (!name)
      return name.error();
    if (auto [owner, fresh] = owners.emplace(*name, app.name); !fresh)
      return invalid(version_where, "app version " + *name
                                      + " is already listed under application "
                                      + owner->second);
    auto config = read_config(version, version_where);
    if (!config)
      return config.error();
    auto schema = read_schema(
      *config ? member(**config, "endpointConfigurationSchema") : nullptr,
      version_where + ".config.endpointConfigurationSchema");
    if (!schema)
      return schema.error();
    app.versions.emplace(*name, std::move(*schema));
  }
  return {};
}

/// Whether `root` nests arrays and objects deeper than `limit`; iterative,
/// since the recursive walks of RapidJSON (writing a schema back out) would
/// exhaust the stack on hostile input.
bool deeper_than(const json_value& root, size_t limit) {
  std::vector<std::pair<const json_value*, size_t>> pending{{&root, 1}};
  while (!pending.empty()) {
    auto [value, depth] = pending.back();
    pending.pop_back();
    if (!value->IsArray() && !value->IsObject())
      continue;
    if (depth > limit)
      return true;
    if (value->IsArray())
      for (const auto& item : value->GetArray())
        pending.emplace_back(&item, depth + 1);
    else
      for (const auto& entry : value->GetObject())
        pending.emplace_back(&entry.value, depth + 1);
  }
  return false;
}

} // namespace

std::string tekton_app_configs_url(std::string_view base_url,
                                   std::string_view instance) {
  std::string url{base_url};
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  // A query string is form-encoded. Instance names are [a-zA-Z0-9_-], but
  // anything else is escaped all the same.
  return url + "/api/v1/app-configs?"
         + "serviceInstanceName=" + percent_encode(instance);
}

caf::expected<app_catalog> parse_tekton_app_configs(std::string_view json) {
  rapidjson::Document doc;
  // Iterative: a hostile nesting depth must not exhaust the stack.
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError())
    return invalid("body", std::string{"not JSON: "}
                             + rapidjson::GetParseError_En(doc.GetParseError())
                             + " at offset "
                             + std::to_string(doc.GetErrorOffset()));
  if (!doc.IsObject())
    return invalid("body", "must be an object");
  if (deeper_than(doc, json_schema::max_depth))
    return invalid("body", "nested deeper than "
                             + std::to_string(json_schema::max_depth)
                             + " levels");
  auto apps = member(doc, "applications");
  if (!apps || !apps->IsArray())
    return invalid("applications", "must be an array");
  app_catalog catalog;
  // App version -> application, to refuse a version listed twice.
  std::map<std::string, std::string> owners;
  for (rapidjson::SizeType i = 0; i < apps->Size(); ++i) {
    const auto& node = (*apps)[i];
    auto where = "applications[" + std::to_string(i) + "]";
    if (!node.IsObject())
      return invalid(where, "must be an object");
    application_settings app;
    auto name = read_identifier(node, "name", where, "application name", true);
    if (!name)
      return name.error();
    if (catalog.applications().count(*name))
      return invalid(where, "application " + *name + " listed twice");
    app.name = std::move(*name);
    auto tenant = read_identifier(node, "tenantId", where, "tenant id", false);
    if (!tenant)
      return tenant.error();
    app.tenant_id = std::move(*tenant);
    auto config = read_config(node, where);
    if (!config)
      return config.error();
    if (auto err = read_app_settings(*config, where + ".config", app))
      return err;
    if (auto err = read_versions(node, where, app, owners))
      return err;
    catalog.add(std::move(app));
  }
  return catalog;
}

caf::expected<app_catalog>
fetch_tekton_app_configs(outbound_http_client& http, std::string_view base_url,
                         std::string_view instance,
                         std::vector<std::string> headers) {
  headers.emplace_back(accept_json);
  auto response = http.get(tekton_app_configs_url(base_url, instance), headers);
  if (!response)
    return response.error();
  if (response->status != 200)
    return make_error(response->status == 503 ? ec::unavailable
                                              : ec::upstream_failure,
                      "Tekton answered HTTP " + std::to_string(response->status));
  return parse_tekton_app_configs(response->body);
}

} // namespace ecr
