// IRNs, the caller's credential, and the iamcore calls (principal look-up,
// evaluation) against the iamcore stand-in on loopback.

#include "core/error.hpp"
#include "core/http_client.hpp"
#include "security/iamcore.hpp"
#include "tests/support/error_checks.hpp"
#include "tests/support/iamcore_stand_in.hpp"

#include <gtest/gtest.h>

namespace ecr::test {
namespace {

const std::string account = "rc73dbh7q0";
const std::string tenant = "4atcicnisg";
const std::string alice = "irn:rc73dbh7q0:iamcore:4atcicnisg::user/org1/alice";
const std::string service = "irn:rc73dbh7q0:iamcore:::application/kaa-ui";
const std::string alice_token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln";
const std::string service_key = "Kq9-service-api-key-7fE2";

std::string endpoint(const std::string& id) {
  return "irn:rc73dbh7q0:kaa:4atcicnisg::endpoint/" + id;
}

iamcore_credential bearer(const std::string& token) {
  return {"Authorization", "Bearer " + token};
}

iamcore_credential api_key(const std::string& key) {
  return {"x-iamcore-api-key", key};
}

TEST(core_iamcore_irn, irns_read_and_print_back_the_same) {
  struct example {
    std::string text;
    irn expected;
  };
  const std::vector<example> examples{
    {alice, {account, "iamcore", tenant, "", "user", {"org1"}, "alice"}},
    {service, {account, "iamcore", "", "", "application", {}, "kaa-ui"}},
    {"irn:qs73c8osj0:kaa:t-1:pool_A:device/dev/floor.2/sensor@7",
     {"qs73c8osj0", "kaa", "t-1", "pool_A", "device", {"dev", "floor.2"}, "sensor@7"}},
    {endpoint("3f2b0c1e-7a8d-4c6b-9e0f-1a2b3c4d5e6f"),
     {account, "kaa", tenant, "", "endpoint", {},
      "3f2b0c1e-7a8d-4c6b-9e0f-1a2b3c4d5e6f"}},
  };
  for (const auto& [text, expected] : examples) {
    auto parsed = parse_irn(text);
    ASSERT_TRUE(parsed) << text << ": " << render(parsed.error());
    EXPECT_EQ(*parsed, expected) << text;
    EXPECT_EQ(to_string(*parsed), text);
  }
}

TEST(core_iamcore_irn, the_base64_form_reads_as_the_plain_irn) {
  // Standard base64 of three IRNs: without padding, with "==" and with "=".
  const std::vector<std::pair<std::string, std::string>> encoded{
    {"aXJuOnJjNzNkYmg3cTA6aWFtY29yZTo0YXRjaWNuaXNnOjp1c2VyL29yZzEvdG9t",
     "irn:rc73dbh7q0:iamcore:4atcicnisg::user/org1/tom"},
    {"aXJuOnJjNzNkYmg3cTA6aWFtY29yZTo6OmFwcGxpY2F0aW9uL2thYQ==",
     "irn:rc73dbh7q0:iamcore:::application/kaa"},
    {"aXJuOnJjNzNkYmg3cTA6a2FhOjRhdGNpY25pc2c6OmVuZHBvaW50L2VwLTE=", endpoint("ep-1")},
  };
  for (const auto& [base64, plain] : encoded) {
    auto parsed = parse_irn(base64);
    ASSERT_TRUE(parsed) << base64 << ": " << render(parsed.error());
    EXPECT_EQ(to_string(*parsed), plain);
  }
  // The base64 of something else, of a wildcard IRN, or broken base64.
  for (const auto* text : {"bm90IGFuIGlybiBhdCBhbGw=",
                           "aXJuOnJjNzNkYmg3cTA6a2FhOjRhdGNpY25pc2c6OmVuZHBvaW50Lyo=",
                           "aXJuOnJjNzNkYmg3cTA6a2FhOjRhdGNpY25pc2c6OmVuZHBvaW50L2VwLTE",
                           "aXJu=OnJj", "aXJu OnJj"}) {
    auto parsed = parse_irn(text);
    ASSERT_FALSE(parsed) << text << " read as " << to_string(*parsed);
    expect_error(parsed.error(), ec::invalid_argument);
  }
}

TEST(core_iamcore_irn, malformed_irns_are_refused) {
  for (const auto* text : {"", "irn", "irn:", "IRN:a:kaa:t::endpoint/1",
                           "krn:epr:t::endpoint/1", "irn:a:kaa:t::endpoint",
                           "irn:a:kaa:t::endpoint/", "irn:a:kaa:t::/1",
                           "irn:a:kaa:t::user//tom", "irn::kaa:t::endpoint/1",
                           "irn:a::t::endpoint/1", "irn:a:kaa:t:::endpoint/1",
                           "irn:a:kaa:t::endpoint/1:2", "irn:a:kaa:t::endpoint/x y",
                           "irn:a:kaa:t::endpoint/*", "irn:a:kaa:*", "irn:a:kaa:t::*",
                           "irn:a:kaa:t::endpoint/\xC3\xA9",
                           "irn:a:kaa:t::endpoint/1\n"}) {
    auto parsed = parse_irn(text);
    ASSERT_FALSE(parsed) << "'" << text << "' read as " << to_string(*parsed);
    expect_error(parsed.error(), ec::invalid_argument);
  }
}

TEST(core_iamcore_irn, resource_irns_are_built_from_checked_tokens) {
  auto built = resource_irn(account, "kaa", tenant, "endpoint", "ep-1");
  ASSERT_TRUE(built) << render(built.error());
  EXPECT_EQ(*built, endpoint("ep-1"));
  auto app = resource_irn(account, "kaa", tenant, "application", "kettle_v1.2@x");
  ASSERT_TRUE(app) << render(app.error());
  EXPECT_EQ(*app, "irn:rc73dbh7q0:kaa:4atcicnisg::application/kettle_v1.2@x");
  auto no_tenant = resource_irn(account, "kaa", "", "application", "kettle");
  ASSERT_TRUE(no_tenant) << render(no_tenant.error());
  EXPECT_EQ(*no_tenant, "irn:rc73dbh7q0:kaa:::application/kettle");
  // Whatever is built reads back.
  for (const auto& text : {*built, *app, *no_tenant})
    EXPECT_TRUE(parse_irn(text)) << text;
  for (const auto* id : {"", "a/b", "a:b", "a b", "*", "ep-*", "\xC3\xA9", "a\r\nX: 1"}) {
    auto refused = resource_irn(account, "kaa", tenant, "endpoint", id);
    ASSERT_FALSE(refused) << "'" << id << "' gave " << *refused;
    expect_error(refused.error(), ec::invalid_argument);
    EXPECT_TRUE(mentions(refused.error(), "endpoint id")) << render(refused.error());
  }
  struct bad_token {
    std::string account, application, tenant, type;
  };
  for (const auto& [acct, application, tnt, type] :
       std::vector<bad_token>{{"", "kaa", tenant, "endpoint"},
                              {account, "", tenant, "endpoint"},
                              {account, "kaa", "t:1", "endpoint"},
                              {account, "kaa", tenant, ""},
                              {account, "k/a", tenant, "endpoint"}}) {
    auto refused = resource_irn(acct, application, tnt, type, "ep-1");
    ASSERT_FALSE(refused) << *refused;
    expect_error(refused.error(), ec::invalid_argument);
  }
}

TEST(core_iamcore_irn, a_resource_id_holding_a_separator_is_refused_naming_it) {
  // `:` separates an IRN's tokens and `/` its path, `#` ends a permission's
  // resource, `*` is a wildcard, and neither space nor `%` is of the
  // alphabet: encoding cannot help, as iamcore's policies name the real id.
  const std::vector<std::pair<std::string, std::string>> refused_ids{
    {"ep:1", "':'"},   {"ep/1", "'/'"},  {"ep-1#endpoint:read", "'#'"},
    {"ep*", "'*'"},    {"ep 1", "byte 0x20"}, {"ep%3A1", "'%'"},
    {"ep,1", "','"},   {"caf\xC3\xA9", "byte 0xC3"},
  };
  for (const auto& [id, shown] : refused_ids) {
    auto refused = resource_irn(account, "kaa", tenant, "endpoint", id);
    ASSERT_FALSE(refused) << "'" << id << "' gave " << *refused;
    expect_error(refused.error(), ec::invalid_argument);
    EXPECT_TRUE(mentions(refused.error(), "the endpoint id holds " + shown))
      << render(refused.error());
  }
  // `-`, `_`, `@` and `.` are of the alphabet.
  auto kept = resource_irn(account, "kaa", tenant, "endpoint", "a-b_c@d.e");
  ASSERT_TRUE(kept) << render(kept.error());
  EXPECT_EQ(*kept, endpoint("a-b_c@d.e"));
}

TEST(core_iamcore_credential, the_bearer_token_comes_before_the_api_key) {
  auto both = pick_iamcore_credential("Bearer " + alice_token, service_key);
  ASSERT_TRUE(both) << render(both.error());
  EXPECT_EQ(both->header_name, "Authorization");
  EXPECT_EQ(both->value, "Bearer " + alice_token);
  // Forwarded unchanged, whatever the case of the scheme.
  auto lower = pick_iamcore_credential("bEARER " + alice_token, "");
  ASSERT_TRUE(lower) << render(lower.error());
  EXPECT_EQ(lower->value, "bEARER " + alice_token);
  auto key = pick_iamcore_credential("", service_key);
  ASSERT_TRUE(key) << render(key.error());
  EXPECT_EQ(key->header_name, "x-iamcore-api-key");
  EXPECT_EQ(key->value, service_key);
}

TEST(core_iamcore_credential, no_usable_credential_is_unauthenticated) {
  auto none = pick_iamcore_credential("", "");
  ASSERT_FALSE(none);
  expect_error(none.error(), ec::unauthenticated);
  // An Authorization that is not a bearer token does not fall back on the key.
  for (const auto& authorization : std::vector<std::string>{
         "Basic " + alice_token, "Bearer", "Bearer ", "Bearer  " + alice_token,
        "Bearer " + alice_token + " extra", "Bearer " + alice_token + "\r\nX: 1",
        alice_token}) {
    auto refused = pick_iamcore_credential(authorization, service_key);
    ASSERT_FALSE(refused) << authorization;
    expect_error(refused.error(), ec::unauthenticated, {alice_token, service_key});
  }
  for (const auto& key : std::vector<std::string>{service_key + "\r\nX: 1", "a key",
                                                  std::string(20000, 'k')}) {
    auto refused = pick_iamcore_credential("", key);
    ASSERT_FALSE(refused);
    expect_error(refused.error(), ec::unauthenticated, {service_key});
  }
}

class core_iamcore : public ::testing::Test {
protected:
  void SetUp() override {
    iamcore_.set_credentials({{iamcore_identity::kind::bearer, alice_token, alice},
                              {iamcore_identity::kind::api_key, service_key, service}});
  }

