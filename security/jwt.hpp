#pragma once

#include <caf/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ecr {

/// The registered claims ECR reads from an access token (A20).
struct jwt_claims {
  /// iss
  std::string issuer;
  /// sub
  std::string subject;
  /// azp
  std::string authorized_party;
  /// preferred_username
  std::string preferred_username;
  /// aud, given as a string or an array of strings.
  std::vector<std::string> audience;
  /// exp, in seconds since the epoch; 0 if absent.
  int64_t expires_at = 0;
  /// nbf; 0 if absent.
  int64_t not_before = 0;
  /// iat; 0 if absent.
  int64_t issued_at = 0;
};

/// What can be read from a token before its signature is checked: enough to
/// pick the issuer (with multitenancy the realm is the last path segment of
/// `iss`) and its key. Nothing here is trustworthy yet.
struct unverified_jwt {
  /// The header's `alg`.
  std::string algorithm;
  /// The header's `kid`; empty if absent.
  std::string key_id;
  jwt_claims claims;
};

/// What `verify_jwt` requires beyond a good signature.
struct jwt_policy {
  /// The required `iss`, compared exactly.
  std::string issuer;
  /// The current time, in seconds since the epoch.
  int64_t now_s = 0;
  /// Clock skew tolerated on `exp` and `nbf`.
  int64_t leeway_s = 60;
};

/// Tokens longer than this are refused before anything is decoded.
constexpr size_t max_jwt_size = 16 * 1024;

/// The public keys of an issuer, parsed from its JWKS document
/// (`{"keys":[...]}`), by `kid`. Cheap to copy; immutable, so safe to share
/// across threads.
class jwk_set {
public:
  /// An empty set: verifies nothing.
  jwk_set();

  /// Reads RSA keys and EC P-256 keys. Keys of other types or curves, and
  /// keys whose `use` is not "sig", are skipped: issuers such as Keycloak
  /// publish encryption and HMAC keys beside their signing keys. A document
  /// that is not JSON, has no `keys` array, or holds a malformed RSA or EC
  /// key fails with `ec::upstream_failure`, since it came from the issuer.
  static caf::expected<jwk_set> parse(std::string_view jwks_json);

  /// Whether a usable key has this `kid`; when a token names a key that is
  /// not here, the caller may fetch the document again (keys rotate).
  bool contains(std::string_view kid) const;

  /// How many usable keys the set holds.
  size_t size() const noexcept;

  /// Opaque to callers.
  struct impl;

private:
  explicit jwk_set(std::shared_ptr<const impl> keys);

  friend caf::expected<jwt_claims>
  verify_jwt(std::string_view token, const jwk_set& keys,
             const jwt_policy& policy);

  std::shared_ptr<const impl> impl_;
};

/// Reads the header and claims of a compact JWS without checking its
/// signature. Tokens are three base64url segments without padding, of at
/// most `max_jwt_size` characters, whose header and payload are JSON
/// objects without duplicate member names and without `crit`; anything else
/// fails with `ec::unauthenticated`. Error messages never quote the token.
caf::expected<unverified_jwt> peek_jwt(std::string_view token);

/// Checks the signature of `token` (RS256 or ES256 only, with the key of
/// its `kid`; a token without `kid` needs exactly one key that fits its
/// algorithm), then `exp` (required) and `nbf` (if present) within the
/// leeway, then `iss`. Every failure is `ec::unauthenticated`; an unknown
/// `kid` is named in the message.
caf::expected<jwt_claims> verify_jwt(std::string_view token,
                                     const jwk_set& keys,
                                     const jwt_policy& policy);

} // namespace ecr
