#include "core/settings.hpp"

#include "core/error.hpp"
#include "core/identifiers.hpp"
#include "core/ids.hpp"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <vector>

namespace ecr {

namespace {

// -- value parsing ------------------------------------------------------------

caf::error bad_value(const std::string& key, const std::string& reason,
                     const std::string& value) {
  return make_error(ec::invalid_configuration,
                    key + ": " + reason + " (got '" + value + "')");
}

caf::expected<int64_t> parse_integer(const std::string& key,
                                     const std::string& text, int64_t min,
                                     int64_t max) {
  if (auto value = parse_bounded_integer(text, min, max))
    return *value;
  return bad_value(key,
                   "must be an integer from " + std::to_string(min) + " to "
                     + std::to_string(max),
                   text);
}

/// Accepts plain bytes or a number with a KiB/MiB/GiB (or KB/MB/GB) suffix.
caf::expected<int64_t> parse_size(const std::string& key,
                                  const std::string& text, int64_t min,
                                  int64_t max) {
  static const std::regex pattern{R"(^\s*(\d+)\s*([KMG]i?B)?\s*$)",
                                  std::regex::icase};
  std::smatch m;
  if (!std::regex_match(text, m, pattern))
    return bad_value(key, "must be a size in bytes, e.g. 1048576 or 1MiB",
                     text);
  auto number = parse_integer(key, m[1].str(), 0, max);
  if (!number)
    return number.error();
  int64_t factor = 1;
  if (m[2].matched) {
    switch (std::toupper(static_cast<unsigned char>(m[2].str()[0]))) {
      case 'K': factor = 1024; break;
      case 'M': factor = 1024 * 1024; break;
      default: factor = 1024 * 1024 * 1024; break;
    }
  }
  auto value = *number * factor;
  if (value < min || value > max || (factor > 1 && value / factor != *number))
    return bad_value(key,
                     "must be from " + std::to_string(min) + " to "
                       + std::to_string(max) + " bytes",
                     text);
  return value;
}

// -- key table ----------------------------------------------------------------

/// One configuration key: where it lives, its aliases, and how to store it.
struct key_spec {
  std::string key;
  std::vector<std::string> env_aliases;
  std::function<caf::error(settings&, const std::string& key,
                           const std::string& value)>
    assign;
};

/// Builders for the `assign` functions of the key table.
template <class Setter>
auto integer(int64_t min, int64_t max, Setter set) {
  return [=](settings& s, const std::string& key, const std::string& value) {
    auto parsed = parse_integer(key, value, min, max);
    if (!parsed)
      return parsed.error();
    set(s, *parsed);
    return caf::error{};
  };
}

template <class Setter>
auto size(int64_t min, int64_t max, Setter set) {
  return [=](settings& s, const std::string& key, const std::string& value) {
    auto parsed = parse_size(key, value, min, max);
    if (!parsed)
      return parsed.error();
    set(s, *parsed);
    return caf::error{};
  };
}

template <class Setter>
auto text(const std::regex& pattern, const char* rule, Setter set) {
  return [=, &pattern](settings& s, const std::string& key,
                       const std::string& value) {
    if (!std::regex_match(value, pattern))
      return bad_value(key, rule, value);
    set(s, value);
    return caf::error{};
  };
}

template <class Setter>
auto one_of(std::vector<std::string> choices, Setter set) {
  return [=](settings& s, const std::string& key, const std::string& value) {
    for (const auto& choice : choices)
      if (value == choice) {
        set(s, value);
        return caf::error{};
      }
    std::string list;
    for (const auto& choice : choices)
      list += (list.empty() ? "" : ", ") + choice;
    return bad_value(key, "must be one of " + list, value);
  };
}

const std::regex& instance_name_pattern() {
  static const std::regex pattern{"^[a-zA-Z0-9_-]{1,64}$"};
  return pattern;
}

/// A path of its own: not under the API base paths or the health routes.
const std::regex& metrics_path_pattern() {
  static const std::regex pattern{
    "^/(?!(api|ecr|health)(/|$))[a-zA-Z0-9_.-]+(/[a-zA-Z0-9_.-]+)*$"};
  return pattern;
}

const std::regex& instance_or_any_pattern() {
  static const std::regex pattern{"^(\\*|[a-zA-Z0-9_-]{1,64})$"};
  return pattern;
}

std::string trim(const std::string& text) {
  auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos)
    return {};
  auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

const std::regex& non_empty_pattern() {
  static const std::regex pattern{"^.+$"};
  return pattern;
}

const std::vector<key_spec>& key_table() {
  static const std::vector<key_spec> table{
    {"server.address", {},
     text(non_empty_pattern(), "must not be empty",
          [](settings& s, const std::string& v) { s.server.address = v; })},
    {"server.port", {},
     integer(0, 65535, [](settings& s, int64_t v) {
       s.server.port = static_cast<uint16_t>(v);
     })},
    {"server.io-threads", {},
     integer(1, 64, [](settings& s, int64_t v) {
       s.server.io_threads = static_cast<int>(v);
     })},
    {"server.max-body-size", {},
     size(1, 1024LL * 1024 * 1024, [](settings& s, int64_t v) {
       s.server.max_body_bytes = static_cast<size_t>(v);
     })},
    {"server.request-timeout", {},
     integer(1, 3600, [](settings& s, int64_t v) {
       s.server.request_timeout_seconds = static_cast<int>(v);
     })},
    {"service.instance.name", {"INSTANCE_NAME"},
     text(instance_name_pattern(), "must match ^[a-zA-Z0-9_-]{1,64}$",
          [](settings& s, const std::string& v) {
            s.service.instance_name = v;
          })},
    {"service.instance.replica.id", {"REPLICA_ID"},
     text(instance_name_pattern(), "must match ^[a-zA-Z0-9_-]{1,64}$",
          [](settings& s, const std::string& v) { s.service.replica_id = v; })},
    {"service.graceful-shutdown", {},
     integer(0, 3600, [](settings& s, int64_t v) {
       s.service.graceful_shutdown_seconds = static_cast<int>(v);
     })},
    {"kaa.tenant.default", {},
     text(non_empty_pattern(), "must not be empty",
          [](settings& s, const std::string& v) {
            s.service.default_tenant = v;
          })},
    {"storage.backend", {},
     one_of({"sqlite"},
            [](settings& s, const std::string& v) { s.storage.backend = v; })},
    {"storage.sqlite.path", {},
     text(non_empty_pattern(), "must not be empty",
          [](settings& s, const std::string& v) { s.storage.sqlite_path = v; })},
    {"storage.sqlite.readers", {},
     integer(1, 16, [](settings& s, int64_t v) {
       s.storage.sqlite_readers = static_cast<int>(v);
     })},
    {"storage.group-commit-max", {},
     integer(1, 100000, [](settings& s, int64_t v) {
       s.storage.group_commit_max = static_cast<int>(v);
     })},
    {"nats.urls", {"NATS_URLS"},
     [](settings& s, const std::string& key, const std::string& value) {
       std::vector<std::string> urls;
       size_t start = 0;
       while (start <= value.size()) {
         auto comma = value.find(',', start);
         auto url = trim(value.substr(start, comma - start));
         if (!url.empty())
           urls.push_back(std::move(url));
         if (comma == std::string::npos)
           break;
         start = comma + 1;
       }
       if (urls.empty())
         return bad_value(key, "must list at least one URL", value);
       s.nats.urls = std::move(urls);
       return caf::error{};
     }},
    {"nats.username", {"NATS_USERNAME"},
     [](settings& s, const std::string&, const std::string& v) {
       s.nats.username = v;
       return caf::error{};
     }},
    {"nats.password", {"NATS_PASSWORD"},
     [](settings& s, const std::string&, const std::string& v) {
       s.nats.password = v;
       return caf::error{};
     }},
    {"nats.reconnect-buffer-size", {},
     size(0, 1024LL * 1024 * 1024, [](settings& s, int64_t v) {
       s.nats.reconnect_buffer_bytes = static_cast<size_t>(v);
     })},
    {"nats.max-payload-size", {},
     size(64, 64LL * 1024 * 1024, [](settings& s, int64_t v) {
       s.nats.max_payload_bytes = static_cast<size_t>(v);
     })},
    {"kaa.ecr.configuration-consumer.service-instance.name", {},
     text(instance_name_pattern(), "must match ^[a-zA-Z0-9_-]{1,64}$",
          [](settings& s, const std::string& v) {
            s.peers.configuration_consumer = v;
          })},
    {"kaa.ecr.ep-register.service-instance.name", {},
     text(instance_name_pattern(), "must match ^[a-zA-Z0-9_-]{1,64}$",
          [](settings& s, const std::string& v) {
            s.peers.endpoint_register = v;
          })},
    {"kaa.ecr.ep-register.timeout-ms", {},
     integer(1, 600000, [](settings& s, int64_t v) {
       s.peers.endpoint_register_timeout_ms = static_cast<int>(v);
     })},
    {"kaa.ecr.tenant-manager.service-instance.name", {},
     text(instance_or_any_pattern(), "must be * or match ^[a-zA-Z0-9_-]{1,64}$",
          [](settings& s, const std::string& v) {
            s.peers.tenant_manager = v;
          })},
    {"metrics.path", {},
     text(metrics_path_pattern(),
          "must be an absolute path outside /api, /ecr and /health",
          [](settings& s, const std::string& v) { s.metrics.path = v; })},
    {"cache.max-size", {},
     size(0, 64LL * 1024 * 1024 * 1024, [](settings& s, int64_t v) {
       s.cache.max_bytes = static_cast<size_t>(v);
     })},
    {"logging.level", {},
     one_of({"trace", "debug", "info", "warn", "error", "off"},
            [](settings& s, const std::string& v) { s.logging.level = v; })},
    {"scheduler.threads", {},
     integer(1, 64, [](settings& s, int64_t v) {
       s.scheduler_threads = static_cast<int>(v);
     })},
  };
  return table;
}

// -- YAML lookup --------------------------------------------------------------

/// Finds a dotted key in a YAML tree. Spring-style files may spell a key in
/// nested maps or keep dots inside one map key (`replica.id: x`), so every
/// split of the remaining path is tried.
std::optional<YAML::Node> find_yaml(const YAML::Node& node,
                                    const std::vector<std::string>& parts,
                                    size_t first) {
  if (first == parts.size())
    return node;
  if (!node.IsMap())
    return std::nullopt;
  std::string joined;
  for (size_t last = first; last < parts.size(); ++last) {
    joined += (last == first ? "" : ".") + parts[last];
    for (const auto& entry : node) {
      if (entry.first.as<std::string>() == joined) {
        if (auto found = find_yaml(entry.second, parts, last + 1))
          return found;
      }
    }
  }
  return std::nullopt;
}

/// A scalar as text; a sequence of scalars joined with commas (lists such as
/// `nats.urls` may be written either way).
std::optional<std::string> scalar_text(const YAML::Node& node) {
  if (node.IsScalar())
    return node.as<std::string>();
  if (!node.IsSequence())
    return std::nullopt;
  std::string joined;
  for (const auto& item : node) {
    if (!item.IsScalar())
      return std::nullopt;
    joined += (joined.empty() ? "" : ",") + item.as<std::string>();
  }
  return joined;
}

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = key.find('.', start)) != std::string::npos;
       start = dot + 1)
    parts.push_back(key.substr(start, dot - start));
  parts.push_back(key.substr(start));
  return parts;
}

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

} // namespace

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
  if (result.service.replica_id.empty())
    result.service.replica_id = result.service.instance_name + "-"
                                + make_uuid_v4().substr(0, 8);
  return result;
}

} // namespace ecr
