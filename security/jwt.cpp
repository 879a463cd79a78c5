#include "security/jwt.hpp"

#include "core/error.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <tuple>
#include <utility>

namespace ecr {

namespace {

// -- OpenSSL handles ----------------------------------------------------------

template <auto Free>
struct free_with {
  template <class T>
  void operator()(T* x) const noexcept {
    Free(x);
  }
};

using pkey_ptr = std::unique_ptr<EVP_PKEY, free_with<EVP_PKEY_free>>;
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, free_with<EVP_PKEY_CTX_free>>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, free_with<EVP_MD_CTX_free>>;
using bn_ptr = std::unique_ptr<BIGNUM, free_with<BN_free>>;
using param_bld_ptr = std::unique_ptr<OSSL_PARAM_BLD, free_with<OSSL_PARAM_BLD_free>>;
using params_ptr = std::unique_ptr<OSSL_PARAM, free_with<OSSL_PARAM_free>>;
using ecdsa_sig_ptr = std::unique_ptr<ECDSA_SIG, free_with<ECDSA_SIG_free>>;

const unsigned char* bytes(std::string_view x) noexcept {
  return reinterpret_cast<const unsigned char*>(x.data());
}

bn_ptr big_number(std::string_view big_endian) {
  return bn_ptr{BN_bin2bn(bytes(big_endian), static_cast<int>(big_endian.size()),
                          nullptr)};
}

// -- Algorithms ---------------------------------------------------------------

/// The JWS algorithms ECR accepts; everything else (none, HS256, ...) is
/// refused before a key is looked at, which rules out algorithm confusion.
enum class jws_algorithm { rs256, es256 };

std::string_view to_string(jws_algorithm x) noexcept {
  return x == jws_algorithm::rs256 ? "RS256" : "ES256";
}

std::optional<jws_algorithm> algorithm_named(std::string_view name) noexcept {
  if (name == "RS256")
    return jws_algorithm::rs256;
  if (name == "ES256")
    return jws_algorithm::es256;
  return std::nullopt;
}

/// Bytes in each of R and S of a P-256 signature, and in each coordinate.
constexpr size_t p256_size = 32;

// -- Encoding -----------------------------------------------------------------

int sextet(char c) noexcept {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '-')
    return 62;
  if (c == '_')
    return 63;
  return -1;
}

/// base64url without padding (RFC 7515, section 2), read strictly: padding,
/// characters outside the URL-safe alphabet and non-zero spare bits are
/// refused, so every byte string has exactly one encoding and no token can
/// be altered without altering what it decodes to.
std::optional<std::string> decode_base64url(std::string_view text) {
  if (text.size() % 4 == 1)
    return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t bits = 0;
  int pending = 0;
  for (auto c : text) {
    auto value = sextet(c);
    if (value < 0)
      return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    pending += 6;
    if (pending >= 8) {
      pending -= 8;
      out.push_back(static_cast<char>((bits >> pending) & 0xFF));
    }
  }
  if ((bits & ((1u << pending) - 1)) != 0)
    return std::nullopt;
  return out;
}

/// A value from a token or key set, fit for a message: bounded, printable.
std::string quoted(std::string_view text) {
  constexpr size_t max_shown = 128;
  std::string out = "'";
  for (auto c : text.substr(0, max_shown))
    out += c >= 0x20 && c < 0x7F ? c : '?';
  if (text.size() > max_shown)
    out += "...";
  return out + "'";
}

// -- JSON ---------------------------------------------------------------------

using json_value = rapidjson::Value;

/// Iterative, so hostile nesting cannot exhaust the stack; claims end up in
/// logs and JSON, so they must be valid UTF-8.
constexpr unsigned parse_flags = rapidjson::kParseIterativeFlag
                                 | rapidjson::kParseValidateEncodingFlag;

const json_value* member(const json_value& object, const char* name) {
  auto i = object.FindMember(name);
  return i == object.MemberEnd() ? nullptr : &i->value;
}

/// A member name that `object` holds twice, if any. RapidJSON finds the
/// first of duplicates where other parsers take the last, so a token with
/// duplicates could mean different things to ECR and to its issuer.
std::optional<std::string_view> duplicate_member(const json_value& object) {
  std::vector<std::string_view> names;
  names.reserve(object.MemberCount());
  for (const auto& x : object.GetObject())
    names.emplace_back(x.name.GetString(), x.name.GetStringLength());
  std::sort(names.begin(), names.end());
  auto i = std::adjacent_find(names.begin(), names.end());
  if (i == names.end())
    return std::nullopt;
  return *i;
}

/// Reads the string member `name` into `out`, which stays as it is when the
/// member is absent; false when the member is not a string.
bool read_string(const json_value& object, const char* name, std::string& out) {
  auto value = member(object, name);
  if (!value)
    return true;
  if (!value->IsString())
    return false;
  out.assign(value->GetString(), value->GetStringLength());
  return true;
}

/// A NumericDate (RFC 7519): an integer or a double, whole seconds taken.
std::optional<int64_t> seconds(const json_value& value) {
  if (value.IsInt64())
    return value.GetInt64();
  if (!value.IsDouble())
    return std::nullopt;
  // Both bounds are exactly representable and within int64_t.
  constexpr double limit = 9.0e18;
  auto x = value.GetDouble();
  if (!std::isfinite(x) || x < -limit || x > limit)
    return std::nullopt;
  return static_cast<int64_t>(std::floor(x));
}

/// `aud` is a string or an array of strings (RFC 7519, section 4.1.3).
bool read_audience(const json_value& object, std::vector<std::string>& out) {
  auto value = member(object, "aud");
  if (!value)
    return true;
  if (value->IsString()) {
    out.emplace_back(value->GetString(), value->GetStringLength());
    return true;
  }
  if (!value->IsArray())
    return false;
  for (const auto& item : value->GetArray()) {
    if (!item.IsString())
      return false;
    out.emplace_back(item.GetString(), item.GetStringLength());
  }
  return true;
}

// -- Keys ---------------------------------------------------------------------

struct jwk {
  /// Empty when the JWK has none.
  std::string kid;
  /// The one algorithm its type and curve allow.
  jws_algorithm type;
  /// The JWK's own `alg`; empty when absent.
  std::string declared;
  std::shared_ptr<EVP_PKEY> key;

