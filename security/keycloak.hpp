#pragma once

#include "security/jwt.hpp"

#include <caf/expected.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ecr {

class outbound_http_client;

/// `application/x-www-form-urlencoded` of `fields`, in order: every byte but
/// the RFC 3986 unreserved characters (letters, digits, `-._~`) is
/// percent-encoded, space included.
std::string
form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

/// The issuer's signing keys, from
/// `{issuer_url}/protocol/openid-connect/certs` (a trailing slash of the
/// issuer is fine). A non-200 answer or a document `jwk_set::parse` refuses
/// is `ec::upstream_failure`; transport errors are the HTTP client's.
caf::expected<jwk_set> fetch_jwks(outbound_http_client& http,
                                  const std::string& issuer_url);

/// Whether the caller whose (already verified) access token is
/// `caller_token` may use `permission` ("<resource>#<scope>", spec 9.1), as
/// Keycloak decides for the resource server `audience` (ECR's client id):
/// a UMA grant in decision mode. Denied (403) is false, and so is a
/// resource or scope Keycloak does not know (400 `invalid_resource` or
/// `invalid_scope`); Keycloak refusing the token (401) is
/// `ec::unauthenticated`; anything else, unreachable included, is
/// `ec::unavailable`: nothing is allowed on doubt. Messages never hold the
/// token.
caf::expected<bool> uma_decision(outbound_http_client& http,
                                 const std::string& issuer_url,
                                 const std::string& audience,
                                 const std::string& caller_token,
                                 const std::string& permission);

/// An access token of ECR's own, for its outbound calls.
struct service_token {
  std::string access_token;
  /// Lifetime from issue, as Keycloak states it.
  int64_t expires_in_s = 0;
};

/// A token for ECR's client from the issuer's token endpoint: the client
/// credentials grant, the client authenticated with HTTP Basic (RFC 6749
/// 2.3.1). Refused credentials (400 or 401) are `ec::unauthenticated`, 503
/// is `ec::unavailable`; other answers, and a 200 without a usable
/// `access_token` and a positive `expires_in`, are `ec::upstream_failure`;
/// transport errors are the HTTP client's. Messages never hold the secret or
/// a token.
caf::expected<service_token>
client_credentials_token(outbound_http_client& http, const std::string& issuer_url,
                         const std::string& client_id,
                         const std::string& client_secret);

} // namespace ecr
