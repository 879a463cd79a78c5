#pragma once

// Domain records shared by the store, the actors and the gateway. Each has a
// CAF 0.17 `inspect` overload in this namespace so it can travel in messages.

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ecr {

/// The configuration name used when a request names none.
inline constexpr const char* default_config_name = "default";

/// Identifies one configuration document. An empty `endpoint_id` addresses
/// the default configuration of the application version.
struct config_key {
  std::string tenant_id;
  std::string endpoint_id;
  std::string app_version;
  std::string name;

  bool is_default() const noexcept {
    return endpoint_id.empty();
  }

  /// The app version's default of the same name, which an endpoint without
  /// its own configuration follows.
  config_key default_key() const {
    return {tenant_id, {}, app_version, name};
  }

  friend bool operator==(const config_key&, const config_key&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, config_key& x) {
  return f(caf::meta::type_name("config_key"), x.tenant_id, x.endpoint_id,
           x.app_version, x.name);
}

/// A stored configuration document; `content` is minified JSON text.
struct config_record {
  config_key key;
  std::string config_id;
  std::string content;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;

  friend bool operator==(const config_record&, const config_record&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, config_record& x) {
  return f(caf::meta::type_name("config_record"), x.key, x.config_id,
           x.content, x.created_ms, x.updated_ms);
}

/// An If-Match condition on a write. `required` without `config_ids` is `*`.
struct precondition {
  bool required = false;
  std::vector<std::string> config_ids;

  /// True if the condition admits a write over `current` (empty: no record).
  bool admits(const std::string& current_config_id) const;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, precondition& x) {
  return f(caf::meta::type_name("precondition"), x.required, x.config_ids);
}

/// What made a configuration change (B1 `origin`).
enum class change_origin : uint8_t {
  put,
  patch,
  batch,
  filter,
  rollback,
  remove,
  import,
};

/// `PUT`, `PATCH`, `BATCH`, `FILTER`, `ROLLBACK`, `DELETE` or `IMPORT`.
const char* to_string(change_origin x) noexcept;

/// The origin `to_string` names; nullopt for anything else.
std::optional<change_origin> parse_change_origin(std::string_view text);

/// Who changed a configuration and how, recorded with its version.
struct change_source {
  change_origin origin = change_origin::put;
  /// The caller's user name, subject or iamcore principal; empty while
  /// security is off. Never a credential.
  std::string actor;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, change_source& x) {
  return f(caf::meta::type_name("change_source"), x.origin, x.actor);
}

/// One version of a configuration key (B1): what was current from
/// `updated_ms` until `superseded_ms`. A tombstone (`deleted`) records a
/// delete and has no configId or content.
struct config_version {
  config_key key;
  /// 1, 2, 3, ... per key, never reused.
  int64_t revision = 0;
  std::string config_id;
  std::string content;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  /// 0 while the version is current.
  int64_t superseded_ms = 0;
  bool deleted = false;
  change_origin origin = change_origin::put;
  std::string actor;

  friend bool operator==(const config_version&, const config_version&)
    = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, config_version& x) {
  return f(caf::meta::type_name("config_version"), x.key, x.revision,
           x.config_id, x.content, x.created_ms, x.updated_ms, x.superseded_ms,
           x.deleted, x.origin, x.actor);
}

/// One page of a key's versions, newest first, and how many are kept.
struct version_page {
  std::vector<config_version> items;
  int64_t total = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, version_page& x) {
  return f(caf::meta::type_name("version_page"), x.items, x.total);
}

/// How long and how many versions each key keeps (B1 retention).
struct history_policy {
  /// Versions kept per key, newest first; 0 keeps none.
  int64_t max_versions = 100;
  /// A version goes this long after it was superseded; 0 keeps it forever.
  /// The current version always stays.
  int64_t max_age_ms = 0;

  bool enabled() const noexcept {
    return max_versions > 0;
  }
};

/// The outcome of an upsert.
struct put_result {
  config_record record;
  /// False when the stored content was byte-identical (idempotent re-upload).
  bool changed = false;
  /// True when no record existed before.
  bool created = false;
  /// The key's revision after the write (B1).
  int64_t revision = 0;
  /// For a changed default: the endpoints it is now in force for, read in
  /// the same transaction as the write (A14), so announcements follow the
  /// commit order. Filled by the store writer, not the store.
  std::vector<std::string> followers;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, put_result& x) {
  return f(caf::meta::type_name("put_result"), x.record, x.changed, x.created,
           x.revision, x.followers);
}

/// The outcome of a bulk partial update (B2): each patched configuration's
/// upsert, and the keys that had no configuration to patch.
struct bulk_patch_result {
  std::vector<put_result> results;
  std::vector<config_key> missing;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bulk_patch_result& x) {
  return f(caf::meta::type_name("bulk_patch_result"), x.results, x.missing);
}

/// The outcome of a delete: what was removed and, for an endpoint's own
/// configuration, the default of the same name now in force (if any), read
/// in the same transaction.
struct erase_result {
  config_record removed;
  bool has_fallback = false;
  config_record fallback;
  /// The revision of the delete's tombstone (B1).
  int64_t revision = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erase_result& x) {
  return f(caf::meta::type_name("erase_result"), x.removed, x.has_fallback,
           x.fallback, x.revision);
}

/// Delivery state of one configuration for one endpoint (decision A9).
enum class delivery_status : uint8_t { dispatched, confirmed, failed };

const char* to_string(delivery_status x) noexcept;

/// One row of an endpoint's configuration history. Dates of 0 mean "never";
/// `confirmation_code` 0 means no confirmation was received.
struct status_record {
  std::string tenant_id;
  std::string endpoint_id;
  std::string app_version;
  std::string config_id;
  delivery_status status = delivery_status::dispatched;
  std::string content;
  int64_t last_dispatched_ms = 0;
  int64_t last_confirmed_ms = 0;
  int32_t confirmation_code = 0;
  std::string confirmation_reason;

  friend bool operator==(const status_record&, const status_record&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, status_record& x) {
  return f(caf::meta::type_name("status_record"), x.tenant_id, x.endpoint_id,
           x.app_version, x.config_id, x.status, x.content,
           x.last_dispatched_ms, x.last_confirmed_ms, x.confirmation_code,
           x.confirmation_reason);
}

/// Selects and pages status records of one endpoint. Empty optional filters
/// match everything; results are ordered by `last_dispatched_ms`.
struct status_query {
  std::string tenant_id;
  std::string endpoint_id;
  std::string app_version;
  std::string config_id;
  int64_t page = 0;
  int64_t size = 20;
  bool ascending = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, status_query& x) {
  return f(caf::meta::type_name("status_query"), x.tenant_id, x.endpoint_id,
           x.app_version, x.config_id, x.page, x.size, x.ascending);
}

/// One page of status records plus the total count across all pages.
struct status_page {
  std::vector<status_record> items;
  int64_t total = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, status_page& x) {
  return f(caf::meta::type_name("status_page"), x.items, x.total);
}

/// The levels of system configurations, most general first (RFC 27
/// `configLevel` values).
namespace system_level {
inline constexpr const char* tenant = "TENANT";
inline constexpr const char* application = "APPLICATION";
inline constexpr const char* app_version = "APP_VERSION";
inline constexpr const char* endpoint = "ENDPOINT";
} // namespace system_level

/// A platform-side system configuration (spec 3.5). `level` is one of
/// the `system_level`s.
struct system_config_record {
  std::string tenant_id;
  std::string config_id;
  std::string level;
  std::string level_id;
  std::string name;
  std::string display_name;
  std::string content;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;

  friend bool operator==(const system_config_record&,
                         const system_config_record&) = default;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, system_config_record& x) {
  return f(caf::meta::type_name("system_config_record"), x.tenant_id,
           x.config_id, x.level, x.level_id, x.name, x.display_name, x.content,
           x.created_ms, x.updated_ms);
}

} // namespace ecr
