#include "security/keycloak_checker.hpp"

#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "security/bounded_cache.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

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

/// The grant of a verified caller; its user name names it in histories.
template <class Verified>
access_grant grant_of(const Verified& caller) {
  const auto& claims = caller.claims;
  return {claims.subject, caller.tenant_id,
          claims.preferred_username.empty() ? claims.subject
                                            : claims.preferred_username};
}

} // namespace

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
  return grant_of(*caller);
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
  return grant_of(**caller);
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

} // namespace ecr
