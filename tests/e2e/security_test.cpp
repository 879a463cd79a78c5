// REST security (A20, spec 9) over real HTTP: the real `ecr` with
// KAA_SECURITY_ENABLED against the Keycloak stand-in. Bearer tokens are
// verified (401 with a Bearer challenge otherwise), every route family asks
// Keycloak for its own `resource#scope` (403 when denied, 503 when Keycloak
// cannot answer), decisions are reused per token, keys are fetched on first
// use, health and metrics stay open, and refused requests write nothing.

#include "tests/e2e/security_helpers.hpp"
#include "tests/support/jwt_signer.hpp"
#include "tests/support/keycloak_stand_in.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <future>
#include <map>
#include <set>
#include <tuple>

namespace ecr::test {
namespace {

const std::string realm = "kaa";

const std::string filter_requests = "kaa.v1.service.epr.efmp.ep-list-by-filter-request";

/// A request that needs `permission`: bob (no grants) is refused, alice
/// (every grant) gets `status`.
struct guarded_request {
  std::string method;
  std::string url;
  std::string body;
  std::string permission;
  int status = 200;
};

/// An EFMP answer: app version -> endpoints.
using filter_matches = std::map<std::string, std::vector<std::string>>;

/// ECR's answer to a filter upsert, and how often it asked EPR meanwhile.
struct filter_upsert {
  http_response response;
  int epr_asked = 0;
};

class e2e_security : public ::testing::Test {
protected:
  void SetUp() override {
    std::vector<uma_grant> grants;
    for (const auto& scope : security_scopes)
      grants.push_back({"alice", "*#" + scope});
    idp_.set_policy(realm, grants);
    idp_.set_jwks(realm, jwt_signer::jwks({&key_}));
    ecr_ = std::make_unique<ecr_process>(ecr_options_with(extra_env()));
  }

  /// Environment beyond the security settings; fixtures override it.
  virtual env_overrides extra_env() const {
    return {};
  }

  ecr_options ecr_options_with(env_overrides env) const {
    env.emplace("KAA_SECURITY_ENABLED", "true");
    env.emplace("KAA_SECURITY_ISSUER_PUBLIC_URL", idp_.issuer(realm));
    env.emplace("KAA_SECURITY_CLIENT_ID", "ecr");
    auto options = ecr_binary(std::move(env), security_applications_yaml);
    options.nats_urls = nats_.url();
    return options;
  }

  http_client& http() {
    return ecr_->http();
  }

