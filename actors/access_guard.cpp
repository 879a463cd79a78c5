#include "actors/access_guard.hpp"

#include "actors/token_refresher.hpp"

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

std::optional<caf::expected<access_grant>>
access_checker::check_cached(const access_request&) {
  return std::nullopt;
}

keycloak_checker::keycloak_checker(access_checker_config cfg)
  : cfg_(std::move(cfg)) {
  realms_.emplace(cfg_.default_tenant.tenant_id,
                  realm{.context = cfg_.default_tenant});
}

caf::expected<access_grant>
keycloak_checker::check(const access_request& request) {
  auto token = bearer_token(request.credential);
  if (!token)
    return token.error();
  auto digest = sha256_hex(*token);
  auto caller = authenticate(*token, digest);
  if (!caller)
    return caller.error();
  for (const auto& permission : request.permissions)
    if (auto err = authorize(*token, digest, *caller, permission))
      return err;
  return access_grant{caller->claims.subject, caller->tenant_id};
}

std::optional<caf::expected<access_grant>>
keycloak_checker::check_cached(const access_request& request) {
  auto token = bearer_token(request.credential);
  if (!token)
    return token.error();
  auto digest = sha256_hex(*token);
  auto now = cfg_.now_s();
  std::lock_guard guard{mutex_};
  auto caller = known_token(digest, now);
  if (!caller || !*caller)
    return caller ? std::optional{caf::expected<access_grant>{caller->error()}}
                  : std::nullopt;
  for (const auto& permission : request.permissions) {
    auto allowed = known_decision(digest + ' ' + permission, now);
    if (!allowed)
      return std::nullopt;
    if (!*allowed)
      return make_error(ec::forbidden, "not permitted: " + permission);
  }
  return access_grant{(*caller)->claims.subject, (*caller)->tenant_id};
}

std::optional<caf::expected<keycloak_checker::verified_token>>
keycloak_checker::known_token(const std::string& digest, int64_t now) {
  auto known = tokens_.find(digest);
  if (known == tokens_.end())
    return std::nullopt;
  // Verified before; only its dates can have turned since.
  if (known->second.claims.expires_at + jwt_policy{}.leeway_s >= now)
    return known->second;
  tokens_.erase(known);
  return unauthenticated("invalid bearer token: expired");
}

std::optional<bool> keycloak_checker::known_decision(const std::string& key,
                                                     int64_t now) const {
  auto cached = decisions_.find(key);
  if (cached == decisions_.end() || cached->second.expires_s <= now)
    return std::nullopt;
  return cached->second.allowed;
}

void keycloak_checker::forget_tenant(const std::string& tenant_id) {
  std::lock_guard guard{mutex_};
  if (tenant_id == cfg_.default_tenant.tenant_id) {
    // Its context is the settings'; only its keys may have changed.
    realms_.insert_or_assign(tenant_id,
                             realm{.context = cfg_.default_tenant});
  } else {
    realms_.erase(tenant_id);
  }
  std::erase_if(tokens_, [&](const auto& entry) {
    return entry.second.tenant_id == tenant_id;
  });
}

caf::expected<keycloak_checker::verified_token>
keycloak_checker::authenticate(const std::string& token,
                               const std::string& digest) {
  auto now = cfg_.now_s();
  jwt_policy policy;
  policy.now_s = now;
  {
    std::lock_guard guard{mutex_};
    if (auto known = known_token(digest, now))
      return std::move(*known);
  }
  auto unverified = peek_jwt(token);
  if (!unverified)
    return unverified.error();
  auto context = context_of(unverified->claims.issuer, now);
  if (!context)
    return context.error();
  auto keys = keys_for(*context, unverified->key_id, now);
  if (!keys)
    return keys.error();
  policy.issuer = context->issuer_public_url;
  auto claims = verify_jwt(token, *keys, policy);
  if (!claims)
    return claims.error();
  verified_token result{std::move(*claims), context->tenant_id};
  std::lock_guard guard{mutex_};
  bound(tokens_, cfg_.max_cached);
  tokens_.emplace(digest, result);
  return result;
}

