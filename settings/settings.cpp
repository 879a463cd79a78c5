#include "settings/settings.hpp"

#include "core/error.hpp"
#include "core/ids.hpp"
#include "settings/application_section.hpp"
#include "settings/key_table.hpp"
#include "settings/values.hpp"
#include "settings/yaml_tree.hpp"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>

namespace ecr {

namespace {

caf::expected<YAML::Node> load_yaml(const env_lookup& env) {
  auto explicit_path = env("APP_CONFIG_PATH");
  std::string path = explicit_path && !explicit_path->empty()
                       ? *explicit_path
                       : std::string{default_config_path};
  std::error_code err;
  if (!std::filesystem::exists(path, err)) {
    if (explicit_path && !explicit_path->empty())
      return make_error(ec::invalid_configuration,
                        "APP_CONFIG_PATH: file " + path + " does not exist");
    return YAML::Node{};
  }
  try {
    auto root = YAML::LoadFile(path);
    if (!root.IsNull() && !root.IsMap())
      return make_error(ec::invalid_configuration,
                        path + ": the top level must be a mapping");
    return root;
  } catch (const YAML::Exception& e) {
    return make_error(ec::invalid_configuration, path + ": " + e.what());
  }
}

/// With iamcore on, ecr needs its own key; with Keycloak security on,
/// tokens can be checked only against a known issuer, and decisions asked
/// only for a known client.
caf::error check_security(settings::security_settings& s) {
  if (s.iamcore.enabled)
    return s.iamcore.api_key.empty()
             ? invalid("kaa.security.iamcore.api-key",
                       "required when kaa.security.iamcore.enabled is true "
                       "(KAA_SECURITY_IAMCORE_API_KEY): ecr calls iamcore "
                       "and other services with it")
             : caf::error{};
  if (!s.enabled)
    return {};
  if (s.issuer_public_url.empty())
    return invalid("kaa.security.issuer.public-url",
                   "required when kaa.security.enabled is true "
                   "(KAA_SECURITY_ISSUER_PUBLIC_URL)");
  if (s.client_id.empty())
    return invalid("kaa.security.client.id",
                   "required when kaa.security.enabled is true "
                   "(KAA_SECURITY_CLIENT_ID)");
  if (s.issuer_private_url.empty())
    s.issuer_private_url = s.issuer_public_url;
  return {};
}

caf::error resolve_backend(settings& s) {
  s.storage.backend = selected_backend(s);
  if (s.storage.backend == "mongodb" && s.mongodb.url.empty())
    return invalid("storage.backend",
                   "mongodb needs a connection string in mongodb.url "
                   "(MONGODB_URL)");
  return {};
}

} // namespace

std::string selected_backend(const settings& s) {
  if (!s.storage.backend.empty())
    return s.storage.backend;
  return s.mongodb.url.empty() ? "sqlite" : "mongodb";
}

env_lookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* value = std::getenv(name.c_str()))
      return std::string{value};
    return std::nullopt;
  };
}

std::string relaxed_env_name(const std::string& key) {
  std::string name;
  for (auto c : key)
    name.push_back(c == '.' || c == '-'
                     ? '_'
                     : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return name;
}

caf::expected<settings> load_settings(const env_lookup& env) {
  auto root = load_yaml(env);
  if (!root)
    return root.error();
  settings result;
  for (const auto& spec : key_table()) {
    std::optional<std::string> value;
    for (const auto& alias : spec.env_aliases)
      if (!value)
        value = env(alias);
    if (!value)
      value = env(relaxed_env_name(spec.key));
    if (!value && !root->IsNull()) {
      if (auto node = find_yaml(*root, split_key(spec.key), 0)) {
        auto text = scalar_text(*node);
        if (!text)
          return make_error(ec::invalid_configuration,
                            spec.key + ": must be a value or a list of values");
        value = std::move(*text);
      }
    }
    if (value)
      if (auto err = spec.assign(result, spec.key, *value))
        return err;
  }
  if (auto err = load_applications(*root, result.applications))
    return err;
  if (auto err = resolve_backend(result))
    return err;
  if (auto err = check_security(result.security))
    return err;
  if (result.service.replica_id.empty())
    result.service.replica_id = result.service.instance_name + "-"
                                + make_uuid_v4().substr(0, 8);
  return result;
}

} // namespace ecr
