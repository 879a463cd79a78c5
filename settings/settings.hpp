#pragma once

#include "applications/app_catalog.hpp"
#include "core/records.hpp"

#include <caf/expected.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

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
    int read_timeout_seconds = 60;
    int idle_timeout_seconds = 60;
    int write_timeout_seconds = 30;
    int max_connections = 10000;
  } server;

  struct service_settings {
    std::string instance_name = "ecr";
    std::string replica_id;
    int graceful_shutdown_seconds = 30;
    std::string default_tenant = "kaa";
  } service;

  struct storage_settings {
    /// `sqlite` or `mongodb`; unset, `mongodb` when a MongoDB URL is
    /// configured, else `sqlite`.
    std::string backend;
    std::string sqlite_path = "/var/lib/ecr/ecr.db";
    /// Reader handles (and actors) on the store, whichever the backend.
    int sqlite_readers = 2;
    int group_commit_max = 512;
  } storage;

  /// The MongoDB backend (spec 3.8): several replicas share it.
  struct mongodb_settings {
    /// A `mongodb://` connection string; Spring's `spring.data.mongodb.uri`
    /// is accepted too.
    std::string url;
    /// Injected into the URL when given (Kaa passes them apart from it).
    std::string username;
    std::string password;
    /// Empty: the database named in the URL, else `ecr`.
    std::string database;
    /// `majority` or a number of members.
    std::string write_concern = "majority";
    bool journal = true;
    /// Always set on the connection unless the URL sets them itself.
    int server_selection_timeout_ms = 5000;
    int connect_timeout_ms = 5000;
    int socket_timeout_ms = 30000;
  } mongodb;

  struct nats_settings {
    /// Comma-separated in the file and in NATS_URLS.
    std::vector<std::string> urls{"nats://nats:4222"};
    std::string username;
    std::string password;
    size_t reconnect_buffer_bytes = 8 * 1024 * 1024;
    /// Larger incoming payloads are dropped before decoding.
    size_t max_payload_bytes = 1024 * 1024;
  } nats;

  /// Instance names of the Kaa services ECR talks to (NATS subjects).
  struct peer_settings {
    /// Publishes config.applied (CMX).
    std::string configuration_consumer = "cmx";
    /// Publishes endpoint lifecycle events and answers EFMP (EPR).
    std::string endpoint_register = "epr";
    /// How long EPR may take to answer an EFMP request.
    int endpoint_register_timeout_ms = 5000;
    /// Publishes tenant lifecycle events; `*` accepts any.
    std::string tenant_manager = "*";
  } peers;

  /// Giving back the memory the heap holds free after a burst (glibc keeps
  /// it resident otherwise).
  struct memory_settings {
    /// Seconds between looks at the free heap; 0: never give it back.
    int release_interval_seconds = 10;
    /// Free heap bytes from which they are given back.
    size_t release_above_bytes = 4 * 1024 * 1024;
  } memory;

  struct license_settings {
    /// The PKCS#12 license and its password (A23).
    std::string cert_path = "/run/license/license.p12";
    std::string cert_password;
    /// An unusable license fails readiness and refuses writes.
    bool enforce = false;
  } license;

  /// Application settings from Tekton (spec 7.2) instead of
  /// `kaa.applications`, refreshed on 17/SCMP events.
  struct tekton_settings {
    bool enabled = false;
    /// Base URL of Tekton's REST API.
    std::string url = "http://tekton";
    /// Tekton's instance name: the `{tekton}` of its broadcast subjects.
    std::string instance_name = "tekton";
    /// Bounds one request (connecting: at most 2 s of it).
    int timeout_ms = 5000;
    /// Longest pause between attempts while Tekton fails; pauses start at
    /// 500 ms (or this, if lower) and double.
    int retry_max_ms = 30000;
  } tekton;

  /// REST authentication and authorization by Keycloak (A20, spec 9).
  struct security_settings {
    bool enabled = false;
    /// The `iss` every token must carry: the realm's external URL.
    std::string issuer_public_url;
    /// Where ECR itself reaches the realm (JWKS, UMA, tokens); empty: the
    /// public URL.
    std::string issuer_private_url;
    /// ECR's own client: the UMA audience, and the client-credentials token
    /// of outbound calls.
    std::string client_id;
    std::string client_secret;
    /// How long a UMA decision is reused (never past the token's expiry).
    int decision_cache_seconds = 30;
    /// iamcore decides instead of Keycloak (IAMCORE integration).
    struct iamcore_settings {
      bool enabled = false;
      /// ECR's own key, sent on its outbound calls.
      std::string api_key;
      std::string url = "https://cloud.iamcore.io";
      /// The IRN application of Kaa's resources.
      std::string application = "kaa";
    } iamcore;
    /// Several tenants, each its own Keycloak realm (spec 7.3): a token's
    /// tenant is the realm of its issuer, whose security context (issuer
    /// URLs) the Tenant Manager names.
    struct multitenancy_settings {
      bool enabled = false;
      std::string tenant_manager_url = "http://tenant-manager";
      /// How long a tenant's security context is reused; tenant lifecycle
      /// events (21/TLE) drop it sooner.
      int context_cache_seconds = 300;
    } multitenancy;

    /// Whether REST callers are authenticated at all.
    bool active() const noexcept {
      return enabled || iamcore.enabled;
    }

    /// Whether each caller reads and writes its own tenant's data only: its
    /// tenant comes from its token's realm or its iamcore principal.
    bool tenant_scoped() const noexcept {
      return multitenancy.enabled && active();
    }
  } security;

  struct metrics_settings {
    /// Where Prometheus scrapes (A22), on the REST port.
    std::string path = "/prometheus";
    /// The `service` label of the outbound HTTP pool series, which Kaa's
    /// alert rules match against `.*-ecr`; empty means the instance name.
    std::string service_label;
  } metrics;

  /// Revision history of configurations (B1).
  history_policy history;

  struct cache_settings {
    size_t max_bytes = 16 * 1024 * 1024;
  } cache;

  struct logging_settings {
    std::string level = "info";
    /// `text` (one human-readable line per event) or `json` (one object per
    /// line).
    std::string format = "text";
  } logging;

  int scheduler_threads = 2;

  /// Applications, their app versions and endpoint-configuration schemas
  /// (A18), from `kaa.applications`. YAML only: no environment form. Not
  /// used while `tekton.enabled`.
  app_catalog applications;
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

/// The store in force: `storage.backend` if set, else MongoDB when a URL is
/// configured (as Kaa's chart does), else the embedded SQLite store.
std::string selected_backend(const settings& s);

/// The environment variable that overrides `key` under relaxed binding.
std::string relaxed_env_name(const std::string& key);

} // namespace ecr
