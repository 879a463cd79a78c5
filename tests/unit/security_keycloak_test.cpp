// The Keycloak calls (JWKS, UMA decisions, client-credentials tokens)
// against the Keycloak stand-in on loopback, with tokens of a test signer.

#include "core/error.hpp"
#include "core/http_client.hpp"
#include "security/keycloak.hpp"
#include "tests/support/error_checks.hpp"
#include "tests/support/jwt_signer.hpp"
#include "tests/support/keycloak_stand_in.hpp"

#include <gtest/gtest.h>

#include <ctime>

namespace ecr::test {
namespace {

const jwt_signer& signer() {
  static const jwt_signer instance{jwt_signer::kind::rs256, "kaa-key"};
  return instance;
}

int64_t now_s() {
  return static_cast<int64_t>(std::time(nullptr));
}

class core_keycloak : public ::testing::Test {
protected:
  /// An access token of `realm` for `subject`.
  std::string token_of(const std::string& subject,
                       const std::string& realm = "kaa") const {
    return signer().token(R"({"iss":")" + keycloak_.issuer(realm) + R"(","sub":")"
                          + subject + R"(","azp":"web","exp":)"
                          + std::to_string(now_s() + 300) + "}");
  }

  caf::expected<bool> decide(const std::string& token, const std::string& permission,
                             const std::string& realm = "kaa",
                             const std::string& audience = "ecr") {
    return uma_decision(http_, keycloak_.issuer(realm), audience, token, permission);
  }

  caf::expected<service_token> token_for(const std::string& client_id,
                                         const std::string& secret,
                                         const std::string& realm = "kaa") {
    return client_credentials_token(http_, keycloak_.issuer(realm), client_id, secret);
  }

  keycloak_stand_in keycloak_{{"kaa", "acme"}};
  outbound_http_client http_;
};

TEST(core_keycloak_form, form_encoding_keeps_unreserved_characters_only) {
  EXPECT_EQ(form_encode({}), "");
  EXPECT_EQ(form_encode({{"grant_type", "urn:ietf:params:oauth:grant-type:uma-ticket"},
                         {"permission", "endpoint-1#endpoint:read"}}),
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Auma-ticket"
            "&permission=endpoint-1%23endpoint%3Aread");
  EXPECT_EQ(form_encode({{"a b", "x&y=z+1%/?"}, {"safe", "AZaz09-._~"}, {"", ""}}),
            "a%20b=x%26y%3Dz%2B1%25%2F%3F&safe=AZaz09-._~&=");
  EXPECT_EQ(form_encode({{"utf8", "\xC3\xA9"}, {"nul", std::string{"\0\n", 2}}}),
            "utf8=%C3%A9&nul=%00%0A");
}

TEST_F(core_keycloak, jwks_are_fetched_and_verify_the_issuers_tokens) {
  keycloak_.set_jwks("kaa", jwt_signer::jwks({&signer()}));
  // A trailing slash on the issuer is tolerated.
  auto keys = fetch_jwks(http_, keycloak_.issuer("kaa") + "/");
  ASSERT_TRUE(keys) << render(keys.error());
  EXPECT_EQ(keys->size(), 1u);
  EXPECT_TRUE(keys->contains("kaa-key"));
  auto claims = verify_jwt(token_of("alice"), *keys,
                           jwt_policy{keycloak_.issuer("kaa"), now_s()});
  ASSERT_TRUE(claims) << render(claims.error());
  EXPECT_EQ(claims->subject, "alice");
  EXPECT_EQ(keycloak_.stats("kaa").jwks_fetches, 1u);
  // Each realm has its own keys.
  auto other = fetch_jwks(http_, keycloak_.issuer("acme"));
  ASSERT_TRUE(other) << render(other.error());
  EXPECT_EQ(other->size(), 0u);
  EXPECT_EQ(keycloak_.stats("acme").jwks_fetches, 1u);
}

