// The token refresher (spec 9.3) against the Keycloak stand-in: ECR's own
// client-credentials token is obtained at start, renewed before it runs
// out, and asked again with backoff while the issuer refuses or fails.

#include "actors/token_refresher.hpp"

#include "core/http_client.hpp"
#include "tests/support/actor_system.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/keycloak_stand_in.hpp"

#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <gtest/gtest.h>

#include <chrono>

namespace ecr::test {
namespace {

using namespace std::chrono_literals;

class token_refresher_test : public ::testing::Test {
protected:
  ~token_refresher_test() override {
    if (refresher_)
      caf::anon_send_exit(refresher_, caf::exit_reason::user_shutdown);
  }

  void start(const std::string& secret = "ecr-secret") {
    token_refresher_config cfg;
    cfg.http = std::make_shared<outbound_http_client>();
    cfg.issuer_url = keycloak_.issuer("kaa");
    cfg.client_id = "ecr";
    cfg.client_secret = secret;
    cfg.credentials = credentials_;
    cfg.retry_min = 50ms;
    cfg.retry_max = 200ms;
    refresher_ = sys_->spawn<caf::detached>(token_refresher, cfg);
  }

  component_health health() {
    caf::scoped_actor self{*sys_};
    component_health result;
    self->request(refresher_, 5s, atom::ping_v)
      .receive([&](component_health& x) { result = std::move(x); },
               [&](caf::error& err) { ADD_FAILURE() << to_string(err); });
    return result;
  }

  keycloak_stand_in keycloak_;
  std::shared_ptr<service_credentials> credentials_
    = std::make_shared<service_credentials>();

private:
  service_actor_system sys_;
  token_refresher_actor refresher_;
};

TEST_F(token_refresher_test, a_token_is_obtained_at_start) {
  keycloak_.set_access_token("kaa", "token-one");
  start();
  ASSERT_TRUE(eventually([&] { return credentials_->authorization_header().has_value(); }));
  EXPECT_EQ(*credentials_->authorization_header(),
            "Authorization: Bearer token-one");
  EXPECT_TRUE(health().up);
  EXPECT_EQ(keycloak_.stats("kaa").tokens_issued, 1u);
}

TEST_F(token_refresher_test, the_token_is_renewed_before_it_runs_out) {
  // Tokens of 1 s are renewed after 0.8 s.
  keycloak_.set_token_lifetime("kaa", 1);
  keycloak_.set_access_token("kaa", "token-one");
  start();
  ASSERT_TRUE(eventually([&] { return credentials_->authorization_header().has_value(); }));
  keycloak_.set_access_token("kaa", "token-two");
  ASSERT_TRUE(eventually([&] {
    return credentials_->authorization_header()
           == "Authorization: Bearer token-two";
  }));
  EXPECT_GE(keycloak_.stats("kaa").tokens_issued, 2u);
}

TEST_F(token_refresher_test, refused_credentials_are_retried_with_backoff) {
  start("wrong-secret");
  ASSERT_TRUE(eventually([&] { return keycloak_.stats("kaa").tokens_refused >= 3; }));
  EXPECT_FALSE(credentials_->authorization_header());
  auto state = health();
  EXPECT_FALSE(state.up);
  EXPECT_NE(state.detail.find("client credentials refused"), std::string::npos)
    << state.detail;
  // The secret never shows.
  EXPECT_EQ(state.detail.find("wrong-secret"), std::string::npos);
}

TEST_F(token_refresher_test, a_token_lapses_when_the_issuer_stays_down) {
  keycloak_.set_token_lifetime("kaa", 1);
  start();
  ASSERT_TRUE(eventually([&] { return credentials_->authorization_header().has_value(); }));
  keycloak_.set_failing(true);
  // Renewal fails; once the second of life is over the token is withdrawn.
  ASSERT_TRUE(eventually([&] { return !credentials_->authorization_header().has_value(); }));
  EXPECT_FALSE(health().up);
  // The issuer comes back: a token again.
  keycloak_.set_failing(false);
  ASSERT_TRUE(eventually([&] { return credentials_->authorization_header().has_value(); }));
}

} // namespace
} // namespace ecr::test