  bool fits(jws_algorithm alg) const noexcept {
    return type == alg && (declared.empty() || declared == to_string(alg));
  }
};

caf::error bad_jwks(std::string reason) {
  return make_error(ec::upstream_failure, "JWKS: " + reason);
}

/// A public key of `type` from `params`, checked for consistency (an RSA
/// modulus that is even, an EC point off the curve...).
pkey_ptr public_key(const char* type, OSSL_PARAM_BLD* builder) {
  params_ptr params{OSSL_PARAM_BLD_to_param(builder)};
  pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr)};
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0
      || EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get())
           <= 0) {
    ERR_clear_error();
    return nullptr;
  }
  pkey_ptr key{raw};
  pkey_ctx_ptr check{EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr)};
  if (!check || EVP_PKEY_public_check(check.get()) <= 0) {
    ERR_clear_error();
    return nullptr;
  }
  return key;
}

/// The decoded bytes of member `name` (a Base64urlUInt or coordinate);
/// nullopt when absent, empty or not base64url.
std::optional<std::string> key_bytes(const json_value& object, const char* name) {
  std::string text;
  if (!read_string(object, name, text) || text.empty())
    return std::nullopt;
  return decode_base64url(text);
}

caf::expected<pkey_ptr> rsa_key(const json_value& object,
                                const std::string& where) {
  auto n = key_bytes(object, "n");
  auto e = key_bytes(object, "e");
  if (!n || !e)
    return bad_jwks(where + ": RSA key needs base64url members n and e");
  auto modulus = big_number(*n);
  auto exponent = big_number(*e);
  param_bld_ptr builder{OSSL_PARAM_BLD_new()};
  pkey_ptr key;
  if (modulus && exponent && builder
      && OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N,
                                modulus.get())
      && OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E,
                                exponent.get()))
    key = public_key("RSA", builder.get());
  if (!key)
    return bad_jwks(where + ": not a valid RSA public key");
  return key;
}

