// What only the SQLite backend promises: files, directories, WAL and the
// schema migrations.

#include "tests/unit/store_contract.hpp"

#include "storage/sqlite_store.hpp"
#include "tests/support/temp_dir.hpp"

#include <sqlite3.h>

#include <filesystem>

namespace ecr::test {

namespace {

/// A direct connection, to look at the file behind the store's back.
class raw_db {
public:
  explicit raw_db(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr)
        != SQLITE_OK)
      throw std::runtime_error("cannot open " + path);
  }

  raw_db(const raw_db&) = delete;
  raw_db& operator=(const raw_db&) = delete;

  ~raw_db() {
    sqlite3_close_v2(db_);
  }

  /// The first column of the first row of `sql`, as text.
  std::string scalar(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
      throw std::runtime_error(sqlite3_errmsg(db_));
    std::string result;
    if (sqlite3_step(stmt) == SQLITE_ROW)
      if (auto text = sqlite3_column_text(stmt, 0))
        result = reinterpret_cast<const char*>(text);
    sqlite3_finalize(stmt);
    return result;
  }

  void exec(const std::string& sql) {
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
      throw std::runtime_error(sqlite3_errmsg(db_));
  }

private:
  sqlite3* db_ = nullptr;
};

class store_sqlite : public ::testing::Test {
protected:
  std::string path() const {
    return dir_.file("ecr.db");
  }

  temp_dir dir_{"ecr-sqlite"};
};

TEST_F(store_sqlite, writer_creates_the_file_and_its_directories) {
  auto nested = dir_.file("a/b/ecr.db");
  ok(open_sqlite_store(nested, store_role::writer));
  EXPECT_TRUE(std::filesystem::exists(nested));
}

TEST_F(store_sqlite, reader_needs_an_existing_file) {
  EXPECT_TRUE(fails_with(ec::storage_failure,
                         open_sqlite_store(path(), store_role::reader)));
  EXPECT_FALSE(std::filesystem::exists(path()));
}

TEST_F(store_sqlite, database_is_in_wal_mode) {
  ok(open_sqlite_store(path(), store_role::writer));
  EXPECT_EQ(raw_db{path()}.scalar("PRAGMA journal_mode"), "wal");
}

TEST_F(store_sqlite, writer_records_every_applied_migration) {
  ASSERT_GE(sqlite_schema_version(), 1);
  auto latest = std::to_string(sqlite_schema_version());
  ok(open_sqlite_store(path(), store_role::writer));
  raw_db db{path()};
  EXPECT_EQ(db.scalar("SELECT MAX(version) FROM schema_version"), latest);
  EXPECT_EQ(db.scalar("SELECT COUNT(*) FROM schema_version"), latest);
}

TEST_F(store_sqlite, reopening_does_not_rerun_migrations) {
  auto latest = std::to_string(sqlite_schema_version());
  {
    auto writer = ok(open_sqlite_store(path(), store_role::writer));
    ok(writer->put_config(endpoint_key("ep-1"), "{}", {}, "id-1", 1000));
  }
  auto writer = ok(open_sqlite_store(path(), store_role::writer));
  EXPECT_EQ(ok(writer->get_config(endpoint_key("ep-1"))).config_id, "id-1");
  EXPECT_EQ(raw_db{path()}.scalar("SELECT COUNT(*) FROM schema_version"),
            latest);
}

TEST_F(store_sqlite, writer_refuses_a_newer_schema) {
  ok(open_sqlite_store(path(), store_role::writer));
  auto newer = std::to_string(sqlite_schema_version() + 1);
  raw_db{path()}.exec("INSERT INTO schema_version (version) VALUES (" + newer
                      + ")");
  auto reopened = open_sqlite_store(path(), store_role::writer);
  ASSERT_TRUE(fails_with(ec::storage_failure, reopened));
  EXPECT_NE(error_message(reopened.error()).find(newer), std::string::npos)
    << error_message(reopened.error());
}

} // namespace

} // namespace ecr::test
