#pragma once

#include "storage/store.hpp"

namespace ecr {

/// Opens the embedded SQLite store at `path` (WAL, synchronous=FULL). The
/// writer creates the file and its directory and applies schema migrations;
/// readers expect both to exist. The writer keeps versions by `history`.
caf::expected<store_ptr> open_sqlite_store(const std::string& path,
                                           store_role role,
                                           history_policy history = {});

/// The schema version this build writes and expects.
int sqlite_schema_version() noexcept;

} // namespace ecr
