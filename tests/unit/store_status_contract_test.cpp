// Contract of the delivery statuses (A9, A13): record_dispatch,
// record_confirmation, list_statuses.

#include "tests/unit/store_contract.hpp"

namespace ecr::test {

namespace {

class status_contract : public store_contract {};

ECR_STORE_CONTRACT(status_contract);

const std::string content_a = R"({"a":1})";

/// A dispatch of `config_id` to ep-1 carrying `content_a`.
status_record dispatch_of(const std::string& config_id) {
  auto x = status_of("ep-1", config_id);
  x.content = content_a;
  return x;
}

std::vector<std::string> config_ids_of(const status_page& page) {
  std::vector<std::string> ids;
  for (const auto& x : page.items)
    ids.push_back(x.config_id);
  return ids;
}

// -- record_dispatch --------------------------------------------------------------

TEST_P(status_contract, first_dispatch_creates_a_dispatched_record) {
  auto expected = dispatch_of("id-1");
  expected.last_dispatched_ms = 1000;
  EXPECT_EQ(dispatch(dispatch_of("id-1"), 1000), expected);
  EXPECT_EQ(all_statuses(statuses_of("ep-1")), std::vector{expected});
}

TEST_P(status_contract, later_dispatch_updates_only_the_dispatch_time) {
  dispatch(dispatch_of("id-1"), 1000);
  auto expected = dispatch_of("id-1");
  expected.last_dispatched_ms = 2000;
  EXPECT_EQ(dispatch(dispatch_of("id-1"), 2000), expected);
  EXPECT_EQ(all_statuses(statuses_of("ep-1")), std::vector{expected});
}

TEST_P(status_contract, dispatch_never_downgrades_a_confirmation) {
  for (int32_t code : {200, 500}) {
    auto key = dispatch_of("id-" + std::to_string(code));
    dispatch(key, 1000);
    auto confirmed = ok(writer().record_confirmation(
      confirmation(key, code, "reason"), false, 2000));
    auto after = dispatch(key, 3000);
    auto expected = confirmed;
    expected.last_dispatched_ms = 3000;
    EXPECT_EQ(after, expected) << "code " << code;
  }
}

// -- record_dispatches -------------------------------------------------------------

TEST_P(status_contract, batch_dispatches_follow_the_single_dispatch_rules) {
  auto confirmed = dispatch_of("id-confirmed");
  dispatch(confirmed, 500);
  auto before = ok(writer().record_confirmation(
    confirmation(confirmed, 200, "ok"), false, 600));
  auto fresh = dispatch_of("id-fresh");
  fresh.content = R"({"c":1})";
  fresh.last_dispatched_ms = 1000;
  auto again = confirmed;
  again.last_dispatched_ms = 2000;
  EXPECT_EQ(ok(writer().record_dispatches({fresh, again})), 2u);
  auto expected_fresh = fresh;
  auto expected_confirmed = before;
  expected_confirmed.last_dispatched_ms = 2000;
  EXPECT_EQ(all_statuses(statuses_of("ep-1")),
            (std::vector{expected_confirmed, expected_fresh}));
  EXPECT_EQ(ok(writer().record_dispatches({})), 0u);
}

// -- record_confirmation, explicit -------------------------------------------------

TEST_P(status_contract, explicit_confirmation_sets_status_by_code) {
  struct sample {
    int32_t code;
    delivery_status status;
  };
  for (auto [code, status] : {sample{200, delivery_status::confirmed},
                              sample{299, delivery_status::confirmed},
                              sample{199, delivery_status::failed},
                              sample{300, delivery_status::failed},
                              sample{400, delivery_status::failed},
                              sample{500, delivery_status::failed}}) {
    auto key = dispatch_of("id-" + std::to_string(code));
    dispatch(key, 1000);
    auto request = confirmation(key, code, "reason " + std::to_string(code));
    auto expected = request;
    expected.status = status;
    expected.last_dispatched_ms = 1000;
    expected.last_confirmed_ms = 2000;
    EXPECT_EQ(ok(writer().record_confirmation(request, false, 2000)), expected)
      << "code " << code;
    auto q = statuses_of("ep-1");
    q.config_id = key.config_id;
    EXPECT_EQ(all_statuses(q), std::vector{expected}) << "code " << code;
  }
}

TEST_P(status_contract, later_confirmation_overwrites) {
  auto key = dispatch_of("id-1");
  dispatch(key, 1000);
  ok(writer().record_confirmation(confirmation(key, 500, "broken"), false,
                                  2000));
  auto confirmed = ok(writer().record_confirmation(confirmation(key, 200, "OK"),
                                                   false, 3000));
  EXPECT_EQ(confirmed.status, delivery_status::confirmed);
  EXPECT_EQ(confirmed.confirmation_code, 200);
  EXPECT_EQ(confirmed.confirmation_reason, "OK");
  EXPECT_EQ(confirmed.last_confirmed_ms, 3000);
  auto failed = ok(writer().record_confirmation(confirmation(key, 400, "no"),
                                                false, 4000));
  EXPECT_EQ(failed.status, delivery_status::failed);
  EXPECT_EQ(failed.confirmation_code, 400);
  EXPECT_EQ(all_statuses(statuses_of("ep-1")), std::vector{failed});
}

TEST_P(status_contract, explicit_confirmation_without_dispatch_creates_a_record) {
  auto key = status_of("ep-1", "id-1");
  auto stored = ok(
    writer().record_confirmation(confirmation(key, 200, "OK"), false, 2000));
  EXPECT_EQ(stored.status, delivery_status::confirmed);
  EXPECT_EQ(stored.last_dispatched_ms, 0);
  EXPECT_EQ(stored.last_confirmed_ms, 2000);
  EXPECT_EQ(all_statuses(statuses_of("ep-1")), std::vector{stored});
}

// -- record_confirmation, implicit (A13) ---------------------------------------------

TEST_P(status_contract, implicit_confirmation_of_an_unknown_id_is_not_found) {
  // Known elsewhere only: another endpoint's config, another app version's
  // default, another tenant's config of this endpoint, another's history.
  put(endpoint_key("ep-2"), content_a, "id-ep2", 1000);
  put(default_key("v2"), content_a, "id-v2-default", 1000);
  put(endpoint_key("ep-1", "v1", default_config_name, tenant_2), content_a,
      "id-t2", 1000);
  dispatch(status_of("ep-2", "id-ep2-history"), 1000);
  for (auto id : {"id-none", "id-ep2", "id-v2-default", "id-t2",
                  "id-ep2-history"})
    EXPECT_TRUE(fails_with(ec::not_found,
                           writer().record_confirmation(
                             confirmation(status_of("ep-1", id), 200,
                                          "Implicitly applied"),
                             true, 2000)))
      << id;
  EXPECT_TRUE(all_statuses(statuses_of("ep-1")).empty());
}

TEST_P(status_contract, implicit_confirmation_of_a_known_id_confirms) {
  put(endpoint_key("ep-1", "v1", "other"), content_a, "id-own", 1000);
  put(default_key("v1", "other"), R"({"default":true})", "id-default", 1000);
  dispatch(status_of("ep-1", "id-history"), 1000);
  for (auto id : {"id-own", "id-default", "id-history"}) {
    auto stored = ok(writer().record_confirmation(
      confirmation(status_of("ep-1", id), 200, "Implicitly applied"), true,
      2000));
    EXPECT_EQ(stored.status, delivery_status::confirmed) << id;
    EXPECT_EQ(stored.confirmation_code, 200) << id;
    EXPECT_EQ(stored.confirmation_reason, "Implicitly applied") << id;
    EXPECT_EQ(stored.last_confirmed_ms, 2000) << id;
  }
  EXPECT_EQ(all_statuses(statuses_of("ep-1")).size(), 3u);
}

TEST_P(status_contract, implicit_confirmation_carries_the_config_content) {
  put(endpoint_key("ep-1"), content_a, "id-own", 1000);
  auto stored = ok(writer().record_confirmation(
    confirmation(status_of("ep-1", "id-own"), 200, "Implicitly applied"), true,
    2000));
  EXPECT_EQ(stored.content, content_a);
}

TEST_P(status_contract, confirmation_never_carries_another_tenants_content) {
  const std::string secret = R"({"secret":"tenant-2"})";
  put(endpoint_key("ep-1", "v1", default_config_name, tenant_2), secret,
      "id-t2", 1000);
  auto stored = ok(writer().record_confirmation(
    confirmation(status_of("ep-1", "id-t2"), 200, "OK"), false, 2000));
  EXPECT_NE(stored.content, secret);
  EXPECT_EQ(stored.tenant_id, tenant_1);
}

TEST_P(status_contract, implicit_confirmation_never_overwrites_failed) {
  auto key = dispatch_of("id-1");
  dispatch(key, 1000);
  auto failed = ok(writer().record_confirmation(confirmation(key, 500, "broken"),
                                                false, 2000));
  auto after = ok(writer().record_confirmation(
    confirmation(key, 200, "Implicitly applied"), true, 3000));
  EXPECT_EQ(after, failed);
  EXPECT_EQ(all_statuses(statuses_of("ep-1")), std::vector{failed});
}

TEST_P(status_contract, implicit_confirmation_overwrites_confirmed) {
  auto key = dispatch_of("id-1");
  dispatch(key, 1000);
  ok(writer().record_confirmation(confirmation(key, 201, "Created"), false,
                                  2000));
  auto after = ok(writer().record_confirmation(
    confirmation(key, 200, "Implicitly applied"), true, 3000));
  EXPECT_EQ(after.status, delivery_status::confirmed);
  EXPECT_EQ(after.confirmation_code, 200);
  EXPECT_EQ(after.last_confirmed_ms, 3000);
}

// -- list_statuses --------------------------------------------------------------------

class status_listing : public status_contract {
protected:
  void SetUp() override {
    status_contract::SetUp();
    if (IsSkipped())
      return;
    dispatch(status_of("ep-1", "a"), 100);
    dispatch(status_of("ep-1", "b"), 300);
    dispatch(status_of("ep-1", "c"), 200);
    dispatch(status_of("ep-1", "d", "v2"), 400);
    // Not ep-1 of tenant-1.
    dispatch(status_of("ep-2", "e"), 500);
    dispatch(status_of("ep-1", "f", "v1", tenant_2), 600);
  }

