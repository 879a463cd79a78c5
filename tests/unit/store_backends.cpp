#include "tests/unit/store_contract.hpp"

#include "storage/sqlite_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace ecr::test {

namespace {

/// A new SQLite file in its own temp dir.
class sqlite_database final : public backend_database {
public:
  caf::expected<store_ptr> open(store_role role) override {
    return open_sqlite_store(dir_.file("ecr.db"), role);
  }

private:
  temp_dir dir_{"ecr-store"};
};

caf::expected<std::unique_ptr<backend_database>> make_sqlite_database() {
  return std::unique_ptr<backend_database>{std::make_unique<sqlite_database>()};
}

} // namespace

// A MongoDB backend joins with one more entry whose factory fails (and so
// skips its suites) unless ECR_TEST_MONGODB_URI names a server.
std::vector<store_backend> store_backends() {
  return {
    {"sqlite", make_sqlite_database},
  };
}

} // namespace ecr::test
