#include "storage/sqlite_store.hpp"

#include "core/error.hpp"
#include "storage/sqlite_schema.hpp"
#include "storage/sqlite_versions.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <string_view>
#include <utility>
#include <variant>

namespace ecr {

namespace {

using namespace sqlite;

caf::error not_found(const std::string& what) {
  return make_error(ec::not_found, what + " not found");
}

// -- the store ----------------------------------------------------------------

class sqlite_store final : public store {
public:
  sqlite_store(connection_ptr db, history_policy history)
    : db_(std::move(db)), versions_(db_, history) {
    // nop
  }

  ~sqlite_store() override {
    if (writer_)
      db_.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }

  caf::error configure(store_role role) {
    writer_ = role == store_role::writer;
    sqlite3_busy_timeout(db_.get(), 10000);
    if (writer_) {
      if (auto err = db_.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"))
        return err;
      return migrate();
    }
    return db_.exec("PRAGMA query_only=ON;");
  }

  // -- group commit ------------------------------------------------------------

  caf::error begin_batch() override {
    if (auto err = control("BEGIN IMMEDIATE"))
      return err;
    in_batch_ = true;
    return {};
  }

  caf::error commit_batch() override {
    in_batch_ = false;
    if (auto lost = std::exchange(batch_lost_, caf::error{}))
      return lost;
    if (auto err = control("COMMIT")) {
      control("ROLLBACK");
      return err;
    }
    return {};
  }

  // -- read snapshots ------------------------------------------------------------

  /// A deferred transaction: the WAL snapshot, the shared lock and the file
  /// checks are taken once, at the first read, instead of once per read.
  caf::error begin_snapshot() override {
    return control("BEGIN");
  }

  void end_snapshot() override {
    if (control("COMMIT"))
      control("ROLLBACK");
  }

  // -- configurations ----------------------------------------------------------

  caf::expected<put_result> put_config(const config_key& key,
                                       const std::string& content,
                                       const precondition& pre,
                                       const std::string& new_config_id,
                                       int64_t now_ms,
                                       const change_source& source) override {
    return write([&]() -> caf::expected<put_result> {
      auto current = current_config(key);
      if (!current)
        return current.error();
      return store_change(key, current->get(), content, pre, new_config_id,
                          now_ms, source);
    });
  }

  caf::expected<put_result>
  modify_config(const config_key& key, const config_modifier& change,
                const precondition& pre, const std::string& new_config_id,
                int64_t now_ms, const change_source& source) override {
    return write([&]() -> caf::expected<put_result> {
      auto current = current_config(key);
      if (!current)
        return current.error();
      if (auto err = check_existing(current->get(), pre))
        return err;
      auto content = change(**current);
      if (!content)
        return content.error();
      return store_change(key, current->get(), *content, {}, new_config_id,
                          now_ms, source);
    });
  }

  caf::expected<config_record> get_config(const config_key& key) override {
    auto q = db_.prepare(std::string{"SELECT "} + config_columns
                     + " FROM configs WHERE tenant_id = ? AND endpoint_id = ? "
                       "AND app_version = ? AND name = ?");
    q.bind(key.tenant_id, key.endpoint_id, key.app_version, key.name);
    auto row = q.step();
    if (!row)
      return row.error();
    if (!*row)
      return not_found("configuration");
    return read_config(q);
  }

  caf::expected<std::vector<config_record>>
  list_configs(const config_key& scope) override {
    auto q = db_.prepare(std::string{"SELECT "} + config_columns
                     + " FROM configs WHERE tenant_id = ? AND endpoint_id = ? "
                       "AND app_version = ? ORDER BY name");
    q.bind(scope.tenant_id, scope.endpoint_id, scope.app_version);
    return collect(q, read_config);
  }

  caf::expected<config_record>
  delete_config(const config_key& key, const precondition& pre, int64_t now_ms,
                const change_source& source) override {
    return write([&]() -> caf::expected<config_record> {
      auto current = current_config(key);
      if (!current)
        return current.error();
      if (auto err = check_existing(current->get(), pre))
        return err;
      auto revision = versions_.revision_of(key);
      if (!revision)
        return revision.error();
      auto q = db_.prepare("DELETE FROM configs WHERE tenant_id = ? AND "
                           "endpoint_id = ? AND app_version = ? AND name = ?");
      q.bind(key.tenant_id, key.endpoint_id, key.app_version, key.name);
      if (auto err = q.run())
        return err;
      if (auto err = versions_.record(
            tombstone_of(**current, *revision + 1, now_ms, source)))
        return err;
      return std::move(**current);
    });
  }

  // -- revision history ----------------------------------------------------------

  caf::expected<int64_t> revision_of(const config_key& key) override {
    return versions_.revision_of(key);
  }

  caf::expected<version_page> list_versions(const config_key& key,
                                            int64_t page,
                                            int64_t size) override {
    return versions_.page(key, page, size);
  }

  caf::expected<config_version>
  get_version(const config_key& key, const std::string& config_id) override {
    return versions_.find(key, config_id);
  }


  caf::expected<std::vector<std::string>>
  endpoints_following_default(const std::string& tenant_id,
                              const std::string& app_version,
                              const std::string& name) override {
    auto q = db_.prepare("SELECT endpoint_id FROM configs WHERE tenant_id = ?1 AND "
                     "app_version = ?2 AND endpoint_id <> '' UNION SELECT "
                     "endpoint_id FROM statuses WHERE tenant_id = ?1 AND "
                     "app_version = ?2 EXCEPT SELECT endpoint_id FROM configs "
                     "WHERE tenant_id = ?1 AND app_version = ?2 AND name = ?3 "
                     "ORDER BY 1");
    q.bind(tenant_id, app_version, name);
    return collect(q, [](const query& row) { return row.text(0); });
  }

  // -- statuses ----------------------------------------------------------------

  caf::expected<status_record> record_dispatch(const status_record& dispatch,
                                               int64_t now_ms) override {
    return write([&]() -> caf::expected<status_record> {
      if (auto err = upsert_dispatch(dispatch, now_ms))
        return err;
      return get_status(dispatch);
    });
  }

  caf::expected<uint64_t>
  record_dispatches(const std::vector<status_record>& dispatches) override {
    return write([&]() -> caf::expected<uint64_t> {
      for (const auto& dispatch : dispatches)
        if (auto err = upsert_dispatch(dispatch, dispatch.last_dispatched_ms))
          return err;
      return static_cast<uint64_t>(dispatches.size());
    });
  }

  caf::expected<status_record>
  record_confirmation(const status_record& confirmation, bool implicit,
                      int64_t now_ms) override {
    return write([&]() -> caf::expected<status_record> {
      auto existing = get_status(confirmation);
      if (!existing && error_code(existing.error()) != ec::not_found)
        return existing.error();
      if (implicit) {
        if (existing && existing->status == delivery_status::failed)
          return existing;
        auto known = config_id_known(confirmation);
        if (!known)
          return known.error();
        if (!*known)
          return make_error(ec::not_found,
                            "configId is not known for this endpoint");
      }
      auto ok = confirmation.confirmation_code >= 200
                && confirmation.confirmation_code < 300;
      auto q = db_.prepare(
        "INSERT INTO statuses (tenant_id, endpoint_id, app_version, config_id, "
        "status, content, last_dispatched_ms, last_confirmed_ms, "
        "confirmation_code, confirmation_reason) VALUES (?1,?2,?3,?4,?5, "
        "COALESCE((SELECT content FROM configs WHERE config_id = ?4 AND "
        "tenant_id = ?1 AND (endpoint_id = ?2 OR (endpoint_id = '' AND "
        "app_version = ?3)) LIMIT 1), ''), 0, ?6, ?7, ?8) ON CONFLICT DO UPDATE SET status = "
        "excluded.status, last_confirmed_ms = excluded.last_confirmed_ms, "
        "confirmation_code = excluded.confirmation_code, confirmation_reason "
        "= excluded.confirmation_reason");
      q.bind(confirmation.tenant_id, confirmation.endpoint_id,
             confirmation.app_version, confirmation.config_id,
             static_cast<int64_t>(ok ? delivery_status::confirmed
                                     : delivery_status::failed),
             now_ms, confirmation.confirmation_code,
             confirmation.confirmation_reason);
      if (auto err = q.run())
        return err;
      return get_status(confirmation);
    });
  }

  caf::expected<status_page> list_statuses(const status_query& query) override {
    const char* filter = " FROM statuses WHERE tenant_id = ?1 AND endpoint_id "
                         "= ?2 AND (?3 = '' OR app_version = ?3) AND (?4 = '' "
                         "OR config_id = ?4)";
    status_page page;
    {
      auto q = db_.prepare(std::string{"SELECT COUNT(*)"} + filter);
      q.bind(query.tenant_id, query.endpoint_id, query.app_version,
             query.config_id);
      auto row = q.step();
      if (!row)
        return row.error();
      page.total = q.integer(0);
    }
    auto q = db_.prepare(std::string{"SELECT "} + status_columns + filter
                     + (query.ascending
                          ? " ORDER BY last_dispatched_ms ASC, config_id ASC"
                          : " ORDER BY last_dispatched_ms DESC, config_id ASC")
                     + " LIMIT ?5 OFFSET ?6");
    q.bind(query.tenant_id, query.endpoint_id, query.app_version,
           query.config_id, query.size, query.page * query.size);
    auto items = collect(q, read_status);
    if (!items)
      return items.error();
    page.items = std::move(*items);
    return page;
  }

  // -- system configurations ---------------------------------------------------

  caf::expected<system_config_record>
  create_system_config(const system_config_record& record) override {
    return write([&]() -> caf::expected<system_config_record> {
      auto q = db_.prepare(std::string{"INSERT INTO system_configs ("}
                       + system_config_columns
                       + ") VALUES (?,?,?,?,?,?,?,?,?)");
      q.bind(record.tenant_id, record.config_id, record.level, record.level_id,
             record.name, record.display_name, record.content,
             record.created_ms, record.updated_ms);
      if (auto err = q.run()) {
        if (q.extended_error() == SQLITE_CONSTRAINT_UNIQUE
            || q.extended_error() == SQLITE_CONSTRAINT_PRIMARYKEY)
          return make_error(ec::conflict,
                            "a system configuration named '" + record.name
                              + "' already exists at this level");
        return err;
      }
      return record;
    });
  }

  caf::expected<system_config_record>
  get_system_config(const std::string& tenant_id,
                    const std::string& config_id) override {
    auto q = db_.prepare(std::string{"SELECT "} + system_config_columns
                     + " FROM system_configs WHERE tenant_id = ? AND "
                       "config_id = ?");
    q.bind(tenant_id, config_id);
    return single(q, read_system_config, "system configuration");
  }

  caf::expected<std::string>
  app_version_of_endpoint(const std::string& tenant_id,
                          const std::string& endpoint_id) override {
    auto q = db_.prepare(
      "SELECT app_version FROM (SELECT app_version, 0 AS rank, updated_ms AS "
      "at FROM configs WHERE tenant_id = ?1 AND endpoint_id = ?2 UNION ALL "
      "SELECT app_version, 1, last_dispatched_ms FROM statuses WHERE "
      "tenant_id = ?1 AND endpoint_id = ?2) ORDER BY rank, at DESC, "
      "app_version LIMIT 1");
    q.bind(tenant_id, endpoint_id);
    return single(q, [](const query& row) { return row.text(0); },
                  "endpoint");
  }

  caf::expected<system_config_record>
  find_system_config(const std::string& tenant_id, const std::string& level,
                     const std::string& level_id,
                     const std::string& name) override {
    auto q = db_.prepare(std::string{"SELECT "} + system_config_columns
                     + " FROM system_configs WHERE tenant_id = ? AND level = ? "
                       "AND level_id = ? AND name = ?");
    q.bind(tenant_id, level, level_id, name);
    return single(q, read_system_config, "system configuration");
  }

  caf::expected<std::vector<system_config_record>>
  list_system_configs(const std::string& tenant_id, const std::string& level,
                      const std::string& level_id) override {
    auto q = db_.prepare(std::string{"SELECT "} + system_config_columns
                     + " FROM system_configs WHERE tenant_id = ? AND level = ? "
                       "AND level_id = ? ORDER BY created_ms, name");
    q.bind(tenant_id, level, level_id);
    return collect(q, read_system_config);
  }

  caf::expected<system_config_record>
  update_system_config(const system_config_record& update,
                       int64_t now_ms) override {
    return write([&]() -> caf::expected<system_config_record> {
      auto current = get_system_config(update.tenant_id, update.config_id);
      if (!current)
        return current.error();
      if (!update.name.empty() && update.name != current->name)
        return make_error(ec::invalid_argument,
                          "name cannot change: the stored name is '"
                            + current->name + "'");
      current->display_name = update.display_name;
      current->content = update.content;
      current->updated_ms = std::max(now_ms, current->updated_ms);
      auto q = db_.prepare("UPDATE system_configs SET display_name = ?, content = "
                       "?, updated_ms = ? WHERE tenant_id = ? AND config_id = "
                       "?");
      q.bind(current->display_name, current->content, now_ms, update.tenant_id,
             update.config_id);
      if (auto err = q.run())
        return err;
      return current;
    });
  }

  caf::error delete_system_config(const std::string& tenant_id,
                                  const std::string& config_id) override {
    auto result = write([&]() -> caf::expected<int> {
      auto q = db_.prepare("DELETE FROM system_configs WHERE tenant_id = ? AND "
                       "config_id = ?");
      q.bind(tenant_id, config_id);
      if (auto err = q.run())
        return err;
      if (q.changes() == 0)
        return not_found("system configuration");
      return q.changes();
    });
    return result ? caf::error{} : result.error();
  }

  // -- lifecycle ---------------------------------------------------------------

  caf::expected<uint64_t> purge_endpoint(const std::string& tenant_id,
                                         const std::string& endpoint_id) override {
    return delete_all({{"DELETE FROM configs WHERE tenant_id = ?1 AND "
                        "endpoint_id = ?2", true},
                       {"DELETE FROM versions WHERE tenant_id = ?1 AND "
                        "endpoint_id = ?2", false},
                       {"DELETE FROM statuses WHERE tenant_id = ?1 AND "
                        "endpoint_id = ?2", true},
                       {"DELETE FROM system_configs WHERE tenant_id = ?1 AND "
                        "level = 'ENDPOINT' AND level_id = ?2", true}},
                      tenant_id, endpoint_id);
  }

  caf::expected<uint64_t> purge_tenant(const std::string& tenant_id) override {
    return delete_all({{"DELETE FROM configs WHERE tenant_id = ?1", true},
                       {"DELETE FROM versions WHERE tenant_id = ?1", false},
                       {"DELETE FROM statuses WHERE tenant_id = ?1", true},
                       {"DELETE FROM system_configs WHERE tenant_id = ?1", true}},
                      tenant_id);
  }

  caf::error export_records(
    const std::function<caf::error(const stored_record&)>& emit) override {
    auto each = [&](const std::string& sql, auto read) -> caf::error {
      auto q = db_.prepare(sql);
      return each_row(q, [&](const query& row) {
        return emit(stored_record{read(row)});
      });
    };
    if (auto err = each(std::string{"SELECT "} + config_columns
                          + " FROM configs ORDER BY tenant_id, app_version, "
                            "endpoint_id, name",
                        read_config))
      return err;
    if (auto err = versions_.each(
          [&](const config_version& x) { return emit(stored_record{x}); }))
      return err;
    if (auto err = each(std::string{"SELECT "} + status_columns
                          + " FROM statuses ORDER BY tenant_id, endpoint_id, "
                            "app_version, config_id",
                        read_status))
      return err;
    return each(std::string{"SELECT "} + system_config_columns
                  + " FROM system_configs ORDER BY tenant_id, created_ms, "
                    "config_id",
                read_system_config);
  }

  caf::error import_record(const stored_record& record) override {
    auto result = write([&]() -> caf::expected<bool> {
      if (auto err = std::visit([this](const auto& x) { return replace(x); },
                                record))
        return err;
      return true;
    });
    return result ? caf::error{} : result.error();
  }

  caf::error import_config_as_version(const config_record& record) override {
    auto result = write([&]() -> caf::expected<bool> {
      auto current = get_config(record.key);
      if (current && *current == record)
        return false;
      if (!current && error_code(current.error()) != ec::not_found)
        return current.error();
      auto revision = versions_.revision_of(record.key);
      if (!revision)
        return revision.error();
      if (auto err = store_config(record, *revision + 1))
        return err;
      if (auto err = versions_.record(version_of(
            record, *revision + 1, change_source{change_origin::import, {}})))
        return err;
      return true;
    });
    return result ? caf::error{} : result.error();
  }

  caf::error ping() override {
    auto q = db_.prepare("SELECT 1");
    return q.run();
  }

private:
  caf::error migrate() {
    if (auto err = db_.exec("CREATE TABLE IF NOT EXISTS schema_version (version "
                        "INTEGER NOT NULL)"))
      return err;
    int64_t version = 0;
    {
      auto q = db_.prepare("SELECT MAX(version) FROM schema_version");
      auto row = q.step();
      if (!row)
        return row.error();
      version = q.integer(0);
    }
    auto latest = static_cast<int64_t>(migrations().size());
    if (version > latest)
      return make_error(ec::storage_failure,
                        "the database has schema version "
                          + std::to_string(version) + " but this build knows "
                          + std::to_string(latest) + "; use a newer ecr");
    for (; version < latest; ++version) {
      std::string step{migrations()[version]};
      step = "BEGIN IMMEDIATE;" + step
             + "INSERT INTO schema_version (version) VALUES ("
             + std::to_string(version + 1) + "); COMMIT;";
      if (auto err = db_.exec(step.c_str())) {
        db_.exec("ROLLBACK");
        return err;
      }
    }
    return {};
  }

  /// Runs `body` as one atomic write: a savepoint inside a batch, its own
  /// durable transaction otherwise. Any error undoes what `body` wrote.
  template <class F>
  auto write(F body) -> decltype(body()) {
    if (batch_lost_)
      return batch_lost_;
    if (auto err = control(in_batch_ ? "SAVEPOINT op" : "BEGIN IMMEDIATE"))
      return err;
    auto result = body();
    if (!result) {
      undo(result.error());
      return result;
    }
    if (auto err = control(in_batch_ ? "RELEASE op" : "COMMIT")) {
      undo(err);
      return err;
    }
    return result;
  }

  /// Runs a transaction-control statement.
  caf::error control(const char* sql) {
    auto q = db_.prepare(sql);
    return q.run();
  }

  /// Undoes the current write, which failed with `cause`: its savepoint in
  /// a batch, else its transaction.
  void undo(const caf::error& cause) {
    if (!in_batch_) {
      control("ROLLBACK");
    } else if (sqlite3_get_autocommit(db_.get())) {
      // SQLite rolled the whole batch back (it may on SQLITE_FULL and I/O
      // errors): the writes before this one are gone too, and the rest of
      // the batch must not run outside it and commit on its own.
      batch_lost_ = cause;
    } else {
      control("ROLLBACK TO op");
      control("RELEASE op");
    }
  }

  template <class Read>
  auto single(query& q, Read read, const std::string& what)
    -> caf::expected<decltype(read(q))> {
    auto row = q.step();
    if (!row)
      return row.error();
    if (!*row)
      return not_found(what);
    return read(q);
  }

  /// A dispatch never downgrades a status, and keeps the first content.
  caf::error upsert_dispatch(const status_record& dispatch, int64_t now_ms) {
    auto q = db_.prepare(
      "INSERT INTO statuses (tenant_id, endpoint_id, app_version, config_id, "
      "status, content, last_dispatched_ms, last_confirmed_ms, "
      "confirmation_code, confirmation_reason) VALUES (?,?,?,?,?,?,?,0,0,'') "
      "ON CONFLICT DO UPDATE SET last_dispatched_ms = "
      "excluded.last_dispatched_ms, content = CASE WHEN content = '' THEN "
      "excluded.content ELSE content END");
    q.bind(dispatch.tenant_id, dispatch.endpoint_id, dispatch.app_version,
           dispatch.config_id, static_cast<int64_t>(delivery_status::dispatched),
           dispatch.content, now_ms);
    return q.run();
  }

  /// The configuration at `key`, null when there is none.
  caf::expected<std::unique_ptr<config_record>>
  current_config(const config_key& key) {
    auto found = get_config(key);
    if (found)
      return std::make_unique<config_record>(std::move(*found));
    if (error_code(found.error()) == ec::not_found)
      return std::unique_ptr<config_record>{};
    return found.error();
  }

  /// Stores `content` at `key` over `current` as `put_config` does, with
  /// its version.
  caf::expected<put_result>
  store_change(const config_key& key, const config_record* current,
               const std::string& content, const precondition& pre,
               const std::string& new_config_id, int64_t now_ms,
               const change_source& source) {
    auto plan = plan_put(current, key, content, pre, new_config_id, now_ms);
    if (!plan)
      return plan;
    auto revision = versions_.revision_of(key);
    if (!revision)
      return revision.error();
    plan->revision = *revision;
    if (!plan->changed)
      return plan;
    plan->revision = *revision + 1;
    if (auto err = store_config(plan->record, plan->revision))
      return err;
    if (auto err = versions_.record(
          version_of(plan->record, plan->revision, source)))
      return err;
    return plan;
  }

  /// Writes `x` at its key as revision `revision`.
  caf::error store_config(const config_record& x, int64_t revision) {
    auto q = db_.prepare(std::string{"INSERT INTO configs ("} + config_columns
                         + ", revision) VALUES (?,?,?,?,?,?,?,?,?) ON "
                           "CONFLICT DO UPDATE SET config_id = "
                           "excluded.config_id, content = excluded.content, "
                           "created_ms = excluded.created_ms, updated_ms = "
                           "excluded.updated_ms, revision = excluded.revision");
    q.bind(x.key.tenant_id, x.key.endpoint_id, x.key.app_version, x.key.name,
           x.config_id, x.content, x.created_ms, x.updated_ms, revision);
    return q.run();
  }

  /// An imported configuration keeps the revision its versions give it.
  caf::error replace(const config_record& x) {
    auto revision = versions_.revision_of(x.key);
    if (!revision)
      return revision.error();
    return store_config(x, *revision);
  }

  caf::error replace(const config_version& x) {
    return versions_.replace(x);
  }

  caf::error replace(const status_record& x) {
    auto q = db_.prepare(std::string{"INSERT OR REPLACE INTO statuses ("}
                     + status_columns + ") VALUES (?,?,?,?,?,?,?,?,?,?)");
    q.bind(x.tenant_id, x.endpoint_id, x.app_version, x.config_id,
           static_cast<int64_t>(x.status), x.content, x.last_dispatched_ms,
           x.last_confirmed_ms, x.confirmation_code, x.confirmation_reason);
    return q.run();
  }

  /// Replaces by configId and by (tenant, level, levelId, name) alike: the
  /// imported record wins over whatever holds either key.
  caf::error replace(const system_config_record& x) {
    auto q = db_.prepare(std::string{"INSERT OR REPLACE INTO system_configs ("}
                     + system_config_columns + ") VALUES (?,?,?,?,?,?,?,?,?)");
    q.bind(x.tenant_id, x.config_id, x.level, x.level_id, x.name,
           x.display_name, x.content, x.created_ms, x.updated_ms);
    return q.run();
  }

  caf::expected<status_record> get_status(const status_record& key) {
    auto q = db_.prepare(std::string{"SELECT "} + status_columns
                     + " FROM statuses WHERE tenant_id = ? AND endpoint_id = ? "
                       "AND app_version = ? AND config_id = ?");
    q.bind(key.tenant_id, key.endpoint_id, key.app_version, key.config_id);
    return single(q, read_status, "status record");
  }

  /// A13: the configId is current for the endpoint (its own or its app
  /// version's default) or appears in its history.
  caf::expected<bool> config_id_known(const status_record& key) {
    auto q = db_.prepare(
      "SELECT EXISTS (SELECT 1 FROM statuses WHERE tenant_id = ?1 AND "
      "endpoint_id = ?2 AND config_id = ?4) OR EXISTS (SELECT 1 FROM configs "
      "WHERE config_id = ?4 AND tenant_id = ?1 AND (endpoint_id = ?2 OR "
      "(endpoint_id = '' AND app_version = ?3)))");
    q.bind(key.tenant_id, key.endpoint_id, key.app_version, key.config_id);
    auto row = q.step();
    if (!row)
      return row.error();
    return q.integer(0) != 0;
  }

  /// Runs each DELETE in one write; answers how many records the counted
  /// ones removed (history goes with its configurations, uncounted).
  template <class... Ts>
  caf::expected<uint64_t>
  delete_all(std::initializer_list<std::pair<const char*, bool>> sqls,
             const Ts&... args) {
    return write([&]() -> caf::expected<uint64_t> {
      uint64_t removed = 0;
      for (auto [sql, counted] : sqls) {
        auto q = db_.prepare(sql);
        q.bind(args...);
        if (auto err = q.run())
          return err;
        if (counted)
          removed += static_cast<uint64_t>(q.changes());
      }
      return removed;
    });
  }

  session db_;
  version_table versions_;
  bool writer_ = false;
  bool in_batch_ = false;
  /// Why the open batch was rolled back as a whole; its writes all fail so.
  caf::error batch_lost_;
};

} // namespace

int sqlite_schema_version() noexcept {
  return static_cast<int>(migrations().size());
}

caf::expected<store_ptr> open_sqlite_store(const std::string& path,
                                           store_role role,
                                           history_policy history) {
  auto flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (role == store_role::writer) {
    flags |= SQLITE_OPEN_CREATE;
    auto parent = std::filesystem::path{path}.parent_path();
    std::error_code err;
    if (!parent.empty())
      std::filesystem::create_directories(parent, err);
    if (err)
      return make_error(ec::storage_failure,
                        "cannot create " + parent.string() + ": "
                          + err.message());
  }
  sqlite3* raw = nullptr;
  auto rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  connection_ptr db{raw};
  if (rc != SQLITE_OK)
    return make_error(ec::storage_failure,
                      "cannot open " + path + ": "
                        + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  auto result = std::make_unique<sqlite_store>(std::move(db), history);
  if (auto err = result->configure(role))
    return make_error(ec::storage_failure,
                      "cannot prepare " + path + ": " + error_message(err));
  return store_ptr{std::move(result)};
}

} // namespace ecr
