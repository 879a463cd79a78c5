#pragma once

#include "core/error.hpp"
#include "storage/sqlite_store.hpp"

#include <stdexcept>
#include <string>

namespace ecr::test {

/// A SQLite store handle on `path` for a test fixture; throws when it cannot
/// be opened, naming the role.
inline store_ptr open_sqlite_or_throw(const std::string& path,
                                      store_role role) {
  auto handle = open_sqlite_store(path, role);
  if (!handle)
    throw std::runtime_error(std::string{"cannot open the store as "}
                             + (role == store_role::writer ? "writer"
                                                           : "reader")
                             + ": " + render(handle.error()));
  return std::move(*handle);
}

} // namespace ecr::test
