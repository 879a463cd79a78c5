#pragma once

// The MongoDB store's revision history (B1, private to storage/): reading a
// key's document with its history, adding a version to it under the
// retention policy, and the contents of superseded versions, which live in
// `version_contents` (written before the document that makes them a
// superseded version, so a committed version always finds its content).

#include "core/records.hpp"
#include "storage/mongo_client.hpp"
#include "storage/mongo_documents.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <optional>
#include <string>
#include <vector>

namespace ecr::mongo {

/// A key's document as read.
struct key_state {
  /// A document is there, live or a tombstone.
  bool exists = false;
  /// The document was written since history began (has a revision).
  bool has_revision = false;
  /// The current record; none for a deleted key or one never written.
  std::optional<config_record> current;
  key_history history;
};

/// The state a key's document `doc` holds.
caf::expected<key_state> state_of_document(const bson_t& doc,
                                           bool is_default);

/// The state of the key's document; an empty state when there is none.
caf::expected<key_state> read_key_state(mongoc_collection_t& configs,
                                        const config_key& key);

/// `history` with `version` as its newest: the version it supersedes gets
/// its date, and versions beyond `policy` go (their configIds are added to
/// `dropped`). With history off, every version goes.
key_history next_history(key_history history, config_version version,
                         const history_policy& policy,
                         std::vector<std::string>& dropped);

/// Writes the document of the key read as `state` anew: `next` as its
/// record (a tombstone without one) and `history`. False when another
/// writer changed the document since `state` was read.
caf::expected<bool> replace_key(mongoc_collection_t& configs,
                                const config_key& key, const key_state& state,
                                const config_record* next,
                                const key_history& history);

/// Records a change of the key read as `state` in one single-document
/// write: `next` becomes current (none: the key is deleted) with `version`
/// added to its history under `policy`. The content of the version it
/// supersedes is filed first, and contents past the retention go after.
/// False when another writer changed the key meanwhile.
caf::expected<bool> record_change(mongoc_collection_t& configs,
                                  mongoc_collection_t& contents,
                                  const config_key& key, const key_state& state,
                                  const config_record* next,
                                  config_version version,
                                  const history_policy& policy);

/// One page of the key's versions, newest first, with their contents.
caf::expected<version_page> versions_page(mongoc_collection_t& contents,
                                          const key_state& state,
                                          int64_t number, int64_t size);

/// The key's version with `config_id`, with its content.
caf::expected<config_version> version_with(mongoc_collection_t& contents,
                                           const key_state& state,
                                           const std::string& config_id);

/// Fills in the contents of `versions` of the key in `state`: the current
/// version's from its document, the others' from `contents`.
caf::error fill_contents(mongoc_collection_t& contents, const key_state& state,
                         std::vector<config_version>& versions);

/// Files the content of `version` under its configId (idempotent).
caf::error store_content(mongoc_collection_t& contents,
                         const config_version& version);

/// Removes the contents of `config_ids` of a tenant; a failure is only
/// logged: a content no version names is never read.
void drop_contents(mongoc_collection_t& contents, const std::string& tenant_id,
                   const std::vector<std::string>& config_ids);

} // namespace ecr::mongo
