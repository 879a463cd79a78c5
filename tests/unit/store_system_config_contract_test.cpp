// Contract of the system configurations (A17).

#include "tests/unit/store_contract.hpp"

namespace ecr::test {

namespace {

class system_config_contract : public store_contract {
protected:
  system_config_record create(const system_config_record& x) {
    return ok(writer().create_system_config(x));
  }
};

ECR_STORE_CONTRACT(system_config_contract);

TEST_P(system_config_contract, create_stores_the_record) {
  auto record = system_config("ENDPOINT", "ep-1", "logging", "sc-1");
  EXPECT_EQ(create(record), record);
  EXPECT_EQ(ok(writer().get_system_config(tenant_1, "sc-1")), record);
  EXPECT_EQ(ok(writer().find_system_config(tenant_1, "ENDPOINT", "ep-1",
                                           "logging")),
            record);
}

TEST_P(system_config_contract, duplicate_name_at_the_same_level_conflicts) {
  auto first = create(system_config("APP_VERSION", "v1", "logging", "sc-1"));
  EXPECT_TRUE(fails_with(ec::conflict,
                         writer().create_system_config(system_config(
                           "APP_VERSION", "v1", "logging", "sc-2", 2000))));
  EXPECT_TRUE(fails_with(ec::not_found,
                         writer().get_system_config(tenant_1, "sc-2")));
  EXPECT_EQ(ok(writer().find_system_config(tenant_1, "APP_VERSION", "v1",
                                           "logging")),
            first);
}

TEST_P(system_config_contract, same_name_elsewhere_is_a_different_record) {
  create(system_config("APP_VERSION", "v1", "logging", "sc-1"));
  std::vector<system_config_record> others{
    system_config("APPLICATION", "v1", "logging", "sc-2"),
    system_config("APP_VERSION", "v2", "logging", "sc-3"),
    system_config("APP_VERSION", "v1", "logging", "sc-4", 1000, tenant_2),
  };
  for (const auto& x : others) {
    EXPECT_EQ(create(x), x);
    EXPECT_EQ(ok(writer().find_system_config(x.tenant_id, x.level, x.level_id,
                                             "logging")),
              x);
  }
}

TEST_P(system_config_contract, lookups_of_missing_records_are_not_found) {
  create(system_config("TENANT", tenant_1, "logging", "sc-1"));
  EXPECT_TRUE(fails_with(ec::not_found,
                         writer().get_system_config(tenant_1, "sc-x")));
  EXPECT_TRUE(fails_with(ec::not_found,
                         writer().get_system_config(tenant_2, "sc-1")));
  EXPECT_TRUE(fails_with(ec::not_found,
                         writer().find_system_config(tenant_1, "TENANT",
                                                     tenant_1, "alerts")));
  EXPECT_TRUE(fails_with(ec::not_found,
                         writer().find_system_config(tenant_1, "APPLICATION",
                                                     tenant_1, "logging")));
}

TEST_P(system_config_contract, list_returns_the_level_oldest_first) {
  auto late = create(system_config("APPLICATION", "app", "a-late", "sc-1", 300));
  auto early = create(system_config("APPLICATION", "app", "z-early", "sc-2",
                                    100));
  auto middle = create(system_config("APPLICATION", "app", "m-middle", "sc-3",
                                     200));
  create(system_config("APPLICATION", "other-app", "x", "sc-4"));
  create(system_config("APP_VERSION", "app", "y", "sc-5"));
  create(system_config("APPLICATION", "app", "z", "sc-6", 50, tenant_2));
  EXPECT_EQ(ok(writer().list_system_configs(tenant_1, "APPLICATION", "app")),
            (std::vector{early, middle, late}));
  EXPECT_TRUE(
    ok(writer().list_system_configs(tenant_1, "ENDPOINT", "app")).empty());
}

TEST_P(system_config_contract, update_replaces_display_name_and_content) {
  auto stored = create(system_config("ENDPOINT", "ep-1", "logging", "sc-1"));
  auto update = stored;
  update.display_name = "Logging";
  update.content = R"({"level":"debug"})";
  // Fields other than display name and content are not the caller's to set.
  update.level = "TENANT";
  update.created_ms = 1;
  auto expected = stored;
  expected.display_name = "Logging";
  expected.content = R"({"level":"debug"})";
  expected.updated_ms = 5000;
  EXPECT_EQ(ok(writer().update_system_config(update, 5000)), expected);
  EXPECT_EQ(ok(writer().get_system_config(tenant_1, "sc-1")), expected);
}

TEST_P(system_config_contract, update_without_a_name_keeps_the_name) {
  auto stored = create(system_config("ENDPOINT", "ep-1", "logging", "sc-1"));
  auto update = stored;
  update.name.clear();
  update.content = "{}";
  auto updated = ok(writer().update_system_config(update, 5000));
  EXPECT_EQ(updated.name, "logging");
  EXPECT_EQ(updated.content, "{}");
}

TEST_P(system_config_contract, update_cannot_rename) {
  auto stored = create(system_config("ENDPOINT", "ep-1", "logging", "sc-1"));
  auto update = stored;
  update.name = "alerts";
  update.content = "{}";
  EXPECT_TRUE(fails_with(ec::invalid_argument,
                         writer().update_system_config(update, 5000)));
  EXPECT_EQ(ok(writer().get_system_config(tenant_1, "sc-1")), stored);
}

TEST_P(system_config_contract, update_of_a_missing_record_is_not_found) {
  auto stored = create(system_config("ENDPOINT", "ep-1", "logging", "sc-1"));
  auto missing = stored;
  missing.config_id = "sc-x";
  EXPECT_TRUE(fails_with(ec::not_found,
                         writer().update_system_config(missing, 5000)));
  auto other_tenant = stored;
  other_tenant.tenant_id = tenant_2;
  EXPECT_TRUE(fails_with(ec::not_found,
                         writer().update_system_config(other_tenant, 5000)));
  EXPECT_EQ(ok(writer().get_system_config(tenant_1, "sc-1")), stored);
}

TEST_P(system_config_contract, delete_removes_only_that_record) {
  create(system_config("ENDPOINT", "ep-1", "logging", "sc-1"));
  auto kept = create(system_config("ENDPOINT", "ep-1", "alerts", "sc-2"));
  ok(writer().delete_system_config(tenant_1, "sc-1"));
  EXPECT_TRUE(fails_with(ec::not_found,
                         writer().get_system_config(tenant_1, "sc-1")));
  EXPECT_EQ(ok(writer().list_system_configs(tenant_1, "ENDPOINT", "ep-1")),
            std::vector{kept});
  // The name is free again.
  create(system_config("ENDPOINT", "ep-1", "logging", "sc-3"));
}

TEST_P(system_config_contract, delete_of_a_missing_record_is_not_found) {
  auto kept = create(system_config("ENDPOINT", "ep-1", "logging", "sc-1"));
  EXPECT_TRUE(fails_with(ec::not_found,
                         writer().delete_system_config(tenant_1, "sc-x")));
  EXPECT_TRUE(fails_with(ec::not_found,
                         writer().delete_system_config(tenant_2, "sc-1")));
  EXPECT_EQ(ok(writer().get_system_config(tenant_1, "sc-1")), kept);
}

// -- the ENDPOINT level's parent ------------------------------------------------

TEST_P(system_config_contract, endpoint_app_version_prefers_the_latest_config) {
  put(endpoint_key("ep-1", "v1"), "{}", "c-1", 1000);
  put(endpoint_key("ep-1", "v2", "night"), "{}", "c-2", 3000);
  put(endpoint_key("ep-1", "v3"), "{}", "c-3", 2000);
  // A later dispatch under another version does not outrank a config.
  dispatch(status_of("ep-1", "c-9", "v4"), 9000);
  EXPECT_EQ(ok(writer().app_version_of_endpoint(tenant_1, "ep-1")), "v2");
}

TEST_P(system_config_contract, endpoint_app_version_falls_back_to_statuses) {
  dispatch(status_of("ep-1", "c-1", "v1"), 1000);
  dispatch(status_of("ep-1", "c-2", "v2"), 2000);
  EXPECT_EQ(ok(writer().app_version_of_endpoint(tenant_1, "ep-1")), "v2");
  // Defaults (no endpoint) and other tenants do not count.
  put(default_key("v9"), "{}", "d-1", 5000);
  put(endpoint_key("ep-1", "v8", default_config_name, tenant_2), "{}", "c-3",
      6000);
  EXPECT_EQ(ok(writer().app_version_of_endpoint(tenant_1, "ep-1")), "v2");
}

TEST_P(system_config_contract, endpoint_app_version_of_a_stranger_is_not_found) {
  put(endpoint_key("ep-1", "v1"), "{}", "c-1", 1000);
  EXPECT_TRUE(fails_with(ec::not_found,
                         writer().app_version_of_endpoint(tenant_1, "ep-2")));
  EXPECT_TRUE(fails_with(ec::not_found,
                         writer().app_version_of_endpoint(tenant_2, "ep-1")));
}

} // namespace

} // namespace ecr::test
