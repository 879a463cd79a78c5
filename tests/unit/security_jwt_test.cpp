// Bearer-token verification (A20) with keys made here: RS256 and ES256
// tokens, tampering, algorithm confusion, time and issuer claims, malformed
// tokens, and JWKS documents such as Keycloak publishes.

#include "security/jwt.hpp"

#include "core/error.hpp"
#include "tests/support/jwt_signer.hpp"

#include <gtest/gtest.h>

#include <initializer_list>

namespace ecr {
namespace {

using test::base64url;
using test::jwt_signer;

constexpr int64_t now = 1'700'000'000;
const std::string issuer = "https://auth.test/realms/tenant-1";

std::string str(std::string_view name, std::string_view value) {
  return "\"" + std::string{name} + "\":\"" + std::string{value} + "\"";
}

std::string num(std::string_view name, int64_t value) {
  return "\"" + std::string{name} + "\":" + std::to_string(value);
}

/// A JSON object of members written as `"name":value`.
std::string object(std::initializer_list<std::string> members) {
  std::string out;
  for (const auto& x : members)
    out += (out.empty() ? "{" : ",") + x;
  return out.empty() ? "{}" : out + "}";
}

/// Claims that pass the policy, with `extra` members.
std::string claims(std::initializer_list<std::string> extra = {}) {
  auto out = object({str("iss", issuer), str("sub", "user-1"),
                     num("exp", now + 300)});
  for (const auto& x : extra)
    out.insert(out.size() - 1, "," + x);
  return out;
}

std::vector<std::string> segments(const std::string& token) {
  std::vector<std::string> out{""};
  for (auto c : token)
    if (c == '.')
      out.emplace_back();
    else
      out.back() += c;
  return out;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& x : parts)
    out += (out.empty() ? "" : ".") + x;
  return out;
}

// Key generation is slow (RSA): one key pair of each kind for the suite.
const jwt_signer& rsa() {
  static const jwt_signer signer{jwt_signer::kind::rs256, "rsa-1"};
  return signer;
}

const jwt_signer& ec() {
  static const jwt_signer signer{jwt_signer::kind::es256, "ec-1"};
  return signer;
}

jwk_set keys_of(const std::string& jwks) {
  auto keys = jwk_set::parse(jwks);
  EXPECT_TRUE(keys) << render(keys.error());
  return keys ? *keys : jwk_set{};
}

class core_jwt : public ::testing::Test {
protected:
  caf::expected<jwt_claims> verify(const std::string& token) const {
    return verify_jwt(token, keys_, policy_);
  }

  /// Expects `result` to be a 401 whose message holds `reason` and no part
  /// of `token`.
  template <class T>
  static void expect_rejected(const caf::expected<T>& result,
                              const std::string& token,
                              std::string_view reason) {
    ASSERT_FALSE(result) << "accepted, expected: " << reason;
    EXPECT_EQ(error_code(result.error()), ec::unauthenticated);
    auto message = error_message(result.error());
    EXPECT_NE(message.find(reason), std::string::npos) << message;
    for (const auto& part : segments(token)) {
      if (part.size() >= 8) {
        EXPECT_EQ(message.find(part), std::string::npos) << message;
      }
    }
  }

  void expect_rejected(const std::string& token, std::string_view reason) const {
    expect_rejected(verify(token), token, reason);
  }

