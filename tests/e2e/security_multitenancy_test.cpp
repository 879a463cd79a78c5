// Multitenancy with Keycloak, end to end: the real `ecr` with
// KAA_SECURITY_MULTITENANCY_ENABLED against the Keycloak stand-in, whose
// realms are the tenants its Tenant Manager route describes. A token of the
// default realm is of the default tenant and needs no Tenant Manager; a
// token of another realm makes ecr ask the Tenant Manager (with its own
// service token) for that tenant's issuer, verify the token with that realm's
// keys and ask that realm for decisions (401 for a tenant the Tenant Manager
// does not know or a token not of its issuer, 503 when the Tenant Manager
// cannot answer). Each tenant reads and changes only the configurations of
// the applications it owns, its own statuses and its own system
// configurations. Tenant contexts are cached until a tenant lifecycle event.

#include "tests/e2e/security_helpers.hpp"
#include "tests/support/jwt_signer.hpp"
#include "tests/support/keycloak_stand_in.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <utility>

namespace ecr::test {
namespace {

const std::string default_realm = "kaa";
const std::string tenant_a = "tenant-a";
const std::string tenant_b = "tenant-b";
/// A realm Keycloak serves but the Tenant Manager does not list.
const std::string unlisted = "tenant-x";

/// The user of each realm; each may do everything in its realm.
const std::map<std::string, std::string> user_of{
  {default_realm, "admin"}, {tenant_a, "alice"}, {tenant_b, "bob"}, {unlisted, "xavier"}};

/// alpha is tenant-a's, beta tenant-b's, gamma (no tenant-id) the default
/// tenant's.
const std::string applications_yaml = R"(
kaa:
  applications:
    alpha:
      tenant-id: tenant-a
      versions: [alpha-v1]
    beta:
      tenant-id: tenant-b
      versions: [beta-v1]
    gamma:
      versions: [gamma-v1]
)";

/// The Tenant Manager instance the test's events come from.
const std::string tenant_manager_instance = "tenant-manager";

/// A 200 JSON page (E7, S2); an empty one, with a failure recorded, when
/// `r` is not one.
rapidjson::Document page_of(const http_response& r) {
  EXPECT_EQ(r.status, 200) << r.describe();
  auto doc = parse_json(r.body);
  if (!doc.IsObject() || !doc.HasMember("content") || !doc["content"].IsArray()) {
    ADD_FAILURE() << "not a page: " << r.describe();
    doc.SetObject();
    doc.AddMember("content", rapidjson::Value(rapidjson::kArrayType), doc.GetAllocator());
  }
  return doc;
}

/// How many records a page holds.
size_t page_size(const http_response& r) {
  return page_of(r)["content"].Size();
}

bool has_string(const rapidjson::Value& v, const char* name) {
  return v.IsObject() && v.HasMember(name) && v[name].IsString();
}

/// `"<appVersionName> <configId>"` of each record of a status page.
std::vector<std::string> status_entries(const http_response& r) {
  std::vector<std::string> entries;
  auto page = page_of(r);
  for (const auto& record : page["content"].GetArray()) {
    if (!has_string(record, "appVersionName") || !has_string(record, "configId")) {
      ADD_FAILURE() << "a status record without appVersionName or configId: " << r.body;
      continue;
    }
    entries.push_back(std::string{record["appVersionName"].GetString()} + " "
                      + record["configId"].GetString());
  }
  return entries;
}

class e2e_security_multitenancy : public ::testing::Test {
protected:
  void SetUp() override {
    for (const auto& [realm, user] : user_of) {
      // The tenants' keys are of one kind, so that one's key under the
      // other's kid fails on its signature alone.
      auto kind = realm == default_realm ? jwt_signer::kind::es256 : jwt_signer::kind::rs256;
      const auto& key = keys_.try_emplace(realm, kind, "key-" + realm).first->second;
      idp_.set_jwks(realm, jwt_signer::jwks({&key}));
      std::vector<uma_grant> grants;
      for (const auto& scope : security_scopes)
        grants.push_back({user, "*#" + scope});
      idp_.set_policy(realm, grants);
    }
    idp_.hide_from_tenant_manager(unlisted);
    auto env = extra_env();
    env.emplace("KAA_SECURITY_ENABLED", "true");
    env.emplace("KAA_SECURITY_ISSUER_PUBLIC_URL", idp_.issuer(default_realm));
    env.emplace("KAA_SECURITY_CLIENT_ID", "ecr");
    env.emplace("KAA_SECURITY_CLIENT_SECRET", "ecr-secret");
    env.emplace("KAA_SECURITY_MULTITENANCY_ENABLED", "true");
    env.emplace("KAA_SECURITY_MULTITENANCY_TENANT_MANAGER_URL", idp_.url());
    auto options = ecr_binary(std::move(env), applications_yaml);
    options.nats_urls = nats_.url();
    ecr_ = std::make_unique<ecr_process>(std::move(options));
  }

