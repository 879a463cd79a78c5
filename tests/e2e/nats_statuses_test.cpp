// Delivery statuses (A9, A13, spec 6.2-6.3): dispatch by CDTP, implicit
// application, ConfigApplied confirmations, and `GET /statuses` with its
// paging, sorting, filters, errors and Spring page shape.

#include "tests/e2e/nats_helpers.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace ecr::test {
namespace {

class e2e_nats_statuses : public nats_e2e {
protected:
  /// Stores `body` as the endpoint's own configuration.
  stored_config put_endpoint(const std::string& endpoint, const std::string& app_version,
                             const std::string& body) {
    return put_config(http(), api, endpoint_key(endpoint, app_version), body);
  }

  /// Fetches the effective configuration by CDTP, which dispatches it, and
  /// waits until the (written-behind) dispatch shows.
  void dispatch(const std::string& endpoint, const std::string& app_version,
                const stored_config& expected) {
    expect_config_sent(cdtp(*client_, make_config_request(endpoint, app_version)),
                       expected.config_id, expected.config);
    wait_for_statuses(http(), "endpointId=" + endpoint + "&size=1000",
                      [&](const status_page& p) {
                        auto r = p.find(expected.config_id);
                        return r && r->last_dispatched_date;
                      });
  }

  /// Asks by CDTP holding `config_id` (implicit application when known).
  avro::config_response ask_with(const std::string& endpoint, const std::string& app_version,
                                 const std::string& config_id) {
    auto r = cdtp(*client_, make_config_request(endpoint, app_version, config_id));
    EXPECT_TRUE(r) << "no CDTP reply";
    return r.value_or(avro::config_response{});
  }

  void confirm(const std::string& endpoint, const std::string& app_version,
               const std::string& config_id, int32_t code,
               std::optional<std::string> reason) {
    client_->publish(config_applied_subject(),
                     config_applied_payload(endpoint, app_version, config_id, code,
                                            std::move(reason)));
    client_->flush();
  }

  /// Everything ecr handled before is written once a dispatch to a fresh
  /// endpoint shows up: status writes are applied in order.
  void settle() {
    auto endpoint = "settle-" + std::to_string(++settles_);
    dispatch(endpoint, "settle-av", put_endpoint(endpoint, "settle-av", "{}"));
  }

  status_record only_record(const std::string& endpoint) {
    auto page = get_statuses(http(), "endpointId=" + endpoint);
    EXPECT_EQ(page.content.size(), 1u);
    return page.content.empty() ? status_record{} : page.content.front();
  }

