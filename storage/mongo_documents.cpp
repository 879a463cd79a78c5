#include "storage/mongo_documents.hpp"

#include "core/error.hpp"
#include "storage/store.hpp"

#include <optional>
#include <string_view>

namespace ecr::mongo {

namespace {

bson_ptr make_document() {
  return bson_ptr{bson_new()};
}

void put(bson_t* doc, const char* field, const std::string& value) {
  bson_append_utf8(doc, field, -1, value.data(),
                   static_cast<int>(value.size()));
}

void put_date(bson_t* doc, const char* field, int64_t ms) {
  bson_append_date_time(doc, field, -1, ms);
}

void put_int(bson_t* doc, const char* field, int32_t value) {
  bson_append_int32(doc, field, -1, value);
}

/// Reads the fields of one document, remembering the first that is missing
/// or of the wrong type, so a mapping reads straight through and reports
/// once.
class field_reader {
public:
  explicit field_reader(const bson_t& doc) : doc_(doc) {
    // nop
  }

  std::string text(const char* field) {
    bson_iter_t it;
    if (!find(field, it, BSON_TYPE_UTF8))
      return {};
    uint32_t length = 0;
    const char* value = bson_iter_utf8(&it, &length);
    return std::string{value, length};
  }

  int64_t date(const char* field) {
    bson_iter_t it;
    if (!find(field, it, BSON_TYPE_DATE_TIME))
      return 0;
    return bson_iter_date_time(&it);
  }

  int64_t int64(const char* field) {
    bson_iter_t it;
    if (!find(field, it, BSON_TYPE_INT64))
      return 0;
    return bson_iter_int64(&it);
  }

  bool boolean(const char* field) {
    bson_iter_t it;
    if (!find(field, it, BSON_TYPE_BOOL))
      return false;
    return bson_iter_bool(&it);
  }

  int32_t int32(const char* field) {
    bson_iter_t it;
    if (!find(field, it, BSON_TYPE_INT32))
      return 0;
    return bson_iter_int32(&it);
  }

  /// The record read, or the first problem.
  template <class T>
  caf::expected<T> result(T value, const char* what) const {
    if (problem_.empty())
      return value;
    return make_error(ec::storage_failure, std::string{"malformed "} + what
                                             + " document: " + problem_
                                             + " in " + to_json(doc_));
  }

  void fail(std::string problem) {
    if (problem_.empty())
      problem_ = std::move(problem);
  }

private:
  bool find(const char* field, bson_iter_t& it, bson_type_t type) {
    if (!bson_iter_init_find(&it, &doc_, field)) {
      fail(std::string{"no "} + field);
      return false;
    }
    if (bson_iter_type(&it) != type) {
      fail(std::string{"wrong type of "} + field);
      return false;
    }
    return true;
  }

