// The license (A23) as the running service shows it: readiness, the metrics,
// the log, and writes refused while an enforced license is unusable.

#include "tests/e2e/nats_helpers.hpp"
#include "tests/support/license_files.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace ecr::test {
namespace {

const std::string password = "lic-pass-7";

class e2e_license : public ::testing::Test {
protected:
  /// Starts ecr with a license valid from `from_days` to `to_days`.
  void start_with(long from_days, long to_days, bool enforce,
                  const std::string& given_password = password) {
    write_license(path_, password, from_days, to_days);
    start({{"KAA_LICENSE_CERT_PATH", path_},
           {"KAA_LICENSE_CERT_PASSWORD", given_password},
           {"KAA_LICENSE_ENFORCE", enforce ? "true" : "false"}});
  }

  void start(env_overrides env) {
    ecr_ = start_ecr(std::move(env));
  }

  /// /health/ready's status and its license component's status and details.
  struct license_health {
    int http_status = 0;
    std::string status;
    std::string details;
  };

  license_health ready() {
    auto r = ecr_->http().get("/health/ready");
    license_health result{r.status, {}, {}};
    auto doc = parse_json(r.body);
    const auto& license = doc["components"]["license"];
    result.status = license["status"].GetString();
    if (license.HasMember("details"))
      result.details = license["details"].GetString();
    return result;
  }

  double metric(const std::string& series) {
    auto text = ecr_->http().get("/prometheus").body;
    auto at = text.find("\n" + series + " ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + series.size() + 2));
  }

  temp_dir dir_;
  std::string path_ = dir_.file("license.p12");
  std::unique_ptr<ecr_process> ecr_;
};

TEST_F(e2e_license, a_valid_license_is_ready_and_counted) {
  start_with(-1, 365, true);
  auto health = ready();
  EXPECT_EQ(health.http_status, 200);
  EXPECT_EQ(health.status, "UP");
  EXPECT_NE(health.details.find("364 days left"), std::string::npos) << health.details;
  EXPECT_EQ(metric("ecr_license_days_left"), 364);
  EXPECT_EQ(metric("ecr_license_valid"), 1);
  EXPECT_EQ(ecr_->http().put_json(api + "/app-versions/v1", "{}").status, 200);
}

TEST_F(e2e_license, an_expiring_license_warns) {
  start_with(-100, 5, true);
  EXPECT_EQ(ready().http_status, 200);
  EXPECT_TRUE(poll_until([&] { return ecr_->log().find("renew it") != std::string::npos; }))
    << ecr_->log();
}

TEST_F(e2e_license, an_enforced_expired_license_refuses_writes_only) {
  start_with(-30, -2, true);
  auto health = ready();
  EXPECT_EQ(health.http_status, 503);
  EXPECT_EQ(health.status, "DOWN");
  EXPECT_NE(health.details.find("expired 2 days ago"), std::string::npos) << health.details;
  EXPECT_EQ(metric("ecr_license_valid"), 0);
  EXPECT_EQ(metric("ecr_license_days_left"), -2);
  auto put = ecr_->http().put_json(api + "/app-versions/v1", "{}");
  EXPECT_EQ(put.status, 503) << put.describe();
  EXPECT_EQ(ecr_->http().request("POST", api + "/system/tenants/kaa/configs",
                                 {{"Content-Type", "application/json"}},
                                 R"({"name":"a","config":{}})")
              .status,
            503);
  // Reads go on, and nothing was written.
  EXPECT_EQ(ecr_->http().get(api + "/app-versions/v1").status, 404);
}

TEST_F(e2e_license, an_expired_license_that_is_not_enforced_only_warns) {
  start_with(-30, -2, false);
  EXPECT_EQ(ready().http_status, 200);
  EXPECT_EQ(ecr_->http().put_json(api + "/app-versions/v1", "{}").status, 200);
  EXPECT_NE(ecr_->log().find("not enforced"), std::string::npos) << ecr_->log();
}

TEST_F(e2e_license, a_wrong_password_is_invalid_and_never_logged) {
  start_with(-1, 100, true, "not-the-password");
  auto health = ready();
  EXPECT_EQ(health.http_status, 503);
  EXPECT_NE(health.details.find("wrong password"), std::string::npos) << health.details;
  auto log = ecr_->log();
  EXPECT_EQ(log.find("not-the-password"), std::string::npos) << log;
  EXPECT_EQ(log.find(password), std::string::npos) << log;
}

TEST_F(e2e_license, without_a_license_file_only_enforcement_stops_writes) {
  start({{"KAA_LICENSE_CERT_PATH", dir_.file("none.p12")}});
  auto health = ready();
  EXPECT_EQ(health.http_status, 200);
  EXPECT_NE(health.details.find("missing"), std::string::npos) << health.details;
  EXPECT_EQ(metric("ecr_license_days_left"), -1) << "no certificate, no days";
  EXPECT_EQ(ecr_->http().put_json(api + "/app-versions/v1", "{}").status, 200);
}

} // namespace
} // namespace ecr::test