TEST_F(core_keycloak, jwks_failures_are_reported_by_kind) {
  auto unknown = fetch_jwks(http_, keycloak_.issuer("nowhere"));
  ASSERT_FALSE(unknown);
  expect_error(unknown.error(), ec::upstream_failure, {});
  EXPECT_TRUE(mentions(unknown.error(), "HTTP 404")) << render(unknown.error());
  keycloak_.set_jwks("kaa", "not json");
  auto garbled = fetch_jwks(http_, keycloak_.issuer("kaa"));
  ASSERT_FALSE(garbled);
  expect_error(garbled.error(), ec::upstream_failure, {});
  EXPECT_TRUE(mentions(garbled.error(), "JWKS from http://127.0.0.1:"))
    << render(garbled.error());
  keycloak_.set_failing(true);
  auto failing = fetch_jwks(http_, keycloak_.issuer("kaa"));
  ASSERT_FALSE(failing);
  expect_error(failing.error(), ec::upstream_failure, {});
  keycloak_.stop();
  auto stopped = fetch_jwks(http_, keycloak_.issuer("kaa"));
  ASSERT_FALSE(stopped);
  expect_error(stopped.error(), ec::unavailable, {});
}

TEST_F(core_keycloak, uma_decisions_follow_the_policy) {
  keycloak_.set_policy("kaa", {{"alice", "endpoint-1#endpoint:read"},
                               {"alice", "endpoint-2#endpoint:update"}});
  auto alice = token_of("alice");
  auto bob = token_of("bob");
  auto read = decide(alice, "endpoint-1#endpoint:read");
  ASSERT_TRUE(read) << render(read.error());
  EXPECT_TRUE(*read);
  auto update = decide(alice, "endpoint-1#endpoint:update");
  ASSERT_TRUE(update) << render(update.error());
  EXPECT_FALSE(*update);
  auto other = decide(bob, "endpoint-1#endpoint:read");
  ASSERT_TRUE(other) << render(other.error());
  EXPECT_FALSE(*other);
  EXPECT_EQ(keycloak_.stats("kaa").decisions,
            (std::vector<std::string>{"alice endpoint-1#endpoint:read granted",
                                      "alice endpoint-1#endpoint:update denied",
                                      "bob endpoint-1#endpoint:read denied"}));
  // The policy is re-read: a grant takes effect at once.
  keycloak_.set_policy("kaa", {{"bob", "endpoint-1#endpoint:read"}});
  auto granted = decide(bob, "endpoint-1#endpoint:read");
  ASSERT_TRUE(granted) << render(granted.error());
  EXPECT_TRUE(*granted);
}

TEST_F(core_keycloak, a_wildcard_resource_grants_its_scope_on_every_resource) {
  keycloak_.set_policy("kaa", {{"carol", "*#application:endpoint-config:read"}});
  auto carol = token_of("carol");
  for (const auto* app : {"application-kettle", "application-fridge"}) {
    auto read = decide(carol, std::string{app} + "#application:endpoint-config:read");
    ASSERT_TRUE(read) << render(read.error());
    EXPECT_TRUE(*read) << app;
  }
  auto update = decide(carol, "application-kettle#application:endpoint-config:update");
  ASSERT_TRUE(update) << render(update.error());
  EXPECT_FALSE(*update);
}

TEST_F(core_keycloak, a_resource_keycloak_does_not_know_is_denied) {
  keycloak_.set_policy("kaa", {{"alice", "*#endpoint:read"}});
  keycloak_.set_resources("kaa", {"endpoint-1"});
  auto alice = token_of("alice");
  auto known = decide(alice, "endpoint-1#endpoint:read");
  ASSERT_TRUE(known) << render(known.error());
  EXPECT_TRUE(*known);
  auto unknown = decide(alice, "endpoint-2#endpoint:read");
  ASSERT_TRUE(unknown) << render(unknown.error());
  EXPECT_FALSE(*unknown);
  EXPECT_EQ(keycloak_.stats("kaa").decisions.back(),
            "alice endpoint-2#endpoint:read invalid_resource");
}