  /// A token of `key` for `subject`; each one is new (its own `jti`), so
  /// that no decision cached for an earlier token answers for it.
  std::string signed_token(const jwt_signer& key, const std::string& subject,
                           const std::string& issuer, int64_t expires_at,
                           const std::string& more_claims = "") {
    return key.token(R"({"iss":")" + issuer + R"(","sub":")" + subject
                     + R"(","exp":)" + std::to_string(expires_at) + more_claims
                     + R"(,"jti":"t-)" + std::to_string(++minted_) + "\"}");
  }

  /// A valid token of the realm for `subject`.
  std::string token(const std::string& subject) {
    return signed_token(key_, subject, idp_.issuer(realm), now_s() + 300);
  }

  /// `method url` with `token` (none when empty) and a JSON body.
  http_response send(const std::string& method, const std::string& url,
                     const std::string& token, const std::string& body = {}) {
    auto headers = token.empty() ? http_headers{} : bearer(token);
    if (method == "PUT" || method == "POST")
      headers.emplace_back("Content-Type", "application/json");
    return http().request(method, url, headers, body);
  }

  /// UMA decisions asked so far, oldest first: "<sub> <permission> <outcome>".
  std::vector<std::string> decisions() const {
    return idp_.stats(realm).decisions;
  }

  /// The decisions asked after the first `mark` ones.
  std::vector<std::string> decisions_after(size_t mark) const {
    auto all = decisions();
    return {all.begin() + static_cast<std::ptrdiff_t>(std::min(mark, all.size())), all.end()};
  }

  /// Checks that bob is refused `r` (and only its permission was asked) and
  /// that alice is served; returns alice's answer.
  http_response expect_guarded(const guarded_request& r) {
    SCOPED_TRACE(r.method + " " + r.url);
    auto mark = decisions().size();
    expect_error(send(r.method, r.url, token("bob"), r.body), 403);
    EXPECT_EQ(decisions_after(mark),
              std::vector<std::string>{"bob " + r.permission + " denied"});
    mark = decisions().size();
    auto served = send(r.method, r.url, token("alice"), r.body);
    EXPECT_EQ(served.status, r.status) << served.describe();
    EXPECT_EQ(decisions_after(mark),
              std::vector<std::string>{"alice " + r.permission + " granted"});
    return served;
  }

  /// carol may update ep-1 and ep-2 only; alice may only read.
  void let_carol_update_ep1_and_ep2() {
    idp_.set_policy(realm, {{"carol", update_of("ep-1")},
                            {"carol", update_of("ep-2")},
                            {"alice", "*#endpoint:read"}});
  }

  static std::string update_of(const std::string& endpoint) {
    return "endpoint-" + endpoint + "#endpoint:update";
  }

  /// Since `mark`, carol was denied the update of `denied`, and every
  /// decision asked was an update of one of `written`.
  void expect_update_refused(size_t mark, const std::set<std::string>& written,
                             const std::string& denied) {
    auto asked = decisions_after(mark);
    EXPECT_NE(std::find(asked.begin(), asked.end(), "carol " + update_of(denied) + " denied"),
              asked.end());
    for (const auto& decision : asked) {
      auto found = std::any_of(written.begin(), written.end(), [&](const std::string& e) {
        return decision.rfind("carol " + update_of(e) + " ", 0) == 0;
      });
      EXPECT_TRUE(found) << decision;
    }
  }

  /// Since `mark`, carol was granted the update of each of `endpoints` once,
  /// and nothing else was asked.
  void expect_updates_granted(size_t mark, const std::vector<std::string>& endpoints) {
    std::vector<std::string> expected;
    for (const auto& endpoint : endpoints)
      expected.push_back("carol " + update_of(endpoint) + " granted");
    auto asked = decisions_after(mark);
    std::sort(asked.begin(), asked.end());
    EXPECT_EQ(asked, expected);
  }

  /// Stores, as alice, an endpoint configuration, a default configuration
  /// and a system configuration for the "nothing written" checks.
  void seed() {
    system_config_url_ = seed_for_refusals(http(), bearer(token("alice")));
    ASSERT_FALSE(system_config_url_.empty());
  }

  /// What alice reads of everything `writes_over_seed` touches.
  std::map<std::string, std::string> snapshot() {
    return seeded_state(http(), bearer(token("alice")), system_config_url_);
  }

  keycloak_stand_in idp_{{realm, "other"}};
  jwt_signer key_{jwt_signer::kind::rs256, "key-1"};
  nats_server nats_;
  std::unique_ptr<ecr_process> ecr_;
  std::string system_config_url_;
  int minted_ = 0;
};

// -- authentication -------------------------------------------------------------

TEST_F(e2e_security, requests_without_a_token_are_401_with_a_bearer_challenge) {
  for (const auto& base : base_paths)
    for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/endpoints/ep-1/app-versions/smart-meter-v1"},
           {"PUT", "/endpoints/ep-1/app-versions/smart-meter-v1"},
           {"DELETE", "/endpoints/ep-1/app-versions/smart-meter-v1"},
           {"GET", "/endpoints/ep-1/app-versions/smart-meter-v1/configurations"},
           {"GET", "/app-versions/smart-meter-v1"},
           {"GET", "/app-versions/smart-meter-v1/configurations"},
           {"GET", "/app-versions/smart-meter-v1/schemas"},
           {"PUT", "/app-versions/smart-meter-v1/schemas/validate"},
           {"GET", "/statuses?endpointId=ep-1"},
           {"PUT", "/endpoints/batch"},
           {"PUT", "/endpoints/filters/f"},
           {"GET", "/system/tenants/tenant-a/configs"},
           {"GET", "/system/tenants/tenant-a/configs/current?name=n"},
         }) {
      SCOPED_TRACE(method + " " + base + path);
      expect_unauthenticated(send(method, base + path, "", "{}"));
    }
  // Refused before the issuer is consulted at all.
  auto stats = idp_.stats(realm);
  EXPECT_EQ(stats.jwks_fetches, 0u);
  EXPECT_EQ(stats.uma_decisions, 0u);
}

