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

caf::expected<store_ptr> open_store(const settings& cfg, store_role role) {
  auto backend = selected_backend(cfg);
  if (backend == "sqlite")
    return open_sqlite_store(cfg.storage.sqlite_path, role);
  if (backend == "mongodb")
    return open_mongo_store(cfg, role);
  return make_error(ec::invalid_configuration,
                    "storage.backend: unknown backend '" + backend + "'");
}

} // namespace ecr
