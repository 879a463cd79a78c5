// 6/CDTP config requests over a real nats-server (spec 6.2, A10-A12): the
// effective configuration, Not Modified, Not Found, Bad Request, expiry, and
// many requests in flight.

#include "tests/e2e/nats_helpers.hpp"

#include <gtest/gtest.h>

#include <map>

namespace ecr::test {
namespace {

using e2e_nats_cdtp = nats_e2e;

TEST_F(e2e_nats_cdtp, endpoint_config_is_sent_with_its_id_and_minified_content) {
  auto stored = put_config(http(), api, endpoint_key("ep-1", "av-1"), R"({ "a" : [1, "x y"] })");
  auto r = cdtp(*client_, make_config_request("ep-1", "av-1"));
  expect_config_sent(r, stored.config_id, R"({"a":[1,"x y"]})");
}

TEST_F(e2e_nats_cdtp, app_version_default_is_the_fallback) {
  auto app_default = put_config(http(), api, default_key("av-1"), R"({"d":true})");
  expect_config_sent(cdtp(*client_, make_config_request("ep-1", "av-1")), app_default.config_id,
                     R"({"d":true})");
  // Another app version's default is not a fallback.
  expect_no_config(cdtp(*client_, make_config_request("ep-1", "av-2")), 404, "Not Found");
}

TEST_F(e2e_nats_cdtp, endpoint_config_wins_over_the_default_until_deleted) {
  auto app_default = put_config(http(), api, default_key("av-1"), R"({"d":1})");
  auto own = put_config(http(), api, endpoint_key("ep-1", "av-1"), R"({"own":1})");
  expect_config_sent(cdtp(*client_, make_config_request("ep-1", "av-1")), own.config_id,
                     R"({"own":1})");
  // Other endpoints of the app version still get the default.
  expect_config_sent(cdtp(*client_, make_config_request("ep-2", "av-1")), app_default.config_id,
                     R"({"d":1})");
  ASSERT_EQ(http().del(endpoint_key("ep-1", "av-1").url(api)).status, 204);
  expect_config_sent(cdtp(*client_, make_config_request("ep-1", "av-1")), app_default.config_id,
                     R"({"d":1})");
}

TEST_F(e2e_nats_cdtp, updated_content_is_served_with_the_new_id) {
  auto key = endpoint_key("ep-1", "av-1");
  auto v1 = put_config(http(), api, key, R"({"v":1})");
  expect_config_sent(cdtp(*client_, make_config_request("ep-1", "av-1")), v1.config_id,
                     R"({"v":1})");
  auto v2 = put_config(http(), api, key, R"({"v":2})");
  // The consumer still holds v1: it gets v2.
  expect_config_sent(cdtp(*client_, make_config_request("ep-1", "av-1", v1.config_id)),
                     v2.config_id, R"({"v":2})");
}

TEST_F(e2e_nats_cdtp, a_rollback_is_served_with_its_new_id) {
  auto key = endpoint_key("ep-1", "av-1");
  auto v1 = put_config(http(), api, key, R"({"v":1})");
  auto v2 = put_config(http(), api, key, R"({"v":2})");
  auto r = http().request("POST", key.url(api) + "/rollback?to=" + v1.config_id);
  auto back = expect_config(r);
  ASSERT_NE(back.config_id, v1.config_id);
  // A consumer holding v2, or even v1's old id, gets the content of v1 under
  // its new id.
  for (const auto& held : {v2.config_id, v1.config_id})
    expect_config_sent(cdtp(*client_, make_config_request("ep-1", "av-1", held)),
                       back.config_id, R"({"v":1})");
}

TEST_F(e2e_nats_cdtp, named_configurations_are_served_by_config_name) {
  auto key = endpoint_key("ep-1", "av-1");
  auto night = put_config(http(), api, key, R"({"mode":"night"})", "night-mode");
  auto night_default = put_config(http(), api, default_key("av-1"), R"({"n":0})", "night-mode");
  expect_config_sent(cdtp(*client_, make_config_request("ep-1", "av-1", {}, "night-mode")),
                     night.config_id, R"({"mode":"night"})");
  expect_config_sent(cdtp(*client_, make_config_request("ep-2", "av-1", {}, "night-mode")),
                     night_default.config_id, R"({"n":0})");
  // Only named configurations exist: the default name has nothing, whether
  // the request names it or leaves configName null.
  expect_no_config(cdtp(*client_, make_config_request("ep-1", "av-1")), 404, "Not Found");
  expect_no_config(cdtp(*client_, make_config_request("ep-1", "av-1", {}, "default")), 404,
                   "Not Found");
  auto plain = put_config(http(), api, key, R"({"mode":"day"})");
  expect_config_sent(cdtp(*client_, make_config_request("ep-1", "av-1", {}, "default")),
                     plain.config_id, R"({"mode":"day"})");
  expect_config_sent(cdtp(*client_, make_config_request("ep-1", "av-1")), plain.config_id,
                     R"({"mode":"day"})");
}

TEST_F(e2e_nats_cdtp, known_current_id_is_not_modified) {
  auto own = put_config(http(), api, endpoint_key("ep-1", "av-1"), "[1]");
  expect_no_config(cdtp(*client_, make_config_request("ep-1", "av-1", own.config_id)), 200,
                   "Not Modified");
  auto app_default = put_config(http(), api, default_key("av-1"), "[2]", "n1");
  expect_no_config(
    cdtp(*client_, make_config_request("ep-2", "av-1", app_default.config_id, "n1")), 200,
    "Not Modified");
}

TEST_F(e2e_nats_cdtp, nothing_configured_is_not_found) {
  expect_no_config(cdtp(*client_, make_config_request("ep-none", "av-none")), 404,
                   "Not Found");
  // A configId the consumer believes in changes nothing.
  expect_no_config(cdtp(*client_, make_config_request("ep-none", "av-none", "stale-id")), 404,
                   "Not Found");
  // Another endpoint's configuration is not a fallback.
  put_config(http(), api, endpoint_key("ep-other", "av-none"), "{}");
  expect_no_config(cdtp(*client_, make_config_request("ep-none", "av-none")), 404,
                   "Not Found");
}

TEST_F(e2e_nats_cdtp, bad_input_is_bad_request) {
  put_config(http(), api, default_key("av-1"), "{}");
  const std::vector<avro::config_request> bad{
    make_config_request("", "av-1"),
    make_config_request("ep-1", ""),
    make_config_request("ep-1", "av-1", {}, ""),
    make_config_request("ep-1", "av-1", {}, "bad name"),
    make_config_request("ep-1", "av-1", {}, "a/b"),
    make_config_request("ep-1", "av-1", {}, std::string(65, 'n')),
  };
  for (const auto& request : bad) {
    SCOPED_TRACE("endpointId='" + request.endpoint_id + "' appVersionName='"
                 + request.app_version_name + "' configName='"
                 + request.config_name.value_or("<null>") + "'");
    expect_no_config(cdtp(*client_, request), 400, "Bad Request");
  }
  // The longest valid name is fine.
  expect_no_config(
    cdtp(*client_, make_config_request("ep-1", "av-1", {}, std::string(64, 'n'))), 404,
    "Not Found");
}

TEST_F(e2e_nats_cdtp, expired_requests_get_no_reply) {
  auto own = put_config(http(), api, endpoint_key("ep-1", "av-1"), "{}");
  auto inbox = client_->new_inbox();
  auto replies = client_->subscribe(inbox);
  auto expired = make_config_request("ep-1", "av-1");
  expired.timestamp = now_millis() - 60'000;
  expired.timeout = 1'000;
  client_->publish(cdtp_request_subject(), avro::encode(expired), inbox);
  // Still valid: timestamp + timeout lies ahead.
  auto live = make_config_request("ep-1", "av-1");
  live.timestamp = now_millis() - 1'000;
  live.timeout = 600'000;
  client_->publish(cdtp_request_subject(), avro::encode(live), inbox);
  auto reply = replies->next(nats_wait);
  ASSERT_TRUE(reply) << "no reply to the live request";
  auto response = decode_config_response(reply->payload);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->correlation_id, live.correlation_id);
  expect_config_sent(response, own.config_id, "{}");
  EXPECT_TRUE(replies->take_for(300ms).empty()) << "the expired request was answered";
}

TEST_F(e2e_nats_cdtp, many_requests_in_flight_are_each_answered_once) {
  constexpr int endpoints = 8;
  constexpr int in_flight = 64;
  std::map<std::string, stored_config> stored;
  for (int i = 0; i < endpoints; ++i) {
    auto ep = "ep-" + std::to_string(i);
    stored[ep] = put_config(http(), api, endpoint_key(ep, "av-1"),
                            "{\"i\":" + std::to_string(i) + "}");
  }
  auto inbox = client_->new_inbox();
  auto replies = client_->subscribe(inbox);
  std::map<std::string, std::string> endpoint_of;
  for (int i = 0; i < in_flight; ++i) {
    auto request = make_config_request("ep-" + std::to_string(i % endpoints), "av-1");
    endpoint_of[request.correlation_id] = request.endpoint_id;
    client_->publish(cdtp_request_subject(), avro::encode(request), inbox);
  }
  auto received = replies->take(in_flight, nats_wait);
  EXPECT_EQ(received.size(), size_t{in_flight});
  expect_each_answered_once(received, endpoint_of, stored);
  EXPECT_TRUE(replies->take_for(300ms).empty()) << "more replies than requests";
}

TEST_F(e2e_nats_cdtp, requests_are_consumed_in_the_instance_queue_group) {
  bool found = false;
  for (const auto& c : nats_.connections())
    for (const auto& s : c.subscriptions)
      if (s.subject == cdtp_request_subject()) {
        found = true;
        EXPECT_EQ(s.queue_group, "ecr");
      }
  EXPECT_TRUE(found);
}

class e2e_nats_cdtp_instance : public nats_e2e {
protected:
  env_overrides ecr_env() const override {
    return {{"INSTANCE_NAME", "ecr-blue"}};
  }

  ecr_names names() const override {
    ecr_names n;
    n.instance = "ecr-blue";
    return n;
  }
};

TEST_F(e2e_nats_cdtp_instance, subject_and_queue_group_follow_instance_name) {
  config_events events(*client_, http(), "ecr-blue");
  auto own = put_config(http(), api, endpoint_key("ep-1", "av-1"), "[7]");
  auto batch = events.next_batch();
  ASSERT_EQ(batch.size(), 1u) << ::testing::PrintToString(batch);
  EXPECT_EQ(batch[0].subject, config_updated_subject("default", "ecr-blue"));
  EXPECT_EQ(batch[0].event.config_id, own.config_id);
  expect_config_sent(
    cdtp(*client_, make_config_request("ep-1", "av-1"), nats_wait, "ecr-blue"),
    own.config_id, "[7]");
  // Nobody serves the default instance's subject.
  EXPECT_FALSE(cdtp(*client_, make_config_request("ep-1", "av-1"), 300ms));
  for (const auto& c : nats_.connections())
    for (const auto& s : c.subscriptions)
      if (s.subject == cdtp_request_subject("ecr-blue")) {
        EXPECT_EQ(s.queue_group, "ecr-blue");
      }
}

} // namespace
} // namespace ecr::test