  jwk_set keys_ = keys_of(jwt_signer::jwks({&rsa(), &ec()}));
  jwt_policy policy_{issuer, now, 60};
};

TEST_F(core_jwt, rs256_token_verifies_and_its_claims_are_read) {
  auto result = verify(rsa().token(
    claims({str("aud", "ecr"), str("azp", "kaa-frontend"),
            str("preferred_username", "alice"), num("iat", now - 10),
            num("nbf", now - 10)})));
  ASSERT_TRUE(result) << render(result.error());
  EXPECT_EQ(result->issuer, issuer);
  EXPECT_EQ(result->subject, "user-1");
  EXPECT_EQ(result->authorized_party, "kaa-frontend");
  EXPECT_EQ(result->preferred_username, "alice");
  EXPECT_EQ(result->audience, std::vector<std::string>{"ecr"});
  EXPECT_EQ(result->expires_at, now + 300);
  EXPECT_EQ(result->issued_at, now - 10);
  EXPECT_EQ(result->not_before, now - 10);
}

TEST_F(core_jwt, es256_token_verifies_with_an_audience_array) {
  auto result = verify(ec().token(claims({R"("aud":["ecr","account"])"})));
  ASSERT_TRUE(result) << render(result.error());
  EXPECT_EQ(result->audience, (std::vector<std::string>{"ecr", "account"}));
  EXPECT_EQ(result->subject, "user-1");
}

TEST_F(core_jwt, numeric_dates_may_be_doubles) {
  auto payload = object({str("iss", issuer), R"("exp":1700000300.75)",
                         R"("iat":1.7e9)"});
  auto result = verify(rsa().token(payload));
  ASSERT_TRUE(result) << render(result.error());
  EXPECT_EQ(result->expires_at, now + 300);
  EXPECT_EQ(result->issued_at, now);
}

TEST_F(core_jwt, a_tampered_payload_is_rejected) {
  for (const auto* signer : {&rsa(), &ec()}) {
    auto parts = segments(signer->token(claims()));
    parts[1] = base64url(claims({str("preferred_username", "admin")}));
    expect_rejected(joined(parts), "signature does not match");
  }
}

TEST_F(core_jwt, a_tampered_signature_is_rejected) {
  for (const auto* signer : {&rsa(), &ec()}) {
    auto parts = segments(signer->token(claims()));
    // The first character carries six bits of the first byte.
    parts[2][0] = parts[2][0] == 'A' ? 'B' : 'A';
    expect_rejected(joined(parts), "signature does not match");
  }
}

TEST_F(core_jwt, a_signature_in_a_second_encoding_is_rejected) {
  // 64 bytes take 86 characters, the last carrying 4 spare bits: a lax
  // decoder reads the same signature when they are set.
  static constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  auto parts = segments(ec().token(claims()));
  ASSERT_EQ(parts[2].size(), 86u);
  auto& last = parts[2].back();
  ASSERT_EQ(alphabet.find(last) % 16, 0u);
  last = alphabet[alphabet.find(last) + 1];
  expect_rejected(joined(parts), "signature is not base64url");
}

TEST_F(core_jwt, a_signature_by_another_key_with_the_same_kid_is_rejected) {
  jwt_signer impostor{jwt_signer::kind::es256, ec().kid()};
  expect_rejected(impostor.token(claims()), "signature does not match key 'ec-1'");
}

TEST_F(core_jwt, the_header_alg_must_fit_the_key) {
  // An ES256 token naming the RSA key.
  auto header = object({str("alg", "ES256"), str("kid", rsa().kid())});
  expect_rejected(ec().sign(header, claims()), "key 'rsa-1' is not for ES256");
  // An RSA key published for RS512 only.
  keys_ = keys_of(R"({"keys":[{)" + rsa().key_members() + ","
                  + str("kid", rsa().kid()) + "," + str("alg", "RS512") + "}]}");
  expect_rejected(rsa().token(claims()), "key 'rsa-1' is not for RS256");
}

TEST_F(core_jwt, a_jwk_without_alg_or_use_serves_its_type) {
  keys_ = keys_of(R"({"keys":[{)" + rsa().key_members() + ","
                  + str("kid", rsa().kid()) + "}]}");
  auto result = verify(rsa().token(claims()));
  EXPECT_TRUE(result) << render(result.error());
}

TEST_F(core_jwt, algorithms_other_than_rs256_and_es256_are_refused) {
  auto unsigned_token = test::signing_input(
                          object({str("alg", "none"), str("kid", rsa().kid())}),
                          claims())
                        + ".";
  expect_rejected(unsigned_token, "algorithm 'none' is not accepted");
  for (auto alg : {"RS512", "PS256", "ES384", ""}) {
    auto header = object({str("alg", alg), str("kid", rsa().kid())});
    expect_rejected(rsa().sign(header, claims()),
                    "algorithm '" + std::string{alg} + "' is not accepted");
  }
}

TEST_F(core_jwt, hs256_with_the_public_key_as_secret_is_refused) {
  // The classic confusion: an HMAC keyed with the RSA public key, which a
  // verifier taking alg from the token would accept.
  auto input = test::signing_input(
    object({str("alg", "HS256"), str("typ", "JWT"), str("kid", rsa().kid())}),
    claims({str("preferred_username", "admin")}));
  auto forged = input + "."
                + base64url(test::hmac_sha256(rsa().public_pem(), input));
  expect_rejected(forged, "algorithm 'HS256' is not accepted");
}

TEST_F(core_jwt, expiry_is_checked_with_leeway) {
  auto expired_at = [](int64_t exp) {
    return rsa().token(object({str("iss", issuer), num("exp", exp)}));
  };
  expect_rejected(expired_at(now - 61), "expired at 1699999939");
  EXPECT_TRUE(verify(expired_at(now - 60)));
  EXPECT_TRUE(verify(expired_at(now - 1)));
  policy_.leeway_s = 0;
  expect_rejected(expired_at(now - 1), "expired");
  EXPECT_TRUE(verify(expired_at(now)));
}

TEST_F(core_jwt, not_before_is_checked_with_leeway) {
  expect_rejected(rsa().token(claims({num("nbf", now + 61)})),
                  "not yet valid");
  EXPECT_TRUE(verify(rsa().token(claims({num("nbf", now + 60)}))));
  policy_.leeway_s = 0;
  expect_rejected(rsa().token(claims({num("nbf", now + 1)})), "not yet valid");
}

TEST_F(core_jwt, a_missing_expiry_is_rejected) {
  expect_rejected(rsa().token(object({str("iss", issuer), str("sub", "u")})),
                  "no expiry");
}

TEST_F(core_jwt, another_issuer_is_rejected_naming_both) {
  auto token = rsa().token(object({str("iss", "https://auth.test/realms/other"),
                                   num("exp", now + 300)}));
  expect_rejected(token, "issuer 'https://auth.test/realms/other' is not '"
                           + issuer + "'");
}

TEST_F(core_jwt, malformed_tokens_are_rejected_without_quoting_them) {
  auto good = segments(rsa().token(claims()));
  auto with = [&good](size_t index, std::string part) {
    auto parts = good;
    parts[index] = std::move(part);
    return joined(parts);
  };
  std::pair<std::string, std::string_view> cases[] = {
    {"", "not three dot-separated segments"},
    {good[0] + "." + good[1], "not three dot-separated segments"},
    {joined(good) + "." + good[2], "not three dot-separated segments"},
    {with(0, good[0] + "*"), "header is not base64url"},
    {with(0, base64url("{\"alg\":\"RS256\"}") + "="), "header is not base64url"},
    // Five characters: no byte string encodes to a length of 4n + 1.
    {with(0, "e30AA"), "header is not base64url"},
    {with(1, good[1].substr(0, good[1].size() - 1) + "+"),
     "payload is not base64url"},
    {with(2, good[2] + "/"), "signature is not base64url"},
    {with(0, base64url("this is no JSON")), "header is not JSON"},
    {with(0, base64url("[\"RS256\"]")), "header is not a JSON object"},
    {with(0, base64url(object({str("kid", "rsa-1")}))), "header has no alg"},
    {with(0, base64url(R"({"alg":"RS256","kid":7})")), "kid is not a string"},
    {with(1, base64url("{\"iss\":")), "payload is not JSON"},
    {with(1, base64url("\"claims\"")), "payload is not a JSON object"},
    {with(1, base64url("{\"sub\":\"\xC3\x28\"}")), "payload is not JSON"},
    {with(1, base64url(object({str("iss", issuer), str("exp", "tomorrow")}))),
     "claim exp is not a number"},
    {with(1, base64url(claims({R"("nbf":1e300)"}))),
     "claim nbf is not a number"},
    {with(1, base64url(claims({num("aud", 1)}))), "claim aud is neither"},
    {with(1, base64url(claims({R"("aud":["ecr",2])"}))),
     "claim aud is neither"},
    {with(1, base64url(object({num("iss", 1), num("exp", now + 300)}))),
     "claim iss is not a string"},
    // Parsers differ on which duplicate wins (RFC 7515, section 5.2).
    {with(1, base64url(claims({num("exp", now + 86400)}))),
     "payload has member 'exp' twice"},
    {with(0, base64url(R"({"alg":"RS256","alg":"none"})")),
     "header has member 'alg' twice"},
    {rsa().token(claims({str("padding", std::string(max_jwt_size, 'x'))})),
     "longer than 16384 characters"},
  };
  for (const auto& [token, reason] : cases) {
    SCOPED_TRACE(reason);
    expect_rejected(verify(token), token, reason);
    expect_rejected(peek_jwt(token), token, reason);
  }
}

TEST_F(core_jwt, critical_header_extensions_are_refused) {
  auto header = object({str("alg", "RS256"), str("kid", rsa().kid()),
                        R"("crit":["exp"])"});
  expect_rejected(rsa().sign(header, claims()), "critical extensions");
}

TEST_F(core_jwt, an_unknown_kid_is_named) {
  jwt_signer rotated{jwt_signer::kind::es256, "rotated-2"};
  EXPECT_FALSE(keys_.contains("rotated-2"));
  expect_rejected(rotated.token(claims()), "unknown key id (kid) 'rotated-2'");
  keys_ = jwk_set{};
  EXPECT_EQ(keys_.size(), 0u);
  expect_rejected(rsa().token(claims()), "unknown key id (kid) 'rsa-1'");
}

TEST_F(core_jwt, a_token_without_kid_needs_exactly_one_fitting_key) {
  auto header = object({str("alg", "RS256"), str("typ", "JWT")});
  auto token = rsa().sign(header, claims());
  // One RSA key beside one EC key: the choice is clear.
  auto result = verify(token);
  EXPECT_TRUE(result) << render(result.error());
  jwt_signer second{jwt_signer::kind::rs256, "rsa-2"};
  keys_ = keys_of(jwt_signer::jwks({&rsa(), &second}));
  expect_rejected(token, "no key id (kid), and 2 keys fit RS256");
}

TEST_F(core_jwt, an_es256_signature_of_the_wrong_length_is_rejected) {
  auto input = test::signing_input(ec().default_header(), claims());
  auto signature = ec().signature(input);
  ASSERT_EQ(signature.size(), 64u);
  for (auto wrong : {signature + '\0', signature.substr(0, 63),
                     std::string{'\0'} + signature}) {
    expect_rejected(input + "." + base64url(wrong),
                    "ES256 signature is not 64 bytes");
  }
}

TEST_F(core_jwt, peek_reads_header_and_claims_without_keys) {
  auto seen = peek_jwt(ec().token(claims({str("aud", "ecr")})));
  ASSERT_TRUE(seen) << render(seen.error());
  EXPECT_EQ(seen->algorithm, "ES256");
  EXPECT_EQ(seen->key_id, "ec-1");
  EXPECT_EQ(seen->claims.issuer, issuer);
  EXPECT_EQ(seen->claims.audience, std::vector<std::string>{"ecr"});
  // Nothing is judged: an unsigned token is read too.
  auto unsigned_token =
    test::signing_input(object({str("alg", "none")}), claims()) + ".";
  seen = peek_jwt(unsigned_token);
  ASSERT_TRUE(seen) << render(seen.error());
  EXPECT_EQ(seen->algorithm, "none");
  EXPECT_EQ(seen->key_id, "");
}

TEST_F(core_jwt, segments_of_every_length_decode) {
  // Each added character shifts the payload's length by one, through all
  // three base64url tails.
  for (std::string subject; subject.size() < 6; subject += 'x') {
    auto token = rsa().token(object({str("iss", issuer), str("sub", subject),
                                     num("exp", now + 1)}));
    auto result = verify(token);
    ASSERT_TRUE(result) << render(result.error());
    EXPECT_EQ(result->subject, subject);
  }
}

TEST_F(core_jwt, jwks_skips_keys_it_does_not_verify_with) {
  auto jwks = R"({"keys":[)"
              // An HMAC key, an encryption key, a P-384 key: Keycloak
              // publishes such keys beside its signing keys.
              + object({str("kty", "oct"), str("kid", "hmac"),
                        str("k", base64url("secret"))})
              + ",{" + rsa().key_members() + "," + str("kid", "enc") + ","
              + str("use", "enc") + "," + str("alg", "RSA-OAEP") + "},"
              + object({str("kty", "EC"), str("crv", "P-384"), str("kid", "p384"),
                        str("x", base64url(std::string(48, '\1'))),
                        str("y", base64url(std::string(48, '\2')))})
              + "," + rsa().jwk() + "," + ec().jwk() + "]}";
  keys_ = keys_of(jwks);
  EXPECT_EQ(keys_.size(), 2u);
  EXPECT_TRUE(keys_.contains("rsa-1"));
  EXPECT_TRUE(keys_.contains("ec-1"));
  for (auto kid : {"hmac", "enc", "p384"})
    EXPECT_FALSE(keys_.contains(kid)) << kid;
  EXPECT_TRUE(verify(ec().token(claims())));
  // The encryption key never verifies a signature.
  auto header = object({str("alg", "RS256"), str("kid", "enc")});
  expect_rejected(rsa().sign(header, claims()), "unknown key id (kid) 'enc'");
}

TEST_F(core_jwt, broken_jwks_documents_are_upstream_failures) {
  auto ec_key = [](std::string_view x, std::string_view y) {
    return R"({"keys":[)"
           + object({str("kty", "EC"), str("crv", "P-256"), str("kid", "k"),
                     str("x", x), str("y", y)})
           + "]}";
  };
  auto coordinate = base64url(std::string(32, '\1'));
  std::pair<std::string, std::string_view> cases[] = {
    {"<html>login</html>", "not JSON"},
    {"{}", "no \"keys\" array"},
    {R"({"keys":{}})", "no \"keys\" array"},
    {R"([{"keys":[]}])", "no \"keys\" array"},
    {R"({"keys":[1]})", "key 0 is not an object"},
    {R"({"keys":[{"kty":"RSA","kid":"k","e":"AQAB"}]})",
     "key 0 (kid 'k'): RSA key needs base64url members n and e"},
    {R"({"keys":[{"kty":"RSA","kid":"k","n":"AAA=","e":"AQAB"}]})",
     "RSA key needs base64url members n and e"},
    {R"({"keys":[{"kty":"RSA","kid":"k","n":"AAAA","e":"AQAB"}]})",
     "not a valid RSA public key"},
    {R"({"keys":[{"kty":7}]})", "must be strings"},
    {ec_key(base64url(std::string(31, '\1')), coordinate), "32 bytes"},
    {ec_key(coordinate, coordinate), "not a point on P-256"},
  };
  for (const auto& [jwks, reason] : cases) {
    SCOPED_TRACE(jwks);
    auto keys = jwk_set::parse(jwks);
    ASSERT_FALSE(keys);
    EXPECT_EQ(error_code(keys.error()), ec::upstream_failure);
    EXPECT_NE(error_message(keys.error()).find(reason), std::string::npos)
      << render(keys.error());
  }
}

TEST_F(core_jwt, copies_of_a_key_set_share_its_keys) {
  auto copy = keys_;
  keys_ = jwk_set{};
  EXPECT_EQ(copy.size(), 2u);
  EXPECT_TRUE(verify_jwt(rsa().token(claims()), copy, policy_));
}

} // namespace
} // namespace ecr
