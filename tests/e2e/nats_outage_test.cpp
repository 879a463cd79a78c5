// NATS availability (A21, A24): ecr serves REST without NATS, readiness
// follows the connection, and after the server comes back CDTP works again
// and the events raised meanwhile are delivered.

#include "tests/e2e/nats_helpers.hpp"

#include <gtest/gtest.h>

namespace ecr::test {
namespace {

std::unique_ptr<ecr_process> start_ecr_on(const std::string& nats_urls,
                                          env_overrides env = {}) {
  auto options = ecr_binary(std::move(env));
  options.nats_urls = nats_urls;
  return std::make_unique<ecr_process>(std::move(options));
}

nats_server_options with_login(std::string user, std::string password) {
  nats_server_options options;
  options.user = std::move(user);
  options.password = std::move(password);
  return options;
}

/// REST reads and writes work, whatever NATS does.
void expect_rest_works(http_client& c, const std::string& tag) {
  auto key = endpoint_key("ep-" + tag, "av-1");
  auto stored = put_config(c, api, key, "{\"tag\":\"" + tag + "\"}");
  expect_stored(c, api, key, std::nullopt, stored);
  put_config(c, api, default_key("av-" + tag), "[1]");
  EXPECT_EQ(c.del(default_key("av-" + tag).url(api)).status, 204);
}

TEST(e2e_nats_outage, unreachable_nats_leaves_rest_up_and_readiness_down) {
  auto ecr = start_ecr_on(unreachable_nats_url);
  EXPECT_EQ(ecr->http().get("/health").status, 200);
  auto ready = get_readiness(ecr->http());
  EXPECT_EQ(ready.http_status, 503) << ready.body;
  EXPECT_EQ(ready.nats, "DOWN") << ready.body;
  EXPECT_EQ(ready.storage, "UP") << ready.body;
  expect_rest_works(ecr->http(), "offline");
}

TEST(e2e_nats_outage, several_urls_connect_to_the_reachable_one) {
  nats_server nats;
  auto ecr = start_ecr_on(std::string(unreachable_nats_url) + "," + nats.url());
  auto ready = wait_for_readiness(ecr->http(), 200);
  EXPECT_EQ(ready.nats, "UP") << ready.body;
  ASSERT_TRUE(wait_for_ecr_subscriptions(nats));
  nats_test_client client(nats.url());
  expect_no_config(cdtp(client, make_config_request("ep-1", "av-1")), 404, "Not Found");
}

TEST(e2e_nats_outage, credentials_are_used) {
  nats_server nats(with_login("ecr-user", "s3cret"));
  auto ecr = start_ecr_on(nats.url(), {{"NATS_USERNAME", "ecr-user"}, {"NATS_PASSWORD", "s3cret"}});
  auto ready = wait_for_readiness(ecr->http(), 200);
  EXPECT_EQ(ready.nats, "UP") << ready.body;
  ASSERT_TRUE(wait_for_ecr_subscriptions(nats));
  nats_test_client client("nats://ecr-user:s3cret@127.0.0.1:" + std::to_string(nats.port()));
  auto stored = put_config(ecr->http(), api, endpoint_key("ep-1", "av-1"), "[1]");
  expect_config_sent(cdtp(client, make_config_request("ep-1", "av-1")), stored.config_id, "[1]");
}

TEST(e2e_nats_outage, wrong_credentials_leave_readiness_down) {
  nats_server nats(with_login("ecr-user", "s3cret"));
  auto ecr = start_ecr_on(nats.url(), {{"NATS_USERNAME", "ecr-user"}, {"NATS_PASSWORD", "wrong"}});
  auto ready = get_readiness(ecr->http());
  EXPECT_EQ(ready.http_status, 503) << ready.body;
  EXPECT_EQ(ready.nats, "DOWN") << ready.body;
  expect_rest_works(ecr->http(), "unauthorized");
}

TEST(e2e_nats_outage, nats_restart_is_survived) {
  nats_server_options options;
  options.jetstream = true;
  nats_server nats(options);
  auto ecr = start_ecr_on(nats.url());
  wait_for_readiness(ecr->http(), 200);
  ASSERT_TRUE(wait_for_ecr_subscriptions(nats));
  nats_test_client client(nats.url());
  auto before = put_config(ecr->http(), api, endpoint_key("ep-before", "av-1"), "[0]");
  expect_config_sent(cdtp(client, make_config_request("ep-before", "av-1")), before.config_id,
                     "[0]");
  // A stream keeps the events published after the restart even if ecr is
  // back on the server before this test's subscription is.
  client.add_stream("CONFIG_EVENTS",
                    {config_updated_subject(), config_updated_subject() + ".>"});

  nats.stop();
  auto down = wait_for_readiness(ecr->http(), 503);
  EXPECT_EQ(down.nats, "DOWN") << down.body;
  EXPECT_EQ(down.storage, "UP") << down.body;
  expect_rest_works(ecr->http(), "during-outage");
  auto offline = put_config(ecr->http(), api, endpoint_key("ep-offline", "av-1"), R"({"o":1})");
  auto offline_named =
    put_config(ecr->http(), api, endpoint_key("ep-offline", "av-1"), R"({"o":2})", "n1");
  expect_stored(ecr->http(), api, endpoint_key("ep-before", "av-1"), std::nullopt, before);

  nats.restart();
  auto up = wait_for_readiness(ecr->http(), 200);
  EXPECT_EQ(up.nats, "UP") << up.body;
  ASSERT_TRUE(wait_for_ecr_subscriptions(nats));
  ASSERT_TRUE(poll_until([&] { return client.connected(); })) << "test client not back";

  // expect_rest_works raised one event (ep-during-outage), then the two PUTs.
  auto stored = client.stream_messages("CONFIG_EVENTS", 3, nats_wait);
  ASSERT_EQ(stored.size(), 3u) << "events raised while NATS was down were lost";
  std::vector<avro::config_updated> events;
  for (const auto& msg : stored) {
    auto e = avro::decode<avro::config_updated>(msg.payload, 1 << 20);
    ASSERT_TRUE(e) << msg.subject;
    events.push_back(*e);
  }
  EXPECT_EQ(events[0].endpoint_id, "ep-during-outage");
  EXPECT_EQ(stored[1].subject, config_updated_subject());
  EXPECT_EQ(events[1].endpoint_id, "ep-offline");
  EXPECT_EQ(events[1].config_id, offline.config_id);
  EXPECT_EQ(events[1].content, offline.config);
  EXPECT_EQ(stored[2].subject, config_updated_subject("n1"));
  EXPECT_EQ(events[2].config_id, offline_named.config_id);

  expect_config_sent(cdtp(client, make_config_request("ep-offline", "av-1")), offline.config_id,
                     offline.config);
  expect_config_sent(cdtp(client, make_config_request("ep-before", "av-1")), before.config_id,
                     "[0]");
}

} // namespace
} // namespace ecr::test