  /// Environment beyond the multitenancy settings; fixtures override it.
  virtual env_overrides extra_env() const {
    return {};
  }

  /// A token signed by `key_realm`'s key under `header` (its default header
  /// when empty) claiming `issuer`; each one is new (its own `jti`), so that
  /// nothing cached for an earlier token answers for it.
  std::string forged_token(const std::string& key_realm, const std::string& subject,
                           const std::string& issuer, const std::string& header = {}) {
    const auto& key = keys_.at(key_realm);
    auto payload = R"({"iss":")" + issuer + R"(","sub":")" + subject + R"(","exp":)"
                   + std::to_string(now_s() + 300) + R"(,"jti":"t-)"
                   + std::to_string(++minted_) + "\"}";
    return key.sign(header.empty() ? key.default_header() : header, payload);
  }

  /// A valid token of `realm`'s user.
  std::string token(const std::string& realm) {
    return forged_token(realm, user_of.at(realm), idp_.issuer(realm));
  }

  /// `method url` with `token` and a JSON body.
  http_response send(const std::string& method, const std::string& url,
                     const std::string& token, const std::string& body = {}) {
    auto headers = bearer(token);
    if (method == "PUT" || method == "POST")
      headers.emplace_back("Content-Type", "application/json");
    return ecr_->http().request(method, url, headers, body);
  }

  /// What tenant-a stores for the "nothing changed" checks: ep-1's
  /// configuration and the default of alpha-v1.
  void seed_tenant_a() {
    auto alice = token(tenant_a);
    seeded_endpoint_ = expect_config(send("PUT", endpoint_url("ep-1", "alpha-v1"), alice,
                                          R"({"v":1})"));
    seeded_default_ =
      expect_config(send("PUT", default_key("alpha-v1").url(api), alice, R"({"d":1})"));
    ASSERT_FALSE(::testing::Test::HasFailure());
  }

  /// tenant-a still reads exactly what `seed_tenant_a` stored.
  void expect_seed_unchanged() {
    auto alice = token(tenant_a);
    EXPECT_EQ(expect_config(send("GET", endpoint_url("ep-1", "alpha-v1"), alice)),
              seeded_endpoint_);
    EXPECT_EQ(expect_config(send("GET", default_key("alpha-v1").url(api), alice)),
              seeded_default_);
  }

  /// POSTs a system configuration at `configs` as `owner`; its URL.
  std::string create_system_config(const std::string& configs,
                                   const std::string& owner) {
    auto created = send("POST", configs, owner, system_config_body);
    EXPECT_EQ(created.status, 201) << created.describe();
    auto location = created.header("Location");
    EXPECT_TRUE(location) << created.describe();
    return location.value_or("");
  }

  /// Each of `attempts` by `intruder` is refused with `status`, and `owner`
  /// still reads `before` at `location`, the only record at `configs`.
  void expect_refused_and_unchanged(const std::vector<write_attempt>& attempts,
                                    const std::string& intruder, unsigned status,
                                    const std::string& owner,
                                    const std::string& configs,
                                    const std::string& location,
                                    const http_response& before) {
    for (const auto& r : attempts) {
      SCOPED_TRACE(r.method + " " + r.url);
      expect_error(send(r.method, r.url, intruder, r.body), status);
    }
    auto after = send("GET", location, owner);
    EXPECT_EQ(after.status, 200) << after.describe();
    EXPECT_EQ(after.body, before.body);
    EXPECT_EQ(page_size(send("GET", configs, owner)), 1u);
  }

