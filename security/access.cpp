#include "security/access.hpp"

#include "core/error.hpp"
#include "core/http_client.hpp"
#include "security/iamcore.hpp"
#include "security/iamcore_checker.hpp"
#include "security/keycloak.hpp"
#include "security/keycloak_checker.hpp"

#include <chrono>

namespace ecr {

access_checker::~access_checker() {
  // nop
}

std::optional<caf::expected<access_grant>>
access_checker::check_cached(const access_request&) {
  return std::nullopt;
}

caf::error validate(const access_checker_settings& cfg) {
  if (!cfg.http)
    return make_error(ec::invalid_configuration,
                      "access checks need an HTTP client");
  if (cfg.iamcore)
    return cfg.iamcore->url.empty() || cfg.iamcore->application.empty()
             ? make_error(ec::invalid_configuration,
                          "access checks need iamcore's URL and application")
             : caf::error{};
  if (cfg.issuer_public_url.empty() || cfg.issuer_private_url.empty()
      || cfg.client_id.empty())
    return make_error(ec::invalid_configuration,
                      "access checks need the issuer URLs and a client id");
  if (cfg.multitenancy && cfg.multitenancy->tenant_manager_url.empty())
    return make_error(ec::invalid_configuration,
                      "multitenancy needs the Tenant Manager's URL");
  return {};
}

namespace {

int64_t seconds_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace

std::shared_ptr<access_checker>
make_access_checker(const access_checker_settings& cfg) {
  if (cfg.iamcore) {
    iamcore_checker_config checker;
    checker.application = cfg.iamcore->application;
    checker.tenant_id = cfg.tenant_id;
    checker.decision_ttl_s = cfg.decision_ttl_s;
    checker.principal_of = [http = cfg.http, url = cfg.iamcore->url](
                             const iamcore_credential& credential) {
      return authenticate_principal(*http, url, credential);
    };
    checker.evaluate = [http = cfg.http, url = cfg.iamcore->url](
                         const iamcore_credential& credential,
                         const std::string& action,
                         const std::string& resource) {
      return ecr::evaluate(*http, url, credential, action, {resource});
    };
    checker.now_s = seconds_now;
    return std::make_shared<iamcore_checker>(std::move(checker));
  }
  access_checker_config checker;
  checker.default_tenant = {cfg.tenant_id, cfg.issuer_public_url,
                            cfg.issuer_private_url};
  checker.decision_ttl_s = cfg.decision_ttl_s;
  checker.fetch_keys = [http = cfg.http](const std::string& issuer_url) {
    return fetch_jwks(*http, issuer_url);
  };
  checker.decide = [http = cfg.http, audience = cfg.client_id](
                     const std::string& issuer_url, const std::string& token,
                     const std::string& permission) {
    return uma_decision(*http, issuer_url, audience, token, permission);
  };
  if (cfg.multitenancy) {
    checker.context_ttl_s = cfg.multitenancy->context_ttl_s;
    checker.resolve_tenant = [http = cfg.http,
                              url = cfg.multitenancy->tenant_manager_url,
                              authorization = cfg.authorization_header](
                               const std::string& tenant_id) {
      std::vector<std::string> headers;
      if (authorization)
        if (auto header = authorization())
          headers.push_back(std::move(*header));
      return fetch_tenant_context(*http, url, tenant_id, std::move(headers));
    };
  }
  checker.now_s = seconds_now;
  return std::make_shared<keycloak_checker>(std::move(checker));
}

} // namespace ecr
