// The access checker behind the access guards (A20, spec 9.2): bearer
// tokens verified against the issuer's keys, fetched again for an unknown
// kid at most every 30 s, and UMA decisions reused briefly per token.

#include "actors/access_guard.hpp"

#include "core/error.hpp"
#include "tests/support/jwt_signer.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace ecr::test {
namespace {

constexpr const char* issuer = "https://auth.example/realms/kaa";
constexpr int64_t start = 1'800'000'000;

/// An issuer whose keys, decisions and clock a test controls, counting what
/// the checker asks of it.
class fake_issuer {
public:
  jwt_signer current{jwt_signer::kind::rs256, "key-1"};
  std::vector<const jwt_signer*> published{&current};
  /// Granted `subject permission` pairs.
  std::set<std::string> grants;
  bool reachable = true;
  int64_t now = start;
  int key_fetches = 0;
  int decisions = 0;

  access_checker_config config() {
    access_checker_config cfg;
    cfg.issuer = issuer;
    cfg.tenant_id = "kaa";
    cfg.fetch_keys = [this]() -> caf::expected<jwk_set> {
      ++key_fetches;
      if (!reachable)
        return make_error(ec::unavailable, "connection refused");
      return jwk_set::parse(jwt_signer::jwks(published));
    };
    cfg.decide = [this](const std::string& token,
                        const std::string& permission) -> caf::expected<bool> {
      ++decisions;
      if (!reachable)
        return make_error(ec::unavailable, "connection refused");
      auto peeked = peek_jwt(token);
      return grants.count(peeked->claims.subject + " " + permission) > 0;
    };
    cfg.now_s = [this] { return now; };
    return cfg;
  }

  std::string token(const jwt_signer& key, const std::string& subject,
                    int64_t expires = start + 3600) const {
    return key.token(R"({"iss":")" + std::string{issuer} + R"(","sub":")"
                     + subject + R"(","exp":)" + std::to_string(expires) + "}");
  }
};

access_request bearer(const std::string& token,
                      std::vector<std::string> permissions = {}) {
  return {"Bearer " + token, std::move(permissions), {}};
}

ec code_of(const caf::expected<access_grant>& result) {
  return result ? ec::no_error : error_code(result.error());
}

class access_checker_test : public ::testing::Test {
protected:
  fake_issuer idp;
  keycloak_checker checker{idp.config()};
};

TEST_F(access_checker_test, a_valid_token_is_granted_with_its_subject) {
  auto grant = checker.check(bearer(idp.token(idp.current, "alice")));
  ASSERT_TRUE(grant) << render(grant.error());
  EXPECT_EQ(grant->subject, "alice");
  EXPECT_EQ(grant->tenant_id, "kaa");
  EXPECT_EQ(idp.key_fetches, 1);
}

TEST_F(access_checker_test, missing_or_malformed_credentials_are_401) {
  for (std::string credential : {"", "Bearer", "Bearer   ", "Basic dXNlcjpw",
                                 "Bearer not.a.token"}) {
    auto result = checker.check({credential, {}, {}});
    EXPECT_EQ(code_of(result), ec::unauthenticated) << credential;
  }
  // The scheme is case-insensitive (RFC 7235).
  EXPECT_TRUE(checker.check({"bearer " + idp.token(idp.current, "alice"), {}, {}}));
}

TEST_F(access_checker_test, tokens_of_other_issuers_or_keys_are_401) {
  jwt_signer stranger{jwt_signer::kind::es256, "key-1"};
  EXPECT_EQ(code_of(checker.check(bearer(idp.token(stranger, "mallory")))),
            ec::unauthenticated);
  auto foreign = idp.current.token(
    R"({"iss":"https://evil.example/realms/kaa","sub":"m","exp":)"
    + std::to_string(start + 60) + "}");
  EXPECT_EQ(code_of(checker.check(bearer(foreign))), ec::unauthenticated);
}

TEST_F(access_checker_test, expiry_is_checked_again_for_a_cached_token) {
  auto token = idp.token(idp.current, "alice", start + 100);
  EXPECT_TRUE(checker.check(bearer(token)));
  idp.now = start + 100 + 60; // the leeway's last second
  EXPECT_TRUE(checker.check(bearer(token)));
  idp.now += 1;
  EXPECT_EQ(code_of(checker.check(bearer(token))), ec::unauthenticated);
}