  status_page list(const status_query& q) {
    return ok(writer().list_statuses(q));
  }
};

ECR_STORE_CONTRACT(status_listing);

using ids = std::vector<std::string>;

TEST_P(status_listing, lists_the_endpoint_newest_dispatch_first) {
  auto page = list(statuses_of("ep-1"));
  EXPECT_EQ(page.total, 4);
  EXPECT_EQ(config_ids_of(page), (ids{"d", "b", "c", "a"}));
}

TEST_P(status_listing, lists_oldest_first_when_ascending) {
  auto q = statuses_of("ep-1");
  q.ascending = true;
  EXPECT_EQ(config_ids_of(list(q)), (ids{"a", "c", "b", "d"}));
}

TEST_P(status_listing, filters_by_app_version_and_config_id) {
  auto q = statuses_of("ep-1");
  q.app_version = "v1";
  auto page = list(q);
  EXPECT_EQ(page.total, 3);
  EXPECT_EQ(config_ids_of(page), (ids{"b", "c", "a"}));
  q.config_id = "c";
  page = list(q);
  EXPECT_EQ(page.total, 1);
  EXPECT_EQ(config_ids_of(page), ids{"c"});
  q.app_version = "v2";
  page = list(q);
  EXPECT_EQ(page.total, 0);
  EXPECT_TRUE(page.items.empty());
}

TEST_P(status_listing, pages_with_the_total_of_all_pages) {
  auto q = statuses_of("ep-1");
  q.size = 3;
  std::vector<ids> expected{{"d", "b", "c"}, {"a"}, {}};
  for (int64_t page = 0; page < 3; ++page) {
    q.page = page;
    auto result = list(q);
    EXPECT_EQ(result.total, 4) << "page " << page;
    EXPECT_EQ(config_ids_of(result), expected[page]) << "page " << page;
  }
}

TEST_P(status_listing, unknown_endpoint_has_an_empty_page) {
  auto page = list(statuses_of("ep-3"));
  EXPECT_EQ(page.total, 0);
  EXPECT_TRUE(page.items.empty());
}

} // namespace

} // namespace ecr::test
