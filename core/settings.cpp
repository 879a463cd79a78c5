#include "core/settings.hpp"

#include "core/error.hpp"
#include "core/identifiers.hpp"
#include "core/ids.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <vector>

namespace ecr {

namespace {

// -- value parsing ------------------------------------------------------------

caf::error invalid(const std::string& key, const std::string& reason) {
  return make_error(ec::invalid_configuration, key + ": " + reason);
}

caf::error bad_value(const std::string& key, const std::string& reason,
                     const std::string& value) {
  return invalid(key, reason + " (got '" + value + "')");
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
bool matches(const std::string& text, const char* pattern) {
  return std::regex_match(text, std::regex{pattern});
}

/// A boolean as YAML 1.2's core schema spells it.
std::optional<bool> yaml_bool(const std::string& text) {
  if (matches(text, "true|True|TRUE"))
    return true;
  if (matches(text, "false|False|FALSE"))
    return false;
  return std::nullopt;
}

template <class Setter>
auto boolean(Setter set) {
  return [=](settings& s, const std::string& key, const std::string& value) {
    auto flag = yaml_bool(value);
    if (!flag)
      return bad_value(key, "must be true or false", value);
    set(s, *flag);
    return caf::error{};
  };
}

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

const std::regex& http_url_pattern() {
  static const std::regex pattern{R"(^https?://[^\s/?#]+[^\s]*$)",
                                  std::regex::icase};
  return pattern;
}

/// A service instance name (NATS subject token, label value).
template <class Setter>
auto instance_name(Setter set) {
  return text(instance_name_pattern(), "must match ^[a-zA-Z0-9_-]{1,64}$",
              set);
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

const std::regex& write_concern_pattern() {
  static const std::regex pattern{"^(majority|[0-9]{1,2})$"};
  return pattern;
}

auto mongodb_url() {
  static const std::regex pattern{R"(^mongodb(\+srv)?://\S+$)"};
  return text(pattern, "must be a mongodb:// connection string",
              [](settings& s, const std::string& v) { s.mongodb.url = v; });
}

/// MongoDB's own rule for database names, shortened.
auto mongodb_database() {
  static const std::regex pattern{R"(^[^/\\. "$*<>:|?]{1,63}$)"};
  return text(pattern, "must be a MongoDB database name", [](settings& s,
                                                          const std::string& v) {
    s.mongodb.database = v;
  });
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
     instance_name([](settings& s, const std::string& v) {
       s.service.instance_name = v;
     })},
    {"service.instance.replica.id", {"REPLICA_ID"},
     instance_name([](settings& s, const std::string& v) {
       s.service.replica_id = v;
     })},
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
     one_of({"sqlite", "mongodb"},
            [](settings& s, const std::string& v) { s.storage.backend = v; })},
    // Spring's key first: `mongodb.url` (MONGODB_URL) wins when both are set.
    {"spring.data.mongodb.uri", {}, mongodb_url()},
    {"mongodb.url", {}, mongodb_url()},
    {"spring.data.mongodb.database", {}, mongodb_database()},
    {"mongodb.database", {}, mongodb_database()},
    {"mongodb.username", {},
     [](settings& s, const std::string&, const std::string& v) {
       s.mongodb.username = v;
       return caf::error{};
     }},
    {"mongodb.password", {},
     [](settings& s, const std::string&, const std::string& v) {
       s.mongodb.password = v;
       return caf::error{};
     }},
    {"mongodb.write-concern", {},
     text(write_concern_pattern(), "must be majority or a number of members",
          [](settings& s, const std::string& v) {
            s.mongodb.write_concern = v;
          })},
    {"mongodb.journal", {},
     boolean([](settings& s, bool v) { s.mongodb.journal = v; })},
    {"mongodb.server-selection-timeout-ms", {},
     integer(1, 600000, [](settings& s, int64_t v) {
       s.mongodb.server_selection_timeout_ms = static_cast<int>(v);
     })},
    {"mongodb.connect-timeout-ms", {},
     integer(1, 600000, [](settings& s, int64_t v) {
       s.mongodb.connect_timeout_ms = static_cast<int>(v);
     })},
    {"mongodb.socket-timeout-ms", {},
     integer(1, 3600000, [](settings& s, int64_t v) {
       s.mongodb.socket_timeout_ms = static_cast<int>(v);
     })},
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
    {"memory.release-interval", {},
     integer(0, 3600, [](settings& s, int64_t v) {
       s.memory.release_interval_seconds = static_cast<int>(v);
     })},
    {"memory.release-above", {},
     size(0, 1024LL * 1024 * 1024, [](settings& s, int64_t v) {
       s.memory.release_above_bytes = static_cast<size_t>(v);
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
     instance_name([](settings& s, const std::string& v) {
       s.peers.configuration_consumer = v;
     })},
    {"kaa.ecr.ep-register.service-instance.name", {},
     instance_name([](settings& s, const std::string& v) {
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
    {"kaa.license.cert.path", {"KAA_LICENSE_CERT_PATH"},
     [](settings& s, const std::string& key, const std::string& v) {
       if (v.empty())
         return bad_value(key, "must not be empty", v);
       s.license.cert_path = v;
       return caf::error{};
     }},
    {"kaa.license.cert.password", {"KAA_LICENSE_CERT_PASSWORD"},
     [](settings& s, const std::string&, const std::string& v) {
       s.license.cert_password = v;
       return caf::error{};
     }},
    {"kaa.license.enforce", {},
     boolean([](settings& s, bool v) { s.license.enforce = v; })},
    {"kaa.security.enabled", {},
     boolean([](settings& s, bool v) { s.security.enabled = v; })},
    {"kaa.security.issuer.public-url", {},
     text(http_url_pattern(), "must be an http:// or https:// URL",
          [](settings& s, const std::string& v) {
            s.security.issuer_public_url = v;
          })},
    {"kaa.security.issuer.private-url", {},
     text(http_url_pattern(), "must be an http:// or https:// URL",
          [](settings& s, const std::string& v) {
            s.security.issuer_private_url = v;
          })},
    {"kaa.security.client.id", {},
     text(non_empty_pattern(), "must not be empty",
          [](settings& s, const std::string& v) { s.security.client_id = v; })},
    {"kaa.security.client.secret", {},
     [](settings& s, const std::string&, const std::string& v) {
       s.security.client_secret = v;
       return caf::error{};
     }},
    {"kaa.security.decision-cache-seconds", {},
     integer(0, 3600, [](settings& s, int64_t v) {
       s.security.decision_cache_seconds = static_cast<int>(v);
     })},
    {"kaa.security.iamcore.enabled", {},
     boolean([](settings& s, bool v) { s.security.iamcore.enabled = v; })},
    {"kaa.security.iamcore.api-key", {},
     [](settings& s, const std::string&, const std::string& v) {
       s.security.iamcore.api_key = v;
       return caf::error{};
     }},
    {"kaa.security.iamcore.url", {},
     text(http_url_pattern(), "must be an http:// or https:// URL",
          [](settings& s, const std::string& v) {
            s.security.iamcore.url = v;
          })},
    {"kaa.security.iamcore.application", {},
     instance_name([](settings& s, const std::string& v) {
       s.security.iamcore.application = v;
     })},
    {"kaa.security.multitenancy.enabled", {},
     boolean([](settings& s, bool v) { s.security.multitenancy.enabled = v; })},
    {"kaa.security.multitenancy.tenant-manager-url", {},
     text(http_url_pattern(), "must be an http:// or https:// URL",
          [](settings& s, const std::string& v) {
            s.security.multitenancy.tenant_manager_url = v;
          })},
    {"kaa.security.multitenancy.context-cache-seconds", {},
     integer(0, 86400, [](settings& s, int64_t v) {
       s.security.multitenancy.context_cache_seconds = static_cast<int>(v);
     })},
    {"kaa.tekton.enabled", {},
     boolean([](settings& s, bool v) { s.tekton.enabled = v; })},
    {"kaa.tekton.url", {},
     text(http_url_pattern(), "must be an http:// or https:// URL",
          [](settings& s, const std::string& v) { s.tekton.url = v; })},
    {"kaa.tekton.timeout-ms", {},
     integer(1, 600000, [](settings& s, int64_t v) {
       s.tekton.timeout_ms = static_cast<int>(v);
     })},
    {"kaa.tekton.retry-max-ms", {},
     integer(1, 3600000, [](settings& s, int64_t v) {
       s.tekton.retry_max_ms = static_cast<int>(v);
     })},
    {"kaa.scmp.consumer.provider.service-instance.name", {},
     instance_name([](settings& s, const std::string& v) {
       s.tekton.instance_name = v;
     })},
    {"metrics.service-label", {},
     instance_name([](settings& s, const std::string& v) {
       s.metrics.service_label = v;
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
    {"logging.format", {},
     one_of({"text", "json"},
            [](settings& s, const std::string& v) { s.logging.format = v; })},
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

// -- kaa.applications ---------------------------------------------------------

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

std::optional<YAML::Node> find_key(const YAML::Node& node,
                                   const std::string& key) {
  return find_yaml(node, split_key(key), 0);
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