  /// Waits until ecr listens on `subject` without a queue group, as every
  /// replica must for the security contexts it caches (the unregistered
  /// subject also has a queue group's subscription, for the purge).
  void wait_for_replica_subscription(const std::string& subject) {
    std::string seen;
    ASSERT_TRUE(poll_until([&] {
      seen.clear();
      for (const auto& connection : nats_.connections())
        for (const auto& s : connection.subscriptions) {
          if (s.subject == subject && s.queue_group.empty())
            return true;
          seen += "\n  " + s.subject + (s.queue_group.empty() ? "" : " [" + s.queue_group + "]");
        }
      return false;
    })) << "ecr never subscribed to " << subject << " without a queue group; it has:" << seen;
  }

  /// Publishes a tenant lifecycle event and checks that, from then on,
  /// tenant-a's next request (with a token already verified) asks the Tenant
  /// Manager again, once, while tenant-b's cached context stays.
  void expect_event_drops_the_context(const std::string& subject, const std::string& payload) {
    auto alice = token(tenant_a);
    auto bob = token(tenant_b);
    auto probe = endpoint_url("probe", "alpha-v1");
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(send("GET", probe, alice).status, 404);
      EXPECT_EQ(send("GET", probe, token(tenant_a)).status, 404);
    }
    EXPECT_EQ(send("GET", endpoint_url("probe", "beta-v1"), bob).status, 404);
    ASSERT_EQ(idp_.tenant_manager().asked(tenant_a), 1u) << "the context was not cached";
    ASSERT_EQ(idp_.tenant_manager().asked(tenant_b), 1u);

    nats_test_client publisher{nats_.url()};
    publisher.publish(subject, payload);
    publisher.flush();
    EXPECT_TRUE(poll_until([&] {
      EXPECT_EQ(send("GET", probe, alice).status, 404);
      return idp_.tenant_manager().asked(tenant_a) >= 2;
    })) << "tenant-a's context outlived the event";
    EXPECT_EQ(send("GET", probe, alice).status, 404);
    EXPECT_EQ(idp_.tenant_manager().asked(tenant_a), 2u) << "the new context was not cached";
    EXPECT_EQ(send("GET", endpoint_url("probe", "beta-v1"), bob).status, 404);
    EXPECT_EQ(idp_.tenant_manager().asked(tenant_b), 1u)
      << "an event for tenant-a dropped tenant-b's context";
  }

  keycloak_stand_in idp_{{default_realm, tenant_a, tenant_b, unlisted}};
  std::map<std::string, jwt_signer> keys_;
  nats_server nats_;
  std::unique_ptr<ecr_process> ecr_;
  stored_config seeded_endpoint_;
  stored_config seeded_default_;
  int minted_ = 0;
};

// -- a tenant's own data ----------------------------------------------------------

TEST_F(e2e_security_multitenancy, a_tenant_writes_and_reads_its_own_configurations) {
  auto alice = token(tenant_a);
  auto e1 = endpoint_url("ep-1", "alpha-v1");
  auto d1 = default_key("alpha-v1").url(api);
  auto stored = expect_config(send("PUT", e1, alice, R"({"v":1})"));
  EXPECT_EQ(stored.config, R"({"v":1})");
  EXPECT_EQ(expect_config(send("GET", e1, alice)), stored);
  EXPECT_EQ(expect_config_list(send("GET", endpoint_key("ep-1", "alpha-v1").list_url(api), alice)),
            std::vector<stored_config>{stored});
  auto stored_default = expect_config(send("PUT", d1, alice, R"({"d":1})"));
  EXPECT_EQ(stored_default.config, R"({"d":1})");
  EXPECT_EQ(expect_config(send("GET", d1, alice)), stored_default);

  // The token was verified with tenant-a's keys and decided in its realm.
  auto realm_a = idp_.stats(tenant_a);
  EXPECT_GE(realm_a.jwks_fetches, 1u);
  EXPECT_NE(std::find(realm_a.decisions.begin(), realm_a.decisions.end(),
                      "alice endpoint-ep-1#endpoint:update granted"),
            realm_a.decisions.end());
  auto realm_kaa = idp_.stats(default_realm);
  EXPECT_EQ(realm_kaa.jwks_fetches, 0u);
  EXPECT_EQ(realm_kaa.uma_decisions, 0u);
}

