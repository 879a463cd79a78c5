#include "tests/support/license_files.hpp"

#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <memory>

namespace ecr::test {

namespace {

constexpr int64_t day_s = 24 * 60 * 60;

} // namespace

void write_license(const std::string& path, const std::string& password,
                   long from_days, long to_days, license_encryption with) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{EVP_EC_gen("P-256"),
                                                          EVP_PKEY_free};
  ASSERT_TRUE(key);
  std::unique_ptr<X509, decltype(&X509_free)> cert{X509_new(), X509_free};
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), from_days * day_s);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), to_days * day_s);
  X509_set_pubkey(cert.get(), key.get());
  auto* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Kaa test license"),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  ASSERT_GT(X509_sign(cert.get(), key.get(), EVP_sha256()), 0);
  // Older tools wrote RC2 and 3DES: OpenSSL 3 has them in its legacy provider.
  bool legacy = with == license_encryption::legacy;
  if (legacy) {
    ASSERT_TRUE(OSSL_PROVIDER_load(nullptr, "legacy"));
  }
  std::unique_ptr<PKCS12, decltype(&PKCS12_free)> p12{
    PKCS12_create(password.c_str(), "license", key.get(), cert.get(), nullptr,
                  legacy ? NID_pbe_WithSHA1And3_Key_TripleDES_CBC : 0,
                  legacy ? NID_pbe_WithSHA1And40BitRC2_CBC : 0, 0, 0, 0),
    PKCS12_free};
  ASSERT_TRUE(p12);
  auto* out = std::fopen(path.c_str(), "wb");
  ASSERT_TRUE(out);
  EXPECT_EQ(i2d_PKCS12_fp(out, p12.get()), 1);
  std::fclose(out);
}

} // namespace ecr::test