  int settles_ = 0;
};

TEST_F(e2e_nats_statuses, cdtp_dispatch_records_the_config_as_dispatched) {
  auto stored = put_endpoint("ep-1", "av-1", R"({"v": 1})");
  dispatch("ep-1", "av-1", stored);
  auto r = wait_for_status(http(), "ep-1", stored.config_id, "DISPATCHED");
  EXPECT_EQ(r.endpoint_id, "ep-1");
  EXPECT_EQ(r.app_version_name, "av-1");
  EXPECT_EQ(r.config, R"({"v":1})");
  EXPECT_TRUE(r.last_dispatched_date);
  EXPECT_FALSE(r.last_confirmed_date);
  EXPECT_FALSE(r.confirmation_status_code);
  EXPECT_FALSE(r.confirmation_reason_phrase);
}

TEST_F(e2e_nats_statuses, dispatch_of_the_default_is_recorded_for_the_endpoint) {
  auto app_default = put_config(http(), api, default_key("av-1"), R"({"d":1})");
  dispatch("ep-1", "av-1", app_default);
  auto r = wait_for_status(http(), "ep-1", app_default.config_id, "DISPATCHED");
  EXPECT_EQ(r.app_version_name, "av-1");
  EXPECT_EQ(r.config, R"({"d":1})");
}

TEST_F(e2e_nats_statuses, not_found_and_not_modified_are_not_dispatches) {
  expect_no_config(cdtp(*client_, make_config_request("ep-1", "av-1")), 404, "Not Found");
  auto stored = put_endpoint("ep-2", "av-1", "[1]");
  // Asked with the current id before any dispatch: implicitly applied, not
  // dispatched.
  ask_with("ep-2", "av-1", stored.config_id);
  auto r = wait_for_status(http(), "ep-2", stored.config_id, "CONFIRMED");
  EXPECT_FALSE(r.last_dispatched_date);
  settle();
  EXPECT_TRUE(get_statuses(http(), "endpointId=ep-1").empty);
}

TEST_F(e2e_nats_statuses, asking_with_the_current_id_implicitly_applies_it) {
  auto stored = put_endpoint("ep-1", "av-1", "[1]");
  dispatch("ep-1", "av-1", stored);
  auto response = ask_with("ep-1", "av-1", stored.config_id);
  EXPECT_EQ(response.reason_phrase.value_or("<null>"), "Not Modified");
  auto r = wait_for_status(http(), "ep-1", stored.config_id, "CONFIRMED");
  EXPECT_EQ(r.confirmation_status_code, 200);
  EXPECT_EQ(r.confirmation_reason_phrase.value_or("<null>"), "Implicitly applied");
  EXPECT_TRUE(r.last_confirmed_date);
  EXPECT_TRUE(r.last_dispatched_date);
  EXPECT_EQ(r.config, "[1]");
}

TEST_F(e2e_nats_statuses, asking_with_an_earlier_id_applies_it_and_dispatches_the_new) {
  auto v1 = put_endpoint("ep-1", "av-1", R"({"v":1})");
  dispatch("ep-1", "av-1", v1);
  auto v2 = put_endpoint("ep-1", "av-1", R"({"v":2})");
  auto response = ask_with("ep-1", "av-1", v1.config_id);
  EXPECT_EQ(response.config_id.value_or("<null>"), v2.config_id);
  auto page = wait_for_statuses(http(), "endpointId=ep-1", [&](const status_page& p) {
    auto old = p.find(v1.config_id);
    auto current = p.find(v2.config_id);
    return old && old->status == "CONFIRMED" && current && current->status == "DISPATCHED";
  });
  auto old = page.find(v1.config_id).value_or(status_record{});
  EXPECT_EQ(old.confirmation_reason_phrase.value_or("<null>"), "Implicitly applied");
  EXPECT_EQ(old.config, R"({"v":1})") << "a record keeps the content it was about";
  EXPECT_EQ(page.find(v2.config_id).value_or(status_record{}).config, R"({"v":2})");
}

TEST_F(e2e_nats_statuses, asking_with_the_app_version_default_id_applies_it) {
  auto app_default = put_config(http(), api, default_key("av-1"), "[0]");
  auto response = ask_with("ep-1", "av-1", app_default.config_id);
  EXPECT_EQ(response.reason_phrase.value_or("<null>"), "Not Modified");
  auto r = wait_for_status(http(), "ep-1", app_default.config_id, "CONFIRMED");
  EXPECT_EQ(r.confirmation_status_code, 200);
  EXPECT_EQ(r.confirmation_reason_phrase.value_or("<null>"), "Implicitly applied");
  EXPECT_EQ(r.app_version_name, "av-1");
}

TEST_F(e2e_nats_statuses, unknown_ids_change_nothing) {
  auto stored = put_endpoint("ep-1", "av-1", "[1]");
  // Another endpoint's id is unknown for this one too.
  auto foreign = put_endpoint("ep-other", "av-1", "[2]");
  ask_with("ep-1", "av-1", "00000000-0000-4000-8000-000000000000");
  ask_with("ep-1", "av-1", foreign.config_id);
  auto page = wait_for_statuses(http(), "endpointId=ep-1", [&](const status_page& p) {
    auto r = p.find(stored.config_id);
    return r && r->status == "DISPATCHED";
  });
  settle();
  page = get_statuses(http(), "endpointId=ep-1");
  ASSERT_EQ(page.content.size(), 1u) << "only the dispatch of the current config";
  EXPECT_EQ(page.content[0].config_id, stored.config_id);
  EXPECT_EQ(page.content[0].status, "DISPATCHED");
  EXPECT_TRUE(get_statuses(http(), "endpointId=ep-other").empty);
}

TEST_F(e2e_nats_statuses, implicit_application_never_overwrites_failed) {
  auto stored = put_endpoint("ep-1", "av-1", "[1]");
  dispatch("ep-1", "av-1", stored);
  confirm("ep-1", "av-1", stored.config_id, 500, "device rejected it");
  wait_for_status(http(), "ep-1", stored.config_id, "FAILED");
  ask_with("ep-1", "av-1", stored.config_id);
  settle();
  auto r = only_record("ep-1");
  EXPECT_EQ(r.status, "FAILED");
  EXPECT_EQ(r.confirmation_status_code, 500);
  EXPECT_EQ(r.confirmation_reason_phrase.value_or("<null>"), "device rejected it");
}

TEST_F(e2e_nats_statuses, later_dispatch_never_downgrades_a_confirmation) {
  auto confirmed = put_endpoint("ep-ok", "av-1", "[1]");
  auto failed = put_endpoint("ep-bad", "av-1", "[2]");
  dispatch("ep-ok", "av-1", confirmed);
  dispatch("ep-bad", "av-1", failed);
  confirm("ep-ok", "av-1", confirmed.config_id, 200, "applied");
  confirm("ep-bad", "av-1", failed.config_id, 422, "invalid");
  wait_for_status(http(), "ep-ok", confirmed.config_id, "CONFIRMED");
  wait_for_status(http(), "ep-bad", failed.config_id, "FAILED");
  dispatch("ep-ok", "av-1", confirmed);
  dispatch("ep-bad", "av-1", failed);
  settle();
  auto ok = only_record("ep-ok");
  EXPECT_EQ(ok.status, "CONFIRMED");
  EXPECT_EQ(ok.confirmation_status_code, 200);
  EXPECT_EQ(ok.confirmation_reason_phrase.value_or("<null>"), "applied");
  EXPECT_TRUE(ok.last_dispatched_date);
  auto bad = only_record("ep-bad");
  EXPECT_EQ(bad.status, "FAILED");
  EXPECT_EQ(bad.confirmation_status_code, 422);
}

TEST_F(e2e_nats_statuses, config_applied_confirms_2xx_and_fails_the_rest) {
  struct confirmation {
    std::string endpoint;
    int32_t code;
    std::optional<std::string> reason;
    std::string status;
  };
  const std::vector<confirmation> cases{
    {"ep-200", 200, "OK", "CONFIRMED"},     {"ep-204", 204, std::nullopt, "CONFIRMED"},
    {"ep-299", 299, "odd", "CONFIRMED"},    {"ep-300", 300, "moved", "FAILED"},
    {"ep-400", 400, "bad", "FAILED"},       {"ep-500", 500, "boom", "FAILED"},
    {"ep-199", 199, "early", "FAILED"},
  };
  for (const auto& c : cases) {
    auto stored = put_endpoint(c.endpoint, "av-1", "{\"for\":\"" + c.endpoint + "\"}");
    dispatch(c.endpoint, "av-1", stored);
    confirm(c.endpoint, "av-1", stored.config_id, c.code, c.reason);
    SCOPED_TRACE(c.endpoint);
    auto r = wait_for_status(http(), c.endpoint, stored.config_id, c.status);
    EXPECT_EQ(r.confirmation_status_code, c.code);
    EXPECT_EQ(r.confirmation_reason_phrase, c.reason);
    EXPECT_TRUE(r.last_confirmed_date);
    EXPECT_TRUE(r.last_dispatched_date);
    EXPECT_EQ(r.config, stored.config);
  }
}

TEST_F(e2e_nats_statuses, later_confirmation_overwrites) {
  auto stored = put_endpoint("ep-1", "av-1", "[1]");
  dispatch("ep-1", "av-1", stored);
  confirm("ep-1", "av-1", stored.config_id, 500, "first try failed");
  wait_for_status(http(), "ep-1", stored.config_id, "FAILED");
  confirm("ep-1", "av-1", stored.config_id, 200, "second try");
  auto r = wait_for_status(http(), "ep-1", stored.config_id, "CONFIRMED");
  EXPECT_EQ(r.confirmation_status_code, 200);
  EXPECT_EQ(r.confirmation_reason_phrase.value_or("<null>"), "second try");
  confirm("ep-1", "av-1", stored.config_id, 400, "rolled back");
  r = wait_for_status(http(), "ep-1", stored.config_id, "FAILED");
  EXPECT_EQ(r.confirmation_status_code, 400);
  EXPECT_EQ(r.confirmation_reason_phrase.value_or("<null>"), "rolled back");
}

class e2e_nats_statuses_consumer : public e2e_nats_statuses {
protected:
  env_overrides ecr_env() const override {
    return {{"KAA_ECR_CONFIGURATION_CONSUMER_SERVICE_INSTANCE_NAME", "cmx-blue"}};
  }

