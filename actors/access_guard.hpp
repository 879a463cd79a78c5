#pragma once

#include "actors/actors.hpp"
#include "core/jwt.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ecr {

class outbound_http_client;

/// How an access checker reaches the issuer; functions, so that tests can
/// stand in for Keycloak.
struct access_checker_config {
  /// The `iss` every token must carry.
  std::string issuer;
  /// The tenant of every caller while multitenancy is off.
  std::string tenant_id;
  /// The issuer's current signing keys.
  std::function<caf::expected<jwk_set>()> fetch_keys;
  /// Whether the caller with `token` holds `permission` (UMA).
  std::function<caf::expected<bool>(const std::string& token,
                                    const std::string& permission)>
    decide;
  /// Seconds since the epoch.
  std::function<int64_t()> now_s;
  /// An unknown `kid` refetches the keys at most this often.
  int64_t refetch_interval_s = 30;
  /// How long a decision is reused (never past the token's expiry).
  int64_t decision_ttl_s = 30;
  /// Verified tokens and decisions kept; beyond, the oldest half goes.
  size_t max_cached = 10000;
};

/// Authentication and authorization of one caller (A20, spec 9.2): the
/// bearer token is verified against the issuer's keys (fetched on first use
/// and again for an unknown `kid`, at most once per `refetch_interval_s`),
/// then each permission is asked of the issuer unless a recent decision for
/// the same token is at hand. Tokens and decisions are cached under the
/// token's SHA-256, never the token. Thread-safe, so that the guards share
/// one: calls to the issuer run outside its lock.
class access_checker {
public:
  explicit access_checker(access_checker_config cfg);

  caf::expected<access_grant> check(const access_request& request);

private:
  struct verified_token {
    jwt_claims claims;
  };

  struct decision {
    bool allowed = false;
    int64_t expires_s = 0;
  };

  caf::expected<jwt_claims> authenticate(const std::string& token,
                                         const std::string& digest);
  /// The keys to verify a token naming `key_id` with, fetched first when
  /// due.
  caf::expected<jwk_set> keys_for(const std::string& key_id, int64_t now);
  caf::error authorize(const std::string& token, const std::string& digest,
                       const jwt_claims& claims,
                       const std::string& permission);

  const access_checker_config cfg_;
  std::mutex mutex_;
  jwk_set keys_;
  bool have_keys_ = false;
  int64_t last_fetch_s_ = 0;
  std::unordered_map<std::string, verified_token> tokens_;
  std::unordered_map<std::string, decision> decisions_;
};

struct access_guard_config {
  std::shared_ptr<outbound_http_client> http;
  /// The `iss` of tokens (`KAA_SECURITY_ISSUER_PUBLIC_URL`).
  std::string issuer_public_url;
  /// Where keys and decisions are asked (`KAA_SECURITY_ISSUER_PRIVATE_URL`).
  std::string issuer_private_url;
  /// The UMA audience: ECR's own client.
  std::string client_id;
  std::string tenant_id;
  int64_t decision_ttl_s = 30;
};

caf::error validate(const access_guard_config& cfg);

/// The checker the guards share: keys and decisions from Keycloak.
std::shared_ptr<access_checker>
make_access_checker(const access_guard_config& cfg);

struct access_guard_state {
  // Not an aggregate: CAF 0.17 would try to build it from `self` (C++20
  // parenthesized aggregate init).
  access_guard_state() = default;

  std::shared_ptr<access_checker> checker;

  static inline const char* name = "access-guard";
};

/// Must be spawned `caf::detached`: fetching keys and asking decisions block
/// on HTTP. Several guards share one checker, so each token's decisions are
/// asked once.
access_guard_actor::behavior_type
access_guard(access_guard_actor::stateful_pointer<access_guard_state> self,
             std::shared_ptr<access_checker> checker);

} // namespace ecr
