#include "storage/mongo_versions.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "storage/store.hpp"

#include <algorithm>
#include <map>

namespace ecr::mongo {

caf::expected<key_state> state_of_document(const bson_t& doc,
                                           bool is_default) {
  key_state state;
  state.exists = true;
  bson_iter_t it;
  state.has_revision = bson_iter_init_find(&it, &doc, field::revision);
  auto history = read_history(doc, is_default);
  if (!history)
    return history.error();
  state.history = std::move(*history);
  if (is_tombstone(doc))
    return state;
  auto record = read_config(doc, is_default);
  if (!record)
    return record.error();
  state.current = std::move(*record);
  return state;
}

caf::expected<key_state> read_key_state(mongoc_collection_t& configs,
                                        const config_key& key) {
  key_state state;
  auto err = each(configs, *config_filter(key), nullptr,
                  [&](const bson_t& doc) -> caf::error {
                    auto read = state_of_document(doc, key.is_default());
                    if (!read)
                      return read.error();
                    state = std::move(*read);
                    return {};
                  });
  if (err)
    return err;
  return state;
}

key_history next_history(key_history history, config_version version,
                         const history_policy& policy,
                         std::vector<std::string>& dropped) {
  auto& versions = history.versions;
  history.revision = version.revision;
  for (auto& kept : versions)
    if (kept.superseded_ms == 0)
      kept.superseded_ms = version.updated_ms;
  // Contents are filed apart; the document keeps only what describes them.
  version.content.clear();
  versions.push_back(std::move(version));
  auto newest = history.revision;
  auto cutoff = policy.max_age_ms > 0
                  ? versions.back().updated_ms - policy.max_age_ms
                  : 0;
  auto expired = [&](const config_version& x) {
    return !policy.enabled() || x.revision <= newest - policy.max_versions
           || (x.superseded_ms != 0 && x.superseded_ms < cutoff);
  };
  for (const auto& x : versions)
    // The newest content is its document's, never filed apart.
    if (x.revision != newest && !x.deleted && expired(x))
      dropped.push_back(x.config_id);
  std::erase_if(versions, expired);
  return history;
}

caf::error fill_contents(mongoc_collection_t& contents, const key_state& state,
                         std::vector<config_version>& versions) {
  std::map<std::string, std::string*> wanted;
  for (auto& v : versions) {
    if (v.deleted)
      continue;
    if (state.current && v.config_id == state.current->config_id)
      v.content = state.current->content;
    else
      wanted.emplace(v.config_id, &v.content);
  }
  if (wanted.empty())
    return {};
  bson_ptr filter{bson_new()};
  BSON_APPEND_UTF8(filter.get(), field::tenant,
                   versions.front().key.tenant_id.c_str());
  bson_t condition;
  bson_t ids;
  bson_append_document_begin(filter.get(), field::config_id, -1, &condition);
  bson_append_array_begin(&condition, "$in", -1, &ids);
  size_t index = 0;
  for (const auto& [id, _] : wanted) {
    auto position = std::to_string(index++);
    BSON_APPEND_UTF8(&ids, position.c_str(), id.c_str());
  }
  bson_append_array_end(&condition, &ids);
  bson_append_document_end(filter.get(), &condition);
  auto err = each(contents, *filter, nullptr, [&](const bson_t& doc) -> caf::error {
    auto found = wanted.find(text_field(doc, field::config_id));
    if (found != wanted.end())
      *found->second = text_field(doc, field::content);
    return {};
  });
  return err;
}

caf::error store_content(mongoc_collection_t& contents,
                         const config_version& version) {
  auto filter = version_content_filter(version.key.tenant_id,
                                       version.config_id);
  auto doc = version_content_document(version);
  auto upsert = BCON_NEW("upsert", BCON_BOOL(true));
  bson_ptr opts{upsert};
  reply_doc reply;
  bson_error_t error;
  if (mongoc_collection_replace_one(&contents, filter.get(), doc.get(),
                                    opts.get(), &reply.doc, &error))
    return {};
  // Two writers filing the same version race on the upsert; a configId
  // stands for one content, so the one that lost finds it filed.
  if (is_duplicate_key(error))
    return {};
  return failure("cannot file the content of a version", error);
}

caf::expected<bool> replace_key(mongoc_collection_t& configs,
                                const config_key& key, const key_state& state,
                                const config_record* next,
                                const key_history& history) {
  auto doc = next ? config_document(*next, history)
                  : tombstone_document(key, history);
  bson_error_t error;
  if (!state.exists) {
    if (mongoc_collection_insert_one(&configs, doc.get(), nullptr, nullptr,
                                     &error))
      return true;
    if (is_duplicate_key(error))
      return false; // another writer created it meanwhile
    return failure("cannot store a configuration", error);
  }
  // Replaces only the document read: a concurrent write makes this match
  // nothing, and the caller decides again on what is there now.
  auto guard = history_guard(key, state.history.revision, state.has_revision,
                             state.current ? state.current->config_id : "");
  reply_doc reply;
  if (!mongoc_collection_replace_one(&configs, guard.get(), doc.get(), nullptr,
                                     &reply.doc, &error))
    return failure("cannot store a configuration", error);
  return reply.count("matchedCount") == 1;
}

caf::expected<bool> record_change(mongoc_collection_t& configs,
                                  mongoc_collection_t& contents,
                                  const config_key& key, const key_state& state,
                                  const config_record* next,
                                  config_version version,
                                  const history_policy& policy) {
  if (policy.enabled() && state.current)
    if (auto err = store_content(contents, version_of(*state.current,
                                                      state.history.revision,
                                                      {})))
      return err;
  std::vector<std::string> dropped;
  auto history = next_history(state.history, std::move(version), policy,
                              dropped);
  caf::expected<bool> written{false};
  if (!next && !policy.enabled()) {
    // Without history a delete leaves nothing behind.
    auto guard = history_guard(key, state.history.revision,
                               state.has_revision, state.current->config_id);
    auto removed = delete_matching(configs, *guard, false);
    if (!removed)
      return removed.error();
    written = *removed == 1;
  } else {
    written = replace_key(configs, key, state, next, history);
  }
  if (written && *written)
    drop_contents(contents, key.tenant_id, dropped);
  return written;
}

caf::expected<version_page> versions_page(mongoc_collection_t& contents,
                                          const key_state& state,
                                          int64_t number, int64_t size) {
  const auto& kept = state.history.versions;
  version_page result;
  result.total = static_cast<int64_t>(kept.size());
  // Newest first: from the back of the document's list.
  for (auto i = result.total - 1 - number * size;
       i >= 0 && i > result.total - 1 - (number + 1) * size; --i)
    result.items.push_back(kept[static_cast<size_t>(i)]);
  if (auto err = fill_contents(contents, state, result.items))
    return err;
  return result;
}

caf::expected<config_version> version_with(mongoc_collection_t& contents,
                                           const key_state& state,
                                           const std::string& config_id) {
  for (const auto& v : state.history.versions)
    if (!v.deleted && v.config_id == config_id) {
      std::vector<config_version> found{v};
      if (auto err = fill_contents(contents, state, found))
        return err;
      return std::move(found.front());
    }
  return make_error(ec::not_found, "version not found");
}

void drop_contents(mongoc_collection_t& contents, const std::string& tenant_id,
                   const std::vector<std::string>& config_ids) {
  for (const auto& id : config_ids) {
    auto removed = delete_matching(contents,
                                   *version_content_filter(tenant_id, id),
                                   false);
    if (!removed)
      ECR_WARN("mongodb: cannot remove the content of version {}: {}", id,
               error_message(removed.error()));
  }
}

} // namespace ecr::mongo