TEST_F(e2e_security_multitenancy, another_tenant_can_neither_read_nor_change_them) {
  ASSERT_NO_FATAL_FAILURE(seed_tenant_a());
  auto bob = token(tenant_b);
  auto e1 = endpoint_url("ep-1", "alpha-v1");
  auto d1 = default_key("alpha-v1").url(api);
  const std::string changed = R"({"v":2})";
  auto batch = api + "/endpoints/batch";
  for (const auto& r : std::vector<write_attempt>{
         {"GET", e1, ""},
         {"PUT", e1, changed},
         {"DELETE", e1, ""},
         {"GET", endpoint_key("ep-1", "alpha-v1").list_url(api), ""},
         {"PUT", endpoint_url("ep-2", "alpha-v1"), changed},
         {"GET", d1, ""},
         {"PUT", d1, changed},
         {"DELETE", d1, ""},
         {"GET", default_key("alpha-v1").list_url(api), ""},
         {"PUT", batch, batch_body({{"alpha-v1", {"ep-1", "ep-2"}}})},
         // One foreign app version refuses the whole batch.
         {"PUT", batch, batch_body({{"alpha-v1", {"ep-1"}}, {"beta-v1", {"ep-3"}}})},
       }) {
    SCOPED_TRACE(r.method + " " + r.url + " " + r.body);
    expect_error(send(r.method, r.url, bob, r.body), 403);
  }
  expect_seed_unchanged();
  EXPECT_EQ(send("GET", endpoint_url("ep-2", "alpha-v1"), token(tenant_a)).status, 404);
  EXPECT_EQ(send("GET", endpoint_url("ep-3", "beta-v1"), bob).status, 404);
  // bob's rights hold in his own tenant.
  EXPECT_EQ(send("PUT", endpoint_url("ep-1", "beta-v1"), bob, changed).status, 200);
}

TEST_F(e2e_security_multitenancy, statuses_show_the_callers_tenant_only) {
  ASSERT_TRUE(wait_for_ecr_subscriptions(nats_));
  nats_test_client device{nats_.url()};
  auto alice = token(tenant_a);
  auto bob = token(tenant_b);
  auto a = expect_config(send("PUT", endpoint_url("ep-1", "alpha-v1"), alice, R"({"v":1})"));
  auto b = expect_config(send("PUT", endpoint_url("ep-1", "beta-v1"), bob, R"({"v":2})"));
  expect_config_sent(cdtp(device, make_config_request("ep-1", "alpha-v1")), a.config_id,
                     a.config);
  expect_config_sent(cdtp(device, make_config_request("ep-1", "beta-v1")), b.config_id,
                     b.config);
  auto statuses = api + "/statuses?endpointId=ep-1";
  const std::vector<std::string> of_a{"alpha-v1 " + a.config_id};
  const std::vector<std::string> of_b{"beta-v1 " + b.config_id};
  // Dispatches are recorded behind the replies: wait until each tenant sees
  // its own, then both are stored and a leak would show.
  EXPECT_TRUE(poll_until([&] {
    auto seen_a = status_entries(send("GET", statuses, alice));
    auto seen_b = status_entries(send("GET", statuses, bob));
    return std::find(seen_a.begin(), seen_a.end(), of_a.front()) != seen_a.end()
           && std::find(seen_b.begin(), seen_b.end(), of_b.front()) != seen_b.end();
  })) << "the dispatches never showed";
  EXPECT_EQ(status_entries(send("GET", statuses, alice)), of_a);
  EXPECT_EQ(status_entries(send("GET", statuses, bob)), of_b);
}

// -- system configurations ----------------------------------------------------------

