#pragma once

#include "tests/support/python_stand_in.hpp"
#include "tests/support/temp_dir.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ecr::test {

/// A UMA policy entry: `subject` (a token's `sub`) may use `permission`
/// ("<resource>#<scope>"; the resource may be "*").
struct uma_grant {
  std::string subject;
  std::string permission;
};

/// What one realm of the stand-in has answered so far.
struct keycloak_stats {
  /// JWKS documents served.
  size_t jwks_fetches = 0;
  /// UMA requests, whatever their outcome.
  size_t uma_decisions = 0;
  /// Client-credentials tokens issued.
  size_t tokens_issued = 0;
  /// Client-credentials requests refused for wrong credentials.
  size_t tokens_refused = 0;
  /// Requests answered 500 while failing.
  size_t failed = 0;
  /// Requests given the answer of `set_token_answer`.
  size_t forced_answers = 0;
  /// Each UMA request, oldest first: "<sub> <permission> <outcome>", the
  /// outcome being granted, denied, unauthenticated (no readable bearer
  /// token; sub "-"), invalid_client (wrong audience), invalid_request or
  /// invalid_resource.
  std::vector<std::string> decisions;
};

/// What the Tenant Manager route has answered so far.
struct tenant_manager_stats {
  /// Each request, oldest first: "<tenant> <outcome>", the outcome being
  /// served, unknown (404: no such realm, or hidden), unauthorized (401: no
  /// token the required realm issued) or forced (`set_tenant_manager_answer`).
  std::vector<std::string> requests;

  /// How many requests asked for `tenant`, whatever their outcome.
  size_t asked(const std::string& tenant) const;

  /// How many requests for `tenant` had `outcome`.
  size_t count(const std::string& tenant, const std::string& outcome) const;
};

/// The Keycloak endpoints ECR calls, as a small Python server
/// (keycloak_stand_in.py) on 127.0.0.1: per realm the JWKS, client
/// credentials grants and UMA decisions; and the Tenant Manager of
/// multitenant Keycloak (`GET /api/v1/tenants/<tenant>/security-context`),
/// for which every realm is a tenant of its name whose issuer is the realm's.
/// What it serves is re-read on every request, so a test changes it mid-run.
/// The constructor returns once the server listens; the destructor stops it
/// by PID.
///
/// A realm starts with no keys, no grants, the client "ecr" with secret
/// "ecr-secret" and tokens of 300 s; tokens issued are opaque
/// ("opaque-<realm>-<n>") unless one is set. The Tenant Manager starts
/// knowing every realm and asking for no token.
class keycloak_stand_in {
public:
  /// Serves `realms` (more can be added by configuring them later).
  explicit keycloak_stand_in(const std::vector<std::string>& realms = {"kaa"});

  keycloak_stand_in(const keycloak_stand_in&) = delete;
  keycloak_stand_in& operator=(const keycloak_stand_in&) = delete;

  uint16_t port() const noexcept {
    return server_->port();
  }

  /// `http://127.0.0.1:<port>`.
  std::string url() const;

  /// `http://127.0.0.1:<port>/realms/<realm>`.
  std::string issuer(const std::string& realm) const;

  /// Serves `document` (see `jwt_signer::jwks`) as the realm's JWKS.
  void set_jwks(const std::string& realm, const std::string& document);

  /// Replaces the realm's UMA policy.
  void set_policy(const std::string& realm, const std::vector<uma_grant>& grants);

  /// Makes only `resources` exist: a decision on another one is refused with
  /// 400 `invalid_resource`, as Keycloak does. By default all exist.
  void set_resources(const std::string& realm,
                     const std::vector<std::string>& resources);

  /// The realm's client: its credentials grant tokens, and UMA requests must
  /// name it as their audience.
  void set_client(const std::string& realm, const std::string& client_id,
                  const std::string& secret);

  /// `expires_in` of the tokens issued from now on.
  void set_token_lifetime(const std::string& realm, int64_t seconds);

  /// Issues `token` from now on; empty goes back to opaque tokens.
  void set_access_token(const std::string& realm, const std::string& token);

  /// Makes the realm's token endpoint answer every request with `status`
  /// and `body` (JSON), whatever it asks; 0 goes back to normal.
  void set_token_answer(const std::string& realm, int status,
                        const std::string& body = {});

  keycloak_stats stats(const std::string& realm) const;

  /// Answers every realm request with 500 while set (not the Tenant
  /// Manager's: see `set_tenant_manager_answer`).
  void set_failing(bool failing);

  /// Makes the Tenant Manager answer 404 for the realm while `hidden`; the
  /// realm itself keeps serving.
  void hide_from_tenant_manager(const std::string& realm, bool hidden = true);

  /// The `issuerPublicUrl` the Tenant Manager gives for the realm (by
  /// default its issuer); `issuerPrivateUrl` stays the realm's issuer.
  void set_public_issuer(const std::string& realm, const std::string& url);

  /// Makes the Tenant Manager answer every request with `status` and `body`
  /// (JSON), whatever it asks; 0 goes back to normal.
  void set_tenant_manager_answer(int status, const std::string& body = {});

  /// Makes the Tenant Manager answer 401 unless the request carries a bearer
  /// token that `realm` issued by client credentials; empty asks for none.
  void require_tenant_manager_token(const std::string& realm);

  tenant_manager_stats tenant_manager() const;

  /// SIGTERM by PID, then reaps: the port refuses connections afterwards.
  void stop();

private:
  /// The path of file `name` of the realm; makes the realm, with its
  /// defaults, on first use.
  std::string realm_file(const std::string& realm, const std::string& name);

  temp_dir dir_{"ecr-keycloak"};
  /// Started once `dir_` holds the first realms.
  std::unique_ptr<python_stand_in> server_;
};

} // namespace ecr::test
