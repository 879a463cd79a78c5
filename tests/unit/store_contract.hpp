#pragma once

// The store contract: what every `ecr::store` backend must do. The suites in
// tests/unit/store_*_contract_test.cpp run once per entry of
// `store_backends()`, so a new backend joins them with one line there.

#include "core/error.hpp"
#include "core/records.hpp"
#include "storage/store.hpp"

#include <caf/deep_to_string.hpp>
#include <caf/expected.hpp>
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace ecr {

// Readable records in failure messages; found by ADL from GoogleTest.

inline void PrintTo(const config_record& x, std::ostream* os) {
  *os << caf::deep_to_string(x);
}

inline void PrintTo(const status_record& x, std::ostream* os) {
  *os << caf::deep_to_string(x);
}

inline void PrintTo(const system_config_record& x, std::ostream* os) {
  *os << caf::deep_to_string(x);
}

inline void PrintTo(const config_version& x, std::ostream* os) {
  *os << caf::deep_to_string(x);
}

inline void PrintTo(delivery_status x, std::ostream* os) {
  *os << to_string(x);
}

} // namespace ecr

namespace ecr::test {

// -- backends -----------------------------------------------------------------

/// One empty database of a backend, dropped when the object goes away.
class backend_database {
public:
  virtual ~backend_database() = default;

  /// A new handle on this database, keeping versions by `history`.
  virtual caf::expected<store_ptr> open(store_role role,
                                        history_policy history = {})
    = 0;
};

/// A backend under test. `make_database` fails when this machine cannot
/// provide the backend (say, no server to talk to); the suites then skip and
/// print the error as the reason.
struct store_backend {
  std::string name;
  std::function<caf::expected<std::unique_ptr<backend_database>>()>
    make_database;
  /// Other handles see a batch's writes only once it is committed.
  bool isolated_batches = true;
};

inline void PrintTo(const store_backend& x, std::ostream* os) {
  *os << x.name;
}

/// Every backend the contract runs on.
std::vector<store_backend> store_backends();

inline std::string
backend_name(const ::testing::TestParamInfo<store_backend>& info) {
  return info.param.name;
}

/// Runs the TEST_Ps of `fixture` (a `store_contract`) on every backend.
#define ECR_STORE_CONTRACT(fixture)                                            \
  INSTANTIATE_TEST_SUITE_P(store, fixture,                                     \
                           ::testing::ValuesIn(::ecr::test::store_backends()), \
                           ::ecr::test::backend_name)

// -- results ------------------------------------------------------------------

/// The value of a call that must succeed. A failure throws, which fails the
/// test with the rendered error; callers need no ASSERT after each step.
template <class T>
T ok(caf::expected<T> x) {
  if (!x)
    throw std::runtime_error("unexpected error: " + render(x.error()));
  return std::move(*x);
}

inline void ok(const caf::error& err) {
  if (err)
    throw std::runtime_error("unexpected error: " + render(err));
}

/// Holds when `err` is an error of our category with code `code`.
inline ::testing::AssertionResult fails_with(ec code, const caf::error& err) {
  if (!err)
    return ::testing::AssertionFailure()
           << "succeeded, expected " << to_string(code);
  if (err.category() != caf::atom("ecr") || error_code(err) != code)
    return ::testing::AssertionFailure()
           << "failed with " << render(err) << ", expected " << to_string(code);
  return ::testing::AssertionSuccess();
}

template <class T>
::testing::AssertionResult fails_with(ec code, const caf::expected<T>& x) {
  if (x)
    return ::testing::AssertionFailure()
           << "succeeded, expected " << to_string(code);
  return fails_with(code, x.error());
}

// -- record builders ------------------------------------------------------------

inline constexpr const char* tenant_1 = "tenant-1";
inline constexpr const char* tenant_2 = "tenant-2";

inline config_key endpoint_key(std::string endpoint_id,
                               std::string app_version = "v1",
                               std::string name = default_config_name,
                               std::string tenant_id = tenant_1) {
  return {std::move(tenant_id), std::move(endpoint_id), std::move(app_version),
          std::move(name)};
}

/// The default configuration of an app version: no endpoint.
inline config_key default_key(std::string app_version = "v1",
                              std::string name = default_config_name,
                              std::string tenant_id = tenant_1) {
  return endpoint_key("", std::move(app_version), std::move(name),
                      std::move(tenant_id));
}

/// An If-Match precondition; no ids means `*`.
inline precondition if_match(std::vector<std::string> config_ids = {}) {
  return {true, std::move(config_ids)};
}

/// The key fields of a status record.
inline status_record status_of(std::string endpoint_id, std::string config_id,
                               std::string app_version = "v1",
                               std::string tenant_id = tenant_1) {
  status_record x;
  x.tenant_id = std::move(tenant_id);
  x.endpoint_id = std::move(endpoint_id);
  x.app_version = std::move(app_version);
  x.config_id = std::move(config_id);
  return x;
}

/// A confirmation of `key` with an HTTP-like code.
inline status_record confirmation(status_record key, int32_t code,
                                  std::string reason) {
  key.confirmation_code = code;
  key.confirmation_reason = std::move(reason);
  return key;
}

inline status_query statuses_of(std::string endpoint_id,
                                std::string tenant_id = tenant_1) {
  status_query q;
  q.tenant_id = std::move(tenant_id);
  q.endpoint_id = std::move(endpoint_id);
  return q;
}

inline system_config_record
system_config(std::string level, std::string level_id, std::string name,
              std::string config_id, int64_t created_ms = 1000,
              std::string tenant_id = tenant_1) {
  system_config_record x;
  x.tenant_id = std::move(tenant_id);
  x.config_id = std::move(config_id);
  x.level = std::move(level);
  x.level_id = std::move(level_id);
  x.display_name = "Display " + name;
  x.content = R"({"name":")" + name + R"("})";
  x.name = std::move(name);
  x.created_ms = created_ms;
  x.updated_ms = created_ms;
  return x;
}

// -- fixture ------------------------------------------------------------------

/// A fresh database per test and a writer handle on it.
class store_contract : public ::testing::TestWithParam<store_backend> {
protected:
  void SetUp() override {
    auto db = GetParam().make_database();
    if (!db)
      GTEST_SKIP() << GetParam().name << " unavailable: "
                   << error_message(db.error());
    db_ = std::move(*db);
    writer_ = open(store_role::writer);
  }

  store& writer() {
    return *writer_;
  }

  /// Another handle on the same database.
  store_ptr open(store_role role, history_policy history = {}) {
    return ok(db_->open(role, history));
  }

  /// Closes the writer and opens a new one on the same database, keeping
  /// versions by `history`.
  void reopen_writer(history_policy history = {}) {
    writer_.reset();
    writer_ = open(store_role::writer, history);
  }

  /// Stores `content` at `key` through the writer; the write must succeed.
  put_result put(const config_key& key, const std::string& content,
                 const std::string& new_config_id, int64_t now_ms,
                 const precondition& pre = {}) {
    return ok(writer().put_config(key, content, pre, new_config_id, now_ms));
  }

  status_record dispatch(const status_record& key, int64_t now_ms) {
    return ok(writer().record_dispatch(key, now_ms));
  }

  /// The status records of `query`'s endpoint, without paging limits.
  std::vector<status_record> all_statuses(status_query query) {
    query.size = 1000;
    return ok(writer().list_statuses(query)).items;
  }

private:
  std::unique_ptr<backend_database> db_;
  store_ptr writer_;
};

} // namespace ecr::test
