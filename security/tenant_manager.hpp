#pragma once

#include <caf/expected.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace ecr {

class outbound_http_client;

/// Where a tenant's tokens come from (spec 7.3): its Keycloak realm.
struct tenant_security_context {
  std::string tenant_id;
  /// The `iss` of the tenant's tokens.
  std::string issuer_public_url;
  /// Where ECR reaches the realm (keys, decisions).
  std::string issuer_private_url;

  friend bool operator==(const tenant_security_context&,
                         const tenant_security_context&) = default;
};

/// The tenant a Keycloak issuer URL names: the path segment after
/// `/realms/` (`https://kc/auth/realms/acme` -> `acme`); empty when there is
/// none or it is not a valid identifier.
std::string realm_of_issuer(std::string_view issuer);

/// `{base}/api/v1/tenants/{tenant}/security-context`, the tenant
/// percent-encoded.
std::string tenant_context_url(std::string_view base_url,
                               std::string_view tenant_id);

/// Parses the Tenant Manager's answer (the shape is ours, see
/// docs/configuration.md): `{"tenantId": "...", "issuerPublicUrl": "...",
/// "issuerPrivateUrl": "..."}`, the private URL optional (defaults to the
/// public one). Both must be http(s) URLs and `tenantId`, when present, the
/// tenant asked about; else `ec::upstream_failure`.
caf::expected<tenant_security_context>
parse_tenant_context(std::string_view json, std::string_view tenant_id);

/// Asks the Tenant Manager at `base_url` for the context of `tenant_id`,
/// sending `headers` too (ECR's service token). 404 is `ec::not_found` (no
/// such tenant); other non-200 answers and transport errors are
/// `ec::unavailable`: the caller cannot be authenticated now.
caf::expected<tenant_security_context>
fetch_tenant_context(outbound_http_client& http, std::string_view base_url,
                     std::string_view tenant_id,
                     std::vector<std::string> headers = {});

} // namespace ecr
