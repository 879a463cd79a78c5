#include "actors/access_guard.hpp"

#include "core/error.hpp"
#include "core/http_client.hpp"
#include "core/iamcore.hpp"
#include "core/ids.hpp"
#include "core/keycloak.hpp"
#include "core/log.hpp"

#include <caf/typed_event_based_actor.hpp>

#include <chrono>
#include <optional>

namespace ecr {

namespace {

constexpr std::string_view bearer_prefix = "bearer ";

caf::error unauthenticated(std::string why) {
  return make_error(ec::unauthenticated, std::move(why));
}

/// The token of an `Authorization: Bearer <token>` header value.
caf::expected<std::string> bearer_token(const std::string& credential) {
  if (credential.empty())
    return unauthenticated("a bearer token is required (Authorization: "
                           "Bearer <token>)");
  if (credential.size() <= bearer_prefix.size())
    return unauthenticated("the Authorization header holds no bearer token");
  for (size_t i = 0; i < bearer_prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(credential[i]))
        != bearer_prefix[i])
      return unauthenticated("the Authorization header holds no bearer token");
  auto first = credential.find_first_not_of(' ', bearer_prefix.size());
  if (first == std::string::npos)
    return unauthenticated("the Authorization header holds no bearer token");
  return credential.substr(first);
}

/// Drops the older half of a full cache: simple, and bounded.
template <class Map>
void bound(Map& cache, size_t max) {
  if (cache.size() < max)
    return;
  auto victim = cache.begin();
  for (size_t i = 0; i < max / 2 && victim != cache.end(); ++i)
    victim = cache.erase(victim);
}

} // namespace

access_checker::~access_checker() {
  // nop
}

keycloak_checker::keycloak_checker(access_checker_config cfg)
  : cfg_(std::move(cfg)) {
  // nop
}

caf::expected<access_grant>
keycloak_checker::check(const access_request& request) {
  auto token = bearer_token(request.credential);
  if (!token)
    return token.error();
  auto digest = sha256_hex(*token);
  auto claims = authenticate(*token, digest);
  if (!claims)
    return claims.error();
  for (const auto& permission : request.permissions)
    if (auto err = authorize(*token, digest, *claims, permission))
      return err;
  return access_grant{claims->subject, cfg_.tenant_id};
}

caf::expected<jwt_claims>
keycloak_checker::authenticate(const std::string& token,
                             const std::string& digest) {
  auto now = cfg_.now_s();
  jwt_policy policy;
  policy.issuer = cfg_.issuer;
  policy.now_s = now;
  {
    std::lock_guard guard{mutex_};
    if (auto known = tokens_.find(digest); known != tokens_.end()) {
      // Verified before; only its dates can have turned since.
      const auto& claims = known->second.claims;
      if (claims.expires_at + policy.leeway_s >= now)
        return claims;
      tokens_.erase(known);
      return unauthenticated("invalid bearer token: expired");
    }
  }
  auto header = peek_jwt(token);
  if (!header)
    return header.error();
  auto keys = keys_for(header->key_id, now);
  if (!keys)
    return keys.error();
  auto claims = verify_jwt(token, *keys, policy);
  if (!claims)
    return claims.error();
  std::lock_guard guard{mutex_};
  bound(tokens_, cfg_.max_cached);
  tokens_.emplace(digest, verified_token{*claims});
  return claims;
}

caf::expected<jwk_set> keycloak_checker::keys_for(const std::string& key_id,
                                                int64_t now) {
  {
    std::lock_guard guard{mutex_};
    auto unknown = !key_id.empty() && !keys_.contains(key_id);
    auto due = !have_keys_
               || (unknown && now - last_fetch_s_ >= cfg_.refetch_interval_s);
    if (!due)
      return keys_;
    // Claimed under the lock: other guards keep the old keys meanwhile.
    last_fetch_s_ = now;
  }
  auto fetched = cfg_.fetch_keys();
  std::lock_guard guard{mutex_};
  if (fetched) {
    keys_ = std::move(*fetched);
    have_keys_ = true;
  } else {
    ECR_WARN("access: cannot fetch the issuer's keys: {}",
             error_message(fetched.error()));
    if (!have_keys_)
      return make_error(ec::unavailable,
                        "the token issuer's keys cannot be fetched: "
                          + error_message(fetched.error()));
  }
  return keys_;
}

caf::error keycloak_checker::authorize(const std::string& token,
                                     const std::string& digest,
                                     const jwt_claims& claims,
                                     const std::string& permission) {
  auto now = cfg_.now_s();
  auto key = digest + ' ' + permission;
  std::optional<bool> allowed;
  {
    std::lock_guard guard{mutex_};
    auto cached = decisions_.find(key);
    if (cached != decisions_.end() && cached->second.expires_s > now)
      allowed = cached->second.allowed;
  }
  if (!allowed) {
    // Asked without the lock: other callers go on meanwhile.
    auto decided = cfg_.decide(token, permission);
    if (!decided) {
      if (error_code(decided.error()) == ec::unauthenticated)
        return decided.error();
      return make_error(ec::unavailable,
                        "the authorization server cannot decide: "
                          + error_message(decided.error()));
    }
    allowed = *decided;
    std::lock_guard guard{mutex_};
    bound(decisions_, cfg_.max_cached);
    auto expires = std::min(now + cfg_.decision_ttl_s, claims.expires_at);
    decisions_.insert_or_assign(key, decision{*allowed, expires});
  }
  if (!*allowed)
    return make_error(ec::forbidden, "not permitted: " + permission);
  return {};
}

