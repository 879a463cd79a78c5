// HTTP-level behaviour: keep-alive, malformed requests, health routes.

#include "tests/e2e/e2e_helpers.hpp"
#include "tests/e2e/nats_helpers.hpp"

#include <gtest/gtest.h>

namespace ecr::test {
namespace {

class e2e_http_protocol : public ::testing::Test {
protected:
  void SetUp() override {
    ecr_ = start_ecr();
  }

  /// The server still answers a fresh client.
  void expect_still_serving() {
    auto c = ecr_->new_client();
    EXPECT_EQ(c.get("/health").status, 200);
  }

  std::unique_ptr<ecr_process> ecr_;
};

TEST_F(e2e_http_protocol, many_requests_share_one_keep_alive_connection) {
  auto c = ecr_->new_client();
  auto k = make_key(config_kind::endpoint, "keep-alive");
  for (int i = 0; i < 300; ++i) {
    auto body = "[" + std::to_string(i) + "]";
    auto put = put_config(c, "/api/v1", k, body);
    EXPECT_EQ(put.config, body);
    expect_stored(c, "/ecr/api/v1", k, std::nullopt, put);
  }
  expect_error(c.get("/api/v1/nope"), 404);
  EXPECT_EQ(c.get("/health").status, 200);
  EXPECT_EQ(c.connect_count(), 1) << "the server closed a keep-alive connection";
}

TEST_F(e2e_http_protocol, malformed_requests_get_400_or_a_close) {
  static constexpr char binary[] = "\0\1\2\3 binary \xff\xfe\r\n\r\n";
  const std::vector<std::string> garbage{
    "GARBAGE\r\n\r\n",
    "GET\r\n\r\n",
    "GET /health HTTP/1.1\r\nNo colon here\r\n\r\n",
    std::string(binary, sizeof(binary) - 1),
    "PUT /api/v1/app-versions/x HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
    "Content-Length: nonsense\r\n\r\n{}",
    "PUT /api/v1/app-versions/x HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
    "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
  };
  for (const auto& bytes : garbage) {
    SCOPED_TRACE(bytes.substr(0, 60));
    auto c = ecr_->new_client();
    c.send_raw(bytes);
    if (auto r = c.read_response()) {
      EXPECT_EQ(r->status, 400) << r->describe();
    }
    expect_still_serving();
  }
  expect_absent(ecr_->http(), "/api/v1", {config_kind::app_version_default, "", "x"});
}

TEST_F(e2e_http_protocol, client_vanishing_mid_request_does_not_hurt) {
  {
    auto c = ecr_->new_client();
    c.send_raw("PUT /api/v1/app-versions/half HTTP/1.1\r\nHost: a\r\n"
               "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":");
  }
  {
    auto c = ecr_->new_client();
    c.send_raw("GET /health HTTP/1.1\r\nHo");
  }
  expect_still_serving();
  expect_absent(ecr_->http(), "/api/v1", {config_kind::app_version_default, "", "half"});
}

TEST_F(e2e_http_protocol, liveness) {
  auto r = ecr_->http().get("/health");
  EXPECT_EQ(r.status, 200) << r.describe();
  EXPECT_TRUE(is_json_content_type(r)) << r.describe();
  auto doc = parse_json(r.body);
  ASSERT_TRUE(doc.IsObject()) << r.body;
  ASSERT_TRUE(doc.HasMember("status") && doc["status"].IsString()) << r.body;
  EXPECT_STREQ(doc["status"].GetString(), "UP");
}

TEST_F(e2e_http_protocol, readiness_reports_storage_and_nats) {
  // ecr reaches its NATS server in the background, after the ready line.
  wait_for_readiness(ecr_->http(), 200);
  auto r = ecr_->http().get("/health/ready");
  EXPECT_EQ(r.status, 200) << r.describe();
  EXPECT_TRUE(is_json_content_type(r)) << r.describe();
  auto doc = parse_json(r.body);
  ASSERT_TRUE(doc.IsObject()) << r.body;
  ASSERT_TRUE(doc.HasMember("status") && doc["status"].IsString()) << r.body;
  EXPECT_STREQ(doc["status"].GetString(), "UP");
  ASSERT_TRUE(doc.HasMember("components") && doc["components"].IsObject()) << r.body;
  const auto& components = doc["components"];
  for (const char* name : {"storage", "nats"}) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(components.HasMember(name) && components[name].IsObject()) << r.body;
    const auto& component = components[name];
    ASSERT_TRUE(component.HasMember("status") && component["status"].IsString()) << r.body;
    EXPECT_STREQ(component["status"].GetString(), "UP");
  }
}

TEST_F(e2e_http_protocol, startup_probe) {
  auto r = ecr_->http().get("/health/startup");
  EXPECT_EQ(r.status, 200) << r.describe();
}

} // namespace
} // namespace ecr::test
