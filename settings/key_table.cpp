#include "settings/key_table.hpp"

#include "core/error.hpp"
#include "core/identifiers.hpp"
#include "settings/values.hpp"

#include <regex>

namespace ecr {

namespace {

/// Builders for the `assign` functions of the key table.
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

/// A number read by `parse` (integer, size or duration), from `min` to
/// `max`.
template <class Setter>
auto bounded(caf::expected<int64_t> (*parse)(const std::string&,
                                             const std::string&, int64_t,
                                             int64_t),
             int64_t min, int64_t max, Setter set) {
  return [=](settings& s, const std::string& key, const std::string& value) {
    auto parsed = parse(key, value, min, max);
    if (!parsed)
      return parsed.error();
    set(s, *parsed);
    return caf::error{};
  };
}

template <class Setter>
auto integer(int64_t min, int64_t max, Setter set) {
  return bounded(parse_integer, min, max, set);
}

template <class Setter>
auto size(int64_t min, int64_t max, Setter set) {
  return bounded(parse_size, min, max, set);
}

template <class Setter>
auto duration(int64_t min, int64_t max, Setter set) {
  return bounded(parse_duration, min, max, set);
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

} // namespace

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
    {"server.read-timeout", {},
     integer(1, 3600, [](settings& s, int64_t v) {
       s.server.read_timeout_seconds = static_cast<int>(v);
     })},
    {"server.idle-timeout", {},
     integer(1, 3600, [](settings& s, int64_t v) {
       s.server.idle_timeout_seconds = static_cast<int>(v);
     })},
    {"server.write-timeout", {},
     integer(1, 3600, [](settings& s, int64_t v) {
       s.server.write_timeout_seconds = static_cast<int>(v);
     })},
    {"server.max-connections", {},
     integer(1, 1000000, [](settings& s, int64_t v) {
       s.server.max_connections = static_cast<int>(v);
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
    {"history.max-versions", {},
     integer(0, 100000, [](settings& s, int64_t v) {
       s.history.max_versions = v;
     })},
    {"history.max-age", {},
     duration(0, 100LL * 365 * 86400, [](settings& s, int64_t v) {
       s.history.max_age_ms = v * 1000;
     })},
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

} // namespace ecr
