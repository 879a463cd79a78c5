// config.updated events (A14, spec 6.4): which REST changes publish them,
// to which endpoints, on which subject, with which payload. Every batch ends
// with a barrier event, so "exactly one" and "none" are exact.

#include "tests/e2e/nats_helpers.hpp"

#include <gtest/gtest.h>

#include <set>

namespace ecr::test {
namespace {

const std::string replica = "ecr-replica-under-test";

class e2e_nats_events : public nats_e2e {
protected:
  env_overrides ecr_env() const override {
    return {{"REPLICA_ID", replica}};
  }

  void SetUp() override {
    nats_e2e::SetUp();
    if (HasFatalFailure())
      return;
    events_ = std::make_unique<config_events>(*client_, http());
  }

  /// The single event of `batch` for `endpoint`, checked against the stored
  /// configuration it must carry and the subject of `name`.
  void expect_event(const std::vector<config_event>& batch, const std::string& endpoint,
                    const std::string& app_version, const stored_config& carried,
                    const std::string& name = "default") {
    SCOPED_TRACE("event for " + endpoint);
    auto e = only_event_for(batch, endpoint);
    if (!e)
      return;
    config_events::expect_envelope(*e, replica);
    EXPECT_EQ(e->subject, config_updated_subject(name));
    EXPECT_EQ(e->event.app_version_name, app_version);
    EXPECT_EQ(e->event.config_id, carried.config_id);
    EXPECT_EQ(e->event.content, carried.config);
  }

  /// Makes `endpoint` known for `app_version` through a status record only:
  /// it fetches the default by CDTP (a dispatch).
  void make_known_by_status(const std::string& endpoint, const std::string& app_version,
                            const stored_config& app_default) {
    expect_config_sent(cdtp(*client_, make_config_request(endpoint, app_version)),
                       app_default.config_id, app_default.config);
    wait_for_status(http(), endpoint, app_default.config_id, "DISPATCHED");
  }

