#include "settings/application_section.hpp"

#include "applications/app_catalog.hpp"
#include "core/error.hpp"
#include "core/identifiers.hpp"
#include "settings/values.hpp"
#include "settings/yaml_tree.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <map>

namespace ecr {

namespace {

constexpr const char* applications_key = "kaa.applications";

/// Deep enough for any real schema; stops recursive YAML aliases.
constexpr int max_yaml_depth = 256;

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

/// A plain YAML scalar as JSON, resolved by YAML 1.2's core schema: booleans
/// and numbers keep their type (numbers in JSON's spelling), anything else
/// is a string. yaml-cpp has already turned `~`, `null` and empty into null.
caf::error write_plain_scalar(const std::string& text, json_writer& out,
                              const std::string& key) {
  if (auto flag = yaml_bool(text)) {
    out.Bool(*flag);
  } else if (matches(text, "[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)")) {
    return invalid(key, "the number " + text + " has no JSON form");
  } else if (matches(text, "0x[0-9a-fA-F]+|0o[0-7]+")) {
    uint64_t value = 0;
    auto end = text.data() + text.size();
    if (std::from_chars(text.data() + 2, end, value, text[1] == 'x' ? 16 : 8).ec
        != std::errc{})
      return invalid(key, "the number " + text + " is too large");
    out.Uint64(value);
  } else if (matches(text, "[-+]?[0-9]+")) {
    // Beyond 64 bits, a whole number is still a number, if less exact.
    int64_t value = 0;
    auto digits = text.data() + (text[0] == '+' ? 1 : 0);
    if (std::from_chars(digits, text.data() + text.size(), value).ec == std::errc{})
      out.Int64(value);
    else
      out.Double(std::strtod(text.c_str(), nullptr));
  } else if (matches(text,
                     "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?")) {
    out.Double(std::strtod(text.c_str(), nullptr));
  } else {
    out.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  }
  return {};
}

/// Writes a YAML tree as JSON. Quoted and block scalars (and `!!str`) stay
/// strings even when they look like numbers.
caf::error write_json(const YAML::Node& node, json_writer& out,
                      const std::string& key, int depth) {
  if (depth > max_yaml_depth)
    return invalid(key, "nested deeper than " + std::to_string(max_yaml_depth)
                          + " levels");
  if (node.IsNull()) {
    out.Null();
  } else if (node.IsScalar()) {
    const auto& text = node.Scalar();
    if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str")
      out.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
    else if (auto err = write_plain_scalar(text, out, key))
      return err;
  } else if (node.IsSequence()) {
    out.StartArray();
    for (const auto& item : node)
      if (auto err = write_json(item, out, key, depth + 1))
        return err;
    out.EndArray();
  } else {
    out.StartObject();
    for (const auto& entry : node) {
      if (!entry.first.IsScalar())
        return invalid(key, "mapping keys must be plain values");
      const auto& name = entry.first.Scalar();
      out.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
      if (auto err = write_json(entry.second, out, key, depth + 1))
        return err;
    }
    out.EndObject();
  }
  return {};
}

/// A schema written as a YAML mapping or as a string holding JSON; null when
/// the key is absent or empty.
caf::expected<std::shared_ptr<const json_schema>>
read_schema(const std::optional<YAML::Node>& node, const std::string& key) {
  if (!node || node->IsNull())
    return std::shared_ptr<const json_schema>{};
  std::string text;
  if (node->IsScalar()) {
    text = node->Scalar();
  } else if (node->IsMap()) {
    rapidjson::StringBuffer buffer;
    json_writer writer{buffer};
    if (auto err = write_json(*node, writer, key, 0))
      return err;
    text.assign(buffer.GetString(), buffer.GetSize());
  } else {
    return invalid(key,
                   "must be a JSON schema: a mapping, or a string holding JSON");
  }
  auto schema = json_schema::compile(text);
  if (!schema)
    return invalid(key, error_message(schema.error()));
  return schema;
}

/// A map key as a name: an application or app version (A3's rules).
caf::expected<std::string> read_name(const YAML::Node& node,
                                     const std::string& parent_key,
                                     std::string_view what) {
  if (!node.IsScalar())
    return invalid(parent_key, std::string{what} + "s must be plain values");
  auto name = node.Scalar();
  if (auto err = check_identifier(name, what))
    return invalid(parent_key + "." + name, error_message(err));
  return name;
}

caf::expected<bool> read_flag(const std::optional<YAML::Node>& node,
                              const std::string& key) {
  if (!node || node->IsNull())
    return false;
  auto text = node->IsScalar() ? node->Scalar() : std::string{};
  if (auto flag = yaml_bool(text))
    return *flag;
  return bad_value(key, "must be true or false", text);
}

/// `<app>.versions`: a mapping of version names (each with an optional
/// `endpointConfigurationSchema`) or a plain list of them.
caf::error read_versions(const YAML::Node& app_node, application_settings& app,
                         const std::string& app_key,
                         std::map<std::string, std::string>& owners) {
  auto key = app_key + ".versions";
  auto versions = find_key(app_node, "versions");
  if (!versions || versions->IsNull())
    return {};
  if (!versions->IsMap() && !versions->IsSequence())
    return invalid(key, "must map app version names to their settings, or "
                        "list them");
  for (const auto& entry : *versions) {
    auto name_node = versions->IsMap() ? entry.first : YAML::Node{entry};
    auto name = read_name(name_node, key, "app version name");
    if (!name)
      return name.error();
    auto version_key = key + "." + *name;
    if (auto [owner, fresh] = owners.emplace(*name, app.name); !fresh)
      return invalid(version_key, "app version " + *name
                                    + " is already listed under application "
                                    + owner->second);
    std::optional<YAML::Node> schema_node;
    if (versions->IsMap() && !entry.second.IsNull()) {
      if (!entry.second.IsMap())
        return invalid(version_key, "must be a mapping");
      schema_node = find_key(entry.second, "endpointConfigurationSchema");
    }
    auto schema = read_schema(schema_node,
                              version_key + ".endpointConfigurationSchema");
    if (!schema)
      return schema.error();
    app.versions.emplace(*name, std::move(*schema));
  }
  return {};
}

/// `<app>.tenant-id`: the tenant owning the application, checked like a
/// tenantId path identifier (A3); empty when absent.
caf::expected<std::string> read_tenant(const YAML::Node& app_node,
                                       const std::string& app_key) {
  auto key = app_key + ".tenant-id";
  auto tenant = find_key(app_node, "tenant-id");
  if (!tenant || tenant->IsNull())
    return std::string{};
  if (!tenant->IsScalar())
    return invalid(key, "must be a tenant id, a plain value");
  if (auto err = check_identifier(tenant->Scalar(), "tenant id"))
    return invalid(key, error_message(err));
  return tenant->Scalar();
}

caf::expected<application_settings>
read_application(const std::string& name, const YAML::Node& node,
                 std::map<std::string, std::string>& owners) {
  auto key = std::string{applications_key} + "." + name;
  application_settings app;
  app.name = name;
  if (node.IsNull())
    return app;
  if (!node.IsMap())
    return invalid(key, "must be a mapping");
  auto required_key = key + ".endpoint-configuration.schema-required";
  auto required = read_flag(find_key(node, "endpoint-configuration.schema-required"),
                            required_key);
  if (!required)
    return required.error();
  app.schema_required = *required;
  // The current key, or the older one (spec 3.6); never both.
  auto current_key = key + ".endpoint-configuration.schema";
  auto older_key = key + ".endpointConfigurationSchema";
  auto current = find_key(node, "endpoint-configuration.schema");
  auto older = find_key(node, "endpointConfigurationSchema");
  if (current && older)
    return invalid(current_key, "give either this key or " + older_key
                                  + ", not both");
  auto schema = current ? read_schema(current, current_key)
                        : read_schema(older, older_key);
  if (!schema)
    return schema.error();
  app.schema = std::move(*schema);
  auto tenant = read_tenant(node, key);
  if (!tenant)
    return tenant.error();
  app.tenant_id = std::move(*tenant);
  if (auto err = read_versions(node, app, key, owners))
    return err;
  return app;
}

} // namespace

caf::error load_applications(const YAML::Node& root, app_catalog& catalog) {
  auto apps = find_key(root, applications_key);
  if (!apps || apps->IsNull())
    return {};
  if (!apps->IsMap())
    return invalid(applications_key, "must map application names to their "
                                     "settings");
  // App version -> application, to refuse a version listed twice.
  std::map<std::string, std::string> owners;
  for (const auto& entry : *apps) {
    auto name = read_name(entry.first, applications_key, "application name");
    if (!name)
      return name.error();
    if (catalog.applications().count(*name))
      return invalid(std::string{applications_key} + "." + *name,
                     "application listed twice");
    auto app = read_application(*name, entry.second, owners);
    if (!app)
      return app.error();
    catalog.add(std::move(*app));
  }
  return {};
}

} // namespace ecr
