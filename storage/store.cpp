#include "storage/store.hpp"

#include "core/error.hpp"
#include "settings/settings.hpp"
#include "storage/mongo_store.hpp"
#include "storage/sqlite_store.hpp"

#include <algorithm>

namespace ecr {

store::~store() {
  // nop
}

caf::expected<put_result>
plan_put(const config_record* current, const config_key& key,
         const std::string& content, const precondition& pre,
         const std::string& new_config_id, int64_t now_ms) {
  if (!pre.admits(current ? current->config_id : std::string{}))
    return make_error(ec::precondition_failed,
                      "If-Match does not match the current configId");
  if (current && current->content == content)
    return put_result{*current, false, false, {}};
  config_record record{key, new_config_id, content,
                       current ? current->created_ms : now_ms,
                       current ? std::max(now_ms, current->updated_ms)
                               : now_ms};
  return put_result{std::move(record), true, current == nullptr, {}};
}

caf::error check_existing(const config_record* current,
                        const precondition& pre) {
  if (!current)
    return pre.required ? make_error(ec::precondition_failed,
                                     "If-Match given but no configuration "
                                     "exists")
                        : make_error(ec::not_found, "configuration not found");
  if (!pre.admits(current->config_id))
    return make_error(ec::precondition_failed,
                      "If-Match does not match the current configId");
  return {};
}

config_version version_of(const config_record& record, int64_t revision,
                          const change_source& source) {
  return {record.key,        revision,         record.config_id,
          record.content,    record.created_ms, record.updated_ms,
          0,                 false,            source.origin,
          source.actor};
}

config_version tombstone_of(const config_record& removed, int64_t revision,
                            int64_t now_ms, const change_source& source) {
  return {removed.key, revision,
          {},          {},
          removed.created_ms, std::max(now_ms, removed.updated_ms),
          0,           true,
          source.origin, source.actor};
}

caf::expected<store_ptr> open_store(const settings& cfg, store_role role) {
  auto backend = selected_backend(cfg);
  if (backend == "sqlite")
    return open_sqlite_store(cfg.storage.sqlite_path, role, cfg.history);
  if (backend == "mongodb")
    return open_mongo_store(cfg, role);
  return make_error(ec::invalid_configuration,
                    "storage.backend: unknown backend '" + backend + "'");
}

} // namespace ecr