caf::expected<tenant_security_context>
keycloak_checker::context_of(const std::string& issuer, int64_t now) {
  // Without multitenancy, or for the default realm's own issuer, the
  // settings decide; a wrong `iss` then fails verification.
  if (!cfg_.resolve_tenant || issuer == cfg_.default_tenant.issuer_public_url)
    return cfg_.default_tenant;
  auto tenant = realm_of_issuer(issuer);
  if (tenant.empty())
    return unauthenticated("invalid bearer token: its issuer names no "
                           "Keycloak realm");
  // The default tenant's realm is the settings' only: a token naming it
  // from elsewhere fails verification.
  if (tenant == cfg_.default_tenant.tenant_id)
    return cfg_.default_tenant;
  {
    std::lock_guard guard{mutex_};
    if (auto known = realms_.find(tenant);
        known != realms_.end()
        && (known->second.expires_s == 0 || known->second.expires_s > now))
      return known->second.context;
  }
  auto resolved = cfg_.resolve_tenant(tenant);
  if (!resolved) {
    if (error_code(resolved.error()) == ec::not_found)
      return unauthenticated("invalid bearer token: tenant " + tenant
                             + " is unknown");
    return make_error(ec::unavailable,
                      "the tenant's security context cannot be resolved: "
                        + error_message(resolved.error()));
  }
  std::lock_guard guard{mutex_};
  auto& entry = realms_[tenant];
  if (entry.context != *resolved) {
    // Another realm now: its keys are not the old ones.
    entry = realm{.context = *resolved};
  }
  entry.expires_s = now + cfg_.context_ttl_s;
  return entry.context;
}

caf::expected<jwk_set>
keycloak_checker::keys_for(const tenant_security_context& context,
                           const std::string& key_id, int64_t now) {
  {
    std::lock_guard guard{mutex_};
    auto& entry = realms_[context.tenant_id];
    if (entry.context.issuer_public_url.empty())
      entry.context = context;
    auto unknown = !key_id.empty() && !entry.keys.contains(key_id);
    auto due = !entry.have_keys
               || (unknown
                   && now - entry.last_fetch_s >= cfg_.refetch_interval_s);
    if (!due)
      return entry.keys;
    // Claimed under the lock: other guards keep the old keys meanwhile.
    entry.last_fetch_s = now;
  }
  auto fetched = cfg_.fetch_keys(context.issuer_private_url);
  std::lock_guard guard{mutex_};
  auto& entry = realms_[context.tenant_id];
  if (fetched) {
    entry.keys = std::move(*fetched);
    entry.have_keys = true;
  } else {
    ECR_WARN("access: cannot fetch the keys of tenant {}: {}",
             context.tenant_id, error_message(fetched.error()));
    if (!entry.have_keys)
      return make_error(ec::unavailable,
                        "the token issuer's keys cannot be fetched: "
                          + error_message(fetched.error()));
  }
  return entry.keys;
}

caf::error keycloak_checker::authorize(const std::string& token,
                                       const std::string& digest,
                                       const verified_token& caller,
                                       const std::string& permission) {
  auto now = cfg_.now_s();
  auto key = digest + ' ' + permission;
  std::optional<bool> allowed;
  std::string issuer_url;
  {
    std::lock_guard guard{mutex_};
    allowed = known_decision(key, now);
    if (auto known = realms_.find(caller.tenant_id);
        !allowed && known != realms_.end())
      issuer_url = known->second.context.issuer_private_url;
  }
  if (!allowed) {
    if (issuer_url.empty())
      // Forgotten since the token was verified.
      return make_error(ec::unavailable, "the tenant's security context "
                                         "changed; try again");
    // Asked without the lock: other callers go on meanwhile.
    auto decided = cfg_.decide(issuer_url, token, permission);
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
    auto expires = std::min(now + cfg_.decision_ttl_s,
                            caller.claims.expires_at);
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

void iamcore_checker::forget_tenant(const std::string& tenant_id) {
  std::lock_guard guard{mutex_};
  std::erase_if(principals_, [&](const auto& entry) {
    return entry.second.value.tenant == tenant_id;
  });
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
                              credentials = cfg.credentials](
                               const std::string& tenant_id) {
      std::vector<std::string> headers;
      if (credentials)
        if (auto header = credentials->authorization_header())
          headers.push_back(std::move(*header));
      return fetch_tenant_context(*http, url, tenant_id, std::move(headers));
    };
  }
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
    [self](atom::forget, const std::string& tenant_id) {
      ECR_INFO("access: tenant {} changed; its security context is "
               "resolved again", tenant_id);
      self->state.checker->forget_tenant(tenant_id);
    },
  };
}

} // namespace ecr
