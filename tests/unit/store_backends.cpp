#include "tests/unit/store_contract.hpp"

#include "core/ids.hpp"
#include "settings/settings.hpp"
#include "storage/mongo_store.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/mongo_stand_in.hpp"
#include "tests/support/temp_dir.hpp"

#include <cstdlib>
#include <mutex>

namespace ecr::test {

namespace {

/// A new SQLite file in its own temp dir.
class sqlite_database final : public backend_database {
public:
  caf::expected<store_ptr> open(store_role role,
                                history_policy history) override {
    return open_sqlite_store(dir_.file("ecr.db"), role, history);
  }

private:
  temp_dir dir_{"ecr-store"};
};

caf::expected<std::unique_ptr<backend_database>> make_sqlite_database() {
  return std::unique_ptr<backend_database>{std::make_unique<sqlite_database>()};
}

/// A database of its own on a MongoDB deployment, dropped afterwards.
class mongo_database final : public backend_database {
public:
  explicit mongo_database(settings cfg) : cfg_(std::move(cfg)) {
    // nop
  }

  ~mongo_database() override {
    if (auto err = drop_mongo_database(cfg_))
      ADD_FAILURE() << "cannot drop " << cfg_.mongodb.database << ": "
                    << render(err);
  }

  caf::expected<store_ptr> open(store_role role,
                                history_policy history) override {
    auto cfg = cfg_;
    cfg.history = history;
    return open_mongo_store(cfg, role);
  }

private:
  settings cfg_;
};

/// A fresh database on the deployment at `url`, once that answers.
caf::expected<std::unique_ptr<backend_database>>
make_mongo_database(std::string url) {
  settings cfg;
  cfg.storage.backend = "mongodb";
  cfg.mongodb.url = std::move(url);
  cfg.mongodb.database = "ecr_test_" + make_uuid_v4().substr(0, 8);
  cfg.mongodb.server_selection_timeout_ms = 3000;
  auto probe = open_mongo_store(cfg, store_role::reader);
  if (!probe)
    return probe.error();
  if (auto err = (*probe)->ping())
    return err;
  return std::unique_ptr<backend_database>{
    std::make_unique<mongo_database>(std::move(cfg))};
}

/// A real server, when the environment names one.
caf::expected<std::unique_ptr<backend_database>> make_server_database() {
  const char* uri = std::getenv("ECR_TEST_MONGODB_URI");
  if (!uri || !*uri)
    return make_error(ec::unavailable,
                      "ECR_TEST_MONGODB_URI is not set, so there is no "
                      "MongoDB server to test against");
  return make_mongo_database(uri);
}

/// The stand-in, started by the first test that needs it and shared by the
/// rest of the process: each test gets a database of its own on it.
caf::expected<std::unique_ptr<backend_database>> make_stand_in_database() {
  static std::mutex mutex;
  static std::unique_ptr<mongo_stand_in> server;
  std::lock_guard guard{mutex};
  if (!server) {
    try {
      server = std::make_unique<mongo_stand_in>();
    } catch (const mongo_stand_in::unavailable& e) {
      return make_error(ec::unavailable,
                        std::string{"no MongoDB stand-in: "} + e.what());
    }
  }
  return make_mongo_database(server->url());
}

} // namespace

std::vector<store_backend> store_backends() {
  return {
    {"sqlite", make_sqlite_database},
    // MongoDB writes are durable one by one: readers may see a batch early.
    {"mongodb", make_server_database, false},
    {"mongodb_stand_in", make_stand_in_database, false},
  };
}

} // namespace ecr::test