TEST_F(e2e_security_multitenancy, system_configurations_of_another_tenant_are_refused) {
  auto alice = token(tenant_a);
  auto bob = token(tenant_b);
  for (const auto& level : {"tenants/" + tenant_a, std::string{"applications/alpha"},
                            std::string{"app-versions/alpha-v1"}}) {
    SCOPED_TRACE(level);
    auto configs = system_configs_url(level);
    auto location = create_system_config(configs, alice);
    ASSERT_FALSE(location.empty());
    auto before = send("GET", location, alice);
    EXPECT_EQ(before.status, 200) << before.describe();
    expect_refused_and_unchanged(
      {
        {"GET", configs, ""},
        {"GET", configs + "/current?name=limits", ""},
        {"POST", configs, R"({"name":"other","config":{"max":3}})"},
        {"GET", location, ""},
        {"PUT", location, R"({"name":"limits","config":{"max":2}})"},
        {"DELETE", location, ""},
      },
      bob, 403, alice, configs, location, before);
  }
  // bob's own tenant level is his.
  EXPECT_EQ(send("POST", system_configs_url("tenants/" + tenant_b), bob, system_config_body).status,
            201);
}

TEST_F(e2e_security_multitenancy, endpoint_system_configurations_are_of_the_callers_tenant) {
  auto alice = token(tenant_a);
  auto bob = token(tenant_b);
  auto configs = system_configs_url("endpoints/ep-1");
  auto location = create_system_config(configs, alice);
  ASSERT_FALSE(location.empty());
  auto before = send("GET", location, alice);
  ASSERT_EQ(before.status, 200) << before.describe();
  // In tenant-b, ep-1 has no system configuration.
  EXPECT_EQ(page_size(send("GET", configs, bob)), 0u);
  expect_refused_and_unchanged(
    {
      {"GET", location, ""},
      {"GET", configs + "/current?name=limits", ""},
      {"PUT", location, R"({"name":"limits","config":{"max":2}})"},
      {"DELETE", location, ""},
    },
    bob, 404, alice, configs, location, before);
}

// -- whose token ------------------------------------------------------------------

TEST_F(e2e_security_multitenancy, a_token_signed_by_one_tenant_claiming_another_is_401) {
  // tenant-a's keys are in use already.
  ASSERT_EQ(send("GET", endpoint_url("ep-1", "alpha-v1"), token(tenant_a)).status, 404);
  auto issuer_b = idp_.issuer(tenant_b);
  const auto& key_b = keys_.at(tenant_b);
  auto under_kid_b = R"({"alg":")" + key_b.alg() + R"(","typ":"JWT","kid":")" + key_b.kid()
                     + "\"}";
  auto e1 = endpoint_url("ep-1", "beta-v1");
  for (const auto& header : {std::string{}, under_kid_b})
    for (const auto& r : std::vector<write_attempt>{
           {"PUT", e1, R"({"v":1})"},
           {"PUT", default_key("beta-v1").url(api), R"({"d":1})"},
           {"GET", e1, ""},
         }) {
      SCOPED_TRACE(r.method + " " + r.url + (header.empty() ? "" : " under tenant-b's kid"));
      expect_unauthenticated(
        send(r.method, r.url, forged_token(tenant_a, "bob", issuer_b, header), r.body));
    }
  EXPECT_EQ(idp_.stats(tenant_b).uma_decisions, 0u) << "a forged token was authorized";
  auto bob = token(tenant_b);
  EXPECT_EQ(send("GET", e1, bob).status, 404);
  EXPECT_EQ(send("GET", default_key("beta-v1").url(api), bob).status, 404);
}

TEST_F(e2e_security_multitenancy, tokens_carry_the_public_issuer_and_ecr_asks_the_private_one) {
  // Tokens name an issuer ecr cannot reach; keys and decisions come from
  // the private one, the realm served here.
  const std::string public_issuer = "http://keycloak.invalid/realms/" + tenant_b;
  idp_.set_public_issuer(tenant_b, public_issuer);
  auto e1 = endpoint_url("ep-1", "beta-v1");
  EXPECT_EQ(send("PUT", e1, forged_token(tenant_b, "bob", public_issuer), R"({"v":1})").status,
            200);
  auto realm_b = idp_.stats(tenant_b);
  EXPECT_GE(realm_b.jwks_fetches, 1u);
  EXPECT_EQ(realm_b.decisions,
            std::vector<std::string>{"bob endpoint-ep-1#endpoint:update granted"});
  // A token must name the public issuer, even the private one is refused.
  expect_unauthenticated(send("GET", e1, token(tenant_b)));
}

