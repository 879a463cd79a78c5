#pragma once

// How ECR's records map to MongoDB documents (spec 3.8): collection names,
// document fields, key filters and index specifications. Pure BSON, no
// server: the MongoDB store builds every command from these, and unit tests
// check them without a deployment. Internal to storage/ (libbson is a heavy
// C header).

#include "core/records.hpp"

#include <bson/bson.h>
#include <caf/expected.hpp>

#include <utility>
#include <string>
#include <vector>

namespace ecr::mongo {

/// An owned BSON document. (Not a unique_ptr: bson_t carries an alignment
/// attribute that template arguments drop.)
class bson_ptr {
public:
  explicit bson_ptr(bson_t* doc) noexcept : doc_(doc) {
    // nop
  }

  bson_ptr(bson_ptr&& other) noexcept : doc_(other.doc_) {
    other.doc_ = nullptr;
  }

  bson_ptr& operator=(bson_ptr&& other) noexcept {
    std::swap(doc_, other.doc_);
    return *this;
  }

  ~bson_ptr() {
    if (doc_)
      bson_destroy(doc_);
  }

  bson_t* get() const noexcept {
    return doc_;
  }

  bson_t& operator*() const noexcept {
    return *doc_;
  }

private:
  bson_t* doc_;
};

/// The collections of spec 3.8.
namespace collection {
inline constexpr const char* endpoint_configs = "endpoint_configs";
inline constexpr const char* default_configs = "default_configs";
inline constexpr const char* statuses = "config_statuses";
inline constexpr const char* system_configs = "system_configs";
/// The content of each kept version (B1) but the current one, which its
/// configuration document holds.
inline constexpr const char* version_contents = "config_version_contents";
} // namespace collection

/// Field names: camelCase, as the REST and Avro shapes spell them.
namespace field {
inline constexpr const char* tenant = "tenantId";
inline constexpr const char* endpoint = "endpointId";
inline constexpr const char* app_version = "appVersionName";
inline constexpr const char* name = "name";
inline constexpr const char* config_id = "configId";
inline constexpr const char* content = "config";
inline constexpr const char* created = "createdDate";
inline constexpr const char* updated = "updatedDate";
inline constexpr const char* status = "status";
inline constexpr const char* dispatched = "lastDispatchedDate";
inline constexpr const char* confirmed = "lastConfirmedDate";
inline constexpr const char* code = "confirmationCode";
inline constexpr const char* reason = "confirmationReason";
inline constexpr const char* level = "level";
inline constexpr const char* level_id = "levelId";
inline constexpr const char* display_name = "displayName";
inline constexpr const char* revision = "revision";
inline constexpr const char* versions = "versions";
inline constexpr const char* deleted = "deleted";
inline constexpr const char* superseded = "supersededDate";
inline constexpr const char* origin = "origin";
inline constexpr const char* actor = "actor";
} // namespace field

/// The text of `name` in `doc`; empty if absent or not a string.
std::string text_field(const bson_t& doc, const char* name);

/// Where the configuration at `key` lives: an app version's default or an
/// endpoint's own.
const char* collection_of(const config_key& key) noexcept;

/// Relaxed extended JSON of `doc`, for messages and tests.
std::string to_json(const bson_t& doc);

// -- configurations --------------------------------------------------------------

/// The unique key of a configuration document (no endpointId for a default).
bson_ptr config_filter(const config_key& key);

/// The key and one expected configId: the compare-and-swap guard of writes.
bson_ptr config_filter(const config_key& key, const std::string& config_id);

/// The whole stored document.
bson_ptr config_document(const config_record& record);

/// Reads a document of `collection_of(key)`; `is_default` tells which.
caf::expected<config_record> read_config(const bson_t& doc, bool is_default);

/// `filter` narrowed to documents of live keys: a deleted key's document
/// stays as a tombstone holding its history (B1).
bson_ptr live(bson_ptr filter);

// -- revision history (B1) ----------------------------------------------------------
//
// A key's document carries its revision and the metadata of its kept
// versions, so that a write and its version are one single-document
// operation (MongoDB 3.6 has no multi-document transactions). Contents of
// versions other than the current one live in `version_contents`, written
// before the key's document: a content whose version never made it into the
// document is never read.

/// What a key's document holds besides its current record.
struct key_history {
  /// The key's revision; 0 for a key never written.
  int64_t revision = 0;
  /// Kept versions, oldest first, without their contents.
  std::vector<config_version> versions;
};

/// The document of a live key: its record and its history.
bson_ptr config_document(const config_record& record,
                         const key_history& history);

/// The document of a deleted key: its key and its history.
bson_ptr tombstone_document(const config_key& key, const key_history& history);

/// Whether `doc` is a deleted key's document.
bool is_tombstone(const bson_t& doc);

/// The history of a key's document. A document from before history began
/// has revision 1 and its record as version 1.
caf::expected<key_history> read_history(const bson_t& doc, bool is_default);

/// The compare-and-swap guard of a write over the document at `revision`
/// (a document from before history began: its configId and no revision).
bson_ptr history_guard(const config_key& key, int64_t revision,
                       bool has_revision, const std::string& config_id);

/// The content of `version`, filed under its tenant and configId (and its
/// endpoint, for purges).
bson_ptr version_content_document(const config_version& version);

bson_ptr version_content_filter(const std::string& tenant_id,
                                const std::string& config_id);

// -- status records -------------------------------------------------------------

/// The unique key (tenant, endpoint, app version, configId).
bson_ptr status_filter(const status_record& key);

bson_ptr status_document(const status_record& record);

caf::expected<status_record> read_status(const bson_t& doc);

/// A dispatch as one upsert: moves `lastDispatchedDate`, and creates a
/// DISPATCHED record with `content` only if there is none, so it never
/// downgrades a confirmation (A9).
bson_ptr dispatch_update(const status_record& dispatch, int64_t now_ms);

/// A confirmation as one upsert: overwrites status, date, code and reason;
/// a new record takes `content` and no dispatch date.
bson_ptr confirmation_update(const status_record& confirmation,
                             const std::string& content, int64_t now_ms);

// -- system configurations ------------------------------------------------------

bson_ptr system_config_document(const system_config_record& record);

caf::expected<system_config_record> read_system_config(const bson_t& doc);

// -- indexes ----------------------------------------------------------------------

/// The `createIndexes` command for `collection`: its unique key and the
/// indexes its queries use. Idempotent on the server.
bson_ptr create_indexes_command(const char* collection);

/// Every collection of the store.
const std::vector<const char*>& all_collections();

} // namespace ecr::mongo