  void TearDown() override {
    // Whatever the test did, ECR never sent a request iamcore would refuse.
    if (expect_well_formed_) {
      EXPECT_EQ(iamcore_.stats().rejected, std::vector<std::string>{});
    }
  }

  caf::expected<irn> principal_of(const iamcore_credential& credential) {
    return authenticate_principal(http_, iamcore_.url(), credential);
  }

  caf::expected<bool> may(const iamcore_credential& credential,
                          const std::string& action,
                          const std::vector<std::string>& resources) {
    return evaluate(http_, iamcore_.url(), credential, action, resources);
  }

  iamcore_stand_in iamcore_;
  outbound_http_client http_;
  /// Off for tests that send malformed requests on purpose.
  bool expect_well_formed_ = true;
};

TEST_F(core_iamcore, bearer_and_api_key_callers_get_their_principal) {
  // A trailing slash on the base URL is tolerated.
  auto of_alice =
    authenticate_principal(http_, iamcore_.url() + "/", bearer(alice_token));
  ASSERT_TRUE(of_alice) << render(of_alice.error());
  EXPECT_EQ(to_string(*of_alice), alice);
  EXPECT_EQ(of_alice->account, account);
  EXPECT_EQ(of_alice->tenant, tenant);
  auto of_service = principal_of(api_key(service_key));
  ASSERT_TRUE(of_service) << render(of_service.error());
  EXPECT_EQ(to_string(*of_service), service);
  EXPECT_EQ(of_service->tenant, "");
  EXPECT_EQ(iamcore_.stats().principal_lookups, 2u);
}

TEST_F(core_iamcore, the_picked_header_decides_the_principal) {
  auto picked = pick_iamcore_credential("Bearer " + alice_token, service_key);
  ASSERT_TRUE(picked) << render(picked.error());
  auto principal = principal_of(*picked);
  ASSERT_TRUE(principal) << render(principal.error());
  EXPECT_EQ(to_string(*principal), alice);
  // Each credential counts in its own header only.
  auto key_as_token = principal_of(bearer(service_key));
  ASSERT_FALSE(key_as_token);
  expect_error(key_as_token.error(), ec::unauthenticated, {service_key});
  auto token_as_key = principal_of(api_key(alice_token));
  ASSERT_FALSE(token_as_key);
  expect_error(token_as_key.error(), ec::unauthenticated, {alice_token});
}

TEST_F(core_iamcore, refused_credentials_are_unauthenticated) {
  const std::string stranger = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJtYWxsb3J5In0.x";
  auto unknown = principal_of(bearer(stranger));
  ASSERT_FALSE(unknown);
  expect_error(unknown.error(), ec::unauthenticated, {stranger});
  EXPECT_TRUE(mentions(unknown.error(), "HTTP 401")) << render(unknown.error());
  iamcore_.set_answer(iamcore_route::principal, 403, R"({"message":"Forbidden"})");
  auto forbidden = principal_of(bearer(alice_token));
  ASSERT_FALSE(forbidden);
  expect_error(forbidden.error(), ec::unauthenticated, {alice_token});
  // The credential is re-read: one added later is known at once.
  iamcore_.set_answer(iamcore_route::principal, 0);
  iamcore_.set_credentials({{iamcore_identity::kind::bearer, stranger, alice}});
  auto known = principal_of(bearer(stranger));
  ASSERT_TRUE(known) << render(known.error());
  EXPECT_EQ(to_string(*known), alice);
  auto stats = iamcore_.stats();
  EXPECT_EQ(stats.principal_lookups, 2u);
  EXPECT_EQ(stats.forced_answers, 1u);
}

TEST_F(core_iamcore, a_principal_answer_in_doubt_is_unavailable) {
  auto expect_unavailable = [&] {
    auto principal = principal_of(bearer(alice_token));
    ASSERT_FALSE(principal) << "got " << to_string(*principal);
    expect_error(principal.error(), ec::unavailable, {alice_token});
  };
  for (const auto* body : {"<html>proxy</html>", "[]", "{}", R"({"data":42})",
                           R"({"data":"tom"})", R"({"data":"irn:a:kaa:t::user/*"})",
                           R"({"message":"irn:a:kaa:t::user/tom"})"}) {
    iamcore_.set_answer(iamcore_route::principal, 200, body);
    SCOPED_TRACE(body);
    expect_unavailable();
  }
  for (int status : {400, 404, 500, 502, 503}) {
    iamcore_.set_answer(iamcore_route::principal, status, R"({"message":"no"})");
    SCOPED_TRACE(status);
    expect_unavailable();
  }
  // A principal in base64 is read like a plain one.
  iamcore_.set_answer(iamcore_route::principal, 200,
                      R"({"data":"aXJuOnJjNzNkYmg3cTA6aWFtY29yZTo0YXRjaWNuaXNn)"
                      R"(Ojp1c2VyL29yZzEvdG9t"})");
  auto encoded = principal_of(bearer(alice_token));
  ASSERT_TRUE(encoded) << render(encoded.error());
  EXPECT_EQ(to_string(*encoded), "irn:rc73dbh7q0:iamcore:4atcicnisg::user/org1/tom");
  EXPECT_EQ(iamcore_.stats().forced_answers, 13u);
  iamcore_.set_answer(iamcore_route::principal, 0);
  iamcore_.set_failing(true);
  expect_unavailable();
  EXPECT_EQ(iamcore_.stats().failed, 1u);
  iamcore_.set_failing(false);
  auto recovered = principal_of(bearer(alice_token));
  ASSERT_TRUE(recovered) << render(recovered.error());
  iamcore_.stop();
  expect_unavailable();
}

TEST_F(core_iamcore, evaluation_follows_the_policy) {
  iamcore_.set_policy({{alice, "endpoint:read", endpoint("ep-1")},
                       {service, "endpoint:update",
                        "irn:rc73dbh7q0:kaa:4atcicnisg::endpoint/*"}});
  auto expect_decision = [&](const iamcore_credential& credential,
                             const std::string& action, const std::string& id,
                             bool expected) {
    auto decision = may(credential, action, {endpoint(id)});
    ASSERT_TRUE(decision) << render(decision.error());
    EXPECT_EQ(*decision, expected) << action << " on " << id;
  };
  expect_decision(bearer(alice_token), "endpoint:read", "ep-1", true);
  expect_decision(bearer(alice_token), "endpoint:update", "ep-1", false);
  expect_decision(bearer(alice_token), "endpoint:read", "ep-2", false);
  // A trailing wildcard covers every endpoint of the tenant, and no more.
  expect_decision(api_key(service_key), "endpoint:update", "ep-1", true);
  expect_decision(api_key(service_key), "endpoint:update", "ep-2", true);
  expect_decision(api_key(service_key), "endpoint:read", "ep-2", false);
  auto other_tenant = may(api_key(service_key), "endpoint:update",
                          {"irn:rc73dbh7q0:kaa:other::endpoint/ep-1"});
  ASSERT_TRUE(other_tenant) << render(other_tenant.error());
  EXPECT_FALSE(*other_tenant);
  EXPECT_EQ(iamcore_.stats().decisions,
            (std::vector<std::string>{
              alice + " endpoint:read " + endpoint("ep-1") + " allowed",
              alice + " endpoint:update " + endpoint("ep-1") + " denied",
              alice + " endpoint:read " + endpoint("ep-2") + " denied",
              service + " endpoint:update " + endpoint("ep-1") + " allowed",
              service + " endpoint:update " + endpoint("ep-2") + " allowed",
              service + " endpoint:read " + endpoint("ep-2") + " denied",
              service
                + " endpoint:update irn:rc73dbh7q0:kaa:other::endpoint/ep-1 denied"}));
  // The policy is re-read: a grant takes effect at once.
  iamcore_.set_policy({{alice, "endpoint:read", endpoint("*")}});
  expect_decision(bearer(alice_token), "endpoint:read", "ep-2", true);
}

TEST_F(core_iamcore, evaluation_is_all_or_nothing) {
  iamcore_.set_policy({{alice, "endpoint:update", endpoint("ep-1")},
                       {alice, "endpoint:update", endpoint("ep-2")}});
  auto granted = may(bearer(alice_token), "endpoint:update",
                     {endpoint("ep-1"), endpoint("ep-2")});
  ASSERT_TRUE(granted) << render(granted.error());
  EXPECT_TRUE(*granted);
  auto one_denied = may(bearer(alice_token), "endpoint:update",
                        {endpoint("ep-1"), endpoint("ep-2"), endpoint("ep-3")});
  ASSERT_TRUE(one_denied) << render(one_denied.error());
  EXPECT_FALSE(*one_denied);
  auto stats = iamcore_.stats();
  EXPECT_EQ(stats.evaluations, 2u);
  EXPECT_EQ(stats.decisions.back(), alice + " endpoint:update " + endpoint("ep-1") + ","
                                      + endpoint("ep-2") + "," + endpoint("ep-3")
                                      + " denied");
}

TEST_F(core_iamcore, an_unknown_credential_at_evaluation_is_unauthenticated) {
  iamcore_.set_policy({{alice, "endpoint:read", endpoint("*")}});
  const std::string expired = "eyJhbGciOiJub25lIn0.eyJleHAiOjF9.old";
  auto decision = may(bearer(expired), "endpoint:read", {endpoint("ep-1")});
  ASSERT_FALSE(decision) << "decided " << *decision;
  expect_error(decision.error(), ec::unauthenticated, {expired});
  EXPECT_EQ(iamcore_.stats().decisions,
            std::vector<std::string>{"- endpoint:read " + endpoint("ep-1") + " unknown"});
}

TEST_F(core_iamcore, the_status_is_the_decision_and_nothing_else_allows) {
  iamcore_.set_policy({{alice, "endpoint:read", endpoint("*")}});
  auto expect_unavailable = [&](const std::string& mention) {
    auto decision = may(bearer(alice_token), "endpoint:read", {endpoint("ep-1")});
    ASSERT_FALSE(decision) << "decided " << *decision;
    expect_error(decision.error(), ec::unavailable, {alice_token});
    EXPECT_TRUE(mentions(decision.error(), mention)) << render(decision.error());
  };
  // Whatever the body, 200 allows and 403 denies.
  iamcore_.set_answer(iamcore_route::evaluate, 200, "not json");
  auto allowed = may(bearer(alice_token), "endpoint:read", {endpoint("ep-1")});
  ASSERT_TRUE(allowed) << render(allowed.error());
  EXPECT_TRUE(*allowed);
  iamcore_.set_answer(iamcore_route::evaluate, 403, "[]");
  auto denied = may(bearer(alice_token), "endpoint:read", {endpoint("ep-1")});
  ASSERT_TRUE(denied) << render(denied.error());
  EXPECT_FALSE(*denied);
  iamcore_.set_answer(iamcore_route::evaluate, 400, R"({"message":"bad IRN"})");
  expect_unavailable("iamcore refused the request (HTTP 400)");
  for (int status : {201, 404, 500, 502, 503}) {
    iamcore_.set_answer(iamcore_route::evaluate, status, R"({"message":"no"})");
    expect_unavailable("HTTP " + std::to_string(status));
  }
  EXPECT_EQ(iamcore_.stats().forced_answers, 8u);
  iamcore_.set_answer(iamcore_route::evaluate, 0);
  iamcore_.set_failing(true);
  expect_unavailable("HTTP 500");
  iamcore_.set_failing(false);
  auto recovered = may(bearer(alice_token), "endpoint:read", {endpoint("ep-1")});
  ASSERT_TRUE(recovered) << render(recovered.error());
  EXPECT_TRUE(*recovered);
  iamcore_.stop();
  expect_unavailable("iamcore evaluation of endpoint:read");
}

TEST_F(core_iamcore, requests_iamcore_would_refuse_are_not_sent) {
  iamcore_.set_policy({{alice, "endpoint:read", endpoint("*")}});
  auto expect_invalid = [&](const std::string& action,
                            const std::vector<std::string>& resources) {
    auto decision = may(bearer(alice_token), action, resources);
    ASSERT_FALSE(decision) << "decided " << *decision;
    expect_error(decision.error(), ec::invalid_argument, {alice_token});
  };
  expect_invalid("endpoint:read", {});
  expect_invalid("endpoint:read", {endpoint("*")});
  expect_invalid("endpoint:read", {endpoint("ep-1"), "endpoint/ep-2"});
  // The base64 form is for URL paths, not this body.
  expect_invalid("endpoint:read",
                 {"aXJuOnJjNzNkYmg3cTA6a2FhOjRhdGNpY25pc2c6OmVuZHBvaW50L2VwLTE="});
  for (const auto* action :
       {"", "read", "endpoint:*", "endpoint::read", "endpoint:read "})
    expect_invalid(action, {endpoint("ep-1")});
  // A credential that would add header lines is never sent either.
  const iamcore_credential injecting{"Authorization",
                                     "Bearer " + alice_token + "\r\nX-Injected: 1"};
  auto principal = principal_of(injecting);
  ASSERT_FALSE(principal);
  expect_error(principal.error(), ec::unauthenticated, {alice_token});
  auto decision = may(injecting, "endpoint:read", {endpoint("ep-1")});
  ASSERT_FALSE(decision);
  expect_error(decision.error(), ec::unauthenticated, {alice_token});
  auto stats = iamcore_.stats();
  EXPECT_EQ(stats.evaluations, 0u);
  EXPECT_EQ(stats.principal_lookups, 0u);
}

TEST_F(core_iamcore, the_stand_in_refuses_requests_of_another_shape) {
  // The stand-in's checks are what make "nothing was rejected" (TearDown)
  // worth asserting: requests of the wrong shape must be caught.
  expect_well_formed_ = false;
  const std::string auth = "Authorization: Bearer " + alice_token;
  const std::string evaluate_url = iamcore_.url() + "/api/v1/evaluate";
  const std::string me_url = iamcore_.url() + "/api/v1/users/me/irn";
  const std::string body = R"({"action":"endpoint:read","resources":[")"
                           + endpoint("ep-1") + R"("]})";
  auto expect_400 = [](caf::expected<outbound_http_response> response) {
    ASSERT_TRUE(response) << render(response.error());
    EXPECT_EQ(response->status, 400) << response->body;
    EXPECT_NE(response->body.find("\"message\""), std::string::npos) << response->body;
  };
  expect_400(http_.post(evaluate_url, body, "text/plain", {auth}));
  expect_400(http_.post(evaluate_url, R"({"action":"endpoint:read"})",
                        "application/json", {auth}));
  expect_400(http_.post(evaluate_url, body, "application/json", {}));
  expect_400(http_.get(evaluate_url, {auth}));
  expect_400(http_.get(me_url, {auth, "X-iamcore-API-Key: " + service_key}));
  expect_400(http_.get(me_url + "?tenant=x", {auth}));
  auto rejected = iamcore_.stats().rejected;
  ASSERT_EQ(rejected.size(), 6u);
  EXPECT_EQ(rejected[0], "POST /api/v1/evaluate: the body must be application/json");
  EXPECT_EQ(rejected[5], "GET /api/v1/users/me/irn?tenant=x: no route "
                         "/api/v1/users/me/irn?tenant=x");
  EXPECT_EQ(iamcore_.stats().evaluations, 0u);
}

} // namespace
} // namespace ecr::test