TEST_F(e2e_security_multitenancy, a_tenant_the_tenant_manager_does_not_know_is_401) {
  auto e1 = endpoint_url("ep-1", "alpha-v1");
  for (const auto& realm : {unlisted, std::string{"nowhere"}}) {
    SCOPED_TRACE(realm);
    // Signed by tenant-x's published key either way.
    auto stranger = forged_token(unlisted, "xavier", idp_.issuer(realm));
    expect_unauthenticated(send("PUT", e1, stranger, R"({"v":1})"));
    expect_unauthenticated(send("GET", e1, stranger));
    EXPECT_GE(idp_.tenant_manager().count(realm, "unknown"), 1u);
  }
  auto realm_x = idp_.stats(unlisted);
  EXPECT_EQ(realm_x.jwks_fetches, 0u) << "the keys of an unknown tenant were fetched";
  EXPECT_EQ(realm_x.uma_decisions, 0u);

  // An issuer without a realm names no tenant: refused without asking.
  auto asked = idp_.tenant_manager().requests.size();
  expect_unauthenticated(
    send("PUT", e1, forged_token(tenant_a, "alice", idp_.url() + "/issuers/" + tenant_a),
         R"({"v":1})"));
  EXPECT_EQ(idp_.tenant_manager().requests.size(), asked);
  EXPECT_EQ(send("GET", e1, token(tenant_a)).status, 404);
}

TEST_F(e2e_security_multitenancy, the_default_tenant_needs_no_tenant_manager) {
  auto admin = token(default_realm);
  for (const auto& app_version : {"gamma-v1", "unlisted-v1"}) {
    SCOPED_TRACE(app_version);
    auto url = endpoint_url("ep-1", app_version);
    auto stored = expect_config(send("PUT", url, admin, R"({"v":1})"));
    EXPECT_EQ(expect_config(send("GET", url, admin)), stored);
  }
  // alpha-v1 is tenant-a's, not the default tenant's.
  expect_error(send("PUT", endpoint_url("ep-1", "alpha-v1"), admin, R"({"v":1})"), 403);
  EXPECT_EQ(idp_.tenant_manager().requests, std::vector<std::string>{});
  EXPECT_GE(idp_.stats(default_realm).uma_decisions, 1u);

  // The default tenant's app versions, listed or not, are not tenant-a's.
  auto alice = token(tenant_a);
  for (const auto& app_version : {"gamma-v1", "unlisted-v1"}) {
    SCOPED_TRACE(app_version);
    expect_error(send("GET", endpoint_url("ep-1", app_version), alice), 403);
    expect_error(send("PUT", endpoint_url("ep-2", app_version), alice, R"({"v":2})"), 403);
  }
  EXPECT_EQ(send("GET", endpoint_url("ep-2", "gamma-v1"), admin).status, 404);
}

// -- the Tenant Manager -------------------------------------------------------------

TEST_F(e2e_security_multitenancy, tenant_manager_failing_is_503_and_writes_nothing) {
  auto e1 = endpoint_url("ep-1", "alpha-v1");
  const std::vector<std::pair<int, std::string>> failures{
    {503, R"({"error":"unavailable"})"},
    {500, "{}"},
    {200, "not json"},
    {200, R"({"tenantId":"tenant-a"})"},
  };
  for (const auto& [status, body] : failures) {
    SCOPED_TRACE(std::to_string(status) + " " + body);
    idp_.set_tenant_manager_answer(status, body);
    auto r = send("PUT", e1, token(tenant_a), R"({"v":1})");
    expect_error(r, 503);
    EXPECT_FALSE(r.header("WWW-Authenticate")) << r.describe();
  }
  // Each failure was asked for, none remembered.
  EXPECT_GE(idp_.tenant_manager().count(tenant_a, "forced"), failures.size());
  idp_.set_tenant_manager_answer(0);
  EXPECT_EQ(send("GET", e1, token(tenant_a)).status, 404);
  EXPECT_EQ(idp_.tenant_manager().count(tenant_a, "served"), 1u);
}

