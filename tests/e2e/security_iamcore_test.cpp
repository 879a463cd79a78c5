// REST security with iamcore (docs/configuration.md, "Security (iamcore)")
// over real HTTP: the real `ecr` with KAA_SECURITY_IAMCORE_ENABLED against
// the iamcore stand-in. A caller's bearer token or API key is forwarded for
// its principal, each route evaluates its action on an IRN in the caller's
// account and tenant (403 when denied, 503 when iamcore cannot answer, 400
// for an identifier no IRN can hold), principals and decisions are reused
// per credential, health and metrics stay open, refused requests write
// nothing, and ecr never sends iamcore a request of a shape it refuses.

#include "tests/e2e/security_helpers.hpp"
#include "tests/support/iamcore_stand_in.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <set>
#include <tuple>

namespace ecr::test {
namespace {

using credential_kind = iamcore_identity::kind;

/// A REST caller: its credential, and the account and tenant of the
/// principal iamcore answers for it.
struct caller {
  std::string name;
  credential_kind kind;
  std::string account;
  std::string tenant;

  std::string credential() const {
    return name + (kind == credential_kind::bearer ? "-token" : "-key");
  }

  std::string principal() const {
    return "irn:" + account + ":iamcore:" + tenant + "::user/" + name;
  }

  iamcore_identity identity() const {
    return {kind, credential(), principal()};
  }

  http_headers headers() const {
    if (kind == credential_kind::bearer)
      return {{"Authorization", "Bearer " + credential()}};
    return {{"x-iamcore-api-key", credential()}};
  }

  /// The IRN ECR must evaluate for `resource` ("<type>/<id>").
  std::string irn_of(const std::string& resource,
                     const std::string& application = "kaa") const {
    return "irn:" + account + ":" + application + ":" + tenant + "::" + resource;
  }