TEST_F(e2e_security, invalid_credentials_are_401_and_write_nothing) {
  ASSERT_NO_FATAL_FAILURE(seed());
  auto before = snapshot();
  auto issuer = idp_.issuer(realm);
  jwt_signer impostor{jwt_signer::kind::rs256, "key-1"};
  jwt_signer unknown{jwt_signer::kind::es256, "key-unknown"};
  auto payload = R"({"iss":")" + issuer + R"(","sub":"alice","exp":)"
                 + std::to_string(now_s() + 300) + "}";
  const std::vector<std::pair<std::string, std::string>> credentials{
    {"no header", ""},
    {"another scheme", "Basic YWxpY2U6c2VjcmV0"},
    {"empty bearer", "Bearer "},
    {"garbled token", "Bearer not-a.jwt-at.all"},
    {"signed by another key with the known kid",
     "Bearer " + signed_token(impostor, "alice", issuer, now_s() + 300)},
    {"signed by an unknown key",
     "Bearer " + signed_token(unknown, "alice", issuer, now_s() + 300)},
    {"expired beyond the leeway",
     "Bearer " + signed_token(key_, "alice", issuer, now_s() - 120)},
    {"not yet valid beyond the leeway",
     "Bearer "
       + signed_token(key_, "alice", issuer, now_s() + 900,
                      R"(,"nbf":)" + std::to_string(now_s() + 600))},
    {"from another issuer",
     "Bearer " + signed_token(key_, "alice", idp_.issuer("other"), now_s() + 300)},
    {"alg none", "Bearer " + base64url(R"({"alg":"none","typ":"JWT"})") + "."
                   + base64url(payload) + "."},
  };
  auto mark = decisions().size();
  for (const auto& [what, credential] : credentials)
    for (const auto& w : writes_over_seed(system_config_url_)) {
      SCOPED_TRACE(what + ": " + w.method + " " + w.url);
      http_headers headers{{"Content-Type", "application/json"}};
      if (!credential.empty())
        headers.emplace_back("Authorization", credential);
      expect_unauthenticated(http().request(w.method, w.url, headers, w.body));
    }
  EXPECT_EQ(decisions_after(mark), std::vector<std::string>{})
    << "decisions were asked for unauthenticated callers";
  EXPECT_EQ(snapshot(), before);
}

TEST_F(e2e_security, a_token_expired_within_the_leeway_is_accepted) {
  auto late = signed_token(key_, "alice", idp_.issuer(realm), now_s() - 20);
  EXPECT_EQ(send("GET", endpoint_url("ep-1"), late).status, 404);
}

TEST_F(e2e_security, health_and_metrics_need_no_token) {
  for (const auto& path : {"/health", "/health/startup", "/prometheus"}) {
    auto r = http().get(path);
    EXPECT_EQ(r.status, 200) << path << "\n" << r.describe();
  }
  wait_for_readiness(http(), 200);
  auto stats = idp_.stats(realm);
  EXPECT_EQ(stats.jwks_fetches, 0u);
  EXPECT_EQ(stats.uma_decisions, 0u);
}