TEST_F(e2e_security_multitenancy, ecr_calls_the_tenant_manager_with_its_service_token) {
  idp_.require_tenant_manager_token(default_realm);
  // Ready once it holds its token, as a load balancer would wait for.
  wait_for_readiness(ecr_->http(), 200);
  EXPECT_EQ(send("PUT", endpoint_url("ep-1", "alpha-v1"), token(tenant_a), R"({"v":1})").status,
            200);
  auto asked = idp_.tenant_manager();
  EXPECT_EQ(asked.count(tenant_a, "served"), 1u);
  EXPECT_EQ(asked.count(tenant_a, "unauthorized"), 0u);
}

TEST_F(e2e_security_multitenancy, a_context_is_cached_until_the_tenant_is_updated) {
  ASSERT_NO_FATAL_FAILURE(wait_for_replica_subscription(tenant_updated_subject("*")));
  ASSERT_NO_FATAL_FAILURE(seed_tenant_a());
  expect_event_drops_the_context(tenant_updated_subject(tenant_manager_instance),
                                 tenant_updated_payload(tenant_a));
  // An update is no purge.
  expect_seed_unchanged();
}

TEST_F(e2e_security_multitenancy, a_context_is_dropped_when_the_tenant_is_unregistered) {
  ASSERT_NO_FATAL_FAILURE(wait_for_replica_subscription(tenant_unregistered_subject("*")));
  ASSERT_NO_FATAL_FAILURE(seed_tenant_a());
  auto b1 = endpoint_url("ep-1", "beta-v1");
  auto of_b = expect_config(send("PUT", b1, token(tenant_b), R"({"v":2})"));
  expect_event_drops_the_context(tenant_unregistered_subject(tenant_manager_instance),
                                 tenant_unregistered_payload(tenant_a));
  // The purge runs apart from the context's drop: it shows in its own time,
  // and takes tenant-a's records only.
  auto alice = token(tenant_a);
  EXPECT_TRUE(poll_until([&] {
    return send("GET", endpoint_url("ep-1", "alpha-v1"), alice).status == 404
           && send("GET", default_key("alpha-v1").url(api), alice).status == 404;
  })) << "tenant-a's configurations outlived its unregistration";
  EXPECT_EQ(expect_config(send("GET", b1, token(tenant_b))), of_b);
}

/// ecr without a client secret has no service token to show.
class e2e_security_multitenancy_without_secret : public e2e_security_multitenancy {
protected:
  env_overrides extra_env() const override {
    return {{"KAA_SECURITY_CLIENT_SECRET", std::nullopt}};
  }
};

TEST_F(e2e_security_multitenancy_without_secret, a_tenant_manager_refusing_ecr_is_503) {
  idp_.require_tenant_manager_token(default_realm);
  auto e1 = endpoint_url("ep-1", "alpha-v1");
  expect_error(send("PUT", e1, token(tenant_a), R"({"v":1})"), 503);
  EXPECT_GE(idp_.tenant_manager().count(tenant_a, "unauthorized"), 1u);
  // A Tenant Manager asking for no token serves ecr without one.
  idp_.require_tenant_manager_token("");
  EXPECT_EQ(send("GET", e1, token(tenant_a)).status, 404);
  EXPECT_EQ(idp_.tenant_manager().count(tenant_a, "served"), 1u);
}

/// ecr with a Tenant Manager nothing listens for.
class e2e_security_multitenancy_unreachable : public e2e_security_multitenancy {
protected:
  env_overrides extra_env() const override {
    return {{"KAA_SECURITY_MULTITENANCY_TENANT_MANAGER_URL",
             "http://127.0.0.1:" + std::to_string(free_loopback_port())}};
  }
};

TEST_F(e2e_security_multitenancy_unreachable, tenants_are_503_and_the_default_tenant_is_served) {
  expect_error(send("PUT", endpoint_url("ep-1", "alpha-v1"), token(tenant_a), R"({"v":1})"), 503);
  EXPECT_EQ(send("PUT", endpoint_url("ep-1", "gamma-v1"), token(default_realm), R"({"v":1})").status,
            200);
}

} // namespace
} // namespace ecr::test