  const bson_t& doc_;
  std::string problem_;
};

constexpr std::string_view status_names[] = {"DISPATCHED", "CONFIRMED",
                                             "FAILED"};

std::optional<delivery_status> parse_status(std::string_view text) {
  for (size_t i = 0; i < std::size(status_names); ++i)
    if (status_names[i] == text)
      return static_cast<delivery_status>(i);
  return std::nullopt;
}

std::string status_name(delivery_status x) {
  return std::string{status_names[static_cast<size_t>(x)]};
}

void put_config_key(bson_t* doc, const config_key& key) {
  put(doc, field::tenant, key.tenant_id);
  if (!key.is_default())
    put(doc, field::endpoint, key.endpoint_id);
  put(doc, field::app_version, key.app_version);
  put(doc, field::name, key.name);
}

void put_status_key(bson_t* doc, const status_record& key) {
  put(doc, field::tenant, key.tenant_id);
  put(doc, field::endpoint, key.endpoint_id);
  put(doc, field::app_version, key.app_version);
  put(doc, field::config_id, key.config_id);
}

/// One index: its fields in order (-1 for descending) and uniqueness.
struct index_spec {
  const char* name;
  std::vector<std::pair<const char*, int>> fields;
  bool unique = false;
};

std::vector<index_spec> indexes_of(std::string_view collection) {
  if (collection == collection::endpoint_configs)
    return {{"config_key",
             {{field::tenant, 1}, {field::endpoint, 1}, {field::app_version, 1}, {field::name, 1}},
             true},
            // Defaults' followers and purges by app version.
            {"by_app_version", {{field::tenant, 1}, {field::app_version, 1}}},
            {"by_config_id", {{field::config_id, 1}}}};
  if (collection == collection::default_configs)
    return {{"config_key", {{field::tenant, 1}, {field::app_version, 1}, {field::name, 1}},
             true},
            {"by_config_id", {{field::config_id, 1}}}};
  if (collection == collection::statuses)
    return {{"status_key",
             {{field::tenant, 1}, {field::endpoint, 1}, {field::app_version, 1},
              {field::config_id, 1}},
             true},
            {"by_dispatch", {{field::tenant, 1}, {field::endpoint, 1}, {field::dispatched, -1}}},
            {"by_app_version", {{field::tenant, 1}, {field::app_version, 1}}}};
  if (collection == collection::version_contents)
    return {{"version_key", {{field::tenant, 1}, {field::config_id, 1}}, true},
            // Purges of an endpoint.
            {"by_endpoint", {{field::tenant, 1}, {field::endpoint, 1}}}};
  // system_configs
  return {{"system_config_key",
           {{field::tenant, 1}, {field::level, 1}, {field::level_id, 1}, {field::name, 1}},
           true},
          {"by_config_id", {{field::config_id, 1}}, true}};
}

} // namespace

const char* collection_of(const config_key& key) noexcept {
  return key.is_default() ? collection::default_configs
                          : collection::endpoint_configs;
}

std::string text_field(const bson_t& doc, const char* name) {
  bson_iter_t it;
  if (!bson_iter_init_find(&it, &doc, name) || !BSON_ITER_HOLDS_UTF8(&it))
    return {};
  uint32_t length = 0;
  const char* value = bson_iter_utf8(&it, &length);
  return std::string{value, length};
}

std::string to_json(const bson_t& doc) {
  size_t length = 0;
  char* text = bson_as_relaxed_extended_json(&doc, &length);
  if (!text)
    return "<not BSON>";
  std::string result{text, length};
  bson_free(text);
  return result;
}

bson_ptr config_filter(const config_key& key) {
  auto doc = make_document();
  put_config_key(doc.get(), key);
  return doc;
}

bson_ptr config_filter(const config_key& key, const std::string& config_id) {
  auto doc = config_filter(key);
  put(doc.get(), field::config_id, config_id);
  return doc;
}

bson_ptr config_document(const config_record& record) {
  auto doc = config_filter(record.key);
  put(doc.get(), field::config_id, record.config_id);
  put(doc.get(), field::content, record.content);
  put_date(doc.get(), field::created, record.created_ms);
  put_date(doc.get(), field::updated, record.updated_ms);
  return doc;
}

bson_ptr live(bson_ptr filter) {
  bson_t condition;
  bson_append_document_begin(filter.get(), field::deleted, -1, &condition);
  BSON_APPEND_BOOL(&condition, "$ne", true);
  bson_append_document_end(filter.get(), &condition);
  return filter;
}

namespace {

void put_versions(bson_t* doc, const std::vector<config_version>& versions) {
  bson_t list;
  bson_append_array_begin(doc, field::versions, -1, &list);
  for (size_t i = 0; i < versions.size(); ++i) {
    const auto& v = versions[i];
    auto index = std::to_string(i);
    bson_t item;
    bson_append_document_begin(&list, index.c_str(), -1, &item);
    BSON_APPEND_INT64(&item, field::revision, v.revision);
    if (!v.deleted)
      put(&item, field::config_id, v.config_id);
    put_date(&item, field::created, v.created_ms);
    put_date(&item, field::updated, v.updated_ms);
    put_date(&item, field::superseded, v.superseded_ms);
    BSON_APPEND_BOOL(&item, field::deleted, v.deleted);
    put(&item, field::origin, to_string(v.origin));
    put(&item, field::actor, v.actor);
    bson_append_document_end(&list, &item);
  }
  bson_append_array_end(doc, &list);
}

void put_history(bson_t* doc, const key_history& history) {
  BSON_APPEND_INT64(doc, field::revision, history.revision);
  put_versions(doc, history.versions);
}

caf::expected<config_version> read_version_metadata(const bson_t& doc,
                                                    const config_key& key) {
  field_reader in{doc};
  config_version v;
  v.key = key;
  v.revision = in.int64(field::revision);
  v.deleted = in.boolean(field::deleted);
  if (!v.deleted)
    v.config_id = in.text(field::config_id);
  v.created_ms = in.date(field::created);
  v.updated_ms = in.date(field::updated);
  v.superseded_ms = in.date(field::superseded);
  auto origin = in.text(field::origin);
  if (auto parsed = parse_change_origin(origin))
    v.origin = *parsed;
  else
    in.fail("unknown origin '" + origin + "'");
  v.actor = in.text(field::actor);
  return in.result(std::move(v), "version");
}

config_key read_key(const bson_t& doc, bool is_default) {
  config_key key;
  key.tenant_id = text_field(doc, field::tenant);
  if (!is_default)
    key.endpoint_id = text_field(doc, field::endpoint);
  key.app_version = text_field(doc, field::app_version);
  key.name = text_field(doc, field::name);
  return key;
}

} // namespace

bson_ptr config_document(const config_record& record,
                         const key_history& history) {
  auto doc = config_document(record);
  put_history(doc.get(), history);
  return doc;
}

bson_ptr tombstone_document(const config_key& key, const key_history& history) {
  auto doc = config_filter(key);
  BSON_APPEND_BOOL(doc.get(), field::deleted, true);
  put_history(doc.get(), history);
  return doc;
}

bool is_tombstone(const bson_t& doc) {
  bson_iter_t it;
  return bson_iter_init_find(&it, &doc, field::deleted)
         && BSON_ITER_HOLDS_BOOL(&it) && bson_iter_bool(&it);
}

caf::expected<key_history> read_history(const bson_t& doc, bool is_default) {
  key_history result;
  bson_iter_t it;
  if (!bson_iter_init_find(&it, &doc, field::revision)) {
    auto record = read_config(doc, is_default);
    if (!record)
      return record.error();
    result.revision = 1;
    result.versions.push_back(version_of(*record, 1, {}));
    return result;
  }
  if (!BSON_ITER_HOLDS_INT64(&it))
    return make_error(ec::storage_failure,
                      "malformed configuration document: wrong type of "
                      "revision in " + to_json(doc));
  result.revision = bson_iter_int64(&it);
  bson_iter_t list;
  if (!bson_iter_init_find(&list, &doc, field::versions)
      || !BSON_ITER_HOLDS_ARRAY(&list))
    return make_error(ec::storage_failure,
                      "malformed configuration document: no versions in "
                        + to_json(doc));
  bson_iter_t item;
  bson_iter_recurse(&list, &item);
  auto key = read_key(doc, is_default);
  while (bson_iter_next(&item)) {
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    if (!BSON_ITER_HOLDS_DOCUMENT(&item))
      return make_error(ec::storage_failure,
                        "malformed configuration document: a version is no "
                        "document in " + to_json(doc));
    bson_iter_document(&item, &length, &data);
    bson_t version;
    if (!bson_init_static(&version, data, length))
      return make_error(ec::storage_failure,
                        "malformed configuration document: " + to_json(doc));
    auto parsed = read_version_metadata(version, key);
    if (!parsed)
      return parsed.error();
    result.versions.push_back(std::move(*parsed));
  }
  return result;
}

bson_ptr history_guard(const config_key& key, int64_t revision,
                       bool has_revision, const std::string& config_id) {
  auto doc = config_filter(key);
  if (has_revision) {
    BSON_APPEND_INT64(doc.get(), field::revision, revision);
  } else {
    put(doc.get(), field::config_id, config_id);
    BSON_APPEND_NULL(doc.get(), field::revision);
  }
  return doc;
}

bson_ptr version_content_document(const config_version& version) {
  auto doc = version_content_filter(version.key.tenant_id, version.config_id);
  put(doc.get(), field::endpoint, version.key.endpoint_id);
  put(doc.get(), field::app_version, version.key.app_version);
  put(doc.get(), field::name, version.key.name);
  put(doc.get(), field::content, version.content);
  return doc;
}

bson_ptr version_content_filter(const std::string& tenant_id,
                                const std::string& config_id) {
  auto doc = make_document();
  put(doc.get(), field::tenant, tenant_id);
  put(doc.get(), field::config_id, config_id);
  return doc;
}

caf::expected<config_record> read_config(const bson_t& doc, bool is_default) {
  field_reader in{doc};
  config_record x;
  x.key.tenant_id = in.text(field::tenant);
  if (!is_default)
    x.key.endpoint_id = in.text(field::endpoint);
  x.key.app_version = in.text(field::app_version);
  x.key.name = in.text(field::name);
  x.config_id = in.text(field::config_id);
  x.content = in.text(field::content);
  x.created_ms = in.date(field::created);
  x.updated_ms = in.date(field::updated);
  if (!is_default && x.key.endpoint_id.empty())
    in.fail("empty endpointId");
  return in.result(std::move(x), "configuration");
}

bson_ptr status_filter(const status_record& key) {
  auto doc = make_document();
  put_status_key(doc.get(), key);
  return doc;
}

bson_ptr status_document(const status_record& record) {
  auto doc = status_filter(record);
  put(doc.get(), field::status, status_name(record.status));
  put(doc.get(), field::content, record.content);
  put_date(doc.get(), field::dispatched, record.last_dispatched_ms);
  put_date(doc.get(), field::confirmed, record.last_confirmed_ms);
  put_int(doc.get(), field::code, record.confirmation_code);
  put(doc.get(), field::reason, record.confirmation_reason);
  return doc;
}

caf::expected<status_record> read_status(const bson_t& doc) {
  field_reader in{doc};
  status_record x;
  x.tenant_id = in.text(field::tenant);
  x.endpoint_id = in.text(field::endpoint);
  x.app_version = in.text(field::app_version);
  x.config_id = in.text(field::config_id);
  auto status = in.text(field::status);
  if (auto parsed = parse_status(status))
    x.status = *parsed;
  else
    in.fail("unknown status '" + status + "'");
  x.content = in.text(field::content);
  x.last_dispatched_ms = in.date(field::dispatched);
  x.last_confirmed_ms = in.date(field::confirmed);
  x.confirmation_code = in.int32(field::code);
  x.confirmation_reason = in.text(field::reason);
  return in.result(std::move(x), "status");
}

bson_ptr dispatch_update(const status_record& dispatch, int64_t now_ms) {
  auto doc = make_document();
  bson_t set;
  bson_append_document_begin(doc.get(), "$set", -1, &set);
  put_date(&set, field::dispatched, now_ms);
  bson_append_document_end(doc.get(), &set);
  bson_t insert;
  bson_append_document_begin(doc.get(), "$setOnInsert", -1, &insert);
  put(&insert, field::status, status_name(delivery_status::dispatched));
  put(&insert, field::content, dispatch.content);
  put_date(&insert, field::confirmed, 0);
  put_int(&insert, field::code, 0);
  put(&insert, field::reason, "");
  bson_append_document_end(doc.get(), &insert);
  return doc;
}

bson_ptr confirmation_update(const status_record& confirmation,
                             const std::string& content, int64_t now_ms) {
  auto ok = confirmation.confirmation_code >= 200
            && confirmation.confirmation_code < 300;
  auto doc = make_document();
  bson_t set;
  bson_append_document_begin(doc.get(), "$set", -1, &set);
  put(&set, field::status,
      status_name(ok ? delivery_status::confirmed : delivery_status::failed));
  put_date(&set, field::confirmed, now_ms);
  put_int(&set, field::code, confirmation.confirmation_code);
  put(&set, field::reason, confirmation.confirmation_reason);
  bson_append_document_end(doc.get(), &set);
  bson_t insert;
  bson_append_document_begin(doc.get(), "$setOnInsert", -1, &insert);
  put(&insert, field::content, content);
  put_date(&insert, field::dispatched, 0);
  bson_append_document_end(doc.get(), &insert);
  return doc;
}

bson_ptr system_config_document(const system_config_record& record) {
  auto doc = make_document();
  put(doc.get(), field::tenant, record.tenant_id);
  put(doc.get(), field::config_id, record.config_id);
  put(doc.get(), field::level, record.level);
  put(doc.get(), field::level_id, record.level_id);
  put(doc.get(), field::name, record.name);
  put(doc.get(), field::display_name, record.display_name);
  put(doc.get(), field::content, record.content);
  put_date(doc.get(), field::created, record.created_ms);
  put_date(doc.get(), field::updated, record.updated_ms);
  return doc;
}

caf::expected<system_config_record> read_system_config(const bson_t& doc) {
  field_reader in{doc};
  system_config_record x;
  x.tenant_id = in.text(field::tenant);
  x.config_id = in.text(field::config_id);
  x.level = in.text(field::level);
  x.level_id = in.text(field::level_id);
  x.name = in.text(field::name);
  x.display_name = in.text(field::display_name);
  x.content = in.text(field::content);
  x.created_ms = in.date(field::created);
  x.updated_ms = in.date(field::updated);
  return in.result(std::move(x), "system configuration");
}

bson_ptr create_indexes_command(const char* collection) {
  auto doc = make_document();
  BSON_APPEND_UTF8(doc.get(), "createIndexes", collection);
  bson_t list;
  bson_append_array_begin(doc.get(), "indexes", -1, &list);
  size_t i = 0;
  for (const auto& index : indexes_of(collection)) {
    auto position = std::to_string(i++);
    bson_t spec;
    bson_append_document_begin(&list, position.c_str(), -1, &spec);
    bson_t fields;
    bson_append_document_begin(&spec, "key", -1, &fields);
    for (const auto& [field, direction] : index.fields)
      put_int(&fields, field, direction);
    bson_append_document_end(&spec, &fields);
    BSON_APPEND_UTF8(&spec, "name", index.name);
    if (index.unique)
      BSON_APPEND_BOOL(&spec, "unique", true);
    bson_append_document_end(&list, &spec);
  }
  bson_append_array_end(doc.get(), &list);
  return doc;
}

const std::vector<const char*>& all_collections() {
  static const std::vector<const char*> names{
    collection::endpoint_configs, collection::default_configs,
    collection::statuses, collection::system_configs,
    collection::version_contents};
  return names;
}

} // namespace ecr::mongo