TEST_F(core_keycloak, answers_other_than_a_decision_are_never_an_allowance) {
  keycloak_.set_policy("kaa", {{"alice", "*#endpoint:read"}});
  auto alice = token_of("alice");
  auto expect_undecided = [&](ec code) {
    auto decision = decide(alice, "endpoint-1#endpoint:read");
    ASSERT_FALSE(decision) << "decided " << *decision;
    expect_error(decision.error(), code, {alice});
  };
  keycloak_.set_token_answer("kaa", 200, R"({"result":false})");
  auto refused = decide(alice, "endpoint-1#endpoint:read");
  ASSERT_TRUE(refused) << render(refused.error());
  EXPECT_FALSE(*refused);
  keycloak_.set_token_answer("kaa", 200, R"({"result":"yes"})");
  expect_undecided(ec::unavailable);
  keycloak_.set_token_answer("kaa", 200, "<html>proxy</html>");
  expect_undecided(ec::unavailable);
  keycloak_.set_token_answer("kaa", 400, R"({"error":"invalid_request"})");
  expect_undecided(ec::unavailable);
  keycloak_.set_token_answer("kaa", 0);
  keycloak_.set_failing(true);
  expect_undecided(ec::unavailable);
  EXPECT_EQ(keycloak_.stats("kaa").failed, 1u);
  keycloak_.set_failing(false);
  auto recovered = decide(alice, "endpoint-1#endpoint:read");
  ASSERT_TRUE(recovered) << render(recovered.error());
  EXPECT_TRUE(*recovered);
  keycloak_.stop();
  expect_undecided(ec::unavailable);
}

TEST_F(core_keycloak, a_token_keycloak_cannot_read_is_unauthenticated) {
  keycloak_.set_policy("kaa", {{"alice", "*#endpoint:read"}});
  const std::string garbled = "not-a-jwt.at-all";
  auto decision = decide(garbled, "endpoint-1#endpoint:read");
  ASSERT_FALSE(decision);
  expect_error(decision.error(), ec::unauthenticated, {garbled});
  EXPECT_EQ(keycloak_.stats("kaa").decisions,
            std::vector<std::string>{"- endpoint-1#endpoint:read unauthenticated"});
  // A token that would add header lines is refused before anything is sent.
  auto injecting = token_of("alice") + "\r\nX-Injected: 1";
  auto refused = decide(injecting, "endpoint-1#endpoint:read");
  ASSERT_FALSE(refused);
  expect_error(refused.error(), ec::unauthenticated, {injecting, token_of("alice")});
  EXPECT_EQ(keycloak_.stats("kaa").uma_decisions, 1u);
}

TEST_F(core_keycloak, each_realm_decides_on_its_own_tokens) {
  keycloak_.set_policy("kaa", {{"alice", "*#endpoint:read"}});
  keycloak_.set_policy("acme", {{"alice", "*#endpoint:read"}});
  auto of_acme = token_of("alice", "acme");
  auto at_acme = decide(of_acme, "endpoint-1#endpoint:read", "acme");
  ASSERT_TRUE(at_acme) << render(at_acme.error());
  EXPECT_TRUE(*at_acme);
  // Another realm does not take it.
  auto at_kaa = decide(of_acme, "endpoint-1#endpoint:read", "kaa");
  ASSERT_FALSE(at_kaa);
  expect_error(at_kaa.error(), ec::unauthenticated, {of_acme});
  EXPECT_EQ(keycloak_.stats("acme").uma_decisions, 1u);
  EXPECT_EQ(keycloak_.stats("kaa").uma_decisions, 1u);
}

TEST_F(core_keycloak, a_decision_for_another_audience_is_not_made) {
  keycloak_.set_policy("kaa", {{"alice", "*#endpoint:read"}});
  auto decision = decide(token_of("alice"), "endpoint-1#endpoint:read", "kaa", "epr");
  ASSERT_FALSE(decision);
  expect_error(decision.error(), ec::unavailable, {});
  EXPECT_TRUE(mentions(decision.error(), "HTTP 400 (invalid_client)"))
    << render(decision.error());
}

