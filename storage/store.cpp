#include "storage/store.hpp"

#include "core/error.hpp"
#include "core/settings.hpp"
#include "storage/sqlite_store.hpp"

namespace ecr {

store::~store() {
  // nop
}

caf::expected<store_ptr> open_store(const settings& cfg, store_role role) {
  if (cfg.storage.backend == "sqlite")
    return open_sqlite_store(cfg.storage.sqlite_path, role);
  return make_error(ec::invalid_configuration,
                    "storage.backend: unknown backend '" + cfg.storage.backend
                      + "'");
}

} // namespace ecr