TEST_F(e2e_security, keys_are_fetched_on_first_use_so_a_key_published_before_is_accepted) {
  // Nothing asked the issuer yet: the rotation below is in place before the
  // first fetch.
  EXPECT_EQ(idp_.stats(realm).jwks_fetches, 0u);
  jwt_signer rotated{jwt_signer::kind::es256, "key-2"};
  idp_.set_jwks(realm, jwt_signer::jwks({&key_, &rotated}));
  auto issuer = idp_.issuer(realm);
  EXPECT_EQ(send("GET", endpoint_url("ep-1"),
                 signed_token(rotated, "alice", issuer, now_s() + 300))
              .status,
            404);
  EXPECT_EQ(send("GET", endpoint_url("ep-1"), signed_token(key_, "alice", issuer, now_s() + 300))
              .status,
            404);
  EXPECT_GE(idp_.stats(realm).jwks_fetches, 1u);
  jwt_signer unpublished{jwt_signer::kind::rs256, "key-3"};
  expect_unauthenticated(send("GET", endpoint_url("ep-1"),
                              signed_token(unpublished, "alice", issuer, now_s() + 300)));
}

// -- authorization --------------------------------------------------------------

TEST_F(e2e_security, each_configuration_route_asks_its_own_permission) {
  const std::string ep_read = "endpoint-ep-1#endpoint:read";
  const std::string ep_update = "endpoint-ep-1#endpoint:update";
  const std::string app = "application-smart-meter#application:endpoint-config:";
  auto e1 = endpoint_url("ep-1");
  auto d1 = default_key("smart-meter-v1").url(api);
  for (const auto& r : std::vector<guarded_request>{
         {"PUT", e1, R"({"v":1})", ep_update, 200},                                  // E1
         {"GET", e1, "", ep_read, 200},                                              // E2
         {"GET", "/ecr" + e1, "", ep_read, 200},                                     // E2
         {"GET", endpoint_key("ep-1", "smart-meter-v1").list_url(api), "", ep_read, 200}, // E4
         {"GET", api + "/statuses?endpointId=ep-1", "", ep_read, 200},               // E7
         {"DELETE", e1, "", ep_update, 204},                                         // E3
         {"PUT", d1, R"({"v":1})", app + "update", 200},                             // D1
         {"GET", d1, "", app + "read", 200},                                         // D2
         {"GET", default_key("smart-meter-v2").list_url(api), "", app + "read", 200},  // D4
         {"DELETE", d1, "", app + "delete", 204},                                    // D3
         {"GET", api + "/app-versions/smart-meter-v2/schemas", "", app + "read", 200}, // D5
         {"PUT", api + "/app-versions/smart-meter-v1/schemas/validate", R"({"v":1})",
          app + "read", 200},                                                        // D6
       })
    expect_guarded(r);
}

TEST_F(e2e_security, history_routes_ask_the_permission_of_their_configuration) {
  const std::string ep_read = "endpoint-ep-1#endpoint:read";
  const std::string ep_update = "endpoint-ep-1#endpoint:update";
  const std::string app = "application-smart-meter#application:endpoint-config:";
  auto e1 = endpoint_url("ep-1");
  auto d1 = default_key("smart-meter-v1").url(api);
  auto first = [&](const std::string& url) {
    auto r = send("PUT", url, token("alice"), R"({"v":1})");
    send("PUT", url, token("alice"), R"({"v":2})");
    return expect_config(r).config_id;
  };
  auto e_id = first(e1);
  auto d_id = first(d1);
  for (const auto& r : std::vector<guarded_request>{
         {"GET", e1 + "/history", "", ep_read, 200},
         {"GET", e1 + "/history/" + e_id, "", ep_read, 200},
         {"GET", e1 + "/diff?from=" + e_id, "", ep_read, 200},
         {"POST", e1 + "/rollback?to=" + e_id, "", ep_update, 200},
         {"GET", d1 + "/history", "", app + "read", 200},
         {"GET", d1 + "/history/" + d_id, "", app + "read", 200},
         {"GET", d1 + "/diff?from=" + d_id, "", app + "read", 200},
         {"POST", d1 + "/rollback?to=" + d_id, "", app + "update", 200},
       })
    expect_guarded(r);
}

