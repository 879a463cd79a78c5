// The access checker behind the access guards (A20, spec 9.2): bearer
// tokens verified against the issuer's keys, fetched again for an unknown
// kid at most every 30 s, and UMA decisions reused briefly per token.

#include "actors/access_guard.hpp"
#include "security/iamcore_checker.hpp"
#include "security/keycloak_checker.hpp"

#include "core/error.hpp"
#include "tests/support/jwt_signer.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace ecr::test {
namespace {

constexpr const char* issuer = "https://auth.example/realms/kaa";
/// Where ECR reaches the default realm.
constexpr const char* private_issuer = "http://keycloak:8080/realms/kaa";
constexpr int64_t start = 1'800'000'000;

/// Keycloak realms and the Tenant Manager as the checker sees them: keys,
/// decisions and contexts a test controls, and what the checker asked.
class fake_issuer {
public:
  jwt_signer current{jwt_signer::kind::rs256, "key-1"};
  /// The default realm's keys.
  std::vector<const jwt_signer*> published{&current};
  /// Other realms' keys by private issuer URL.
  std::map<std::string, std::vector<const jwt_signer*>> realm_keys;
  /// Granted `subject permission` pairs.
  std::set<std::string> grants;
  /// The Tenant Manager's contexts; nullopt: it is out of reach.
  std::optional<std::map<std::string, tenant_security_context>> tenants =
    std::map<std::string, tenant_security_context>{};
  bool reachable = true;
  int64_t now = start;
  int key_fetches = 0;
  int decisions = 0;
  /// Private issuer URLs asked, in order, for keys and for decisions.
  std::vector<std::string> keys_asked;
  std::vector<std::string> decisions_asked;
  /// Tenants asked of the Tenant Manager, in order.
  std::vector<std::string> tenants_asked;

  access_checker_config config(bool multitenant = false) {
    access_checker_config cfg;
    cfg.default_tenant = {"kaa", issuer, private_issuer};
    cfg.fetch_keys = [this](const std::string& url) -> caf::expected<jwk_set> {
      ++key_fetches;
      keys_asked.push_back(url);
      if (!reachable)
        return make_error(ec::unavailable, "connection refused");
      return jwk_set::parse(
        jwt_signer::jwks(url == private_issuer ? published : realm_keys[url]));
    };
    cfg.decide = [this](const std::string& url, const std::string& token,
                        const std::string& permission) -> caf::expected<bool> {
      ++decisions;
      decisions_asked.push_back(url);
      if (!reachable)
        return make_error(ec::unavailable, "connection refused");
      auto peeked = peek_jwt(token);
      return grants.count(peeked->claims.subject + " " + permission) > 0;
    };
    if (multitenant)
      cfg.resolve_tenant = [this](const std::string& tenant)
        -> caf::expected<tenant_security_context> {
        tenants_asked.push_back(tenant);
        if (!tenants)
          return make_error(ec::unavailable, "connection refused");
        auto found = tenants->find(tenant);
        if (found == tenants->end())
          return make_error(ec::not_found, "no such tenant");
        return found->second;
      };
    cfg.now_s = [this] { return now; };
    return cfg;
  }

  /// Adds a tenant whose realm signs with `key`: public issuer
  /// `https://auth.example/realms/<tenant>`, reached at `private_url`.
  void add_tenant(const std::string& tenant, const jwt_signer& key,
                  const std::string& private_url) {
    (*tenants)[tenant] = {tenant, "https://auth.example/realms/" + tenant,
                          private_url};
    realm_keys[private_url] = {&key};
  }

  std::string token(const jwt_signer& key, const std::string& subject,
                    int64_t expires = start + 3600,
                    const std::string& iss = issuer) const {
    return key.token(R"({"iss":")" + iss + R"(","sub":")" + subject
                     + R"(","exp":)" + std::to_string(expires) + "}");
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

TEST_F(access_checker_test, cached_answers_need_nobody_and_anything_else_is_left_to_check) {
  idp.grants = {"alice endpoint-ep-1#endpoint:read"};
  auto token = idp.token(idp.current, "alice", start + 100);
  const std::vector<std::string> read{"endpoint-ep-1#endpoint:read"};
  const std::vector<std::string> update{"endpoint-ep-1#endpoint:update"};
  // Refused outright; unknown tokens are left to `check`.
  auto malformed = checker.check_cached({"Basic dXNlcjpw", read, {}});
  ASSERT_TRUE(malformed);
  EXPECT_EQ(code_of(*malformed), ec::unauthenticated);
  EXPECT_FALSE(checker.check_cached(bearer(token, read)));
  ASSERT_TRUE(checker.check(bearer(token, read)));
  ASSERT_EQ(code_of(checker.check(bearer(token, update))), ec::forbidden);
  auto asked = idp.key_fetches + idp.decisions;
  auto granted = checker.check_cached(bearer(token, read));
  ASSERT_TRUE(granted && *granted);
  EXPECT_EQ((*granted)->subject, "alice");
  EXPECT_EQ((*granted)->tenant_id, "kaa");
  auto refused = checker.check_cached(bearer(token, update));
  ASSERT_TRUE(refused);
  EXPECT_EQ(code_of(*refused), ec::forbidden);
  EXPECT_EQ(idp.key_fetches + idp.decisions, asked);
  // A permission not yet decided, or a decision that ran out, is not known.
  EXPECT_FALSE(checker.check_cached(
    bearer(token, {"endpoint-ep-1#endpoint:read", "endpoint-ep-2#endpoint:read"})));
  idp.now += 30;
  EXPECT_FALSE(checker.check_cached(bearer(token, read)));
  // An expired token is refused as `check` would.
  idp.now = start + 100 + 61;
  auto expired = checker.check_cached(bearer(token));
  ASSERT_TRUE(expired);
  EXPECT_EQ(code_of(*expired), ec::unauthenticated);
}

// -- multitenancy (spec 7.3) ----------------------------------------------------

class multitenant_checker_test : public ::testing::Test {
protected:
  multitenant_checker_test() {
    idp.add_tenant("acme", acme_key, "http://keycloak:8080/realms/acme");
  }