  ecr_names names() const override {
    ecr_names n;
    n.consumer = "cmx-blue";
    return n;
  }
};

TEST_F(e2e_nats_statuses_consumer, confirmations_come_from_the_configured_consumer) {
  auto stored = put_endpoint("ep-1", "av-1", "[1]");
  auto witness = put_endpoint("ep-2", "av-1", "[2]");
  dispatch("ep-1", "av-1", stored);
  dispatch("ep-2", "av-1", witness);
  client_->publish(config_applied_subject("cmx-blue"),
                   config_applied_payload("ep-1", "av-1", stored.config_id, 200, "blue"));
  wait_for_status(http(), "ep-1", stored.config_id, "CONFIRMED");
  // Another consumer instance's confirmations are not for this ecr.
  client_->publish(config_applied_subject("cmx"),
                   config_applied_payload("ep-1", "av-1", stored.config_id, 500, "other"));
  client_->publish(config_applied_subject("cmx-blue"),
                   config_applied_payload("ep-2", "av-1", witness.config_id, 200, "witness"));
  wait_for_status(http(), "ep-2", witness.config_id, "CONFIRMED");
  auto r = only_record("ep-1");
  EXPECT_EQ(r.status, "CONFIRMED");
  EXPECT_EQ(r.confirmation_reason_phrase.value_or("<null>"), "blue");
}

// -- GET /statuses ------------------------------------------------------------

/// Five dispatches to one endpoint (one per app version, plus another
/// endpoint's), each at a later millisecond than the one before.
class e2e_nats_statuses_paging : public e2e_nats_statuses {
protected:
  void SetUp() override {
    e2e_nats_statuses::SetUp();
    if (HasFatalFailure())
      return;
    for (int i = 0; i < 5; ++i) {
      auto av = "av-" + std::to_string(i);
      auto stored = put_endpoint("ep-1", av, "[" + std::to_string(i) + "]");
      dispatch("ep-1", av, stored);
      ids_.push_back(stored.config_id);
      // Distinct dispatch times make the expected order unique.
      std::this_thread::sleep_for(3ms);
    }
    auto other = put_endpoint("ep-2", "av-0", "[9]");
    dispatch("ep-2", "av-0", other);
  }

