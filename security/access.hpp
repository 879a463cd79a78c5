#pragma once

// Who a REST caller is and what it may do (A20, spec 9): the request a
// caller makes, the grant it gets, and the checker that decides. HTTP-free:
// the gateway fills in the request from headers, the access guards run the
// checker.

#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ecr {

class outbound_http_client;

/// What a REST caller presents and needs (A20, spec 9): its credentials
/// (the Authorization header, and the x-iamcore-api-key header for
/// iamcore) and the permissions of the route, each `resource#scope`; none
/// means authentication alone.
struct access_request {
  std::string credential;
  std::vector<std::string> permissions;
  std::string api_key;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, access_request& x) {
  return f(caf::meta::type_name("access_request"), x.credential,
           x.permissions, x.api_key);
}

/// Who the caller is, once authenticated and permitted.
struct access_grant {
  std::string subject;
  std::string tenant_id;
  /// Who changes are recorded as made by (B1 `actor`): the token's
  /// `preferred_username`, else its subject, or the iamcore principal IRN.
  std::string actor;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, access_grant& x) {
  return f(caf::meta::type_name("access_grant"), x.subject, x.tenant_id,
           x.actor);
}

/// Decides whether a REST caller is who it claims and may do what the route
/// needs (A20). Implementations are thread-safe: the guards share one.
class access_checker {
public:
  virtual ~access_checker();

  virtual caf::expected<access_grant> check(const access_request& request)
    = 0;

  /// `check`'s answer when it needs nobody to be asked (everything is
  /// cached, or the request is refused outright); nullopt otherwise. Cheap
  /// enough for the HTTP threads, which so spare most requests the trip to
  /// a guard.
  virtual std::optional<caf::expected<access_grant>>
  check_cached(const access_request& request);

  /// A tenant changed or left: what was learned of it is not trusted any
  /// more.
  virtual void forget_tenant(const std::string& tenant_id) = 0;
};

/// What the checker of `make_access_checker` needs to reach the issuers.
struct access_checker_settings {
  std::shared_ptr<outbound_http_client> http;
  /// The `iss` of tokens (`KAA_SECURITY_ISSUER_PUBLIC_URL`).
  std::string issuer_public_url;
  /// Where keys and decisions are asked (`KAA_SECURITY_ISSUER_PRIVATE_URL`).
  std::string issuer_private_url;
  /// The UMA audience: ECR's own client.
  std::string client_id;
  std::string tenant_id;
  int64_t decision_ttl_s = 30;
  /// ECR's own `Authorization` header for its calls to the Tenant Manager;
  /// unset or nullopt: none is sent.
  std::function<std::optional<std::string>()> authorization_header;
  /// Set for Keycloak multitenancy: where the Tenant Manager is.
  struct multitenancy_settings {
    std::string tenant_manager_url;
    int64_t context_ttl_s = 300;
  };
  std::optional<multitenancy_settings> multitenancy;
  /// Set when iamcore decides instead of Keycloak.
  struct iamcore_settings {
    std::string url;
    std::string application;
  };
  std::optional<iamcore_settings> iamcore;
};

caf::error validate(const access_checker_settings& cfg);

/// The checker the guards share: Keycloak's, or iamcore's when configured.
std::shared_ptr<access_checker>
make_access_checker(const access_checker_settings& cfg);

} // namespace ecr
