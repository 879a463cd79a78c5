#include "storage/store.hpp"

#include "core/error.hpp"
#include "core/settings.hpp"
#include "storage/mongo_store.hpp"
#include "storage/sqlite_store.hpp"

namespace ecr {

store::~store() {
  // nop
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
