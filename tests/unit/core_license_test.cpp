// License checks (A23) on PKCS#12 files made here with OpenSSL: valid,
// expiring, expired, not yet valid, wrong password, legacy encryption.

#include "core/license.hpp"

#include "core/clock.hpp"
#include "tests/support/temp_dir.hpp"

#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace ecr {
namespace {

constexpr int64_t day_s = 24 * 60 * 60;

enum class encryption { modern, legacy };

/// Writes a PKCS#12 with a self-signed certificate valid from `from_days` to
/// `to_days` around now.
void write_license(const std::string& path, const std::string& password,
                   long from_days, long to_days,
                   encryption with = encryption::modern) {
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
  bool legacy = with == encryption::legacy;
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

class core_license : public ::testing::Test {
protected:
  license_status check(long from_days, long to_days,
                       encryption with = encryption::modern) {
    write_license(path_, "s3cret", from_days, to_days, with);
    return check_license(path_, "s3cret", now_ms());
  }

  test::temp_dir dir_;
  std::string path_ = dir_.file("license.p12");
};

TEST_F(core_license, a_license_within_its_window_is_valid) {
  auto status = check(-1, 365);
  EXPECT_EQ(status.current, license_status::state::valid) << status.detail;
  EXPECT_TRUE(status.usable());
  EXPECT_EQ(status.subject, "CN=Kaa test license");
  EXPECT_EQ(status.days_left(now_ms()), 364);
  EXPECT_NE(status.describe(now_ms()).find("364 days left"), std::string::npos);
}

TEST_F(core_license, fourteen_days_before_the_end_it_is_expiring) {
  auto status = check(-100, 5);
  EXPECT_EQ(status.current, license_status::state::expiring);
  EXPECT_TRUE(status.usable());
  EXPECT_EQ(status.days_left(now_ms()), 4);
  EXPECT_EQ(check(-100, 15).current, license_status::state::valid);
}

TEST_F(core_license, after_the_end_it_is_expired) {
  auto status = check(-30, -2);
  EXPECT_EQ(status.current, license_status::state::expired);
  EXPECT_FALSE(status.usable());
  EXPECT_EQ(status.days_left(now_ms()), -2);
}

TEST_F(core_license, before_the_start_it_is_not_yet_valid) {
  auto status = check(2, 30);
  EXPECT_EQ(status.current, license_status::state::not_yet_valid);
  EXPECT_FALSE(status.usable());
}

TEST_F(core_license, legacy_encryption_is_read) {
  auto status = check(-1, 100, encryption::legacy);
  EXPECT_EQ(status.current, license_status::state::valid) << status.detail;
}

TEST_F(core_license, a_wrong_password_makes_it_invalid) {
  write_license(path_, "s3cret", -1, 100);
  auto status = check_license(path_, "guess", now_ms());
  EXPECT_EQ(status.current, license_status::state::invalid);
  EXPECT_NE(status.detail.find("wrong password"), std::string::npos) << status.detail;
  EXPECT_EQ(status.detail.find("guess"), std::string::npos) << "the password was echoed";
}

TEST_F(core_license, no_file_is_missing_and_garbage_is_invalid) {
  auto missing = check_license(dir_.file("nothing.p12"), "x", now_ms());
  EXPECT_EQ(missing.current, license_status::state::missing);
  std::ofstream{path_} << "not a license";
  auto garbage = check_license(path_, "x", now_ms());
  EXPECT_EQ(garbage.current, license_status::state::invalid);
  EXPECT_NE(garbage.detail.find("PKCS#12"), std::string::npos) << garbage.detail;
}

} // namespace
} // namespace ecr
