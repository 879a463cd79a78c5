#pragma once

// SQLite as the store uses it (private to storage/): owned handles and
// prepared statements borrowed for one use.

#include "core/error.hpp"

#include <sqlite3.h>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ecr::sqlite {

struct connection_closer {
  void operator()(sqlite3* db) const noexcept {
    sqlite3_close_v2(db);
  }
};

struct statement_finalizer {
  void operator()(sqlite3_stmt* stmt) const noexcept {
    sqlite3_finalize(stmt);
  }
};

using connection_ptr = std::unique_ptr<sqlite3, connection_closer>;
using statement_ptr = std::unique_ptr<sqlite3_stmt, statement_finalizer>;

/// The store's error for the last failure on `db`. A write that found no
/// space (a full disk or quota, which SQLite reports as SQLITE_FULL or as an
/// I/O error with ENOSPC or EDQUOT) is `ec::storage_full`, so that clients
/// learn why; SQLite undid all of it.
inline caf::error error_of(sqlite3* db) {
  auto code = sqlite3_extended_errcode(db);
  auto system = sqlite3_system_errno(db);
  auto io_without_space = (code & 0xFF) == SQLITE_IOERR
                          && (system == ENOSPC || system == EDQUOT);
  std::string text = std::string{"sqlite: "} + sqlite3_errmsg(db);
  if (io_without_space)
    text += std::string{": "} + std::strerror(system);
  return make_error(code == SQLITE_FULL || io_without_space ? ec::storage_full
                                                            : ec::storage_failure,
                    std::move(text));
}

/// A prepared statement borrowed for one use: bind, step, read; resets and
/// clears its bindings when it goes out of scope.
class query {
public:
  query(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {
    // nop
  }

  query(const query&) = delete;
  query& operator=(const query&) = delete;

  ~query() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  template <class... Ts>
  query& bind(const Ts&... xs) {
    int index = 0;
    (bind_one(++index, xs), ...);
    return *this;
  }

  /// Steps once; true while a row is available.
  caf::expected<bool> step() {
    switch (sqlite3_step(stmt_)) {
      case SQLITE_ROW:
        return true;
      case SQLITE_DONE:
        return false;
      default:
        return error_of(db_);
    }
  }

  /// Steps to completion, for statements without rows.
  caf::error run() {
    auto row = step();
    if (!row)
      return row.error();
    return {};
  }

  int extended_error() const {
    return sqlite3_extended_errcode(db_);
  }

  std::string text(int column) const {
    auto data = sqlite3_column_text(stmt_, column);
    auto size = sqlite3_column_bytes(stmt_, column);
    return data ? std::string{reinterpret_cast<const char*>(data),
                              static_cast<size_t>(size)}
                : std::string{};
  }

  int64_t integer(int column) const {
    return sqlite3_column_int64(stmt_, column);
  }

  int changes() const {
    return sqlite3_changes(db_);
  }

private:
  void bind_one(int index, const std::string& x) {
    sqlite3_bind_text(stmt_, index, x.data(), static_cast<int>(x.size()),
                      SQLITE_STATIC);
  }

  void bind_one(int index, const char* x) {
    sqlite3_bind_text(stmt_, index, x, -1, SQLITE_STATIC);
  }

  void bind_one(int index, int64_t x) {
    sqlite3_bind_int64(stmt_, index, x);
  }

  void bind_one(int index, int32_t x) {
    sqlite3_bind_int64(stmt_, index, x);
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

/// One connection and the statements prepared on it, each prepared once:
/// parsing them for every use showed up in profiles.
class session {
public:
  explicit session(connection_ptr db) : db_(std::move(db)) {
    // nop
  }

  session(const session&) = delete;
  session& operator=(const session&) = delete;

  ~session() {
    // Statements go before the connection they belong to.
    statements_.clear();
  }

  sqlite3* get() const noexcept {
    return db_.get();
  }

  /// The statement for `sql`, prepared on first use.
  query prepare(const std::string& sql);

  /// Runs `sql` (several statements may follow each other) once.
  caf::error exec(const char* sql);

private:
  connection_ptr db_;
  std::map<std::string, statement_ptr, std::less<>> statements_;
};

/// Calls `visit(q)` for each row `q` yields; stops at the first error.
template <class Visit>
caf::error each_row(query& q, Visit visit) {
  for (;;) {
    auto row = q.step();
    if (!row)
      return row.error();
    if (!*row)
      return {};
    if (auto err = visit(q))
      return err;
  }
}

/// Every row `q` yields, each made by `read`.
template <class Read>
auto collect(query& q, Read read)
  -> caf::expected<std::vector<decltype(read(q))>> {
  std::vector<decltype(read(q))> rows;
  for (;;) {
    auto row = q.step();
    if (!row)
      return row.error();
    if (!*row)
      return rows;
    rows.push_back(read(q));
  }
}

} // namespace ecr::sqlite