TEST_F(e2e_security, history_names_who_changed_a_configuration_never_a_token) {
  auto e1 = endpoint_url("ep-1");
  auto alice = signed_token(key_, "alice", idp_.issuer(realm), now_s() + 300,
                            R"(,"preferred_username":"alice.admin")");
  ASSERT_EQ(send("PUT", e1, alice, R"({"v":1})").status, 200);
  // Without a user name, the subject names the caller.
  ASSERT_EQ(send("PUT", e1, token("alice"), R"({"v":2})").status, 200);
  auto r = send("GET", e1 + "/history", token("alice"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto page = parse_json(r.body);
  ASSERT_EQ(page["content"].Size(), 2u);
  EXPECT_STREQ(page["content"][0]["actor"].GetString(), "alice");
  EXPECT_STREQ(page["content"][1]["actor"].GetString(), "alice.admin");
  EXPECT_EQ(r.body.find(alice), std::string::npos);
}

TEST_F(e2e_security, system_configurations_ask_the_permission_of_their_level) {
  for (const auto& [level, resource] : std::vector<std::pair<std::string, std::string>>{
         {"endpoints/ep-1", "endpoint-ep-1#endpoint:"},
         {"app-versions/smart-meter-v1", "application-smart-meter#application:"},
         {"applications/smart-meter", "application-smart-meter#application:"},
         {"tenants/tenant-a", "tenant-tenant-a#tenant:"},
       }) {
    SCOPED_TRACE(level);
    auto configs = system_configs_url(level);
    auto created =
      expect_guarded({"POST", configs, system_config_body, resource + "update", 201});
    auto location = created.header("Location");
    ASSERT_TRUE(location) << created.describe();
    expect_guarded({"GET", configs, "", resource + "read", 200});
    expect_guarded({"GET", configs + "/current?name=limits", "", resource + "read", 200});
    expect_guarded({"GET", *location, "", resource + "read", 200});
    expect_guarded({"PUT", *location, R"({"name":"limits","config":{"max":2}})",
                    resource + "update", 204});
    expect_guarded({"DELETE", *location, "", resource + "update", 204});
  }
}

TEST_F(e2e_security, refused_writes_change_nothing) {
  ASSERT_NO_FATAL_FAILURE(seed());
  auto before = snapshot();
  for (const auto& w : writes_over_seed(system_config_url_)) {
    SCOPED_TRACE(w.method + " " + w.url);
    expect_error(send(w.method, w.url, token("bob"), w.body), 403);
  }
  EXPECT_EQ(snapshot(), before);
}

TEST_F(e2e_security, an_app_version_of_no_known_application_is_403_after_authentication) {
  const std::vector<std::pair<std::string, std::string>> routes{
    {"GET", default_key("unknown-v1").url(api)},
    {"PUT", default_key("unknown-v1").url(api)},
    {"DELETE", default_key("unknown-v1").url(api)},
    {"GET", default_key("unknown-v1").list_url(api)},
    {"GET", api + "/app-versions/unknown-v1/schemas"},
    {"PUT", api + "/app-versions/unknown-v1/schemas/validate"},
    {"GET", system_configs_url("app-versions/unknown-v1")},
  };
  auto mark = decisions().size();
  for (const auto& [method, url] : routes) {
    SCOPED_TRACE(method + " " + url);
    expect_unauthenticated(send(method, url, "", "{}"));
    // alice may do anything on any application, yet the app version names none.
    expect_error(send(method, url, token("alice"), "{}"), 403);
  }
  EXPECT_EQ(decisions_after(mark), std::vector<std::string>{});
  // An endpoint configuration of such an app version needs endpoint rights only.
  EXPECT_EQ(send("PUT", endpoint_url("ep-1", "unknown-v1"), token("alice"), "{}").status, 200);
}

TEST_F(e2e_security, an_identifier_holding_a_hash_is_400_and_keycloak_never_sees_it) {
  // Keycloak splits a permission at every '#': asked about
  // "endpoint-ep-1#endpoint:read#endpoint:update", it decides whether carol
  // may read ep-1, which she may.
  idp_.set_policy(realm, {{"carol", "endpoint-ep-1#endpoint:read"}});
  const std::string endpoint = "ep-1#endpoint:read";
  const std::string in_path = "ep-1%23endpoint:read";
  auto mark = decisions().size();
  for (const auto& [method, url, body] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
         {"PUT", endpoint_url(in_path), R"({"v":1})"},
         {"GET", endpoint_url(in_path), ""},
         {"DELETE", endpoint_url(in_path), ""},
         {"GET", api + "/statuses?endpointId=" + in_path, ""},
         {"POST", system_configs_url("endpoints/" + in_path), system_config_body},
         {"POST", system_configs_url("tenants/t%23tenant:read"), system_config_body},
         {"PUT", api + "/endpoints/batch", batch_body({{"lamp-v1", {"ep-2", endpoint}}})},
       }) {
    SCOPED_TRACE(method + " " + url + " " + body);
    // Authentication still comes first.
    expect_unauthenticated(send(method, url, "", body));
    auto refused = send(method, url, token("carol"), body);
    expect_error(refused, 400);
    EXPECT_NE(refused.body.find("'#'"), std::string::npos) << refused.describe();
  }
  EXPECT_EQ(decisions_after(mark), std::vector<std::string>{});
  // Nothing was stored under the name, as CDTP (which needs no token) shows.
  ASSERT_TRUE(wait_for_ecr_subscriptions(nats_));
  nats_test_client client{nats_.url()};
  expect_no_config(cdtp(client, make_config_request(endpoint, "smart-meter-v1")), 404,
                   "Not Found");
  expect_no_config(cdtp(client, make_config_request("ep-2", "lamp-v1")), 404, "Not Found");
}

TEST_F(e2e_security, a_batch_needs_endpoint_update_on_every_endpoint) {
  let_carol_update_ep1_and_ep2();
  auto batch = api + "/endpoints/batch";
  auto mark = decisions().size();
  expect_error(send("PUT", batch, token("carol"),
                    batch_body({{"lamp-v1", {"ep-1"}}, {"lamp-v2", {"ep-3", "ep-2"}}})),
               403);
  expect_update_refused(mark, {"ep-1", "ep-2", "ep-3"}, "ep-3");
  auto alice = token("alice");
  for (const auto& [endpoint, app_version] :
       {std::pair{"ep-1", "lamp-v1"}, {"ep-2", "lamp-v2"}, {"ep-3", "lamp-v2"}})
    EXPECT_EQ(send("GET", endpoint_url(endpoint, app_version), alice).status, 404) << endpoint;

  // ep-1 under two app versions is asked once.
  mark = decisions().size();
  auto written = send("PUT", batch, token("carol"),
                      batch_body({{"lamp-v1", {"ep-1"}}, {"lamp-v2", {"ep-1", "ep-2"}}}));
  ASSERT_EQ(written.status, 200) << written.describe();
  EXPECT_EQ(written.body, R"({"updated":3})");
  expect_updates_granted(mark, {"ep-1", "ep-2"});
  EXPECT_EQ(send("GET", endpoint_url("ep-2", "lamp-v2"), alice).status, 200);
}

TEST_F(e2e_security, a_bulk_patch_needs_endpoint_update_on_every_endpoint) {
  // Written by alice first: a patch needs something to patch.
  auto alice = token("alice");
  for (const auto& [endpoint, app_version] :
       {std::pair{"ep-1", "lamp-v1"}, {"ep-2", "lamp-v2"}, {"ep-3", "lamp-v2"}})
    ASSERT_EQ(send("PUT", endpoint_url(endpoint, app_version), alice, R"({"v":1})").status,
              200);
  let_carol_update_ep1_and_ep2();
  auto patch_of = [](const std::map<std::string, std::vector<std::string>>& targets) {
    auto body = batch_body(targets);
    return R"({"patch":{"v":2},)" + body.substr(body.find("\"endpoints\""));
  };
  auto send_patch = [&](const std::string& body) {
    auto headers = bearer(token("carol"));
    headers.emplace_back("Content-Type", "application/json");
    return http().request("PATCH", api + "/endpoints/batch", headers, body);
  };
  auto mark = decisions().size();
  expect_error(send_patch(patch_of({{"lamp-v1", {"ep-1"}}, {"lamp-v2", {"ep-3", "ep-2"}}})),
               403);
  expect_update_refused(mark, {"ep-1", "ep-2", "ep-3"}, "ep-3");
  // Nothing was patched, not even what carol may update.
  auto reader = token("bob-reader");
  idp_.set_policy(realm, {{"carol", update_of("ep-1")}, {"carol", update_of("ep-2")},
                          {"bob-reader", "*#endpoint:read"}});
  EXPECT_EQ(expect_config(send("GET", endpoint_url("ep-1", "lamp-v1"), reader)).config,
            R"({"v":1})");
  mark = decisions().size();
  auto patched = send_patch(patch_of({{"lamp-v1", {"ep-1"}}, {"lamp-v2", {"ep-2"}}}));
  ASSERT_EQ(patched.status, 200) << patched.describe();
  EXPECT_EQ(patched.body, R"({"updated":2,"unchanged":0,"missing":[]})");
  expect_updates_granted(mark, {"ep-1", "ep-2"});
}

TEST_F(e2e_security, keycloak_failing_is_503_and_writes_nothing) {
  ASSERT_NO_FATAL_FAILURE(seed());
  auto before = snapshot();
  idp_.set_failing(true);
  for (const auto& w : writes_over_seed(system_config_url_)) {
    SCOPED_TRACE(w.method + " " + w.url);
    auto r = send(w.method, w.url, token("alice"), w.body);
    expect_error(r, 503);
    EXPECT_FALSE(r.header("WWW-Authenticate")) << r.describe();
  }
  EXPECT_GT(idp_.stats(realm).failed, 0u);
  idp_.set_failing(false);
  EXPECT_EQ(snapshot(), before);
}

// -- decision cache -------------------------------------------------------------

/// How many of `decisions` are `entry`.
size_t count_of(const std::vector<std::string>& decisions, const std::string& entry) {
  return static_cast<size_t>(std::count(decisions.begin(), decisions.end(), entry));
}

TEST_F(e2e_security, a_decision_is_reused_for_the_same_token) {
  auto alice = token("alice");
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(send("GET", endpoint_url("ep-1"), alice).status, 404);
  EXPECT_EQ(count_of(decisions(), "alice endpoint-ep-1#endpoint:read granted"), 1u);
  // Another token is asked for anew.
  EXPECT_EQ(send("GET", endpoint_url("ep-1"), token("alice")).status, 404);
  EXPECT_EQ(count_of(decisions(), "alice endpoint-ep-1#endpoint:read granted"), 2u);
}

TEST_F(e2e_security, a_decision_is_never_reused_past_the_token_expiry) {
  // Expired, yet accepted within the leeway: its decisions expire at once.
  auto late = signed_token(key_, "alice", idp_.issuer(realm), now_s() - 20);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(send("GET", endpoint_url("ep-1"), late).status, 404);
  EXPECT_EQ(count_of(decisions(), "alice endpoint-ep-1#endpoint:read granted"), 3u);
}

class e2e_security_uncached : public e2e_security {
protected:
  env_overrides extra_env() const override {
    return {{"KAA_SECURITY_DECISION_CACHE_SECONDS", "0"}};
  }
};

TEST_F(e2e_security_uncached, every_request_asks_keycloak) {
  auto alice = token("alice");
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(send("GET", endpoint_url("ep-1"), alice).status, 404);
  EXPECT_EQ(count_of(decisions(), "alice endpoint-ep-1#endpoint:read granted"), 3u);
}

// -- filters (E6) -----------------------------------------------------------------

class e2e_security_filter : public e2e_security {
protected:
  void SetUp() override {
    e2e_security::SetUp();
    ASSERT_TRUE(wait_for_ecr_subscriptions(nats_));
    client_ = std::make_unique<nats_test_client>(nats_.url());
    let_carol_update_ep1_and_ep2();
  }

  /// PUTs a filter upsert with `token` while answering, as EPR, every EFMP
  /// request with `matches`.
  filter_upsert put_filter(const std::string& token, const filter_matches& matches) {
    auto requests = client_->subscribe(filter_requests);
    auto caller = ecr_->new_client();
    auto answer = std::async(std::launch::async, [&] {
      auto headers = token.empty() ? http_headers{} : bearer(token);
      return caller.put_json(api + "/endpoints/filters/f-1", R"({"v":2})", headers);
    });
    int asked = 0;
    while (answer.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) {
      auto msg = requests->next(std::chrono::milliseconds(50));
      if (!msg)
        continue;
      auto request =
        avro::decode<avro::endpoint_list_by_filter_request>(msg->payload, 1 << 20);
      if (!request)
        continue;
      ++asked;
      avro::endpoint_list_by_filter_response response;
      response.correlation_id = request->correlation_id;
      response.timestamp = now_millis();
      response.filter_id = request->filter_id;
      response.app_versions_to_endpoints = matches;
      response.status_code = 200;
      client_->publish(msg->reply, avro::encode(response));
    }
    return {answer.get(), asked};
  }

  void expect_nothing_written(const std::vector<std::string>& endpoints) {
    auto alice = token("alice");
    for (const auto& endpoint : endpoints)
      EXPECT_EQ(send("GET", endpoint_url(endpoint, "lamp-v1"), alice).status, 404) << endpoint;
  }

  std::unique_ptr<nats_test_client> client_;
};

TEST_F(e2e_security_filter, without_a_token_epr_is_not_asked) {
  auto upsert = put_filter("", {{"lamp-v1", {"ep-1"}}});
  expect_unauthenticated(upsert.response);
  EXPECT_EQ(upsert.epr_asked, 0);
  expect_nothing_written({"ep-1"});
}

TEST_F(e2e_security_filter, needs_endpoint_update_on_every_endpoint_epr_named) {
  auto mark = decisions().size();
  auto refused = put_filter(token("carol"), {{"lamp-v1", {"ep-1", "ep-2", "ep-3"}}});
  expect_error(refused.response, 403);
  EXPECT_EQ(refused.epr_asked, 1);
  expect_update_refused(mark, {"ep-1", "ep-2", "ep-3"}, "ep-3");
  expect_nothing_written({"ep-1", "ep-2", "ep-3"});

  mark = decisions().size();
  auto written = put_filter(token("carol"), {{"lamp-v1", {"ep-1", "ep-2"}}}).response;
  ASSERT_EQ(written.status, 200) << written.describe();
  EXPECT_EQ(written.body, R"({"updated":2})");
  expect_updates_granted(mark, {"ep-1", "ep-2"});
}

// -- start-up -------------------------------------------------------------------

/// Security on with `env`: the run must end with exit code 2 naming `key`.
void expect_refused_to_start(env_overrides env, const std::string& key) {
  env.emplace("KAA_SECURITY_ENABLED", "true");
  auto result = run_ecr_to_exit(ecr_binary(std::move(env)));
  EXPECT_TRUE(result.status.exited_with(2))
    << result.status.describe() << "; output:\n"
    << result.output;
  EXPECT_NE(result.output.find(key), std::string::npos) << result.output;
}

TEST(e2e_security_startup, refuses_to_start_without_the_issuer) {
  expect_refused_to_start({{"KAA_SECURITY_ISSUER_PUBLIC_URL", std::nullopt},
                           {"KAA_SECURITY_CLIENT_ID", "ecr"}},
                          "kaa.security.issuer.public-url");
}

TEST(e2e_security_startup, refuses_to_start_without_the_client_id) {
  expect_refused_to_start({{"KAA_SECURITY_ISSUER_PUBLIC_URL", "http://127.0.0.1:1/realms/kaa"},
                           {"KAA_SECURITY_CLIENT_ID", std::nullopt}},
                          "kaa.security.client.id");
}

TEST(e2e_security_startup, refuses_an_issuer_that_is_not_an_http_url) {
  expect_refused_to_start({{"KAA_SECURITY_ISSUER_PUBLIC_URL", "keycloak/realms/kaa"},
                           {"KAA_SECURITY_CLIENT_ID", "ecr"}},
                          "kaa.security.issuer.public-url");
}

} // namespace
} // namespace ecr::test