caf::expected<pkey_ptr> ec_key(const json_value& object,
                               const std::string& where) {
  auto x = key_bytes(object, "x");
  auto y = key_bytes(object, "y");
  if (!x || !y || x->size() != p256_size || y->size() != p256_size)
    return bad_jwks(where + ": P-256 key needs base64url members x and y of "
                    + std::to_string(p256_size) + " bytes");
  // The uncompressed SEC1 point: 0x04 || X || Y.
  auto point = "\x04" + *x + *y;
  param_bld_ptr builder{OSSL_PARAM_BLD_new()};
  pkey_ptr key;
  if (builder
      && OSSL_PARAM_BLD_push_utf8_string(builder.get(),
                                         OSSL_PKEY_PARAM_GROUP_NAME,
                                         SN_X9_62_prime256v1, 0)
      && OSSL_PARAM_BLD_push_octet_string(builder.get(),
                                          OSSL_PKEY_PARAM_PUB_KEY,
                                          point.data(), point.size()))
    key = public_key("EC", builder.get());
  if (!key)
    return bad_jwks(where + ": not a point on P-256");
  return key;
}

/// Adds the key `object` describes to `out`, unless it is of a kind ECR does
/// not verify with (other types and curves, encryption keys).
caf::error add_jwk(const json_value& object, size_t index,
                   std::vector<jwk>& out) {
  auto where = "key " + std::to_string(index);
  if (!object.IsObject())
    return bad_jwks(where + " is not an object");
  std::string kty;
  std::string crv;
  std::string use;
  jwk result;
  if (!read_string(object, "kty", kty) || !read_string(object, "crv", crv)
      || !read_string(object, "use", use)
      || !read_string(object, "kid", result.kid)
      || !read_string(object, "alg", result.declared))
    return bad_jwks(where + ": kty, crv, use, kid and alg must be strings");
  if (!result.kid.empty())
    where += " (kid " + quoted(result.kid) + ")";
  bool rsa = kty == "RSA";
  bool p256 = kty == "EC" && crv == "P-256";
  if (!(rsa || p256) || !(use.empty() || use == "sig"))
    return caf::none;
  auto key = rsa ? rsa_key(object, where) : ec_key(object, where);
  if (!key)
    return std::move(key.error());
  result.type = rsa ? jws_algorithm::rs256 : jws_algorithm::es256;
  result.key = std::move(*key);
  out.push_back(std::move(result));
  return caf::none;
}

// -- Tokens -------------------------------------------------------------------

caf::error rejected(std::string reason) {
  return make_error(ec::unauthenticated, "invalid bearer token: " + reason);
}

/// A token taken apart, nothing checked but its form.
struct parsed_jwt {
  unverified_jwt visible;
  bool has_exp = false;
  bool has_nbf = false;
  /// What the signature covers: the first two segments as sent.
  std::string_view signing_input;
  std::string signature;
};

caf::error decode_object(std::string_view segment, const char* what,
                         rapidjson::Document& doc) {
  auto text = decode_base64url(segment);
  if (!text)
    return rejected(std::string{what} + " is not base64url");
  doc.Parse<parse_flags>(text->data(), text->size());
  if (doc.HasParseError())
    return rejected(std::string{what} + " is not JSON: "
                    + rapidjson::GetParseError_En(doc.GetParseError()));
  if (!doc.IsObject())
    return rejected(std::string{what} + " is not a JSON object");
  if (auto name = duplicate_member(doc))
    return rejected(std::string{what} + " has member " + quoted(*name)
                    + " twice");
  return caf::none;
}

caf::error read_header(const json_value& header, unverified_jwt& out) {
  if (!member(header, "alg") || !read_string(header, "alg", out.algorithm))
    return rejected("header has no alg string");
  if (!read_string(header, "kid", out.key_id))
    return rejected("header kid is not a string");
  // RFC 7515, section 4.1.11: extensions marked critical must be understood,
  // and ECR understands none.
  if (member(header, "crit"))
    return rejected("header names critical extensions (crit)");
  return caf::none;
}

