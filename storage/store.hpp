#pragma once

#include "core/records.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace ecr {

struct settings;

/// One stored record of any kind, as `ecr export` writes it.
using stored_record = std::variant<config_record, status_record,
                                   system_config_record, config_version>;

/// Persistence of all ECR data behind one synchronous interface. Calls block;
/// they run only in detached storage actors. Every write is atomic on its own
/// and durable when it returns, except inside a batch, where a backend may
/// make the writes durable together at `commit_batch` (group commit).
///
/// Errors: `ec::not_found`, `ec::precondition_failed`, `ec::conflict`,
/// `ec::invalid_argument` for rule violations; `ec::storage_full` for a
/// write that found no space (none of it is stored); `ec::storage_failure`
/// for other I/O.
class store {
public:
  virtual ~store();

  // -- group commit ----------------------------------------------------------

  /// Opens a batch; writes until `commit_batch` may share one durable
  /// commit. A write that fails inside a batch is undone alone. Whether
  /// other handles see the writes before the commit depends on the backend.
  virtual caf::error begin_batch() = 0;

  /// Makes every write of the batch durable.
  virtual caf::error commit_batch() = 0;

  // -- read snapshots --------------------------------------------------------

  /// Opens a snapshot for a run of reads on a reader handle: they share one
  /// set of per-read costs (locks, file checks), and a backend may show them
  /// the store as of the first of them. Keep snapshots short: an open one
  /// holds back the cleanup of the write log.
  virtual caf::error begin_snapshot() = 0;

  /// Ends the snapshot: later reads see every committed write.
  virtual void end_snapshot() = 0;

  // -- endpoint and default configurations -----------------------------------

  /// Inserts or replaces the document at `key` if `pre` admits the current
  /// configId. Identical content keeps the record untouched (`changed` false);
  /// changed content takes `new_config_id` and `now_ms` as `updatedDate`,
  /// unless the version replaced is dated later (another replica's clock):
  /// then its date. A change records a version from `source` (B1), in the
  /// same atomic write.
  virtual caf::expected<put_result>
  put_config(const config_key& key, const std::string& content,
             const precondition& pre, const std::string& new_config_id,
             int64_t now_ms, const change_source& source = {})
    = 0;

  /// The document at `key`.
  virtual caf::expected<config_record> get_config(const config_key& key) = 0;

  /// All documents of (tenant, endpoint, app version), any name, by name.
  virtual caf::expected<std::vector<config_record>>
  list_configs(const config_key& scope) = 0;

  /// Removes the document at `key` if `pre` admits it; returns what it was.
  /// Records a tombstone version dated `now_ms` (B1), in the same atomic
  /// write.
  virtual caf::expected<config_record>
  delete_config(const config_key& key, const precondition& pre,
                int64_t now_ms = 0,
                const change_source& source = {change_origin::remove, {}})
    = 0;

  /// What a partial update (B2) makes of the current configuration: its new
  /// content, minified, or why it cannot apply.
  using config_modifier
    = std::function<caf::expected<std::string>(const config_record& current)>;

  /// Replaces the document at `key` by what `change` makes of it, if `pre`
  /// admits the current configId, as `put_config` replaces it (identical
  /// content is no change). `ec::not_found` without a document (with an
  /// If-Match: `ec::precondition_failed`); `change`'s error as it is. A
  /// backend that retries on concurrent writers applies `change` again to
  /// what is there then, so no write is lost.
  virtual caf::expected<put_result>
  modify_config(const config_key& key, const config_modifier& change,
                const precondition& pre, const std::string& new_config_id,
                int64_t now_ms, const change_source& source)
    = 0;

  // -- revision history (B1) -------------------------------------------------

  /// The latest revision of `key`, also after a delete; 0 for a key never
  /// written.
  virtual caf::expected<int64_t> revision_of(const config_key& key) = 0;

  /// One page (0-based, of `size`) of the versions kept for `key`, newest
  /// first.
  virtual caf::expected<version_page>
  list_versions(const config_key& key, int64_t page, int64_t size) = 0;

  /// The version of `key` whose configId is `config_id` (`ec::not_found`
  /// otherwise; tombstones have none).
  virtual caf::expected<config_version>
  get_version(const config_key& key, const std::string& config_id) = 0;

  /// Endpoints that follow the app version's default named `name`: known
  /// for the app version (a configuration or a status record) and without a
  /// configuration of their own of that name; sorted (A14).
  virtual caf::expected<std::vector<std::string>>
  endpoints_following_default(const std::string& tenant_id,
                              const std::string& app_version,
                              const std::string& name)
    = 0;

  // -- delivery statuses (A9, A13) -------------------------------------------

  /// Records that `config_id` was handed to a consumer. Never downgrades a
  /// CONFIRMED or FAILED record.
  virtual caf::expected<status_record>
  record_dispatch(const status_record& dispatch, int64_t now_ms) = 0;

  /// Records many dispatches at once, each at its own `last_dispatched_ms`,
  /// under the rule of `record_dispatch`; answers how many were recorded.
  virtual caf::expected<uint64_t>
  record_dispatches(const std::vector<status_record>& dispatches) = 0;

