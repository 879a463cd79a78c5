// Contract of the lifecycle purges (A19): purge_endpoint, purge_tenant.

#include "tests/unit/store_contract.hpp"

namespace ecr::test {

namespace {

/// Records per endpoint in `populate`: 3 configs, 2 statuses, 1 system config.
constexpr int64_t per_endpoint = 6;

/// Records per tenant in `populate` that belong to no endpoint.
constexpr int64_t per_tenant_wide = 3;

constexpr int64_t per_tenant = 2 * per_endpoint + per_tenant_wide;

class purge_contract : public store_contract {
protected:
  void SetUp() override {
    store_contract::SetUp();
    if (!IsSkipped())
      populate();
  }

  /// The same records for ep-1 and ep-2 in both tenants.
  void populate() {
    int serial = 0;
    auto next_id = [&] { return "id-" + std::to_string(++serial); };
    for (auto tenant : {tenant_1, tenant_2}) {
      for (auto endpoint : {"ep-1", "ep-2"}) {
        put(endpoint_key(endpoint, "v1", default_config_name, tenant), "{}",
            next_id(), 1000);
        put(endpoint_key(endpoint, "v1", "other", tenant), "{}", next_id(),
            1000);
        put(endpoint_key(endpoint, "v2", default_config_name, tenant), "{}",
            next_id(), 1000);
        dispatch(status_of(endpoint, next_id(), "v1", tenant), 1000);
        dispatch(status_of(endpoint, next_id(), "v2", tenant), 1000);
        ok(writer().create_system_config(
          system_config("ENDPOINT", endpoint, "logging", next_id(), 1000,
                        tenant)));
      }
      put(default_key("v1", default_config_name, tenant), "{}", next_id(),
          1000);
      // An app version that happens to share the endpoint's ID: not ENDPOINT.
      ok(writer().create_system_config(
        system_config("APP_VERSION", "ep-1", "logging", next_id(), 1000,
                      tenant)));
      ok(writer().create_system_config(
        system_config("TENANT", tenant, "logging", next_id(), 1000, tenant)));
    }
  }

  /// How many of the records `populate` made for the endpoint remain.
  int64_t endpoint_records(const std::string& tenant,
                           const std::string& endpoint) {
    return count(writer().list_configs(endpoint_key(endpoint, "v1",
                                                    default_config_name,
                                                    tenant)))
           + count(writer().list_configs(endpoint_key(endpoint, "v2",
                                                      default_config_name,
                                                      tenant)))
           + ok(writer().list_statuses(statuses_of(endpoint, tenant))).total
           + count(writer().list_system_configs(tenant, "ENDPOINT", endpoint));
  }

  /// How many of the tenant-wide records `populate` made remain.
  int64_t tenant_wide_records(const std::string& tenant) {
    return count(writer().list_configs(default_key("v1", default_config_name,
                                                   tenant)))
           + count(writer().list_system_configs(tenant, "APP_VERSION", "ep-1"))
           + count(writer().list_system_configs(tenant, "TENANT", tenant));
  }

  template <class T>
  static int64_t count(caf::expected<std::vector<T>> xs) {
    return static_cast<int64_t>(ok(std::move(xs)).size());
  }
};

ECR_STORE_CONTRACT(purge_contract);

TEST_P(purge_contract, populated_records_are_all_counted) {
  for (auto tenant : {tenant_1, tenant_2}) {
    EXPECT_EQ(endpoint_records(tenant, "ep-1"), per_endpoint) << tenant;
    EXPECT_EQ(endpoint_records(tenant, "ep-2"), per_endpoint) << tenant;
    EXPECT_EQ(tenant_wide_records(tenant), per_tenant_wide) << tenant;
  }
}

TEST_P(purge_contract, purge_endpoint_removes_only_that_endpoint) {
  EXPECT_EQ(ok(writer().purge_endpoint(tenant_1, "ep-1")),
            static_cast<uint64_t>(per_endpoint));
  EXPECT_EQ(endpoint_records(tenant_1, "ep-1"), 0);
  EXPECT_EQ(endpoint_records(tenant_1, "ep-2"), per_endpoint);
  EXPECT_EQ(tenant_wide_records(tenant_1), per_tenant_wide);
  EXPECT_EQ(endpoint_records(tenant_2, "ep-1"), per_endpoint);
  EXPECT_EQ(endpoint_records(tenant_2, "ep-2"), per_endpoint);
  EXPECT_EQ(tenant_wide_records(tenant_2), per_tenant_wide);
  EXPECT_EQ(ok(writer().endpoints_following_default(tenant_1, "v1", "no-such-name")),
            std::vector<std::string>{"ep-2"});
}

TEST_P(purge_contract, purge_endpoint_is_idempotent) {
  ok(writer().purge_endpoint(tenant_1, "ep-1"));
  EXPECT_EQ(ok(writer().purge_endpoint(tenant_1, "ep-1")), 0u);
  EXPECT_EQ(ok(writer().purge_endpoint(tenant_1, "ep-unknown")), 0u);
  EXPECT_EQ(endpoint_records(tenant_1, "ep-2"), per_endpoint);
}

TEST_P(purge_contract, purge_tenant_removes_only_that_tenant) {
  EXPECT_EQ(ok(writer().purge_tenant(tenant_1)),
            static_cast<uint64_t>(per_tenant));
  EXPECT_EQ(endpoint_records(tenant_1, "ep-1"), 0);
  EXPECT_EQ(endpoint_records(tenant_1, "ep-2"), 0);
  EXPECT_EQ(tenant_wide_records(tenant_1), 0);
  EXPECT_TRUE(ok(writer().endpoints_following_default(tenant_1, "v1", "no-such-name")).empty());
  EXPECT_EQ(endpoint_records(tenant_2, "ep-1"), per_endpoint);
  EXPECT_EQ(endpoint_records(tenant_2, "ep-2"), per_endpoint);
  EXPECT_EQ(tenant_wide_records(tenant_2), per_tenant_wide);
}

TEST_P(purge_contract, purge_tenant_is_idempotent) {
  ok(writer().purge_tenant(tenant_1));
  EXPECT_EQ(ok(writer().purge_tenant(tenant_1)), 0u);
  EXPECT_EQ(ok(writer().purge_tenant("tenant-unknown")), 0u);
  EXPECT_EQ(tenant_wide_records(tenant_2), per_tenant_wide);
}

} // namespace

} // namespace ecr::test