iamcore_checker::iamcore_checker(iamcore_checker_config cfg)
  : cfg_(std::move(cfg)) {
  // nop
}

caf::expected<access_grant>
iamcore_checker::check(const access_request& request) {
  auto credential = pick_iamcore_credential(request.credential,
                                            request.api_key);
  if (!credential)
    return credential.error();
  auto digest = sha256_hex(credential->header_name + '\n' + credential->value);
  auto now = cfg_.now_s();
  auto caller = principal(*credential, digest, now);
  if (!caller)
    return caller.error();
  // Every resource is named before any is asked about: an identifier iamcore
  // cannot hold is 400 whatever the order of the permissions.
  std::vector<std::pair<std::string, std::string>> asked; // action, IRN
  for (const auto& permission : request.permissions) {
    // `<type>-<id>#<action>`, as spec 9.1 names resources.
    auto hash = permission.find('#');
    auto dash = permission.find('-');
    if (hash == std::string::npos || dash == std::string::npos || dash > hash)
      return make_error(ec::invalid_argument,
                        "no iamcore resource for " + permission);
    auto resource = resource_irn(caller->account, cfg_.application,
                                 caller->tenant, permission.substr(0, dash),
                                 permission.substr(dash + 1, hash - dash - 1));
    if (!resource)
      return resource.error();
    asked.emplace_back(permission.substr(hash + 1), std::move(*resource));
  }
  for (const auto& [action, resource] : asked) {
    auto key = digest + ' ' + action + ' ' + resource;
    std::optional<bool> allowed;
    {
      std::lock_guard guard{mutex_};
      if (auto i = decisions_.find(key);
          i != decisions_.end() && i->second.expires_s > now)
        allowed = i->second.value;
    }
    if (!allowed) {
      auto decided = cfg_.evaluate(*credential, action, resource);
      if (!decided)
        return decided.error();
      allowed = *decided;
      std::lock_guard guard{mutex_};
      bound(decisions_, cfg_.max_cached);
      decisions_.insert_or_assign(key, expiring<bool>{*allowed,
                                                      now + cfg_.decision_ttl_s});
    }
    if (!*allowed)
      return make_error(ec::forbidden,
                        "not permitted: " + action + " on " + resource);
  }
  return access_grant{to_string(*caller), caller->tenant.empty()
                                            ? cfg_.tenant_id
                                            : caller->tenant};
}

caf::expected<irn>
iamcore_checker::principal(const iamcore_credential& credential,
                           const std::string& digest, int64_t now) {
  {
    std::lock_guard guard{mutex_};
    if (auto i = principals_.find(digest);
        i != principals_.end() && i->second.expires_s > now)
      return i->second.value;
  }
  auto found = cfg_.principal_of(credential);
  if (!found)
    return found.error();
  std::lock_guard guard{mutex_};
  bound(principals_, cfg_.max_cached);
  principals_.insert_or_assign(digest, expiring<irn>{*found,
                                                     now + cfg_.principal_ttl_s});
  return found;
}

caf::error validate(const access_guard_config& cfg) {
  if (!cfg.http)
    return make_error(ec::invalid_configuration,
                      "access guard needs an HTTP client");
  if (cfg.iamcore)
    return cfg.iamcore->url.empty() || cfg.iamcore->application.empty()
             ? make_error(ec::invalid_configuration,
                          "access guard needs iamcore's URL and application")
             : caf::error{};
  if (cfg.issuer_public_url.empty() || cfg.issuer_private_url.empty()
      || cfg.client_id.empty())
    return make_error(ec::invalid_configuration,
                      "access guard needs the issuer URLs and a client id");
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
make_access_checker(const access_guard_config& cfg) {
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
  checker.issuer = cfg.issuer_public_url;
  checker.tenant_id = cfg.tenant_id;
  checker.decision_ttl_s = cfg.decision_ttl_s;
  checker.fetch_keys = [http = cfg.http, issuer = cfg.issuer_private_url] {
    return fetch_jwks(*http, issuer);
  };
  checker.decide = [http = cfg.http, issuer = cfg.issuer_private_url,
                    audience = cfg.client_id](const std::string& token,
                                              const std::string& permission) {
    return uma_decision(*http, issuer, audience, token, permission);
  };
  checker.now_s = seconds_now;
  return std::make_shared<keycloak_checker>(std::move(checker));
}

access_guard_actor::behavior_type
access_guard(access_guard_actor::stateful_pointer<access_guard_state> self,
             std::shared_ptr<access_checker> checker) {
  self->state.checker = std::move(checker);
  return {
    [self](atom::check, const access_request& request)
      -> caf::result<access_grant> {
      auto grant = self->state.checker->check(request);
      if (!grant)
        return grant.error();
      return std::move(*grant);
    },
  };
}

} // namespace ecr