TEST_F(access_checker_test, an_unknown_kid_refetches_at_most_every_30_s) {
  EXPECT_TRUE(checker.check(bearer(idp.token(idp.current, "alice"))));
  // The issuer rotates its key.
  jwt_signer rotated{jwt_signer::kind::es256, "key-2"};
  idp.published = {&idp.current, &rotated};
  idp.now += 10;
  // Keys were fetched 10 s ago: the new kid waits for the interval.
  EXPECT_EQ(code_of(checker.check(bearer(idp.token(rotated, "alice")))),
            ec::unauthenticated);
  EXPECT_EQ(idp.key_fetches, 1);
  idp.now += 20;
  EXPECT_TRUE(checker.check(bearer(idp.token(rotated, "alice"))));
  EXPECT_EQ(idp.key_fetches, 2);
  // A token naming a key nobody published does not hammer the issuer.
  jwt_signer bogus{jwt_signer::kind::rs256, "key-x"};
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(code_of(checker.check(bearer(idp.token(bogus, "m")))),
              ec::unauthenticated);
  EXPECT_EQ(idp.key_fetches, 2);
  idp.now += 30;
  EXPECT_EQ(code_of(checker.check(bearer(idp.token(bogus, "m")))),
            ec::unauthenticated);
  EXPECT_EQ(idp.key_fetches, 3);
}

TEST_F(access_checker_test, keys_out_of_reach_at_first_are_503_then_fetched) {
  idp.reachable = false;
  auto token = idp.token(idp.current, "alice");
  EXPECT_EQ(code_of(checker.check(bearer(token))), ec::unavailable);
  idp.reachable = true;
  EXPECT_TRUE(checker.check(bearer(token)));
}

TEST_F(access_checker_test, permissions_are_decided_and_reused_briefly) {
  idp.grants = {"alice endpoint-ep-1#endpoint:read"};
  auto token = idp.token(idp.current, "alice");
  EXPECT_TRUE(checker.check(bearer(token, {"endpoint-ep-1#endpoint:read"})));
  auto denied = checker.check(bearer(token, {"endpoint-ep-1#endpoint:update"}));
  ASSERT_EQ(code_of(denied), ec::forbidden);
  EXPECT_NE(error_message(denied.error()).find("endpoint-ep-1#endpoint:update"),
            std::string::npos);
  EXPECT_EQ(idp.decisions, 2);
  // Both answers are reused within the decision lifetime...
  idp.grants.clear();
  idp.now += 29;
  EXPECT_TRUE(checker.check(bearer(token, {"endpoint-ep-1#endpoint:read"})));
  EXPECT_EQ(code_of(checker.check(
              bearer(token, {"endpoint-ep-1#endpoint:update"}))),
            ec::forbidden);
  EXPECT_EQ(idp.decisions, 2);
  // ... and asked again after it.
  idp.now += 1;
  EXPECT_EQ(code_of(checker.check(bearer(token, {"endpoint-ep-1#endpoint:read"}))),
            ec::forbidden);
  EXPECT_EQ(idp.decisions, 3);
}

TEST_F(access_checker_test, decisions_belong_to_one_token) {
  idp.grants = {"alice endpoint-ep-1#endpoint:read"};
  EXPECT_TRUE(checker.check(
    bearer(idp.token(idp.current, "alice"), {"endpoint-ep-1#endpoint:read"})));
  EXPECT_EQ(code_of(checker.check(bearer(idp.token(idp.current, "bob"),
                                         {"endpoint-ep-1#endpoint:read"}))),
            ec::forbidden);
}

TEST_F(access_checker_test, every_permission_must_be_held) {
  idp.grants = {"alice endpoint-ep-1#endpoint:update"};
  EXPECT_EQ(code_of(checker.check(bearer(idp.token(idp.current, "alice"),
                                         {"endpoint-ep-1#endpoint:update",
                                          "endpoint-ep-2#endpoint:update"}))),
            ec::forbidden);
}

TEST_F(access_checker_test, an_undecidable_permission_is_503_never_allowed) {
  auto token = idp.token(idp.current, "alice");
  EXPECT_TRUE(checker.check(bearer(token)));
  idp.reachable = false;
  EXPECT_EQ(code_of(checker.check(bearer(token, {"endpoint-ep-1#endpoint:read"}))),
            ec::unavailable);
}

// -- iamcore --------------------------------------------------------------------

/// iamcore as the checker sees it: principals by credential, allowed
/// `action irn` pairs, reachability, counters.
class fake_iamcore {
public:
  std::map<std::string, std::string> principals{
    {"key-a", "irn:acct1:iamcore:tenant-a::user/alice"},
    {"Bearer tok-b", "irn:acct1:iamcore:tenant-b::user/bob"}};
  std::set<std::string> allowed;
  bool reachable = true;
  int64_t now = start;
  int lookups = 0;
  std::vector<std::string> evaluations;

