// Filter upserts (E6, A15): ECR asks EPR over 20/EFMP which endpoints match,
// then writes the configuration to each. A stand-in EPR answers on NATS.

#include "tests/e2e/nats_helpers.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

namespace ecr::test {
namespace {

const std::string filter_requests = "kaa.v1.service.epr.efmp.ep-list-by-filter-request";

/// Answers every EFMP request with `status` and `matches` from a thread;
/// with `silent`, receives requests but never answers.
class fake_epr {
public:
  fake_epr(nats_test_client& client, int32_t status,
           std::map<std::string, std::vector<std::string>> matches,
           bool silent = false)
    : requests_(client.subscribe(filter_requests)) {
    worker_ = std::thread([this, &client, status, matches, silent] {
      while (!stop_) {
        auto msg = requests_->next(std::chrono::milliseconds(100));
        if (!msg)
          continue;
        auto request = avro::decode<avro::endpoint_list_by_filter_request>(
          msg->payload, 1 << 20);
        if (!request)
          continue;
        seen_filter_ = request->filter_id;
        ++requests_seen_;
        if (silent)
          continue;
        avro::endpoint_list_by_filter_response response;
        response.correlation_id = request->correlation_id;
        response.timestamp = now_millis();
        response.filter_id = request->filter_id;
        response.app_versions_to_endpoints = matches;
        response.status_code = status;
        client.publish(msg->reply, avro::encode(response));
      }
    });
  }

  ~fake_epr() {
    stop_ = true;
    worker_.join();
  }

  int requests_seen() const {
    return requests_seen_;
  }

  std::string seen_filter() const {
    return seen_filter_;
  }

private:
  std::unique_ptr<nats_subscription> requests_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_seen_{0};
  std::string seen_filter_;
  std::thread worker_;
};

class e2e_nats_filter : public nats_e2e {
protected:
  env_overrides ecr_env() const override {
    return {{"KAA_ECR_EP_REGISTER_TIMEOUT_MS", "500"}};
  }

  http_response put_filter(const std::string& filter, const std::string& body,
                           const std::string& query = "") {
    return http().put_json("/api/v1/endpoints/filters/" + filter + query, body);
  }
};

TEST_F(e2e_nats_filter, a_patch_reaches_each_matched_endpoint_by_its_content_type) {
  put_config(http(), api, endpoint_key("ep-1", "av-1"), R"({"mode":"a","id":1})");
  put_config(http(), api, endpoint_key("ep-2", "av-1"), R"({"mode":"b","id":2})");
  fake_epr epr(*client_, 200, {{"av-1", {"ep-1", "ep-2", "ep-3"}}});
  auto patch = [&](const std::string& type, const std::string& body) {
    return http().request("PATCH", "/api/v1/endpoints/filters/f-1", {{"Content-Type", type}},
                          body);
  };
  auto merged = patch("application/merge-patch+json", R"({"mode":"eco"})");
  ASSERT_EQ(merged.status, 200) << merged.describe();
  EXPECT_EQ(merged.body, R"({"updated":2,"unchanged":0,"missing":["av-1/ep-3"]})");
  EXPECT_EQ(expect_config(http().get(endpoint_key("ep-2", "av-1").url(api))).config,
            R"({"mode":"eco","id":2})");
  auto json = patch("application/json-patch+json", R"([{"op":"remove","path":"/id"}])");
  ASSERT_EQ(json.status, 200) << json.describe();
  EXPECT_EQ(expect_config(http().get(endpoint_key("ep-1", "av-1").url(api))).config,
            R"({"mode":"eco"})");
  // Not a patch type: refused before EPR is asked.
  auto asked = epr.requests_seen();
  expect_error(patch("application/json", R"({"mode":"x"})"), 415);
  EXPECT_EQ(epr.requests_seen(), asked);
}

TEST_F(e2e_nats_filter, writes_the_configuration_to_every_matching_endpoint) {
  fake_epr epr{*client_, 200, {{"av-1", {"ep-1", "ep-2"}}, {"av-2", {"ep-3"}}}};
  auto res = put_filter("f%2F1", R"({ "mode" : "eco" })", "?name=night");
  ASSERT_EQ(res.status, 200) << res.describe();
  EXPECT_EQ(res.body, R"({"updated":3})");
  EXPECT_EQ(epr.seen_filter(), "f/1");
  for (auto [endpoint, app_version] :
       {std::pair{"ep-1", "av-1"}, {"ep-2", "av-1"}, {"ep-3", "av-2"}}) {
    auto got = http().get(endpoint_key(endpoint, app_version).url(api, "night"));
    ASSERT_EQ(got.status, 200) << endpoint;
    EXPECT_NE(got.body.find(R"({\"mode\":\"eco\"})"), std::string::npos);
  }
}

TEST_F(e2e_nats_filter, unknown_filter_is_404_and_writes_nothing) {
  fake_epr epr{*client_, 404, {{"av-1", {"ep-1"}}}};
  auto res = put_filter("missing", R"({"a":1})");
  EXPECT_EQ(res.status, 404) << res.describe();
  EXPECT_EQ(http().get(endpoint_key("ep-1", "av-1").url(api)).status, 404);
}

TEST_F(e2e_nats_filter, other_epr_failures_are_502) {
  fake_epr epr{*client_, 500, {}};
  EXPECT_EQ(put_filter("f", R"({"a":1})").status, 502);
}

TEST_F(e2e_nats_filter, invalid_identifiers_from_epr_are_502_and_write_nothing) {
  fake_epr epr{*client_, 200, {{"av-1", {"ep-1", std::string(300, 'x')}}}};
  EXPECT_EQ(put_filter("f", R"({"a":1})").status, 502);
  EXPECT_EQ(http().get(endpoint_key("ep-1", "av-1").url(api)).status, 404);
}

TEST_F(e2e_nats_filter, no_answer_is_504) {
  fake_epr epr{*client_, 200, {}, true};
  auto res = put_filter("f", R"({"a":1})");
  EXPECT_EQ(res.status, 504) << res.describe();
  EXPECT_EQ(epr.requests_seen(), 1);
}

TEST_F(e2e_nats_filter, bad_input_is_refused_before_asking_epr) {
  fake_epr epr{*client_, 200, {{"av-1", {"ep-1"}}}};
  EXPECT_EQ(put_filter("f", R"({"a":)").status, 400);
  EXPECT_EQ(put_filter("f", "{}", "?name=bad!").status, 400);
  EXPECT_EQ(http().request("PUT", "/api/v1/endpoints/filters/f",
                           {{"Content-Type", "text/plain"}}, "{}")
              .status,
            415);
  EXPECT_EQ(epr.requests_seen(), 0);
  EXPECT_EQ(http().get(endpoint_key("ep-1", "av-1").url(api)).status, 404);
}

} // namespace
} // namespace ecr::test
