// The SQLite store on a filesystem that fills up for real (a small tmpfs):
// a write that finds no space is `ec::storage_full` and stores nothing,
// every acknowledged write survives reopening, and writes succeed again once
// space is freed. Skipped, saying why, where no tmpfs can be mounted.

#include "tests/unit/store_contract.hpp"

#include "storage/sqlite_store.hpp"
#include "tests/support/small_filesystem.hpp"

#include <map>
#include <memory>
#include <string>

namespace ecr::test {

namespace {

constexpr size_t filesystem_bytes = 2 * 1024 * 1024;
constexpr size_t ballast_bytes = 512 * 1024;

class store_sqlite_full : public ::testing::Test {
protected:
  void SetUp() override {
    try {
      fs_ = std::make_unique<small_filesystem>(filesystem_bytes, ballast_bytes);
    } catch (const small_filesystem::unavailable& e) {
      GTEST_SKIP() << e.what();
    }
    writer_ = ok(open_sqlite_store(path(), store_role::writer));
  }

  std::string path() const {
    return fs_->file("ecr.db");
  }

  /// Closes the writer (as a stop does) and opens it again.
  void reopen() {
    writer_.reset();
    writer_ = ok(open_sqlite_store(path(), store_role::writer));
  }

  /// Stores 32 KiB documents at new keys until one is refused for lack of
  /// space; answers what was acknowledged, key -> configId.
  std::map<std::string, std::string> fill() {
    std::map<std::string, std::string> acknowledged;
    for (int i = 0;; ++i) {
      auto endpoint = "ep-" + std::to_string(i);
      auto id = "id-" + std::to_string(i);
      auto put = writer_->put_config(endpoint_key(endpoint), document(32), {},
                                     id, 1000);
      if (!put) {
        EXPECT_TRUE(fails_with(ec::storage_full, put));
        EXPECT_TRUE(fails_with(ec::not_found,
                               writer_->get_config(endpoint_key(endpoint))))
          << "a refused write was stored";
        return acknowledged;
      }
      acknowledged.emplace(endpoint, id);
      if (i > 1000) {
        ADD_FAILURE() << "the filesystem never filled up";
        return acknowledged;
      }
    }
  }

  /// A JSON string of `kib` KiB.
  static std::string document(size_t kib) {
    return '"' + std::string(kib * 1024 - 2, 'x') + '"';
  }

  void expect_stored(const std::map<std::string, std::string>& acknowledged) {
    for (const auto& [endpoint, id] : acknowledged) {
      auto stored = writer_->get_config(endpoint_key(endpoint));
      ASSERT_TRUE(stored) << endpoint << ": " << render(stored.error());
      EXPECT_EQ(stored->config_id, id) << endpoint;
    }
  }

  std::unique_ptr<small_filesystem> fs_;
  store_ptr writer_;
};

TEST_F(store_sqlite_full, a_write_without_space_is_refused_and_stores_nothing) {
  auto acknowledged = fill();
  ASSERT_FALSE(acknowledged.empty());
  // Replacing a document with a larger one needs space too: the old one stays.
  auto replaced = writer_->put_config(endpoint_key("ep-0"), document(64), {},
                                      "id-new", 2000);
  EXPECT_TRUE(fails_with(ec::storage_full, replaced));
  EXPECT_EQ(ok(writer_->get_config(endpoint_key("ep-0"))).config_id, "id-0");
  reopen();
  expect_stored(acknowledged);
  // Space freed: writes succeed again.
  fs_->free_ballast();
  ok(writer_->put_config(endpoint_key("ep-0"), document(64), {}, "id-new", 2000));
  EXPECT_EQ(ok(writer_->get_config(endpoint_key("ep-0"))).config_id, "id-new");
}

TEST_F(store_sqlite_full, a_batch_that_runs_out_of_space_is_refused_whole) {
  ok(writer_->put_config(endpoint_key("before"), "1", {}, "id-before", 1000));
  ok(writer_->begin_batch());
  ok(writer_->put_config(endpoint_key("a"), "1", {}, "id-a", 1000));
  // Larger than SQLite's page cache: it spills into the log mid-batch and
  // fails there, and SQLite then rolls the whole batch back.
  auto big = writer_->put_config(endpoint_key("b"), document(8 * 1024), {},
                                 "id-b", 1000);
  EXPECT_TRUE(fails_with(ec::storage_full, big));
  // The batch is gone: what follows must not run, and commit, on its own.
  EXPECT_TRUE(fails_with(ec::storage_full,
                         writer_->put_config(endpoint_key("c"), "1", {}, "id-c",
                                             1000)));
  EXPECT_TRUE(fails_with(ec::storage_full, writer_->commit_batch()));
  reopen();
  for (const auto* endpoint : {"a", "b", "c"})
    EXPECT_TRUE(fails_with(ec::not_found,
                           writer_->get_config(endpoint_key(endpoint))))
      << endpoint << " was stored";
  EXPECT_EQ(ok(writer_->get_config(endpoint_key("before"))).config_id,
            "id-before");
  // The next batch starts afresh.
  ok(writer_->begin_batch());
  ok(writer_->put_config(endpoint_key("d"), "1", {}, "id-d", 1000));
  ok(writer_->commit_batch());
  EXPECT_EQ(ok(writer_->get_config(endpoint_key("d"))).config_id, "id-d");
}

} // namespace

} // namespace ecr::test
