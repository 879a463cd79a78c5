#pragma once

// The SQLite store's tables (private to storage/): the migrations that
// build them and how their rows map to records.

#include "core/records.hpp"
#include "storage/sqlite_query.hpp"

#include <span>
#include <string_view>

namespace ecr::sqlite {

/// Migration N+1 moves the schema from version N to N+1. Never edit an entry
/// once released; append a new one.
std::span<const std::string_view> migrations();

constexpr const char* config_columns
  = "tenant_id, endpoint_id, app_version, name, config_id, content, "
    "created_ms, updated_ms";

config_record read_config(const query& q);

constexpr const char* status_columns
  = "tenant_id, endpoint_id, app_version, config_id, status, content, "
    "last_dispatched_ms, last_confirmed_ms, confirmation_code, "
    "confirmation_reason";

status_record read_status(const query& q);

constexpr const char* system_config_columns
  = "tenant_id, config_id, level, level_id, name, display_name, content, "
    "created_ms, updated_ms";

system_config_record read_system_config(const query& q);

constexpr const char* version_columns
  = "tenant_id, endpoint_id, app_version, name, revision, config_id, "
    "content, created_ms, updated_ms, superseded_ms, deleted, origin, actor";

config_version read_version(const query& q);

} // namespace ecr::sqlite