  /// The stand-in's record of this caller's evaluation.
  std::string decision(const std::string& action, const std::string& resource,
                       bool allowed, const std::string& application = "kaa") const {
    return principal() + " " + action + " " + irn_of(resource, application) + " "
           + (allowed ? "allowed" : "denied");
  }
};

// alice and robot may do everything in their own account and tenant; bob
// and eve, of the same account and tenant, nothing. robot and eve are in
// another account and tenant than alice and bob, so that every IRN shows
// where its account and tenant came from.
const caller alice{"alice", credential_kind::bearer, "acme", "tenant-a"};
const caller bob{"bob", credential_kind::bearer, "acme", "tenant-a"};
const caller robot{"robot", credential_kind::api_key, "globex", "tenant-b"};
const caller eve{"eve", credential_kind::api_key, "globex", "tenant-b"};
/// Credentials iamcore does not know.
const caller mallory_token{"mallory", credential_kind::bearer, "acme", "tenant-a"};
const caller mallory_key{"mallory", credential_kind::api_key, "acme", "tenant-a"};

/// ECR's own key. iamcore knows it and lets it do everything, so that a
/// caller's request sent on with this key instead of the caller's
/// credential would be served and name the wrong principal.
const std::string ecr_api_key = "ecr-own-key";
const std::string ecr_principal = "irn:acme:iamcore:tenant-a::service/ecr";

/// Every action on every resource whose IRN starts with `prefix`.
std::vector<iamcore_grant> everything(const std::string& principal, const std::string& prefix) {
  std::vector<iamcore_grant> grants;
  for (const auto& action : security_scopes)
    grants.push_back({principal, action, prefix + "*"});
  return grants;
}

std::vector<iamcore_grant> default_policy() {
  auto grants = everything(alice.principal(), alice.irn_of(""));
  for (auto more : {everything(robot.principal(), robot.irn_of("")),
                    everything(ecr_principal, alice.irn_of("")),
                    everything(ecr_principal, robot.irn_of(""))})
    grants.insert(grants.end(), more.begin(), more.end());
  return grants;
}

http_headers joined(http_headers a, const http_headers& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

/// A request whose single evaluation is `action` on `resource`
/// ("<type>/<id>", in the caller's account and tenant); served, it answers
/// `status`.
struct guarded_request {
  std::string method;
  std::string url;
  std::string body;
  std::string action;
  std::string resource;
  int status = 200;
};

/// E1-E4, E7 and D1-D6 in an order where each answers as given.
std::vector<guarded_request> configuration_routes() {
  const std::string endpoint = "endpoint/ep-1";
  const std::string app = "application/smart-meter";
  const std::string app_action = "application:endpoint-config:";
  auto e1 = endpoint_url("ep-1");
  auto d1 = default_key("smart-meter-v1").url(api);
  return {
    {"PUT", e1, R"({"v":1})", "endpoint:update", endpoint, 200},                     // E1
    {"GET", e1, "", "endpoint:read", endpoint, 200},                                 // E2
    {"GET", "/ecr" + e1, "", "endpoint:read", endpoint, 200},                        // E2
    {"GET", endpoint_key("ep-1", "smart-meter-v1").list_url(api), "", "endpoint:read",
     endpoint, 200},                                                                 // E4
    {"GET", api + "/statuses?endpointId=ep-1", "", "endpoint:read", endpoint, 200},  // E7
    {"DELETE", e1, "", "endpoint:update", endpoint, 204},                            // E3
    {"PUT", d1, R"({"v":1})", app_action + "update", app, 200},                      // D1
    {"GET", d1, "", app_action + "read", app, 200},                                  // D2
    {"GET", default_key("smart-meter-v2").list_url(api), "", app_action + "read", app,
     200},                                                                           // D4
    {"DELETE", d1, "", app_action + "delete", app, 204},                             // D3
    {"GET", api + "/app-versions/smart-meter-v2/schemas", "", app_action + "read", app,
     200},                                                                           // D5
    {"PUT", api + "/app-versions/smart-meter-v1/schemas/validate", R"({"v":1})",
     app_action + "read", app, 200},                                                 // D6
  };
}

class e2e_security_iamcore : public ::testing::Test {
protected:
  void SetUp() override {
    std::vector<iamcore_identity> identities{
      {credential_kind::api_key, ecr_api_key, ecr_principal}};
    for (const auto* known : {&alice, &bob, &robot, &eve})
      identities.push_back(known->identity());
    iam_.set_credentials(identities);
    iam_.set_policy(default_policy());
    auto env = extra_env();
    env.emplace("KAA_SECURITY_IAMCORE_ENABLED", "true");
    env.emplace("KAA_SECURITY_IAMCORE_URL", iam_.url());
    env.emplace("KAA_SECURITY_IAMCORE_API_KEY", ecr_api_key);
    ecr_ = std::make_unique<ecr_process>(ecr_binary(std::move(env), applications_yaml()));
  }

  void TearDown() override {
    EXPECT_EQ(iam_.stats().rejected, std::vector<std::string>{})
      << "ecr sent iamcore requests of a shape it refuses";
    if (!ecr_)
      return;
    auto log = ecr_->log();
    for (const auto& credential :
         {ecr_api_key, alice.credential(), robot.credential(), mallory_key.credential()})
      EXPECT_EQ(log.find(credential), std::string::npos) << credential << " was logged";
  }

  /// Environment beyond the iamcore settings; fixtures override it.
  virtual env_overrides extra_env() const {
    return {};
  }

  /// The configuration file's application settings; fixtures override it.
  virtual std::string applications_yaml() const {
    return security_applications_yaml;
  }

  http_client& http() {
    return ecr_->http();
  }

  http_response send(const std::string& method, const std::string& url, http_headers headers,
                     const std::string& body = {}) {
    if (method == "PUT" || method == "POST")
      headers.emplace_back("Content-Type", "application/json");
    return http().request(method, url, headers, body);
  }

  http_response send(const std::string& method, const std::string& url, const caller& who,
                     const std::string& body = {}) {
    return send(method, url, who.headers(), body);
  }

  /// Evaluations so far, oldest first (see iamcore_stats::decisions).
  std::vector<std::string> decisions() const {
    return iam_.stats().decisions;
  }

  std::vector<std::string> decisions_after(size_t mark) const {
    auto all = decisions();
    return {all.begin() + static_cast<std::ptrdiff_t>(std::min(mark, all.size())), all.end()};
  }

  /// Every request the stand-in received, of any kind.
  size_t iamcore_requests() const {
    auto stats = iam_.stats();
    return stats.principal_lookups + stats.evaluations + stats.failed
           + stats.forced_answers + stats.rejected.size();
  }

  /// Checks that `denied` is refused `r` and `allowed` served, each after
  /// exactly one evaluation of the route's action on the resource in its
  /// own account and tenant; returns the served answer.
  http_response expect_guarded(const guarded_request& r, const caller& denied,
                               const caller& allowed) {
    SCOPED_TRACE(r.method + " " + r.url + " as " + denied.name + " and " + allowed.name);
    auto mark = decisions().size();
    expect_error(send(r.method, r.url, denied, r.body), 403);
    EXPECT_EQ(decisions_after(mark),
              std::vector<std::string>{denied.decision(r.action, r.resource, false)});
    mark = decisions().size();
    auto served = send(r.method, r.url, allowed, r.body);
    EXPECT_EQ(served.status, r.status) << served.describe();
    EXPECT_EQ(decisions_after(mark),
              std::vector<std::string>{allowed.decision(r.action, r.resource, true)});
    return served;
  }

  /// Stores, as alice, an endpoint configuration, a default configuration
  /// and a system configuration for the "nothing written" checks.
  void seed() {
    system_config_url_ = seed_for_refusals(http(), alice.headers());
    ASSERT_FALSE(system_config_url_.empty());
  }

  /// What alice reads of everything `writes_over_seed` touches.
  std::map<std::string, std::string> snapshot() {
    return seeded_state(http(), alice.headers(), system_config_url_);
  }

  /// Each of `writes` by `who` answers `status`, without a challenge unless
  /// it is 401.
  void expect_writes_refused(const caller& who, int status) {
    for (const auto& w : writes_over_seed(system_config_url_)) {
      SCOPED_TRACE(who.name + ": " + w.method + " " + w.url);
      auto r = send(w.method, w.url, who, w.body);
      if (status == 401) {
        expect_unauthenticated(r);
        EXPECT_EQ(r.describe().find(who.credential()), std::string::npos)
          << "the answer shows the credential";
      } else {
        expect_error(r, status);
        EXPECT_FALSE(r.header("WWW-Authenticate")) << r.describe();
      }
    }
  }

  iamcore_stand_in iam_;
  std::unique_ptr<ecr_process> ecr_;
  std::string system_config_url_;
};

/// Every request evaluates: the route tests then count evaluations without
/// depending on how long a cached decision lives.
class e2e_security_iamcore_uncached : public e2e_security_iamcore {
protected:
  env_overrides extra_env() const override {
    return {{"KAA_SECURITY_DECISION_CACHE_SECONDS", "0"}};
  }
};

// -- authentication -------------------------------------------------------------

TEST_F(e2e_security_iamcore, requests_without_a_credential_are_401_and_iamcore_is_not_asked) {
  const std::vector<std::pair<std::string, std::string>> routes{
    {"GET", "/endpoints/ep-1/app-versions/smart-meter-v1"},
    {"PUT", "/endpoints/ep-1/app-versions/smart-meter-v1"},
    {"DELETE", "/endpoints/ep-1/app-versions/smart-meter-v1"},
    {"GET", "/app-versions/smart-meter-v1"},
    {"GET", "/app-versions/smart-meter-v1/schemas"},
    {"GET", "/statuses?endpointId=ep-1"},
    {"PUT", "/endpoints/batch"},
    {"PUT", "/endpoints/filters/f"},
    {"GET", "/system/tenants/tenant-a/configs"},
  };
  // No usable credential: none, another scheme, an empty key.
  const std::vector<http_headers> credentials{
    {},
    {{"Authorization", "Basic YWxpY2U6c2VjcmV0"}},
    {{"x-iamcore-api-key", ""}},
  };
  for (const auto& base : base_paths)
    for (const auto& [method, path] : routes)
      for (const auto& headers : credentials) {
        SCOPED_TRACE(method + " " + base + path
                     + (headers.empty() ? "" : " with " + headers[0].first));
        expect_unauthenticated(send(method, base + path, headers, "{}"));
      }
  EXPECT_EQ(iamcore_requests(), 0u);
}

TEST_F(e2e_security_iamcore, unknown_credentials_are_401_and_write_nothing) {
  ASSERT_NO_FATAL_FAILURE(seed());
  auto before = snapshot();
  auto stats = iam_.stats();
  for (const auto* unknown : {&mallory_token, &mallory_key})
    expect_writes_refused(*unknown, 401);
  auto after = iam_.stats();
  EXPECT_GT(after.principal_lookups, stats.principal_lookups);
  EXPECT_EQ(after.decisions, stats.decisions) << "unknown callers were evaluated";
  EXPECT_EQ(snapshot(), before);
}

TEST_F(e2e_security_iamcore, health_and_metrics_need_no_credential) {
  for (const auto& path : {"/health", "/health/startup", "/prometheus"}) {
    auto r = http().get(path);
    EXPECT_EQ(r.status, 200) << path << "\n" << r.describe();
  }
  wait_for_readiness(http(), 200);
  EXPECT_EQ(iamcore_requests(), 0u);
}

TEST_F(e2e_security_iamcore, with_both_headers_the_bearer_token_is_used) {
  auto mark = decisions().size();
  EXPECT_EQ(send("GET", endpoint_url("ep-1"), joined(alice.headers(), eve.headers())).status,
            404);
  EXPECT_EQ(decisions_after(mark),
            std::vector<std::string>{alice.decision("endpoint:read", "endpoint/ep-1", true)});

  mark = decisions().size();
  expect_error(send("GET", endpoint_url("ep-1"), joined(robot.headers(), bob.headers())), 403);
  EXPECT_EQ(decisions_after(mark),
            std::vector<std::string>{bob.decision("endpoint:read", "endpoint/ep-1", false)});

  // An unknown token is not made up for by a known key.
  mark = decisions().size();
  expect_unauthenticated(
    send("GET", endpoint_url("ep-1"), joined(robot.headers(), mallory_token.headers())));
  EXPECT_EQ(decisions_after(mark), std::vector<std::string>{});
}

// -- authorization --------------------------------------------------------------

TEST_F(e2e_security_iamcore_uncached, each_configuration_route_evaluates_its_action) {
  for (const auto& [denied, allowed] : {std::pair{&bob, &alice}, std::pair{&eve, &robot}})
    for (const auto& r : configuration_routes())
      expect_guarded(r, *denied, *allowed);
}

TEST_F(e2e_security_iamcore_uncached, system_configurations_evaluate_the_action_of_their_level) {
  for (const auto& [denied, allowed] : {std::pair{&bob, &alice}, std::pair{&eve, &robot}}) {
    // The tenant level of the caller's own tenant.
    const auto& tenant = allowed->tenant;
    for (const auto& [level, resource, action] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
           {"endpoints/ep-1", "endpoint/ep-1", "endpoint:"},
           {"app-versions/smart-meter-v1", "application/smart-meter", "application:"},
           {"applications/smart-meter", "application/smart-meter", "application:"},
           {"tenants/" + tenant, "tenant/" + tenant, "tenant:"},
         }) {
      SCOPED_TRACE(level);
      auto configs = system_configs_url(level);
      auto created = expect_guarded(
        {"POST", configs, system_config_body, action + "update", resource, 201}, *denied,
        *allowed);
      auto location = created.header("Location");
      ASSERT_TRUE(location) << created.describe();
      expect_guarded({"GET", configs, "", action + "read", resource, 200}, *denied, *allowed);
      expect_guarded({"DELETE", *location, "", action + "update", resource, 204}, *denied,
                     *allowed);
    }
  }
}

TEST_F(e2e_security_iamcore, refused_writes_change_nothing) {
  ASSERT_NO_FATAL_FAILURE(seed());
  auto before = snapshot();
  for (const auto* denied : {&bob, &eve})
    expect_writes_refused(*denied, 403);
  EXPECT_EQ(snapshot(), before);
}

TEST_F(e2e_security_iamcore_uncached, a_batch_evaluates_endpoint_update_on_every_endpoint) {
  auto update = [](const std::string& endpoint) {
    return iamcore_grant{robot.principal(), "endpoint:update",
                         robot.irn_of("endpoint/" + endpoint)};
  };
  auto grants = everything(alice.principal(), alice.irn_of(""));
  grants.push_back(update("ep-1"));
  grants.push_back(update("ep-2"));
  iam_.set_policy(grants);
  auto asked_of = [](const std::string& endpoint, bool allowed) {
    return robot.decision("endpoint:update", "endpoint/" + endpoint, allowed);
  };
  auto batch = api + "/endpoints/batch";

  auto mark = decisions().size();
  expect_error(send("PUT", batch, robot,
                    batch_body({{"lamp-v1", {"ep-1"}}, {"lamp-v2", {"ep-3", "ep-2"}}})),
               403);
  auto asked = decisions_after(mark);
  EXPECT_NE(std::find(asked.begin(), asked.end(), asked_of("ep-3", false)), asked.end());
  const std::set<std::string> allowed_asks{asked_of("ep-1", true), asked_of("ep-2", true),
                                           asked_of("ep-3", false)};
  for (const auto& decision : asked)
    EXPECT_TRUE(allowed_asks.contains(decision)) << decision;
  for (const auto& [endpoint, app_version] :
       {std::pair{"ep-1", "lamp-v1"}, {"ep-2", "lamp-v2"}, {"ep-3", "lamp-v2"}})
    EXPECT_EQ(send("GET", endpoint_url(endpoint, app_version), alice).status, 404) << endpoint;

  // ep-1 under two app versions is evaluated once.
  mark = decisions().size();
  auto written = send("PUT", batch, robot,
                      batch_body({{"lamp-v1", {"ep-1"}}, {"lamp-v2", {"ep-1", "ep-2"}}}));
  ASSERT_EQ(written.status, 200) << written.describe();
  EXPECT_EQ(written.body, R"({"updated":3})");
  asked = decisions_after(mark);
  std::sort(asked.begin(), asked.end());
  EXPECT_EQ(asked, (std::vector<std::string>{asked_of("ep-1", true), asked_of("ep-2", true)}));
  EXPECT_EQ(send("GET", endpoint_url("ep-2", "lamp-v2"), alice).status, 200);
}

TEST_F(e2e_security_iamcore, an_app_version_of_no_known_application_is_403_unevaluated) {
  const std::vector<std::pair<std::string, std::string>> routes{
    {"GET", default_key("unknown-v1").url(api)},
    {"PUT", default_key("unknown-v1").url(api)},
    {"GET", api + "/app-versions/unknown-v1/schemas"},
    {"GET", system_configs_url("app-versions/unknown-v1")},
  };
  auto mark = decisions().size();
  for (const auto& [method, url] : routes) {
    SCOPED_TRACE(method + " " + url);
    expect_unauthenticated(send(method, url, http_headers{}, "{}"));
    expect_error(send(method, url, alice, "{}"), 403);
  }
  EXPECT_EQ(decisions_after(mark), std::vector<std::string>{});
}

/// Endpoint ids no IRN can hold: as sent in a path, and as the JSON of a
/// batch names them.
const std::vector<std::pair<std::string, std::string>> unnamable_endpoints{
  {"ep%201", "ep 1"}, {"ep~1", "ep~1"}, {"ep:1", "ep:1"},
  {"ep%2F1", "ep/1"}, {"ep%C3%A9", "ep\xC3\xA9"}, {"ep%23endpoint:read", "ep#endpoint:read"},
};

TEST_F(e2e_security_iamcore, an_identifier_outside_the_irn_alphabet_is_400_unevaluated) {
  // alice's principal is known beforehand: only evaluations are at stake.
  ASSERT_EQ(send("GET", endpoint_url("ep-1"), alice).status, 404);
  auto mark = decisions().size();
  for (const auto& [in_path, in_json] : unnamable_endpoints)
    for (const auto& [method, url, body] :
         std::vector<std::tuple<std::string, std::string, std::string>>{
           {"PUT", endpoint_url(in_path), R"({"v":1})"},
           {"GET", endpoint_url(in_path), ""},
           {"GET", api + "/statuses?endpointId=" + in_path, ""},
           {"POST", system_configs_url("endpoints/" + in_path), system_config_body},
           {"GET", system_configs_url("tenants/" + in_path), ""},
           {"PUT", api + "/endpoints/batch", batch_body({{"lamp-v1", {in_json}}})},
         }) {
      SCOPED_TRACE(method + " " + url + " " + body);
      // Authentication still comes first.
      expect_unauthenticated(send(method, url, mallory_key, body));
      expect_error(send(method, url, alice, body), 400);
    }
  EXPECT_EQ(decisions_after(mark), std::vector<std::string>{});
}

TEST_F(e2e_security_iamcore, a_batch_with_one_unnamable_endpoint_is_400_unevaluated) {
  ASSERT_EQ(send("GET", endpoint_url("ep-1"), alice).status, 404);
  auto mark = decisions().size();
  for (const auto& [in_path, in_json] : unnamable_endpoints) {
    SCOPED_TRACE(in_json);
    expect_error(send("PUT", api + "/endpoints/batch", alice,
                      batch_body({{"lamp-v1", {"ep-1", in_json}}})),
                 400);
  }
  EXPECT_EQ(decisions_after(mark), std::vector<std::string>{});
  EXPECT_EQ(send("GET", endpoint_url("ep-1", "lamp-v1"), alice).status, 404)
    << "a refused batch wrote its valid endpoint";
}

TEST_F(e2e_security_iamcore_uncached, iamcore_failing_is_503_and_writes_nothing) {
  ASSERT_NO_FATAL_FAILURE(seed());
  auto before = snapshot();
  iam_.set_failing(true);
  // alice's principal is known, so her evaluations fail; robot's look-up
  // fails already.
  for (const auto* who : {&alice, &robot})
    expect_writes_refused(*who, 503);
  EXPECT_GT(iam_.stats().failed, 0u);
  iam_.set_failing(false);
  EXPECT_EQ(snapshot(), before);
}

TEST_F(e2e_security_iamcore_uncached, answers_iamcore_should_not_give_are_503) {
  // alice's principal is known beforehand: her request reaches evaluation.
  ASSERT_EQ(send("GET", endpoint_url("ep-1"), alice).status, 404);
  iam_.set_answer(iamcore_route::principal, 200, R"({"data":"not an IRN"})");
  expect_error(send("GET", endpoint_url("ep-1"), robot), 503);
  iam_.set_answer(iamcore_route::principal, 0);
  iam_.set_answer(iamcore_route::evaluate, 400, R"({"message":"bad request"})");
  expect_error(send("GET", endpoint_url("ep-1"), alice), 503);
  EXPECT_EQ(iam_.stats().forced_answers, 2u);
}

TEST_F(e2e_security_iamcore_uncached, iamcore_out_of_reach_is_503) {
  ASSERT_EQ(send("GET", endpoint_url("ep-1"), alice).status, 404);
  iam_.stop();
  for (const auto* who : {&alice, &robot}) {
    auto r = send("GET", endpoint_url("ep-1"), *who);
    expect_error(r, 503);
    EXPECT_FALSE(r.header("WWW-Authenticate")) << r.describe();
  }
}

// -- caches ---------------------------------------------------------------------

TEST_F(e2e_security_iamcore, principal_and_decisions_are_reused_per_credential) {
  for (const auto* who : {&alice, &robot, &bob}) {
    SCOPED_TRACE(who->name);
    auto allowed = who != &bob;
    auto stats = iam_.stats();
    for (int i = 0; i < 5; ++i) {
      auto r = send("GET", endpoint_url("ep-1"), *who);
      EXPECT_EQ(r.status, allowed ? 404 : 403) << r.describe();
    }
    EXPECT_EQ(iam_.stats().principal_lookups, stats.principal_lookups + 1);
    EXPECT_EQ(decisions_after(stats.decisions.size()),
              std::vector<std::string>{who->decision("endpoint:read", "endpoint/ep-1", allowed)});
  }
  // Another permission with the same credential is evaluated anew; the
  // principal is reused.
  auto stats = iam_.stats();
  EXPECT_EQ(send("PUT", endpoint_url("ep-1"), alice, R"({"v":1})").status, 200);
  EXPECT_EQ(iam_.stats().principal_lookups, stats.principal_lookups);
  EXPECT_EQ(decisions_after(stats.decisions.size()),
            std::vector<std::string>{alice.decision("endpoint:update", "endpoint/ep-1", true)});
}

TEST_F(e2e_security_iamcore_uncached, every_request_is_evaluated_yet_the_principal_is_reused) {
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(send("GET", endpoint_url("ep-1"), alice).status, 404);
  auto stats = iam_.stats();
  EXPECT_EQ(stats.principal_lookups, 1u);
  EXPECT_EQ(stats.decisions, std::vector<std::string>(
                               3, alice.decision("endpoint:read", "endpoint/ep-1", true)));
}

// -- settings -------------------------------------------------------------------

class e2e_security_iamcore_application : public e2e_security_iamcore {
protected:
  env_overrides extra_env() const override {
    return {{"KAA_SECURITY_IAMCORE_APPLICATION", "kaa-eu"}};
  }
};

TEST_F(e2e_security_iamcore_application, irns_name_the_configured_application) {
  iam_.set_policy(everything(alice.principal(), alice.irn_of("", "kaa-eu")));
  EXPECT_EQ(send("GET", endpoint_url("ep-1"), alice).status, 404);
  EXPECT_EQ(decisions(), std::vector<std::string>{
                           alice.decision("endpoint:read", "endpoint/ep-1", true, "kaa-eu")});
}

/// Keycloak's switch on as well, without its settings.
class e2e_security_iamcore_and_keycloak : public e2e_security_iamcore {
protected:
  env_overrides extra_env() const override {
    return {{"KAA_SECURITY_ENABLED", "true"},
            {"KAA_SECURITY_ISSUER_PUBLIC_URL", std::nullopt},
            {"KAA_SECURITY_CLIENT_ID", std::nullopt}};
  }
};

TEST_F(e2e_security_iamcore_and_keycloak, iamcore_decides) {
  expect_error(send("GET", endpoint_url("ep-1"), bob), 403);
  EXPECT_EQ(send("GET", endpoint_url("ep-1"), alice).status, 404);
  EXPECT_EQ(decisions(), (std::vector<std::string>{
                           bob.decision("endpoint:read", "endpoint/ep-1", false),
                           alice.decision("endpoint:read", "endpoint/ep-1", true)}));
}

/// With multitenancy, each principal's tenant is the one its data lives in:
/// smart-meter belongs to tenant-a (alice's), lamp to tenant-b (robot's).
class e2e_security_iamcore_multitenant : public e2e_security_iamcore {
protected:
  env_overrides extra_env() const override {
    return {{"KAA_SECURITY_MULTITENANCY_ENABLED", "true"}};
  }