  std::unique_ptr<config_events> events_;
};

TEST_F(e2e_nats_events, endpoint_put_publishes_one_event_with_the_new_config) {
  auto before = now_millis();
  auto stored = put_config(http(), api, endpoint_key("ep-1", "av-1"), R"({ "v" : 1 })");
  auto batch = events_->next_batch();
  ASSERT_EQ(batch.size(), 1u) << ::testing::PrintToString(batch);
  expect_event(batch, "ep-1", "av-1", stored);
  EXPECT_EQ(batch[0].event.content, R"({"v":1})");
  EXPECT_GE(batch[0].event.timestamp, before);
  EXPECT_LE(batch[0].event.timestamp, now_millis());
}

TEST_F(e2e_nats_events, only_changed_content_publishes) {
  auto key = endpoint_key("ep-1", "av-1");
  auto v1 = put_config(http(), api, key, R"({"v":1})");
  EXPECT_EQ(events_->next_batch().size(), 1u);
  put_config(http(), api, key, R"({ "v" : 1 })");
  expect_no_events(events_->next_batch(), "an identical re-PUT");
  auto v2 = put_config(http(), api, key, R"({"v":2})");
  auto batch = events_->next_batch();
  ASSERT_EQ(batch.size(), 1u) << ::testing::PrintToString(batch);
  expect_event(batch, "ep-1", "av-1", v2);
  EXPECT_NE(v2.config_id, v1.config_id);
}

TEST_F(e2e_nats_events, patches_and_rollbacks_publish_like_puts) {
  auto key = endpoint_key("ep-1", "av-1");
  auto v1 = put_config(http(), api, key, R"({"v":1,"k":0})");
  EXPECT_EQ(events_->next_batch().size(), 1u);
  auto patched = expect_config(http().request(
    "PATCH", key.url(api), {{"Content-Type", "application/merge-patch+json"}}, R"({"v":2})"));
  auto batch = events_->next_batch();
  ASSERT_EQ(batch.size(), 1u) << ::testing::PrintToString(batch);
  expect_event(batch, "ep-1", "av-1", patched);
  EXPECT_EQ(batch[0].event.content, R"({"v":2,"k":0})");
  // A patch that changes nothing publishes nothing.
  http().request("PATCH", key.url(api), {{"Content-Type", "application/merge-patch+json"}},
                 R"({"v":2})");
  expect_no_events(events_->next_batch(), "a patch that changes nothing");
  auto back = expect_config(http().request("POST", key.url(api) + "/rollback?to=" + v1.config_id));
  batch = events_->next_batch();
  ASSERT_EQ(batch.size(), 1u) << ::testing::PrintToString(batch);
  expect_event(batch, "ep-1", "av-1", back);
  EXPECT_EQ(batch[0].event.content, R"({"v":1,"k":0})");
}

TEST_F(e2e_nats_events, named_configurations_publish_on_their_own_subject) {
  auto key = endpoint_key("ep-1", "av-1");
  auto night = put_config(http(), api, key, R"({"mode":"night"})", "night-mode");
  auto batch = events_->next_batch();
  ASSERT_EQ(batch.size(), 1u) << ::testing::PrintToString(batch);
  expect_event(batch, "ep-1", "av-1", night, "night-mode");
  auto plain = put_config(http(), api, key, R"({"mode":"day"})", "default");
  batch = events_->next_batch();
  ASSERT_EQ(batch.size(), 1u) << ::testing::PrintToString(batch);
  expect_event(batch, "ep-1", "av-1", plain);
}

TEST_F(e2e_nats_events, endpoint_delete_publishes_the_fallback_default) {
  auto app_default = put_config(http(), api, default_key("av-1"), R"({"d":1})");
  put_config(http(), api, endpoint_key("ep-1", "av-1"), R"({"own":1})");
  // The default PUT came first, when ep-1 was not known yet.
  EXPECT_EQ(events_->next_batch().size(), 1u);
  ASSERT_EQ(http().del(endpoint_key("ep-1", "av-1").url(api)).status, 204);
  auto batch = events_->next_batch();
  ASSERT_EQ(batch.size(), 1u) << ::testing::PrintToString(batch);
  expect_event(batch, "ep-1", "av-1", app_default);
}

TEST_F(e2e_nats_events, endpoint_delete_without_default_publishes_nothing) {
  put_config(http(), api, endpoint_key("ep-1", "av-1"), R"({"own":1})");
  // A default of another name or another app version is no fallback.
  put_config(http(), api, default_key("av-1"), "[1]", "other-name");
  put_config(http(), api, default_key("av-2"), "[2]");
  events_->next_batch();
  ASSERT_EQ(http().del(endpoint_key("ep-1", "av-1").url(api)).status, 204);
  expect_no_events(events_->next_batch(), "deleting the only configuration");
}

TEST_F(e2e_nats_events, named_endpoint_delete_publishes_the_named_default) {
  auto key = endpoint_key("ep-1", "av-1");
  auto named_default = put_config(http(), api, default_key("av-1"), "[0]", "night-mode");
  put_config(http(), api, key, "[1]", "night-mode");
  events_->next_batch();
  ASSERT_EQ(http().del(key.url(api, "night-mode")).status, 204);
  auto batch = events_->next_batch();
  ASSERT_EQ(batch.size(), 1u) << ::testing::PrintToString(batch);
  expect_event(batch, "ep-1", "av-1", named_default, "night-mode");
}

TEST_F(e2e_nats_events, default_put_publishes_to_each_known_endpoint_without_its_own) {
  auto first_default = put_config(http(), api, default_key("av-1"), R"({"d":1})");
  // Known through a configuration of another name.
  put_config(http(), api, endpoint_key("ep-config", "av-1"), "[1]", "other-name");
  // Known through a status record only.
  make_known_by_status("ep-status", "av-1", first_default);
  // Has its own configuration of that name: the default does not apply.
  put_config(http(), api, endpoint_key("ep-own", "av-1"), "[2]");
  // Known, but for another app version.
  put_config(http(), api, endpoint_key("ep-elsewhere", "av-2"), "[3]");
  events_->next_batch();

  auto second_default = put_config(http(), api, default_key("av-1"), R"({"d":2})");
  auto batch = events_->next_batch();
  std::set<std::string> endpoints;
  for (const auto& e : batch)
    endpoints.insert(e.event.endpoint_id);
  EXPECT_EQ(endpoints, (std::set<std::string>{"ep-config", "ep-status"}));
  EXPECT_EQ(batch.size(), 2u);
  expect_event(batch, "ep-config", "av-1", second_default);
  expect_event(batch, "ep-status", "av-1", second_default);
  std::set<std::string> correlation_ids;
  for (const auto& e : batch)
    correlation_ids.insert(e.event.correlation_id);
  EXPECT_EQ(correlation_ids.size(), batch.size()) << "each event has its own correlationId";

  // Unchanged content: nothing.
  put_config(http(), api, default_key("av-1"), R"({ "d" : 2 })");
  expect_no_events(events_->next_batch(), "an unchanged default");
}

TEST_F(e2e_nats_events, named_default_put_publishes_on_the_named_subject) {
  put_config(http(), api, endpoint_key("ep-1", "av-1"), "[1]");
  put_config(http(), api, endpoint_key("ep-2", "av-1"), "[2]", "night-mode");
  events_->next_batch();
  auto named_default = put_config(http(), api, default_key("av-1"), "[0]", "night-mode");
  auto batch = events_->next_batch();
  ASSERT_EQ(batch.size(), 1u) << ::testing::PrintToString(batch);
  expect_event(batch, "ep-1", "av-1", named_default, "night-mode");
}

TEST_F(e2e_nats_events, default_put_with_no_known_endpoint_publishes_nothing) {
  put_config(http(), api, default_key("av-lonely"), R"({"d":1})");
  expect_no_events(events_->next_batch(), "a default nobody follows");
}

TEST_F(e2e_nats_events, default_delete_publishes_nothing) {
  put_config(http(), api, default_key("av-1"), R"({"d":1})");
  put_config(http(), api, endpoint_key("ep-1", "av-1"), "[1]", "other-name");
  events_->next_batch();
  ASSERT_EQ(http().del(default_key("av-1").url(api)).status, 204);
  expect_no_events(events_->next_batch(), "deleting a default");
}

TEST_F(e2e_nats_events, last_event_for_an_endpoint_carries_its_effective_config) {
  // Default changes racing with endpoints' own changes: whatever events come
  // in between, the last one an endpoint hears of must be the configuration
  // now in force for it, or its consumer keeps a stale one.
  constexpr int rounds = 20;
  auto endpoint = [](int i) { return "ep-race-" + std::to_string(i); };
  for (int i = 0; i < rounds; ++i)
    put_config(http(), api, endpoint_key(endpoint(i), "av-race"), "[0]", "side");
  events_->next_batch();
  std::vector<stored_config> own;
  for (int i = 0; i < rounds; ++i) {
    put_config(http(), api, default_key("av-race"), "{\"default\":" + std::to_string(i) + "}");
    own.push_back(put_config(http(), api, endpoint_key(endpoint(i), "av-race"),
                             "{\"own\":" + std::to_string(i) + "}"));
  }
  auto batch = events_->next_batch();
  for (int i = 0; i < rounds; ++i) {
    std::optional<config_event> last;
    for (const auto& e : batch)
      if (e.event.endpoint_id == endpoint(i) && e.subject == config_updated_subject())
        last = e;
    ASSERT_TRUE(last) << "no event for " << endpoint(i);
    EXPECT_EQ(last->event.config_id, own[i].config_id)
      << endpoint(i) << " last heard of " << *last << "; events: "
      << ::testing::PrintToString(batch);
  }
}

TEST_F(e2e_nats_events, reads_and_failed_writes_publish_nothing) {
  auto key = endpoint_key("ep-1", "av-1");
  put_config(http(), api, key, "[1]");
  events_->next_batch();
  EXPECT_EQ(http().get(key.url(api)).status, 200);
  expect_error(http().put_json(key.url(api), "{not json"), 400);
  expect_error(http().put_json(key.url(api), "[2]", {{"If-Match", "\"wrong\""}}), 412);
  expect_error(http().del(endpoint_key("ep-none", "av-1").url(api)), 404);
  expect_no_events(events_->next_batch(), "reads and rejected writes");
}

} // namespace
} // namespace ecr::test
