#include "storage/sqlite_versions.hpp"

#include "core/error.hpp"
#include "storage/sqlite_schema.hpp"

#include <algorithm>

namespace ecr::sqlite {

namespace {

constexpr const char* of_key
  = " WHERE tenant_id = ?1 AND endpoint_id = ?2 AND app_version = ?3 AND "
    "name = ?4";

template <class... Ts>
caf::error run(session& db, const std::string& sql, const Ts&... args) {
  auto q = db.prepare(sql);
  q.bind(args...);
  return q.run();
}

} // namespace

caf::expected<int64_t> version_table::revision_of(const config_key& key) {
  auto q = db_.prepare(std::string{"SELECT max(COALESCE((SELECT revision FROM "
                                   "configs"}
                       + of_key + "), 0), COALESCE((SELECT max(revision) FROM "
                                  "versions"
                       + of_key + "), 0))");
  q.bind(key.tenant_id, key.endpoint_id, key.app_version, key.name);
  auto row = q.step();
  if (!row)
    return row.error();
  return q.integer(0);
}

caf::error version_table::record(const config_version& version) {
  const auto& key = version.key;
  if (!policy_.enabled())
    return run(db_, std::string{"DELETE FROM versions"} + of_key,
               key.tenant_id, key.endpoint_id, key.app_version, key.name);
  if (auto err = run(db_,
                     std::string{"UPDATE versions SET superseded_ms = ?5"}
                       + of_key + " AND superseded_ms = 0",
                     key.tenant_id, key.endpoint_id, key.app_version,
                     key.name, version.updated_ms))
    return err;
  if (auto err = replace(version))
    return err;
  // Revisions of a key are consecutive while history is on, so the oldest
  // kept is `max_versions` below the newest.
  auto oldest = version.revision - policy_.max_versions;
  if (oldest > 0)
    if (auto err = run(db_,
                       std::string{"DELETE FROM versions"} + of_key
                         + " AND revision <= ?5",
                       key.tenant_id, key.endpoint_id, key.app_version,
                       key.name, oldest))
      return err;
  if (policy_.max_age_ms > 0)
    return run(db_,
               std::string{"DELETE FROM versions"} + of_key
                 + " AND superseded_ms != 0 AND superseded_ms < ?5",
               key.tenant_id, key.endpoint_id, key.app_version, key.name,
               version.updated_ms - policy_.max_age_ms);
  return {};
}

caf::expected<version_page>
version_table::page(const config_key& key, int64_t number, int64_t size) {
  version_page result;
  {
    auto q = db_.prepare(std::string{"SELECT count(*) FROM versions"} + of_key);
    q.bind(key.tenant_id, key.endpoint_id, key.app_version, key.name);
    auto row = q.step();
    if (!row)
      return row.error();
    result.total = q.integer(0);
  }
  auto q = db_.prepare(std::string{"SELECT "} + version_columns
                       + " FROM versions" + of_key
                       + " ORDER BY revision DESC LIMIT ?5 OFFSET ?6");
  q.bind(key.tenant_id, key.endpoint_id, key.app_version, key.name, size,
         number * size);
  auto items = collect(q, read_version);
  if (!items)
    return items.error();
  result.items = std::move(*items);
  return result;
}

caf::expected<config_version>
version_table::find(const config_key& key, const std::string& config_id) {
  auto q = db_.prepare(std::string{"SELECT "} + version_columns
                       + " FROM versions" + of_key
                       + " AND config_id = ?5 AND deleted = 0");
  q.bind(key.tenant_id, key.endpoint_id, key.app_version, key.name, config_id);
  auto row = q.step();
  if (!row)
    return row.error();
  if (!*row)
    return make_error(ec::not_found, "version not found");
  return read_version(q);
}

caf::error version_table::replace(const config_version& x) {
  return run(db_,
             std::string{"INSERT OR REPLACE INTO versions ("} + version_columns
               + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
             x.key.tenant_id, x.key.endpoint_id, x.key.app_version, x.key.name,
             x.revision, x.config_id, x.content, x.created_ms, x.updated_ms,
             x.superseded_ms, int64_t{x.deleted ? 1 : 0}, to_string(x.origin),
             x.actor);
}

caf::error version_table::each(
  const std::function<caf::error(const config_version&)>& emit) {
  auto q = db_.prepare(std::string{"SELECT "} + version_columns
                       + " FROM versions ORDER BY tenant_id, endpoint_id, "
                         "app_version, name, revision");
  return each_row(q, [&](const query& row) { return emit(read_version(row)); });
}

} // namespace ecr::sqlite
