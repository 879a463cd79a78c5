#pragma once

#include <caf/expected.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace ecr {

class outbound_http_client;

/// An iamcore resource name:
/// `irn:<account>:<application>:[<tenant>]:[<pool>]:<type>[/<path>...]/<id>`.
/// Every (sub-)token is made of letters, digits and `- _ @ .`; the tenant
/// and the pool may be empty (an account-level object, no resource group).
struct irn {
  std::string account;
  std::string application;
  std::string tenant;
  std::string pool;
  std::string resource_type;
  std::vector<std::string> path;
  std::string id;

  friend bool operator==(const irn&, const irn&) = default;
};

/// Reads an IRN, or the standard (padded) base64 of one, as iamcore may
/// send either. Wildcards are refused: they belong in policies, never in
/// what ECR reads or asks about. `ec::invalid_argument` on anything else.
caf::expected<irn> parse_irn(std::string_view text);

/// The plain IRN string.
std::string to_string(const irn& name);

/// `irn:<account>:<application>:<tenant>::<type>/<id>`, each token checked
/// against the IRN alphabet first, so that iamcore is never asked about a
/// name it would refuse (`ec::invalid_argument`; the tenant may be empty).
caf::expected<std::string> resource_irn(const std::string& account,
                                        const std::string& application,
                                        const std::string& tenant,
                                        const std::string& type,
                                        const std::string& id);

/// The caller's credential header, forwarded to iamcore unchanged.
struct iamcore_credential {
  std::string header_name;
  std::string value;
};

/// Picks the caller's credential from its `Authorization` and
/// `x-iamcore-api-key` header values (empty: absent). `Authorization` comes
/// first and must then be `Bearer <token>` (scheme in any case); without it,
/// the API key. No usable credential is `ec::unauthenticated`; messages
/// never hold the credential.
caf::expected<iamcore_credential>
pick_iamcore_credential(std::string_view authorization, std::string_view api_key);

/// The caller's principal, as iamcore derives it from the credential
/// (`GET <base_url>/api/v1/users/me/irn`; a trailing slash of the base is
/// fine). A refused credential (401 or 403) is `ec::unauthenticated`;
/// anything else that is not a 200 with a principal IRN, unreachable and
/// timeouts included, is `ec::unavailable`. Messages never hold the
/// credential.
caf::expected<irn> authenticate_principal(outbound_http_client& http,
                                          const std::string& base_url,
                                          const iamcore_credential& credential);

/// Whether the caller may do `action` on every one of `resource_irns`
/// (`POST <base_url>/api/v1/evaluate`, all or nothing): 200 is true, 403
/// false. A credential refused meanwhile (401) is `ec::unauthenticated`;
/// no IRNs, or an action or IRN iamcore would refuse, is
/// `ec::invalid_argument` before anything is sent; every other outcome is
/// `ec::unavailable`, a 400 included (the request was checked, so that is
/// ECR's fault, and nothing is allowed on doubt). Messages never hold the
/// credential.
caf::expected<bool> evaluate(outbound_http_client& http,
                             const std::string& base_url,
                             const iamcore_credential& credential,
                             const std::string& action,
                             const std::vector<std::string>& resource_irns);

} // namespace ecr