  std::string applications_yaml() const override {
    return R"(
kaa:
  applications:
    smart-meter:
      tenant-id: tenant-a
      versions: [smart-meter-v1]
    lamp:
      tenant-id: tenant-b
      versions: [lamp-v1]
)";
  }
};

TEST_F(e2e_security_iamcore_multitenant, a_principal_may_not_touch_another_tenants_app_versions) {
  auto meter = endpoint_url("ep-1", "smart-meter-v1");
  auto written = send("PUT", meter, alice, R"({"v":1})");
  ASSERT_EQ(written.status, 200) << written.describe();
  // robot may do everything in tenant-b, so iamcore allows; the data is
  // tenant-a's all the same.
  for (const auto& [method, body] : std::vector<std::pair<std::string, std::string>>{
         {"GET", ""}, {"PUT", R"({"v":2})"}, {"DELETE", ""}}) {
    auto refused = send(method, meter, robot, body);
    EXPECT_EQ(refused.status, 403) << method << ": " << refused.describe();
    EXPECT_NE(refused.body.find("another tenant"), std::string::npos) << refused.body;
  }
  auto still = send("GET", meter, alice);
  EXPECT_EQ(still.status, 200) << still.describe();
  EXPECT_EQ(still.body, written.body);
  // Each writes its own tenant's app versions.
  EXPECT_EQ(send("PUT", endpoint_url("ep-2", "lamp-v1"), robot, R"({"on":true})").status, 200);
  EXPECT_EQ(send("PUT", endpoint_url("ep-2", "lamp-v1"), alice, R"({"on":false})").status, 403);
}

TEST_F(e2e_security_iamcore_multitenant, endpoint_system_configurations_are_per_tenant) {
  auto configs = system_configs_url("endpoints/ep-1");
  ASSERT_EQ(send("POST", configs, alice, system_config_body).status, 201);
  auto seen_by_robot = send("GET", configs, robot);
  ASSERT_EQ(seen_by_robot.status, 200) << seen_by_robot.describe();
  EXPECT_NE(seen_by_robot.body.find(R"("content":[])"), std::string::npos)
    << seen_by_robot.body;
  // robot's own record of the same name does not clash with alice's.
  EXPECT_EQ(send("POST", configs, robot, system_config_body).status, 201);
  EXPECT_EQ(send("POST", configs, alice, system_config_body).status, 409);
}

/// iamcore on with `api_key`: the run must end with exit code 2 naming the
/// key.
void expect_refused_to_start(std::optional<std::string> api_key) {
  auto result = run_ecr_to_exit(ecr_binary({{"KAA_SECURITY_IAMCORE_ENABLED", "true"},
                                            {"KAA_SECURITY_IAMCORE_API_KEY", std::move(api_key)}}));
  EXPECT_TRUE(result.status.exited_with(2))
    << result.status.describe() << "; output:\n"
    << result.output;
  EXPECT_NE(result.output.find("kaa.security.iamcore.api-key"), std::string::npos)
    << result.output;
}

TEST(e2e_security_iamcore_startup, refuses_to_start_without_an_api_key) {
  expect_refused_to_start(std::nullopt);
}

TEST(e2e_security_iamcore_startup, refuses_to_start_with_an_empty_api_key) {
  expect_refused_to_start("");
}

} // namespace
} // namespace ecr::test