  /// Records a confirmation (2xx: CONFIRMED, else FAILED) and overwrites what
  /// was there. With `implicit`, applies only when the configId is known for
  /// the endpoint (else `ec::not_found`) and never overwrites FAILED.
  virtual caf::expected<status_record>
  record_confirmation(const status_record& confirmation, bool implicit,
                      int64_t now_ms)
    = 0;

  /// One page of an endpoint's status records.
  virtual caf::expected<status_page> list_statuses(const status_query& query)
    = 0;

  // -- system configurations (A17) -------------------------------------------

  /// Stores a new record; `ec::conflict` if (tenant, level, levelId, name)
  /// exists.
  virtual caf::expected<system_config_record>
  create_system_config(const system_config_record& record) = 0;

  virtual caf::expected<system_config_record>
  get_system_config(const std::string& tenant_id, const std::string& config_id)
    = 0;

  /// The app version an endpoint is known under (A17's ENDPOINT parent): of
  /// its configurations the most recently updated, else of its status
  /// records the most recently dispatched; `ec::not_found` if neither.
  virtual caf::expected<std::string>
  app_version_of_endpoint(const std::string& tenant_id,
                          const std::string& endpoint_id)
    = 0;

  /// The record named `name` at (level, levelId).
  virtual caf::expected<system_config_record>
  find_system_config(const std::string& tenant_id, const std::string& level,
                     const std::string& level_id, const std::string& name)
    = 0;

  /// All records at (level, levelId), oldest first.
  virtual caf::expected<std::vector<system_config_record>>
  list_system_configs(const std::string& tenant_id, const std::string& level,
                      const std::string& level_id)
    = 0;

  /// Replaces display name and content of an existing record. A non-empty
  /// `update.name` must equal the stored name (`ec::invalid_argument`).
  /// Dated `now_ms`, or the stored date if that is later.
  virtual caf::expected<system_config_record>
  update_system_config(const system_config_record& update, int64_t now_ms) = 0;

  virtual caf::error delete_system_config(const std::string& tenant_id,
                                          const std::string& config_id)
    = 0;

  // -- lifecycle (A19) -------------------------------------------------------

  /// Removes an endpoint's configurations, statuses and ENDPOINT-level system
  /// configurations across all app versions; returns the records removed.
  virtual caf::expected<uint64_t> purge_endpoint(const std::string& tenant_id,
                                                 const std::string& endpoint_id)
    = 0;

  /// Removes every record of a tenant; returns the records removed.
  virtual caf::expected<uint64_t> purge_tenant(const std::string& tenant_id)
    = 0;

  // -- moving data (`ecr export`, `ecr import`) -------------------------------

  /// Calls `emit` with every record of every tenant: configurations, their
  /// versions, status records and system configurations. Stops at the first
  /// error `emit` returns and answers it.
  virtual caf::error
  export_records(const std::function<caf::error(const stored_record&)>& emit)
    = 0;

  /// Stores `record` exactly as given (same configId, dates and revision),
  /// replacing whatever is at its unique key, so importing twice changes
  /// nothing. A configuration imported so adds no version: its versions
  /// come as records of their own.
  virtual caf::error import_record(const stored_record& record) = 0;

  /// Stores `record` exactly as given and records it as a new version
  /// (`origin` IMPORT), unless the key holds it already: for exports that
  /// carry no history.
  virtual caf::error import_config_as_version(const config_record& record)
    = 0;

  // -- health ----------------------------------------------------------------

  /// Checks that the backing store answers.
  virtual caf::error ping() = 0;
};

using store_ptr = std::unique_ptr<store>;

/// For backends: what `put_config` does over `current` (null: no record).
/// Refuses (`ec::precondition_failed`) when `pre` does not admit it; keeps
/// an identical record (`changed` false); else the record to write, with
/// `created` telling an insert from a replacement. Replicas' clocks differ,
/// so an update is never dated before the version it replaces.
caf::expected<put_result>
plan_put(const config_record* current, const config_key& key,
         const std::string& content, const precondition& pre,
         const std::string& new_config_id, int64_t now_ms);

/// For backends: whether a change that needs a record (a delete, a patch)
/// may apply to `current` (null: no record). `ec::precondition_failed` when
/// `pre` does not admit it, `ec::not_found` without a record.
caf::error check_existing(const config_record* current, const precondition& pre);

/// The version a change records: `record` as it now is, at `revision`.
config_version version_of(const config_record& record, int64_t revision,
                          const change_source& source);

/// The tombstone a delete of `removed` records at `revision`, `now_ms`.
config_version tombstone_of(const config_record& removed, int64_t revision,
                            int64_t now_ms, const change_source& source);

/// What a store handle is used for: the single writer runs migrations.
enum class store_role { writer, reader };

/// Opens a handle on the backend selected by `cfg.storage.backend`.
caf::expected<store_ptr> open_store(const settings& cfg, store_role role);

} // namespace ecr