caf::error read_claims(const json_value& payload, parsed_jwt& out) {
  auto& claims = out.visible.claims;
  std::pair<const char*, std::string*> texts[] = {
    {"iss", &claims.issuer},
    {"sub", &claims.subject},
    {"azp", &claims.authorized_party},
    {"preferred_username", &claims.preferred_username},
  };
  for (auto [name, field] : texts)
    if (!read_string(payload, name, *field))
      return rejected(std::string{"claim "} + name + " is not a string");
  if (!read_audience(payload, claims.audience))
    return rejected("claim aud is neither a string nor an array of strings");
  std::tuple<const char*, int64_t*, bool*> times[] = {
    {"exp", &claims.expires_at, &out.has_exp},
    {"nbf", &claims.not_before, &out.has_nbf},
    {"iat", &claims.issued_at, nullptr},
  };
  for (auto [name, field, present] : times) {
    auto value = member(payload, name);
    if (!value)
      continue;
    auto x = seconds(*value);
    if (!x)
      return rejected(std::string{"claim "} + name
                      + " is not a number of seconds");
    *field = *x;
    if (present)
      *present = true;
  }
  return caf::none;
}

caf::expected<parsed_jwt> parse_jwt(std::string_view token) {
  if (token.size() > max_jwt_size)
    return rejected("longer than " + std::to_string(max_jwt_size)
                    + " characters");
  auto first = token.find('.');
  auto second = first == token.npos ? token.npos : token.find('.', first + 1);
  if (second == token.npos || token.find('.', second + 1) != token.npos)
    return rejected("not three dot-separated segments");
  parsed_jwt result;
  rapidjson::Document header;
  if (auto err = decode_object(token.substr(0, first), "header", header))
    return err;
  if (auto err = read_header(header, result.visible))
    return err;
  rapidjson::Document payload;
  if (auto err = decode_object(token.substr(first + 1, second - first - 1),
                               "payload", payload))
    return err;
  if (auto err = read_claims(payload, result))
    return err;
  auto signature = decode_base64url(token.substr(second + 1));
  if (!signature)
    return rejected("signature is not base64url");
  result.signature = std::move(*signature);
  result.signing_input = token.substr(0, second);
  return result;
}

/// The key that must have signed a token of `alg` naming `kid`.
caf::expected<const jwk*> select_key(const std::vector<jwk>& keys,
                                     jws_algorithm alg,
                                     const std::string& kid) {
  auto fits = [alg](const jwk& x) { return x.fits(alg); };
  if (kid.empty()) {
    // Without a kid the choice must not be ours to guess.
    auto count = std::count_if(keys.begin(), keys.end(), fits);
    if (count != 1)
      return rejected("no key id (kid), and " + std::to_string(count)
                      + " keys fit " + std::string{to_string(alg)});
    return &*std::find_if(keys.begin(), keys.end(), fits);
  }
  auto named = [&kid](const jwk& x) { return x.kid == kid; };
  if (std::none_of(keys.begin(), keys.end(), named))
    return rejected("unknown key id (kid) " + quoted(kid));
  auto match = std::find_if(keys.begin(), keys.end(), [&](const jwk& x) {
    return named(x) && fits(x);
  });
  if (match == keys.end())
    return rejected("key " + quoted(kid) + " is not for "
                    + std::string{to_string(alg)});
  return &*match;
}

/// JWS carries ES256 signatures as R || S (RFC 7518, section 3.4); OpenSSL
/// verifies the DER form.
std::optional<std::string> es256_der(std::string_view raw) {
  if (raw.size() != 2 * p256_size)
    return std::nullopt;
  ecdsa_sig_ptr sig{ECDSA_SIG_new()};
  auto r = big_number(raw.substr(0, p256_size));
  auto s = big_number(raw.substr(p256_size));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1)
    return std::nullopt;
  // Owned by `sig` from here on.
  r.release();
  s.release();
  auto size = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (size <= 0)
    return std::nullopt;
  std::string der(static_cast<size_t>(size), '\0');
  auto* cursor = reinterpret_cast<unsigned char*>(der.data());
  i2d_ECDSA_SIG(sig.get(), &cursor);
  return der;
}