TEST_F(core_keycloak, client_credentials_get_a_token_with_its_lifetime) {
  // Reserved characters in both parts: each is form-encoded before the
  // Basic pair is made, or the stand-in would split or decode them wrongly.
  const std::string id = "ecr:svc+1";
  const std::string secret = "s3cr:t&=+ %/\xC3\xA9";
  keycloak_.set_client("kaa", id, secret);
  keycloak_.set_token_lifetime("kaa", 5);
  auto first = token_for(id, secret);
  ASSERT_TRUE(first) << render(first.error());
  EXPECT_EQ(first->access_token, "opaque-kaa-1");
  EXPECT_EQ(first->expires_in_s, 5);
  auto second = token_for(id, secret);
  ASSERT_TRUE(second) << render(second.error());
  EXPECT_EQ(second->access_token, "opaque-kaa-2");
  auto jwt = token_of("service-account-ecr");
  keycloak_.set_access_token("kaa", jwt);
  keycloak_.set_token_lifetime("kaa", 300);
  auto third = token_for(id, secret);
  ASSERT_TRUE(third) << render(third.error());
  EXPECT_EQ(third->access_token, jwt);
  EXPECT_EQ(third->expires_in_s, 300);
  EXPECT_EQ(keycloak_.stats("kaa").tokens_issued, 3u);
  // The other realm has a client of its own.
  auto elsewhere = token_for("ecr", "ecr-secret", "acme");
  ASSERT_TRUE(elsewhere) << render(elsewhere.error());
  EXPECT_EQ(elsewhere->access_token, "opaque-acme-1");
}

TEST_F(core_keycloak, refused_client_credentials_are_unauthenticated) {
  const std::string secret = "wrong-secret-value";
  auto refused = token_for("ecr", secret);
  ASSERT_FALSE(refused);
  expect_error(refused.error(), ec::unauthenticated, {secret});
  EXPECT_TRUE(mentions(refused.error(), "client credentials refused"));
  EXPECT_TRUE(mentions(refused.error(), "unauthorized_client"));
  auto unknown = token_for("someone", "ecr-secret");
  ASSERT_FALSE(unknown);
  expect_error(unknown.error(), ec::unauthenticated, {"ecr-secret"});
  keycloak_.set_token_answer("kaa", 400, R"({"error":"unauthorized_client"})");
  auto disabled = token_for("ecr", "ecr-secret");
  ASSERT_FALSE(disabled);
  expect_error(disabled.error(), ec::unauthenticated, {"ecr-secret"});
  auto stats = keycloak_.stats("kaa");
  EXPECT_EQ(stats.tokens_refused, 2u);
  EXPECT_EQ(stats.tokens_issued, 0u);
}

TEST_F(core_keycloak, token_endpoint_failures_are_reported_by_kind) {
  const std::string secret = "ecr-secret";
  const std::string leaked = "eyJhbGciOiJub25lIn0.e30.leak";
  auto expect_failure = [&](ec code) {
    auto token = token_for("ecr", secret);
    ASSERT_FALSE(token) << "got a token";
    expect_error(token.error(), code, {secret, leaked});
  };
  keycloak_.set_failing(true);
  expect_failure(ec::upstream_failure);
  keycloak_.set_failing(false);
  keycloak_.set_token_answer("kaa", 503, R"({"error":"temporarily_unavailable"})");
  expect_failure(ec::unavailable);
  keycloak_.set_token_answer("kaa", 200, R"({"access_token":")" + leaked + R"("})");
  expect_failure(ec::upstream_failure);
  keycloak_.set_token_answer("kaa", 200, R"({"access_token":")" + leaked
                                           + R"(","expires_in":0})");
  expect_failure(ec::upstream_failure);
  keycloak_.set_token_answer("kaa", 200, R"({"access_token":")" + leaked
                                           + R"(\r\nX: 1","expires_in":60})");
  expect_failure(ec::upstream_failure);
  keycloak_.set_token_answer("kaa", 200, R"({"expires_in":60})");
  expect_failure(ec::upstream_failure);
  keycloak_.set_token_answer("kaa", 200, "[]");
  expect_failure(ec::upstream_failure);
  EXPECT_EQ(keycloak_.stats("kaa").forced_answers, 6u);
  keycloak_.stop();
  expect_failure(ec::unavailable);
}

} // namespace
} // namespace ecr::test
