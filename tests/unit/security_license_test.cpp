// License checks (A23) on PKCS#12 files made here with OpenSSL: valid,
// expiring, expired, not yet valid, wrong password, legacy encryption.

#include "security/license.hpp"

#include "core/clock.hpp"
#include "tests/support/license_files.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace ecr {
namespace {

class core_license : public ::testing::Test {
protected:
  license_status check(long from_days, long to_days,
                       test::license_encryption with = test::license_encryption::modern) {
    test::write_license(path_, "s3cret", from_days, to_days, with);
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
  auto status = check(-1, 100, test::license_encryption::legacy);
  EXPECT_EQ(status.current, license_status::state::valid) << status.detail;
}

TEST_F(core_license, a_wrong_password_makes_it_invalid) {
  test::write_license(path_, "s3cret", -1, 100);
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
