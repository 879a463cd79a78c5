// Contract of the configuration methods: put_config, get_config,
// list_configs, delete_config, endpoints_following_default.

#include "tests/unit/store_contract.hpp"

namespace ecr::test {

namespace {

class config_contract : public store_contract {};

ECR_STORE_CONTRACT(config_contract);

const std::string content_a = R"({"a":1})";
const std::string content_b = R"({"b":2})";

std::vector<std::string> names_of(const std::vector<config_record>& records) {
  std::vector<std::string> names;
  for (const auto& x : records)
    names.push_back(x.key.name);
  return names;
}

// -- put_config -------------------------------------------------------------------

TEST_P(config_contract, put_creates_a_record) {
  auto key = endpoint_key("ep-1");
  auto result = put(key, content_a, "id-1", 1000);
  EXPECT_TRUE(result.created);
  EXPECT_TRUE(result.changed);
  config_record expected{key, "id-1", content_a, 1000, 1000};
  EXPECT_EQ(result.record, expected);
  EXPECT_EQ(ok(writer().get_config(key)), expected);
}

TEST_P(config_contract, put_of_identical_content_leaves_the_record_untouched) {
  auto key = endpoint_key("ep-1");
  auto first = put(key, content_a, "id-1", 1000).record;
  auto again = put(key, content_a, "id-2", 5000);
  EXPECT_FALSE(again.changed);
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.record, first);
  EXPECT_EQ(ok(writer().get_config(key)), first);
}

TEST_P(config_contract, put_of_changed_content_takes_the_new_id_and_time) {
  auto key = endpoint_key("ep-1");
  put(key, content_a, "id-1", 1000);
  auto result = put(key, content_b, "id-2", 3000);
  EXPECT_TRUE(result.changed);
  EXPECT_FALSE(result.created);
  config_record expected{key, "id-2", content_b, 1000, 3000};
  EXPECT_EQ(result.record, expected);
  EXPECT_EQ(ok(writer().get_config(key)), expected);
}

TEST_P(config_contract, keys_differing_in_any_part_are_independent) {
  std::vector<config_key> keys{
    endpoint_key("ep-1"),
    endpoint_key("ep-2"),
    default_key(),
    endpoint_key("ep-1", "v2"),
    endpoint_key("ep-1", "v1", "other"),
    endpoint_key("ep-1", "v1", default_config_name, tenant_2),
    default_key("v1", default_config_name, tenant_2),
  };
  for (size_t i = 0; i < keys.size(); ++i) {
    auto id = "id-" + std::to_string(i);
    auto result = put(keys[i], R"({"i":)" + std::to_string(i) + "}", id, 1000);
    EXPECT_TRUE(result.created) << "key #" << i;
  }
  // Changing one key leaves all others as they were.
  put(keys[0], content_b, "id-changed", 2000);
  for (size_t i = 1; i < keys.size(); ++i) {
    config_record expected{keys[i], "id-" + std::to_string(i),
                           R"({"i":)" + std::to_string(i) + "}", 1000, 1000};
    EXPECT_EQ(ok(writer().get_config(keys[i])), expected) << "key #" << i;
  }
}

// -- put_config preconditions ---------------------------------------------------

TEST_P(config_contract, put_with_wildcard_on_a_missing_record_fails) {
  auto key = endpoint_key("ep-1");
  EXPECT_TRUE(fails_with(ec::precondition_failed,
                         writer().put_config(key, content_a, if_match(), "id-1",
                                             1000)));
  EXPECT_TRUE(fails_with(ec::not_found, writer().get_config(key)));
}

TEST_P(config_contract, put_with_ids_on_a_missing_record_fails) {
  auto key = endpoint_key("ep-1");
  EXPECT_TRUE(fails_with(ec::precondition_failed,
                         writer().put_config(key, content_a, if_match({"id-1"}),
                                             "id-1", 1000)));
  EXPECT_TRUE(fails_with(ec::not_found, writer().get_config(key)));
}

TEST_P(config_contract, put_with_an_admitting_precondition_writes) {
  auto key = endpoint_key("ep-1");
  put(key, content_a, "id-1", 1000);
  EXPECT_EQ(put(key, content_b, "id-2", 2000, if_match()).record.config_id,
            "id-2");
  EXPECT_EQ(put(key, content_a, "id-3", 3000, if_match({"id-2"})).record.content,
            content_a);
  auto listed = put(key, content_b, "id-4", 4000,
                    if_match({"id-x", "id-3", "id-y"}));
  EXPECT_EQ(listed.record, (config_record{key, "id-4", content_b, 1000, 4000}));
  EXPECT_EQ(ok(writer().get_config(key)), listed.record);
}

TEST_P(config_contract, put_with_a_mismatching_precondition_changes_nothing) {
  auto key = endpoint_key("ep-1");
  auto stored = put(key, content_a, "id-1", 1000).record;
  EXPECT_TRUE(fails_with(ec::precondition_failed,
                         writer().put_config(key, content_b,
                                             if_match({"id-x", "id-y"}), "id-2",
                                             2000)));
  // Even an idempotent re-upload is refused when the condition fails.
  EXPECT_TRUE(fails_with(ec::precondition_failed,
                         writer().put_config(key, content_a, if_match({"id-x"}),
                                             "id-2", 2000)));
  EXPECT_EQ(ok(writer().get_config(key)), stored);
}

// -- get_config and list_configs --------------------------------------------------

TEST_P(config_contract, get_of_a_missing_record_is_not_found) {
  put(endpoint_key("ep-1"), content_a, "id-1", 1000);
  for (const auto& key :
       {endpoint_key("ep-2"), endpoint_key("ep-1", "v2"),
        endpoint_key("ep-1", "v1", "other"), default_key(),
        endpoint_key("ep-1", "v1", default_config_name, tenant_2)})
    EXPECT_TRUE(fails_with(ec::not_found, writer().get_config(key)))
      << key.endpoint_id << "/" << key.app_version << "/" << key.name << "@"
      << key.tenant_id;
}

TEST_P(config_contract, list_returns_the_scope_sorted_by_name) {
  for (auto name : {"zeta", "alpha", default_config_name})
    put(endpoint_key("ep-1", "v1", name), content_a, std::string{"id-"} + name,
        1000);
  // Outside the scope: other app version, endpoint, tenant; the default.
  put(endpoint_key("ep-1", "v2", "beta"), content_a, "id-v2", 1000);
  put(endpoint_key("ep-2", "v1", "gamma"), content_a, "id-ep2", 1000);
  put(endpoint_key("ep-1", "v1", "delta", tenant_2), content_a, "id-t2", 1000);
  put(default_key("v1", "eta"), content_a, "id-default", 1000);
  // The scope's name plays no part.
  auto listed = ok(writer().list_configs(endpoint_key("ep-1", "v1", "zeta")));
  EXPECT_EQ(names_of(listed),
            (std::vector<std::string>{"alpha", default_config_name, "zeta"}));
  EXPECT_EQ(listed.front(), ok(writer().get_config(
                              endpoint_key("ep-1", "v1", "alpha"))));
  EXPECT_EQ(names_of(ok(writer().list_configs(default_key()))),
            std::vector<std::string>{"eta"});
  EXPECT_TRUE(ok(writer().list_configs(endpoint_key("ep-3"))).empty());
}

// -- modify_config (B2) -------------------------------------------------------------

/// A change appending `suffix` to a JSON string content.
store::config_modifier append(std::string suffix) {
  return [suffix](const config_record& current) -> caf::expected<std::string> {
    auto text = current.content;
    text.insert(text.size() - 1, suffix);
    return text;
  };
}

TEST_P(config_contract, modify_changes_what_is_there) {
  auto key = endpoint_key("ep-1");
  put(key, R"("a")", "id-1", 1000);
  auto changed = ok(writer().modify_config(key, append("b"), {}, "id-2", 2000,
                                           {change_origin::patch, "p"}));
  EXPECT_TRUE(changed.changed);
  EXPECT_EQ(changed.record,
            (config_record{key, "id-2", R"("ab")", 1000, 2000}));
  EXPECT_EQ(ok(writer().get_config(key)), changed.record);
  // No change, no new configId.
  auto same = ok(writer().modify_config(
    key, [](const config_record& c) { return caf::expected<std::string>{c.content}; },
    {}, "id-3", 3000, {}));
  EXPECT_FALSE(same.changed);
  EXPECT_EQ(same.record.config_id, "id-2");
}

TEST_P(config_contract, modify_never_creates_and_refuses_as_its_change_does) {
  auto key = endpoint_key("ep-1");
  EXPECT_TRUE(fails_with(ec::not_found, writer().modify_config(
                                          key, append("x"), {}, "id-1", 1000, {})));
  EXPECT_TRUE(fails_with(ec::precondition_failed,
                         writer().modify_config(key, append("x"), if_match(),
                                                "id-1", 1000, {})));
  put(key, R"("a")", "id-1", 1000);
  EXPECT_TRUE(fails_with(ec::precondition_failed,
                         writer().modify_config(key, append("x"),
                                                if_match({"id-0"}), "id-2", 2000,
                                                {})));
  auto refuse = [](const config_record&) -> caf::expected<std::string> {
    return make_error(ec::conflict, "cannot apply");
  };
  EXPECT_TRUE(fails_with(ec::conflict, writer().modify_config(
                                         key, refuse, {}, "id-2", 2000, {})));
  // Nothing changed, no version either.
  EXPECT_EQ(ok(writer().get_config(key)).content, R"("a")");
  EXPECT_EQ(ok(writer().revision_of(key)), 1);
}

// -- delete_config ----------------------------------------------------------------

TEST_P(config_contract, delete_returns_the_removed_record) {
  auto key = endpoint_key("ep-1");
  auto stored = put(key, content_a, "id-1", 1000).record;
  put(default_key(), content_b, "id-default", 1000);
  EXPECT_EQ(ok(writer().delete_config(key, {})), stored);
  EXPECT_TRUE(fails_with(ec::not_found, writer().get_config(key)));
  // The default of the same name is a different record.
  EXPECT_EQ(ok(writer().get_config(default_key())).config_id, "id-default");
  EXPECT_TRUE(fails_with(ec::not_found, writer().delete_config(key, {})));
}

TEST_P(config_contract, delete_with_a_precondition_on_a_missing_record_fails) {
  EXPECT_TRUE(fails_with(ec::precondition_failed,
                         writer().delete_config(endpoint_key("ep-1"),
                                                if_match())));
  EXPECT_TRUE(fails_with(ec::precondition_failed,
                         writer().delete_config(endpoint_key("ep-1"),
                                                if_match({"id-1"}))));
}

TEST_P(config_contract, delete_with_a_mismatching_precondition_keeps_the_record) {
  auto key = endpoint_key("ep-1");
  auto stored = put(key, content_a, "id-1", 1000).record;
  EXPECT_TRUE(fails_with(ec::precondition_failed,
                         writer().delete_config(key, if_match({"id-2"}))));
  EXPECT_EQ(ok(writer().get_config(key)), stored);
}

TEST_P(config_contract, delete_with_an_admitting_precondition_removes) {
  auto key = endpoint_key("ep-1");
  auto stored = put(key, content_a, "id-1", 1000).record;
  EXPECT_EQ(ok(writer().delete_config(key, if_match({"id-0", "id-1"}))),
            stored);
  EXPECT_TRUE(fails_with(ec::not_found, writer().get_config(key)));
  put(key, content_a, "id-2", 2000);
  EXPECT_EQ(ok(writer().delete_config(key, if_match())).config_id, "id-2");
  EXPECT_TRUE(fails_with(ec::not_found, writer().get_config(key)));
}

// -- endpoints_following_default --------------------------------------------------

TEST_P(config_contract, endpoints_following_a_default_are_known_without_their_own) {
  put(endpoint_key("ep-b"), content_a, "id-b", 1000);
  put(endpoint_key("ep-a", "v1", "other"), content_a, "id-a", 1000);
  dispatch(status_of("ep-a", "id-a"), 1000);
  dispatch(status_of("ep-c", "id-c"), 1000);
  // Not known for v1 of tenant-1: the default itself, other versions, tenants.
  put(default_key(), content_a, "id-default", 1000);
  put(endpoint_key("ep-d", "v2"), content_a, "id-d", 1000);
  dispatch(status_of("ep-e", "id-e", "v2"), 1000);
  put(endpoint_key("ep-f", "v1", default_config_name, tenant_2), content_a,
      "id-f", 1000);
  dispatch(status_of("ep-g", "id-g", "v1", tenant_2), 1000);
  // ep-b has its own "default"; ep-a only its own "other".
  EXPECT_EQ(ok(writer().endpoints_following_default(tenant_1, "v1",
                                                    default_config_name)),
            (std::vector<std::string>{"ep-a", "ep-c"}));
  EXPECT_EQ(ok(writer().endpoints_following_default(tenant_1, "v1", "other")),
            (std::vector<std::string>{"ep-b", "ep-c"}));
  EXPECT_TRUE(
    ok(writer().endpoints_following_default(tenant_1, "v3", default_config_name))
      .empty());
}

} // namespace

} // namespace ecr::test
