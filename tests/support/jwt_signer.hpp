#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct evp_pkey_st;

namespace ecr::test {

/// base64url without padding, as in JWS.
std::string base64url(std::string_view bytes);

/// The raw HMAC-SHA256 of `data` under `key`, to forge HS256 tokens.
std::string hmac_sha256(std::string_view key, std::string_view data);

/// An issuer's signing key made here: RSA-2048 for RS256 or EC P-256 for
/// ES256. Mints tokens and publishes its public key as a JWK, for unit tests
/// and for the JWKS an end-to-end test serves.
class jwt_signer {
public:
  enum class kind { rs256, es256 };

  /// A fresh key pair. Records a test failure if OpenSSL cannot make it.
  jwt_signer(kind type, std::string kid);

  const std::string& kid() const noexcept {
    return kid_;
  }

  /// "RS256" or "ES256".
  std::string alg() const;

  /// The members that carry the public key, without braces:
  /// `"kty":"RSA","n":...,"e":...` or `"kty":"EC","crv":"P-256","x":...,"y":...`;
  /// for composing JWKs with other `kid`, `alg` or `use`.
  std::string key_members() const;

  /// The public key as a JWK object with kid, alg and use "sig".
  std::string jwk() const;

  /// The public key as PEM (SubjectPublicKeyInfo), the text an attacker
  /// would use as an HMAC secret.
  std::string public_pem() const;

  /// `{"alg":<alg>,"typ":"JWT","kid":<kid>}`.
  std::string default_header() const;

  /// A compact JWS of `payload_json` under the default header.
  std::string token(const std::string& payload_json) const;

  /// A compact JWS of `payload_json` under `header_json` as given (to forge
  /// alg none, a wrong kid...), signed with this key in its own algorithm.
  std::string sign(const std::string& header_json,
                   const std::string& payload_json) const;

  /// The JWS signature of `input`: PKCS #1 v1.5 for RS256, R || S for ES256.
  std::string signature(std::string_view input) const;

  /// A JWKS document holding the JWKs of `signers`.
  static std::string jwks(const std::vector<const jwt_signer*>& signers);

private:
  kind type_;
  std::string kid_;
  std::shared_ptr<evp_pkey_st> key_;
};

/// `base64url(header).base64url(payload)`, the part a JWS signature covers.
std::string signing_input(std::string_view header_json,
                          std::string_view payload_json);

} // namespace ecr::test
