#include "storage/sqlite_query.hpp"

#include <stdexcept>

namespace ecr::sqlite {

query session::prepare(const std::string& sql) {
  auto i = statements_.find(sql);
  if (i == statements_.end()) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(db_.get(), sql.c_str(),
                           static_cast<int>(sql.size()),
                           SQLITE_PREPARE_PERSISTENT, &raw, nullptr)
        != SQLITE_OK)
      throw std::logic_error(std::string{"sqlite cannot prepare: "}
                             + sqlite3_errmsg(db_.get()) + " in: " + sql);
    i = statements_.emplace(sql, statement_ptr{raw}).first;
  }
  return query{db_.get(), i->second.get()};
}

caf::error session::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, &message) == SQLITE_OK)
    return {};
  std::string text = message ? message : sqlite3_errmsg(db_.get());
  sqlite3_free(message);
  return make_error(ec::storage_failure, "sqlite: " + text);
}

} // namespace ecr::sqlite
