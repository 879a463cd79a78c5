#pragma once

#include "security/access.hpp"
#include "security/jwt.hpp"
#include "security/tenant_manager.hpp"

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace ecr {

/// How the Keycloak checker reaches the issuers; functions, so that tests
/// can stand in for Keycloak and the Tenant Manager.
struct access_checker_config {
  /// The default tenant's realm: the `iss` of its tokens and where it is
  /// reached.
  tenant_security_context default_tenant;
  /// The signing keys of the realm reached at a private issuer URL.
  std::function<caf::expected<jwk_set>(const std::string& issuer_url)>
    fetch_keys;
  /// Whether the caller with `token` holds `permission` (UMA), asked of the
  /// realm reached at `issuer_url`.
  std::function<caf::expected<bool>(const std::string& issuer_url,
                                    const std::string& token,
                                    const std::string& permission)>
    decide;
  /// Multitenancy (spec 7.3): the security context of a tenant, from the
  /// Tenant Manager; `ec::not_found` for a tenant it does not know. Unset:
  /// every token must come from the default tenant's realm.
  std::function<caf::expected<tenant_security_context>(const std::string&)>
    resolve_tenant;
  /// Seconds since the epoch.
  std::function<int64_t()> now_s;
  /// An unknown `kid` refetches the keys at most this often.
  int64_t refetch_interval_s = 30;
  /// How long a decision is reused (never past the token's expiry).
  int64_t decision_ttl_s = 30;
  /// How long a tenant's security context is reused.
  int64_t context_ttl_s = 300;
  /// Verified tokens and decisions kept; beyond, the oldest half goes.
  size_t max_cached = 10000;
};

/// Authentication and authorization of one caller (A20, spec 9.2): the
/// bearer token is verified against its realm's keys (fetched on first use
/// and again for an unknown `kid`, at most once per `refetch_interval_s`),
/// then each permission is asked of that realm unless a recent decision for
/// the same token is at hand. With multitenancy the realm is the tenant the
/// token's `iss` names, trusted only as far as the Tenant Manager's context
/// for it: the token must verify with that context's keys and issuer.
/// Tokens and decisions are cached under the token's SHA-256, never the
/// token. Calls to Keycloak and the Tenant Manager run outside the lock.
class keycloak_checker final : public access_checker {
public:
  explicit keycloak_checker(access_checker_config cfg);

  caf::expected<access_grant> check(const access_request& request) override;

  std::optional<caf::expected<access_grant>>
  check_cached(const access_request& request) override;

  void forget_tenant(const std::string& tenant_id) override;

private:
  struct verified_token {
    jwt_claims claims;
    std::string tenant_id;
  };

  struct decision {
    bool allowed = false;
    int64_t expires_s = 0;
  };

  /// One tenant's realm and what is known of it.
  struct realm {
    tenant_security_context context;
    /// 0: never (the default tenant's, from the settings).
    int64_t expires_s = 0;
    jwk_set keys{};
    bool have_keys = false;
    int64_t last_fetch_s = 0;
  };

  caf::expected<verified_token> authenticate(const std::string& token,
                                             const std::string& digest);
  /// The token verified before, if it was; its expiry is checked again.
  /// Call with the lock held.
  std::optional<caf::expected<verified_token>>
  known_token(const std::string& digest, int64_t now);
  /// A decision for the token that is still good. Call with the lock held.
  std::optional<bool> known_decision(const std::string& key, int64_t now) const;
  /// The context of the tenant whose realm issued a token claiming
  /// `issuer`, asked of the Tenant Manager when not known.
  caf::expected<tenant_security_context> context_of(const std::string& issuer,
                                                    int64_t now);
  /// The keys to verify a token of `tenant_id` naming `key_id` with,
  /// fetched first when due.
  caf::expected<jwk_set> keys_for(const tenant_security_context& context,
                                  const std::string& key_id, int64_t now);
  caf::error authorize(const std::string& token, const std::string& digest,
                       const verified_token& caller,
                       const std::string& permission);

  const access_checker_config cfg_;
  std::mutex mutex_;
  std::unordered_map<std::string, realm> realms_;
  std::unordered_map<std::string, verified_token> tokens_;
  std::unordered_map<std::string, decision> decisions_;
};

} // namespace ecr
