#include "actors/token_refresher.hpp"

#include "core/error.hpp"
#include "core/http_client.hpp"
#include "core/log.hpp"
#include "security/keycloak.hpp"

#include <caf/typed_event_based_actor.hpp>

#include <algorithm>

namespace ecr {

std::optional<std::string> service_credentials::authorization_header() const {
  std::lock_guard guard{mutex_};
  return header_;
}

void service_credentials::set(std::string token) {
  std::lock_guard guard{mutex_};
  header_ = "Authorization: Bearer " + token;
}

void service_credentials::use_api_key(const std::string& key) {
  std::lock_guard guard{mutex_};
  header_ = "X-iamcore-API-Key: " + key;
}

void service_credentials::clear() {
  std::lock_guard guard{mutex_};
  header_.reset();
}

caf::error validate(const token_refresher_config& cfg) {
  if (!cfg.http || cfg.issuer_url.empty() || cfg.client_id.empty()
      || !cfg.credentials || cfg.retry_min.count() <= 0
      || cfg.retry_max < cfg.retry_min)
    return make_error(ec::invalid_configuration,
                      "the token refresher needs an HTTP client, the issuer, "
                      "a client id, the credentials to fill and "
                      "0 < retry_min <= retry_max");
  return {};
}

namespace {

using refresher_pointer
  = token_refresher_actor::stateful_pointer<token_refresher_state>;

void refresh_later(refresher_pointer self, std::chrono::milliseconds pause) {
  self->delayed_send(self, pause, atom::internal_v, atom::reload_v);
}

void refresh(refresher_pointer self) {
  auto& st = self->state;
  auto now = std::chrono::steady_clock::now();
  if (st.expires && *st.expires <= now) {
    st.cfg.credentials->clear();
    st.expires.reset();
    ECR_WARN("{}: the service token ran out before it could be renewed",
             token_refresher_state::name);
  }
  auto token = client_credentials_token(*st.cfg.http, st.cfg.issuer_url,
                                        st.cfg.client_id, st.cfg.client_secret);
  if (!token) {
    st.last_error = error_message(token.error());
    st.backoff = st.backoff.count() == 0
                   ? st.cfg.retry_min
                   : std::min(st.backoff * 2, st.cfg.retry_max);
    ECR_WARN("{}: cannot obtain a service token: {}; trying again in {} ms",
             token_refresher_state::name, st.last_error, st.backoff.count());
    return refresh_later(self, st.backoff);
  }
  auto lifetime = std::chrono::seconds{token->expires_in_s};
  st.cfg.credentials->set(std::move(token->access_token));
  st.expires = now + lifetime;
  st.backoff = std::chrono::milliseconds{0};
  st.last_error.clear();
  // Renewed with a fifth of its life left, so that it never lapses while a
  // slow issuer answers.
  auto renew = std::chrono::duration_cast<std::chrono::milliseconds>(lifetime)
               * 4 / 5;
  ECR_DEBUG("{}: service token valid for {} s", token_refresher_state::name,
            lifetime.count());
  refresh_later(self, std::max(renew, std::chrono::milliseconds{1}));
}

} // namespace

token_refresher_actor::behavior_type
token_refresher(refresher_pointer self, token_refresher_config cfg) {
  if (auto err = validate(cfg)) {
    self->quit(err);
    return token_refresher_actor::behavior_type::make_empty_behavior();
  }
  self->state.cfg = std::move(cfg);
  self->send(self, atom::internal_v, atom::reload_v);
  return {
    [self](atom::internal, atom::reload) { refresh(self); },
    [self](atom::ping) {
      const auto& st = self->state;
      auto up = st.expires.has_value()
                && *st.expires > std::chrono::steady_clock::now();
      return component_health{"service-token", up,
                              up ? "" : st.last_error.empty()
                                          ? "no token yet"
                                          : st.last_error};
    },
  };
}

} // namespace ecr
