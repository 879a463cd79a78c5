#pragma once

// The SQLite store's revision history (B1, private to storage/): every
// change of a key adds a row to `versions` inside the write's own
// transaction, so a version exists exactly for the writes that committed.
// Retention runs on the key being written, never over the whole table.

#include "core/records.hpp"
#include "storage/sqlite_query.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace ecr::sqlite {

class version_table {
public:
  version_table(session& db, history_policy policy)
    : db_(db), policy_(policy) {
    // nop
  }

  /// The latest revision of `key`: of its configuration, or of its newest
  /// kept version (a deleted key keeps counting); 0 if never written.
  caf::expected<int64_t> revision_of(const config_key& key);

  /// Records `version` as the key's newest: the version it supersedes gets
  /// its date, and versions past the retention go. Keeps nothing (and drops
  /// what was kept) while history is off.
  caf::error record(const config_version& version);

  caf::expected<version_page> page(const config_key& key, int64_t number,
                                   int64_t size);

  caf::expected<config_version> find(const config_key& key,
                                     const std::string& config_id);

  /// Stores `version` exactly (`ecr import`).
  caf::error replace(const config_version& version);

  /// Calls `emit` with every version, by key and revision.
  caf::error each(const std::function<caf::error(const config_version&)>& emit);

private:
  session& db_;
  history_policy policy_;
};

} // namespace ecr::sqlite
