#include "storage/sqlite_schema.hpp"

namespace ecr::sqlite {

namespace {

constexpr std::string_view migration_steps[] = {
  R"sql(
  CREATE TABLE configs (
    tenant_id   TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,  -- '' for the default of an app version
    app_version TEXT NOT NULL,
    name        TEXT NOT NULL,
    config_id   TEXT NOT NULL,
    content     TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, endpoint_id, app_version, name)
  ) WITHOUT ROWID;
  CREATE INDEX configs_by_config_id ON configs (config_id);
  CREATE INDEX configs_by_app_version ON configs (tenant_id, app_version);
  CREATE TABLE statuses (
    tenant_id           TEXT NOT NULL,
    endpoint_id         TEXT NOT NULL,
    app_version         TEXT NOT NULL,
    config_id           TEXT NOT NULL,
    status              INTEGER NOT NULL,
    content             TEXT NOT NULL,
    last_dispatched_ms  INTEGER NOT NULL,
    last_confirmed_ms   INTEGER NOT NULL,
    confirmation_code   INTEGER NOT NULL,
    confirmation_reason TEXT NOT NULL,
    PRIMARY KEY (tenant_id, endpoint_id, app_version, config_id)
  ) WITHOUT ROWID;
  CREATE INDEX statuses_by_dispatch
    ON statuses (tenant_id, endpoint_id, last_dispatched_ms);
  CREATE INDEX statuses_by_app_version ON statuses (tenant_id, app_version);
  CREATE TABLE system_configs (
    config_id    TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    level        TEXT NOT NULL,
    level_id     TEXT NOT NULL,
    name         TEXT NOT NULL,
    display_name TEXT NOT NULL,
    content      TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,
    updated_ms   INTEGER NOT NULL,
    UNIQUE (tenant_id, level, level_id, name)
  );
  )sql",
  // Every dispatch moves last_dispatched_ms, so this index cost a b-tree
  // delete and insert per dispatch; listing one endpoint's statuses is
  // narrowed by the primary key and sorts a handful of rows.
  R"sql(
  DROP INDEX statuses_by_dispatch;
  )sql",
  // Revision history (B1). A tombstone has an empty configId and content.
  // Configurations stored before history began start it at revision 1.
  R"sql(
  ALTER TABLE configs ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE versions (
    tenant_id     TEXT NOT NULL,
    endpoint_id   TEXT NOT NULL,
    app_version   TEXT NOT NULL,
    name          TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    config_id     TEXT NOT NULL,
    content       TEXT NOT NULL,
    created_ms    INTEGER NOT NULL,
    updated_ms    INTEGER NOT NULL,
    superseded_ms INTEGER NOT NULL,
    deleted       INTEGER NOT NULL,
    origin        TEXT NOT NULL,
    actor         TEXT NOT NULL,
    PRIMARY KEY (tenant_id, endpoint_id, app_version, name, revision)
  ) WITHOUT ROWID;
  UPDATE configs SET revision = 1;
  INSERT INTO versions SELECT tenant_id, endpoint_id, app_version, name, 1,
    config_id, content, created_ms, updated_ms, 0, 0, 'PUT', '' FROM configs;
  )sql",
};

} // namespace

std::span<const std::string_view> migrations() {
  return migration_steps;
}

config_record read_config(const query& q) {
  return {{q.text(0), q.text(1), q.text(2), q.text(3)},
          q.text(4),
          q.text(5),
          q.integer(6),
          q.integer(7)};
}

status_record read_status(const query& q) {
  return {q.text(0),
          q.text(1),
          q.text(2),
          q.text(3),
          static_cast<delivery_status>(q.integer(4)),
          q.text(5),
          q.integer(6),
          q.integer(7),
          static_cast<int32_t>(q.integer(8)),
          q.text(9)};
}

system_config_record read_system_config(const query& q) {
  return {q.text(0), q.text(1), q.text(2),    q.text(3),   q.text(4),
          q.text(5), q.text(6), q.integer(7), q.integer(8)};
}

config_version read_version(const query& q) {
  config_version x;
  x.key = {q.text(0), q.text(1), q.text(2), q.text(3)};
  x.revision = q.integer(4);
  x.config_id = q.text(5);
  x.content = q.text(6);
  x.created_ms = q.integer(7);
  x.updated_ms = q.integer(8);
  x.superseded_ms = q.integer(9);
  x.deleted = q.integer(10) != 0;
  // Only this store writes the column, from `to_string`.
  x.origin = parse_change_origin(q.text(11)).value_or(change_origin::put);
  x.actor = q.text(12);
  return x;
}

} // namespace ecr::sqlite