  static std::vector<std::string> ids_of(const std::vector<status_record>& records) {
    std::vector<std::string> ids;
    for (const auto& r : records)
      ids.push_back(r.config_id);
    return ids;
  }

  /// Oldest dispatch first.
  std::vector<std::string> ids_;
};

TEST_F(e2e_nats_statuses_paging, default_is_page_0_of_20_newest_first) {
  auto page = get_statuses(http(), "endpointId=ep-1");
  EXPECT_EQ(page.size, 20);
  EXPECT_EQ(page.number, 0);
  EXPECT_EQ(page.total_elements, 5);
  EXPECT_EQ(page.total_pages, 1);
  EXPECT_TRUE(page.first);
  EXPECT_TRUE(page.last);
  EXPECT_FALSE(page.empty);
  EXPECT_EQ(ids_of(page.content), std::vector<std::string>(ids_.rbegin(), ids_.rend()));
  for (const auto& r : page.content)
    EXPECT_EQ(r.endpoint_id, "ep-1");
  auto explicit_desc = get_statuses(http(), "endpointId=ep-1&sort=lastDispatchedDate,desc");
  EXPECT_EQ(ids_of(explicit_desc.content), ids_of(page.content));
}

TEST_F(e2e_nats_statuses_paging, ascending_sort) {
  auto page = get_statuses(http(), "endpointId=ep-1&sort=lastDispatchedDate,asc");
  EXPECT_EQ(ids_of(page.content), ids_);
}

TEST_F(e2e_nats_statuses_paging, pages_split_the_sorted_list) {
  std::vector<std::string> all;
  for (int n = 0; n < 3; ++n) {
    SCOPED_TRACE("page " + std::to_string(n));
    auto page = get_statuses(http(), "endpointId=ep-1&size=2&page=" + std::to_string(n));
    EXPECT_EQ(page.size, 2);
    EXPECT_EQ(page.number, n);
    EXPECT_EQ(page.total_elements, 5);
    EXPECT_EQ(page.total_pages, 3);
    EXPECT_EQ(page.number_of_elements, n < 2 ? 2 : 1);
    EXPECT_EQ(page.first, n == 0);
    EXPECT_EQ(page.last, n == 2);
    auto ids = ids_of(page.content);
    all.insert(all.end(), ids.begin(), ids.end());
  }
  EXPECT_EQ(all, std::vector<std::string>(ids_.rbegin(), ids_.rend()));
  auto beyond = get_statuses(http(), "endpointId=ep-1&size=2&page=7");
  EXPECT_TRUE(beyond.empty);
  EXPECT_EQ(beyond.number, 7);
  EXPECT_EQ(beyond.total_elements, 5);
}

TEST_F(e2e_nats_statuses_paging, size_limits) {
  EXPECT_EQ(get_statuses(http(), "endpointId=ep-1&size=1").content.size(), 1u);
  auto largest = get_statuses(http(), "endpointId=ep-1&size=1000");
  EXPECT_EQ(largest.size, 1000);
  EXPECT_EQ(largest.content.size(), 5u);
}

TEST_F(e2e_nats_statuses_paging, filters_by_app_version_and_config_id) {
  auto by_version = get_statuses(http(), "endpointId=ep-1&appVersionName=av-3");
  ASSERT_EQ(by_version.content.size(), 1u);
  EXPECT_EQ(by_version.content[0].config_id, ids_[3]);
  EXPECT_EQ(by_version.content[0].app_version_name, "av-3");
  auto by_id = get_statuses(http(), "endpointId=ep-1&configId=" + ids_[1]);
  ASSERT_EQ(by_id.content.size(), 1u);
  EXPECT_EQ(by_id.content[0].config_id, ids_[1]);
  EXPECT_EQ(by_id.total_elements, 1);
  auto both = get_statuses(http(), "endpointId=ep-1&appVersionName=av-1&configId=" + ids_[1]);
  EXPECT_EQ(ids_of(both.content), std::vector<std::string>{ids_[1]});
  EXPECT_TRUE(
    get_statuses(http(), "endpointId=ep-1&appVersionName=av-2&configId=" + ids_[1]).empty);
  // av-0 holds records of two endpoints; the filter stays within ep-1.
  auto shared_version = get_statuses(http(), "endpointId=ep-1&appVersionName=av-0");
  EXPECT_EQ(ids_of(shared_version.content), std::vector<std::string>{ids_[0]});
}

TEST_F(e2e_nats_statuses_paging, unknown_endpoint_is_an_empty_page) {
  auto page = get_statuses(http(), "endpointId=ep-unknown");
  EXPECT_TRUE(page.empty);
  EXPECT_EQ(page.total_elements, 0);
  EXPECT_EQ(page.total_pages, 0);
  EXPECT_TRUE(page.first);
  EXPECT_TRUE(page.last);
  EXPECT_EQ(page.size, 20);
}

TEST_F(e2e_nats_statuses_paging, both_base_paths_serve_statuses) {
  auto r = http().get("/ecr/api/v1/statuses?endpointId=ep-1");
  EXPECT_EQ(r.status, 200) << r.describe();
  auto doc = parse_json(r.body);
  ASSERT_TRUE(doc.IsObject() && doc.HasMember("totalElements")) << r.body;
  EXPECT_EQ(doc["totalElements"].GetInt64(), 5);
}

TEST_F(e2e_nats_statuses, bad_queries_are_400) {
  const std::vector<std::string> bad{
    "",
    "appVersionName=av-1",
    "endpointId=",
    "endpointId=ep-1&size=0",
    "endpointId=ep-1&size=1001",
    "endpointId=ep-1&size=-1",
    "endpointId=ep-1&size=ten",
    "endpointId=ep-1&page=-1",
    "endpointId=ep-1&page=x",
    "endpointId=ep-1&sort=createdDate,desc",
    "endpointId=ep-1&sort=lastDispatchedDate,sideways",
    "endpointId=ep-1&sort=lastConfirmedDate,asc",
  };
  for (const auto& query : bad) {
    SCOPED_TRACE(query);
    expect_error(http().get(api + "/statuses?" + query), 400);
  }
  expect_error(http().get(api + "/statuses"), 400);
}

} // namespace
} // namespace ecr::test
