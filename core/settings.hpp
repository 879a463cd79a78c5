#pragma once

#include <caf/expected.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace ecr {

/// Everything the service reads at start. Sources, later ones winning:
/// built-in defaults, the YAML file at `APP_CONFIG_PATH`, then environment
/// variables (Spring relaxed binding: `server.port` <-> `SERVER_PORT`, plus
/// the Kaa aliases such as `INSTANCE_NAME`).
struct settings {
  struct server_settings {
    std::string address = "0.0.0.0";
    uint16_t port = 80;
    int io_threads = 1;
    size_t max_body_bytes = 1024 * 1024;
    int request_timeout_seconds = 30;
  } server;

  struct service_settings {
    std::string instance_name = "ecr";
    std::string replica_id;
    int graceful_shutdown_seconds = 30;
    std::string default_tenant = "kaa";
  } service;

  struct storage_settings {
    std::string backend = "sqlite";
    std::string sqlite_path = "/var/lib/ecr/ecr.db";
    int sqlite_readers = 2;
    int group_commit_max = 512;
  } storage;

  struct cache_settings {
    size_t max_bytes = 16 * 1024 * 1024;
  } cache;

  struct logging_settings {
    std::string level = "info";
  } logging;

  int scheduler_threads = 2;
};

/// Reads one environment variable; empty optional when unset.
using env_lookup = std::function<std::optional<std::string>(const std::string&)>;

/// The process environment.
env_lookup process_environment();

/// Default location of the configuration file.
inline constexpr const char* default_config_path = "/srv/ecr/service-config.yml";

/// Loads and validates settings. A missing file at the default path means
/// built-in defaults; a missing file named by `APP_CONFIG_PATH` is an error.
/// Errors carry `ec::invalid_configuration` and a message naming the key.
caf::expected<settings> load_settings(const env_lookup& env);

/// The environment variable that overrides `key` under relaxed binding.
std::string relaxed_env_name(const std::string& key);

} // namespace ecr
