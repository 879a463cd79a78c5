// ECR's own credential on its outbound calls (spec 9.3), end to end: the
// real `ecr` with Tekton on, against the Keycloak and Tekton stand-ins. With
// a client secret ECR takes a client-credentials token from Keycloak, sends
// it as a bearer token to Tekton and renews it before it runs out; readiness
// shows it as `service-token`. A refused secret keeps readiness down and is
// never logged. With iamcore ECR sends its API key instead.

#include "tests/e2e/nats_helpers.hpp"
#include "tests/support/keycloak_stand_in.hpp"
#include "tests/support/tekton_stand_in.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace ecr::test {
namespace {

const std::string realm = "kaa";

const std::string settings = R"({"applications": [
  {"name": "smart-meter", "appVersions": [{"name": "smart-meter-v1"}]}
]})";

const std::string broadcast_subject = "kaa.v1.events.tekton.service.configuration.upsert";

/// How the Tekton stand-in records a request carrying `token`.
std::string bearer_line(const std::string& token) {
  return "Authorization: Bearer " + token;
}

/// The status of readiness component `name` ("" when missing).
std::string component_status(const readiness& r, const char* name) {
  auto doc = parse_json(r.body);
  if (!doc.IsObject() || !doc.HasMember("components") || !doc["components"].HasMember(name))
    return "";
  return doc["components"][name]["status"].GetString();
}

class e2e_service_token : public ::testing::Test {
protected:
  /// Starts ecr reading its settings from the Tekton stand-in, with
  /// Keycloak security and the `env` given on top.
  void start(env_overrides env) {
    env.emplace("KAA_TEKTON_ENABLED", "true");
    env.emplace("KAA_TEKTON_URL", tekton_.url());
    env.emplace("KAA_TEKTON_RETRY_MAX_MS", "200");
    env.emplace("KAA_SECURITY_ENABLED", "true");
    env.emplace("KAA_SECURITY_ISSUER_PUBLIC_URL", idp_.issuer(realm));
    env.emplace("KAA_SECURITY_CLIENT_ID", "ecr");
    auto options = ecr_binary(std::move(env));
    options.nats_urls = nats_.url();
    ecr_ = std::make_unique<ecr_process>(std::move(options));
  }

  http_client& http() {
    return ecr_->http();
  }

  /// Waits until ecr hears Tekton's broadcasts, so that one makes it refetch.
  void wait_for_scmp_subscription() {
    ASSERT_TRUE(poll_until([&] {
      for (const auto& connection : nats_.connections())
        for (const auto& s : connection.subscriptions)
          if (s.subject == broadcast_subject)
            return true;
      return false;
    })) << "ecr never subscribed to " << broadcast_subject;
  }

  void publish_broadcast() {
    avro::broadcast_configuration_update_event event;
    event.correlation_id = new_correlation_id();
    event.timestamp = now_millis();
    event.originator_replica_id = "tekton-0";
    client_.publish(broadcast_subject, avro::encode(event));
  }

  /// Makes ecr refetch its settings until a request reaches Tekton with
  /// `token` (an event may race the renewal and go out with the old one).
  void wait_for_request_with(const std::string& token) {
    auto seen = tekton_.credentials().size();
    publish_broadcast();
    std::string last;
    EXPECT_TRUE(poll_until([&] {
      auto all = tekton_.credentials();
      if (all.size() == seen)
        return false;
      seen = all.size();
      last = all.back();
      if (last == bearer_line(token))
        return true;
      publish_broadcast();
      return false;
    })) << "no Tekton request carried " << token << "; last: " << last;
  }

  nats_server nats_;
  nats_test_client client_{nats_.url()};
  keycloak_stand_in idp_;
  tekton_stand_in tekton_{settings};
  std::unique_ptr<ecr_process> ecr_;
};

TEST_F(e2e_service_token, tekton_gets_the_token_and_then_its_renewal) {
  idp_.set_access_token(realm, "first-token");
  idp_.set_token_lifetime(realm, 2);
  start({{"KAA_SECURITY_CLIENT_SECRET", "ecr-secret"}});
  auto ready = wait_for_readiness(http(), 200);
  EXPECT_EQ(component_status(ready, "service-token"), "UP") << ready.body;
  EXPECT_EQ(component_status(ready, "tekton"), "UP") << ready.body;
  auto first = tekton_.credentials();
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first, std::vector<std::string>(first.size(), bearer_line("first-token")))
    << "every Tekton request must carry the service token";

  // Renewals from now on bring the second token; one comes before the first
  // token's 2 s run out.
  idp_.set_access_token(realm, "second-token");
  auto issued = idp_.stats(realm).tokens_issued;
  ASSERT_TRUE(poll_until([&] { return idp_.stats(realm).tokens_issued > issued; }))
    << "ecr never renewed its token";
  wait_for_scmp_subscription();
  wait_for_request_with("second-token");

  // Once renewed, the old token is never sent again.
  auto all = tekton_.credentials();
  auto renewed = std::find(all.begin(), all.end(), bearer_line("second-token"));
  EXPECT_EQ(std::count(renewed, all.end(), bearer_line("second-token")), all.end() - renewed);
  ready = get_readiness(http());
  EXPECT_EQ(ready.http_status, 200) << ready.body;
  EXPECT_EQ(component_status(ready, "service-token"), "UP") << ready.body;
}

TEST_F(e2e_service_token, a_refused_secret_keeps_readiness_down_and_is_not_logged) {
  const std::string secret = "wrong-secret-5f2c9a";
  start({{"KAA_SECURITY_CLIENT_SECRET", secret}});
  // Two refusals: the first attempt and a retry, both behind what we read.
  ASSERT_TRUE(poll_until([&] { return idp_.stats(realm).tokens_refused >= 2; }))
    << "ecr never asked for a token twice";
  EXPECT_EQ(idp_.stats(realm).tokens_issued, 0u);
  auto down = get_readiness(http());
  EXPECT_EQ(down.http_status, 503) << down.body;
  EXPECT_EQ(component_status(down, "service-token"), "DOWN") << down.body;
  EXPECT_EQ(down.body.find(secret), std::string::npos) << down.body;
  auto log = ecr_->log();
  EXPECT_EQ(log.find(secret), std::string::npos) << "the client secret was logged:\n" << log;
}

TEST_F(e2e_service_token, with_iamcore_tekton_gets_the_api_key) {
  const std::string key = "iamcore-key-81d0";
  // Keycloak's client is set up too: iamcore must win over it.
  start({{"KAA_SECURITY_CLIENT_SECRET", "ecr-secret"},
         {"KAA_SECURITY_IAMCORE_ENABLED", "true"},
         {"KAA_SECURITY_IAMCORE_URL", "http://127.0.0.1:" + std::to_string(free_loopback_port())},
         {"KAA_SECURITY_IAMCORE_API_KEY", key}});
  readiness ready;
  EXPECT_TRUE(poll_until([&] {
    ready = get_readiness(http());
    return component_status(ready, "tekton") == "UP";
  })) << ready.body;
  // iamcore replaces Keycloak's token: none is asked for or waited for.
  EXPECT_EQ(component_status(ready, "service-token"), "") << ready.body;
  auto sent = tekton_.credentials();
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(sent, std::vector<std::string>(sent.size(), "X-iamcore-API-Key: " + key));
  EXPECT_EQ(idp_.stats(realm).tokens_issued, 0u);
}

} // namespace
} // namespace ecr::test