  std::string acme_token(const std::string& subject,
                         const jwt_signer* key = nullptr) {
    return idp.token(key ? *key : acme_key, subject, start + 3600,
                     "https://auth.example/realms/acme");
  }

  jwt_signer acme_key{jwt_signer::kind::es256, "acme-1"};
  fake_issuer idp;
  keycloak_checker checker{idp.config(true)};
};

TEST_F(multitenant_checker_test, a_tenant_token_is_verified_and_decided_in_its_realm) {
  idp.grants = {"carol endpoint-ep-1#endpoint:read"};
  auto grant = checker.check(
    bearer(acme_token("carol"), {"endpoint-ep-1#endpoint:read"}));
  ASSERT_TRUE(grant) << render(grant.error());
  EXPECT_EQ(grant->subject, "carol");
  EXPECT_EQ(grant->tenant_id, "acme");
  EXPECT_EQ(idp.tenants_asked, std::vector<std::string>{"acme"});
  EXPECT_EQ(idp.keys_asked,
            std::vector<std::string>{"http://keycloak:8080/realms/acme"});
  EXPECT_EQ(idp.decisions_asked,
            std::vector<std::string>{"http://keycloak:8080/realms/acme"});
}

TEST_F(multitenant_checker_test, the_default_realm_needs_no_tenant_manager) {
  auto grant = checker.check(bearer(idp.token(idp.current, "alice")));
  ASSERT_TRUE(grant) << render(grant.error());
  EXPECT_EQ(grant->tenant_id, "kaa");
  EXPECT_TRUE(idp.tenants_asked.empty());
  // A token naming the default realm from another issuer is not trusted
  // through the Tenant Manager either.
  auto elsewhere = idp.token(idp.current, "mallory", start + 3600,
                             "https://evil.example/realms/kaa");
  EXPECT_EQ(code_of(checker.check(bearer(elsewhere))), ec::unauthenticated);
  EXPECT_TRUE(idp.tenants_asked.empty());
}

TEST_F(multitenant_checker_test, a_token_must_verify_with_the_keys_of_the_realm_it_names) {
  // Signed by the default realm's key, claiming acme's issuer.
  EXPECT_EQ(code_of(checker.check(bearer(acme_token("mallory", &idp.current)))),
            ec::unauthenticated);
  // Signed by acme's key, claiming the default realm.
  EXPECT_EQ(code_of(checker.check(bearer(idp.token(acme_key, "mallory")))),
            ec::unauthenticated);
  // acme's context names another public issuer than the token claims.
  (*idp.tenants)["acme"].issuer_public_url = "https://other.example/realms/acme";
  checker.forget_tenant("acme");
  EXPECT_EQ(code_of(checker.check(bearer(acme_token("carol")))),
            ec::unauthenticated);
}

TEST_F(multitenant_checker_test, unknown_tenants_and_issuers_without_a_realm_are_401) {
  auto stranger = idp.token(acme_key, "m", start + 3600,
                            "https://auth.example/realms/nobody");
  EXPECT_EQ(code_of(checker.check(bearer(stranger))), ec::unauthenticated);
  EXPECT_EQ(idp.tenants_asked, std::vector<std::string>{"nobody"});
  for (std::string iss : {"https://auth.example/", "https://auth.example/realms/",
                          "https://auth.example/realms/a%2Fb"}) {
    auto token = idp.token(acme_key, "m", start + 3600, iss);
    EXPECT_EQ(code_of(checker.check(bearer(token))), ec::unauthenticated) << iss;
  }
  EXPECT_EQ(idp.tenants_asked.size(), 1u);
}

TEST_F(multitenant_checker_test, a_tenant_manager_out_of_reach_is_503_and_not_remembered) {
  auto tenants = idp.tenants;
  idp.tenants.reset();
  EXPECT_EQ(code_of(checker.check(bearer(acme_token("carol")))),
            ec::unavailable);
  idp.tenants = tenants;
  EXPECT_TRUE(checker.check(bearer(acme_token("carol"))));
  EXPECT_EQ(idp.tenants_asked.size(), 2u);
}

TEST_F(multitenant_checker_test, contexts_are_reused_until_they_expire) {
  EXPECT_TRUE(checker.check(bearer(acme_token("carol"))));
  EXPECT_TRUE(checker.check(bearer(acme_token("dave"))));
  idp.now += 299;
  EXPECT_TRUE(checker.check(bearer(acme_token("erin"))));
  EXPECT_EQ(idp.tenants_asked.size(), 1u);
  idp.now += 1;
  EXPECT_TRUE(checker.check(bearer(acme_token("frank"))));
  EXPECT_EQ(idp.tenants_asked.size(), 2u);
  // The same context again: the keys fetched are still good.
  EXPECT_EQ(idp.key_fetches, 1);
}

TEST_F(multitenant_checker_test, a_forgotten_tenant_is_resolved_again_with_its_new_realm) {
  auto token = acme_token("carol");
  EXPECT_TRUE(checker.check(bearer(token)));
  // The tenant moves to another Keycloak with a new key.
  jwt_signer moved{jwt_signer::kind::rs256, "acme-2"};
  idp.add_tenant("acme", moved, "http://keycloak-2:8080/realms/acme");
  // Until told, the verified token and the old context stand...
  EXPECT_TRUE(checker.check(bearer(token)));
  EXPECT_EQ(idp.tenants_asked.size(), 1u);
  // ... and once told, neither does.
  checker.forget_tenant("acme");
  EXPECT_EQ(code_of(checker.check(bearer(token))), ec::unauthenticated);
  EXPECT_TRUE(checker.check(bearer(acme_token("carol", &moved))));
  EXPECT_EQ(idp.tenants_asked.size(), 2u);
  EXPECT_EQ(idp.keys_asked.back(), "http://keycloak-2:8080/realms/acme");
}

TEST_F(multitenant_checker_test, a_forgotten_tenant_has_no_cached_answers) {
  auto token = acme_token("carol");
  ASSERT_TRUE(checker.check(bearer(token)));
  auto cached = checker.check_cached(bearer(token));
  ASSERT_TRUE(cached && *cached);
  EXPECT_EQ((*cached)->tenant_id, "acme");
  checker.forget_tenant("acme");
  EXPECT_FALSE(checker.check_cached(bearer(token)));
}

TEST_F(multitenant_checker_test, forgetting_one_tenant_keeps_the_others) {
  auto token = idp.token(idp.current, "alice");
  EXPECT_TRUE(checker.check(bearer(token)));
  EXPECT_TRUE(checker.check(bearer(acme_token("carol"))));
  checker.forget_tenant("acme");
  EXPECT_TRUE(checker.check(bearer(token)));
  EXPECT_EQ(idp.key_fetches, 2);
}

TEST(keycloak_checker_single_tenant, never_asks_a_tenant_manager) {
  fake_issuer idp;
  jwt_signer acme_key{jwt_signer::kind::es256, "acme-1"};
  idp.add_tenant("acme", acme_key, "http://keycloak:8080/realms/acme");
  keycloak_checker checker{idp.config(false)};
  auto token = idp.token(acme_key, "carol", start + 3600,
                         "https://auth.example/realms/acme");
  EXPECT_EQ(code_of(checker.check(bearer(token))), ec::unauthenticated);
  EXPECT_TRUE(idp.tenants_asked.empty());
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

TEST_F(iamcore_checker_test, forgetting_a_tenant_drops_its_principals_only) {
  EXPECT_TRUE(checker.check(api_key("key-a")));
  EXPECT_TRUE(checker.check({"Bearer tok-b", {}, {}}));
  EXPECT_EQ(iam.lookups, 2);
  checker.forget_tenant("tenant-a");
  EXPECT_TRUE(checker.check(api_key("key-a")));
  EXPECT_TRUE(checker.check({"Bearer tok-b", {}, {}}));
  EXPECT_EQ(iam.lookups, 3);
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

TEST_F(iamcore_checker_test, a_hash_in_an_id_never_turns_into_another_action) {
  // Read at the first `#`, this would evaluate the action
  // "endpoint:read#endpoint:update" on endpoint/ep-1.
  iam.allowed = {"endpoint:update irn:acct1:kaa:tenant-a::endpoint/ep-1"};
  auto refused = checker.check(
    api_key("key-a", {"endpoint-ep-1#endpoint:read#endpoint:update"}));
  ASSERT_FALSE(refused);
  EXPECT_EQ(code_of(refused), ec::invalid_argument);
  EXPECT_NE(render(refused.error()).find("'#'"), std::string::npos)
    << render(refused.error());
  EXPECT_TRUE(iam.evaluations.empty());
}

} // namespace
} // namespace ecr::test
