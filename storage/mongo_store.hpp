#pragma once

#include "storage/store.hpp"

namespace ecr {

/// Opens a handle on the MongoDB deployment of `cfg.mongodb` (spec 3.8).
/// Handles of one process share one client pool; each handle holds one
/// client, as each is used by one actor. The writer creates the collections'
/// indexes (idempotent), at once or, while the deployment is unreachable,
/// before its first write. Every write is one atomic single-document
/// operation (MongoDB 3.6 has no transactions): If-Match and duplicate-key
/// races are settled by compare-and-swap on the configId and unique indexes,
/// so replicas writing the same key never both win. Batches are no-ops:
/// each write is durable (write concern) when it returns.
caf::expected<store_ptr> open_mongo_store(const settings& cfg, store_role role);

/// Drops the configured database: for tests that ran in a database of their
/// own.
caf::error drop_mongo_database(const settings& cfg);

} // namespace ecr