  iamcore_checker_config config() {
    iamcore_checker_config cfg;
    cfg.application = "kaa";
    cfg.tenant_id = "kaa";
    cfg.principal_of = [this](const iamcore_credential& c) -> caf::expected<irn> {
      ++lookups;
      if (!reachable)
        return make_error(ec::unavailable, "iamcore is down");
      auto i = principals.find(c.value);
      if (i == principals.end())
        return make_error(ec::unauthenticated, "unknown credential");
      return parse_irn(i->second);
    };
    cfg.evaluate = [this](const iamcore_credential&, const std::string& action,
                          const std::string& resource) -> caf::expected<bool> {
      if (!reachable)
        return make_error(ec::unavailable, "iamcore is down");
      evaluations.push_back(action + " " + resource);
      return allowed.count(action + " " + resource) > 0;
    };
    cfg.now_s = [this] { return now; };
    return cfg;
  }
};

access_request api_key(const std::string& key,
                       std::vector<std::string> permissions = {}) {
  return {{}, std::move(permissions), key};
}

class iamcore_checker_test : public ::testing::Test {
protected:
  fake_iamcore iam;
  iamcore_checker checker{iam.config()};
};

TEST_F(iamcore_checker_test, the_principal_names_subject_and_tenant) {
  auto grant = checker.check(api_key("key-a"));
  ASSERT_TRUE(grant) << render(grant.error());
  EXPECT_EQ(grant->subject, "irn:acct1:iamcore:tenant-a::user/alice");
  EXPECT_EQ(grant->tenant_id, "tenant-a");
  auto bearer_grant = checker.check({"Bearer tok-b", {}, {}});
  ASSERT_TRUE(bearer_grant) << render(bearer_grant.error());
  EXPECT_EQ(bearer_grant->tenant_id, "tenant-b");
}

TEST_F(iamcore_checker_test, permissions_are_evaluated_on_resource_irns) {
  iam.allowed = {"endpoint:read irn:acct1:kaa:tenant-a::endpoint/ep-1",
                 "application:endpoint-config:update "
                 "irn:acct1:kaa:tenant-a::application/smart-meter"};
  EXPECT_TRUE(checker.check(api_key("key-a", {"endpoint-ep-1#endpoint:read"})));
  EXPECT_TRUE(checker.check(api_key(
    "key-a", {"application-smart-meter#application:endpoint-config:update"})));
  EXPECT_EQ(code_of(checker.check(api_key("key-a", {"endpoint-ep-2#endpoint:read"}))),
            ec::forbidden);
  EXPECT_EQ(iam.evaluations,
            (std::vector<std::string>{
              "endpoint:read irn:acct1:kaa:tenant-a::endpoint/ep-1",
              "application:endpoint-config:update "
              "irn:acct1:kaa:tenant-a::application/smart-meter",
              "endpoint:read irn:acct1:kaa:tenant-a::endpoint/ep-2"}));
}

TEST_F(iamcore_checker_test, principals_and_decisions_are_reused_briefly) {
  iam.allowed = {"endpoint:read irn:acct1:kaa:tenant-a::endpoint/ep-1"};
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(checker.check(api_key("key-a", {"endpoint-ep-1#endpoint:read"})));
  EXPECT_EQ(iam.lookups, 1);
  EXPECT_EQ(iam.evaluations.size(), 1u);
  iam.now += 30;
  EXPECT_TRUE(checker.check(api_key("key-a", {"endpoint-ep-1#endpoint:read"})));
  EXPECT_EQ(iam.lookups, 1);
  EXPECT_EQ(iam.evaluations.size(), 2u);
  iam.now += 30;
  EXPECT_TRUE(checker.check(api_key("key-a")));
  EXPECT_EQ(iam.lookups, 2);
}

TEST_F(iamcore_checker_test, refusals_and_outages) {
  EXPECT_EQ(code_of(checker.check(api_key(""))), ec::unauthenticated);
  EXPECT_EQ(code_of(checker.check(api_key("key-x"))), ec::unauthenticated);
  // An id iamcore cannot name is refused before asking it.
  EXPECT_EQ(code_of(checker.check(api_key("key-a", {"endpoint-ep 1#endpoint:read"}))),
            ec::invalid_argument);
  EXPECT_TRUE(iam.evaluations.empty());
  // Also when a nameable one comes first.
  EXPECT_EQ(code_of(checker.check(api_key(
              "key-a", {"endpoint-ep-1#endpoint:update",
                        "endpoint-ep~1#endpoint:update"}))),
            ec::invalid_argument);
  EXPECT_TRUE(iam.evaluations.empty());
  iam.reachable = false;
  EXPECT_EQ(code_of(checker.check({"Bearer tok-b", {}, {}})), ec::unavailable);
}

} // namespace
} // namespace ecr::test
