#include "tests/support/jwt_signer.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <gtest/gtest.h>

#include <cstdint>

namespace ecr::test {

namespace {

constexpr size_t p256_size = 32;

const unsigned char* bytes(std::string_view x) noexcept {
  return reinterpret_cast<const unsigned char*>(x.data());
}

/// The key's parameter `name` as big-endian bytes, left-padded with zeros
/// to `width` when given.
std::string big_endian(EVP_PKEY* key, const char* name, size_t width = 0) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) {
    ADD_FAILURE() << "cannot read key parameter " << name;
    return {};
  }
  std::unique_ptr<BIGNUM, decltype(&BN_free)> value{raw, BN_free};
  std::string out(width == 0 ? static_cast<size_t>(BN_num_bytes(value.get())) : width,
                  '\0');
  BN_bn2binpad(value.get(), reinterpret_cast<unsigned char*>(out.data()),
               static_cast<int>(out.size()));
  return out;
}

std::string member(std::string_view name, std::string_view value) {
  return "\"" + std::string{name} + "\":\"" + std::string{value} + "\"";
}

/// OpenSSL's DER ECDSA signature as JWS wants it: R || S, 32 bytes each.
std::string raw_ecdsa(std::string_view der) {
  auto* cursor = bytes(der);
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig{
    d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())),
    ECDSA_SIG_free};
  if (!sig) {
    ADD_FAILURE() << "OpenSSL made an unreadable ECDSA signature";
    return {};
  }
  std::string out(2 * p256_size, '\0');
  auto* target = reinterpret_cast<unsigned char*>(out.data());
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), target, p256_size);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), target + p256_size, p256_size);
  return out;
}

} // namespace

std::string base64url(std::string_view bytes) {
  static constexpr char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t bits = 0;
  int pending = 0;
  for (auto c : bytes) {
    bits = (bits << 8) | static_cast<unsigned char>(c);
    pending += 8;
    while (pending >= 6) {
      pending -= 6;
      out += alphabet[(bits >> pending) & 63];
    }
  }
  if (pending > 0)
    out += alphabet[(bits << (6 - pending)) & 63];
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            bytes(data), data.size(), out, &size))
    ADD_FAILURE() << "HMAC failed";
  return {reinterpret_cast<char*>(out), size};
}

std::string signing_input(std::string_view header_json,
                          std::string_view payload_json) {
  return base64url(header_json) + "." + base64url(payload_json);
}

jwt_signer::jwt_signer(kind type, std::string kid)
  : type_(type), kid_(std::move(kid)) {
  auto* key = type == kind::rs256 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
  if (!key)
    ADD_FAILURE() << "cannot generate a key pair";
  key_.reset(key, EVP_PKEY_free);
}

std::string jwt_signer::alg() const {
  return type_ == kind::rs256 ? "RS256" : "ES256";
}

std::string jwt_signer::key_members() const {
  if (type_ == kind::rs256)
    return member("kty", "RSA") + ","
           + member("n", base64url(big_endian(key_.get(), OSSL_PKEY_PARAM_RSA_N)))
           + ","
           + member("e", base64url(big_endian(key_.get(), OSSL_PKEY_PARAM_RSA_E)));
  return member("kty", "EC") + "," + member("crv", "P-256") + ","
         + member("x", base64url(big_endian(key_.get(), OSSL_PKEY_PARAM_EC_PUB_X,
                                            p256_size)))
         + ","
         + member("y", base64url(big_endian(key_.get(), OSSL_PKEY_PARAM_EC_PUB_Y,
                                            p256_size)));
}

std::string jwt_signer::jwk() const {
  return "{" + member("kid", kid_) + "," + member("alg", alg()) + ","
         + member("use", "sig") + "," + key_members() + "}";
}

std::string jwt_signer::public_pem() const {
  std::unique_ptr<BIO, decltype(&BIO_free)> out{BIO_new(BIO_s_mem()), BIO_free};
  if (!out || PEM_write_bio_PUBKEY(out.get(), key_.get()) != 1) {
    ADD_FAILURE() << "cannot write the public key as PEM";
    return {};
  }
  char* data = nullptr;
  auto size = BIO_get_mem_data(out.get(), &data);
  return {data, static_cast<size_t>(size)};
}

std::string jwt_signer::default_header() const {
  return "{" + member("alg", alg()) + "," + member("typ", "JWT") + ","
         + member("kid", kid_) + "}";
}

std::string jwt_signer::token(const std::string& payload_json) const {
  return sign(default_header(), payload_json);
}

std::string jwt_signer::sign(const std::string& header_json,
                             const std::string& payload_json) const {
  auto input = signing_input(header_json, payload_json);
  return input + "." + base64url(signature(input));
}

std::string jwt_signer::signature(std::string_view input) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(),
                                                              EVP_MD_CTX_free};
  // One call with room for the largest signature: asking for the size
  // first would need a second context.
  std::string out(static_cast<size_t>(EVP_PKEY_get_size(key_.get())), '\0');
  auto size = out.size();
  if (!ctx
      || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                            key_.get())
           != 1
      || EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()),
                        &size, bytes(input), input.size())
           != 1) {
    ADD_FAILURE() << "cannot sign with the " << alg() << " key";
    return {};
  }
  out.resize(size);
  return type_ == kind::rs256 ? out : raw_ecdsa(out);
}

std::string jwt_signer::jwks(const std::vector<const jwt_signer*>& signers) {
  std::string keys;
  for (const auto* signer : signers)
    keys += (keys.empty() ? "" : ",") + signer->jwk();
  return R"({"keys":[)" + keys + "]}";
}

} // namespace ecr::test