caf::error check_signature(const jwk& key, jws_algorithm alg,
                           const parsed_jwt& token) {
  std::string der;
  std::string_view signature = token.signature;
  if (alg == jws_algorithm::es256) {
    auto converted = es256_der(token.signature);
    if (!converted)
      return rejected("ES256 signature is not "
                      + std::to_string(2 * p256_size) + " bytes");
    der = std::move(*converted);
    signature = der;
  }
  md_ctx_ptr ctx{EVP_MD_CTX_new()};
  // RS256 is PKCS #1 v1.5, OpenSSL's default padding for RSA.
  bool valid = ctx
               && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(),
                                       nullptr, key.key.get())
                    == 1
               && EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(),
                                   bytes(token.signing_input),
                                   token.signing_input.size())
                    == 1;
  // A failed verification leaves reasons on this thread's error queue.
  ERR_clear_error();
  if (!valid)
    return rejected("signature does not match key "
                    + quoted(token.visible.key_id));
  return caf::none;
}

caf::error check_claims(const parsed_jwt& token, const jwt_policy& policy) {
  const auto& claims = token.visible.claims;
  if (!token.has_exp)
    return rejected("no expiry (exp)");
  // Arithmetic only on the policy's values: claims may be near the limits.
  if (claims.expires_at < policy.now_s - policy.leeway_s)
    return rejected("expired at " + std::to_string(claims.expires_at)
                    + " (now " + std::to_string(policy.now_s) + ")");
  if (token.has_nbf && claims.not_before > policy.now_s + policy.leeway_s)
    return rejected("not yet valid: not before "
                    + std::to_string(claims.not_before) + " (now "
                    + std::to_string(policy.now_s) + ")");
  if (claims.issuer != policy.issuer)
    return rejected("issuer " + quoted(claims.issuer) + " is not "
                    + quoted(policy.issuer));
  return caf::none;
}

} // namespace

struct jwk_set::impl {
  std::vector<jwk> keys;
};

jwk_set::jwk_set() : impl_(std::make_shared<impl>()) {
  // nop
}

jwk_set::jwk_set(std::shared_ptr<const impl> keys) : impl_(std::move(keys)) {
  // nop
}

caf::expected<jwk_set> jwk_set::parse(std::string_view jwks_json) {
  rapidjson::Document doc;
  doc.Parse<parse_flags>(jwks_json.data(), jwks_json.size());
  if (doc.HasParseError())
    return bad_jwks(std::string{"not JSON: "}
                    + rapidjson::GetParseError_En(doc.GetParseError()));
  const json_value* keys = doc.IsObject() ? member(doc, "keys") : nullptr;
  if (!keys || !keys->IsArray())
    return bad_jwks("no \"keys\" array");
  auto result = std::make_shared<impl>();
  size_t index = 0;
  for (const auto& object : keys->GetArray())
    if (auto err = add_jwk(object, index++, result->keys))
      return err;
  return jwk_set{std::move(result)};
}

bool jwk_set::contains(std::string_view kid) const {
  return std::any_of(impl_->keys.begin(), impl_->keys.end(),
                     [kid](const jwk& x) { return x.kid == kid; });
}

size_t jwk_set::size() const noexcept {
  return impl_->keys.size();
}

caf::expected<unverified_jwt> peek_jwt(std::string_view token) {
  auto parsed = parse_jwt(token);
  if (!parsed)
    return std::move(parsed.error());
  return std::move(parsed->visible);
}

caf::expected<jwt_claims> verify_jwt(std::string_view token,
                                     const jwk_set& keys,
                                     const jwt_policy& policy) {
  auto parsed = parse_jwt(token);
  if (!parsed)
    return std::move(parsed.error());
  const auto& header = parsed->visible;
  auto alg = algorithm_named(header.algorithm);
  if (!alg)
    return rejected("algorithm " + quoted(header.algorithm)
                    + " is not accepted (RS256 and ES256 only)");
  auto key = select_key(keys.impl_->keys, *alg, header.key_id);
  if (!key)
    return std::move(key.error());
  if (auto err = check_signature(**key, *alg, *parsed))
    return err;
  if (auto err = check_claims(*parsed, policy))
    return err;
  return std::move(parsed->visible.claims);
}

} // namespace ecr
