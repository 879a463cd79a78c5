// Logs (issue 7): one JSON object per line when asked, a correlationId on the
// lines about a NATS message, and no credentials anywhere in them.

#include "tests/e2e/nats_helpers.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace ecr::test {
namespace {

const std::string user = "ecr-user";
const std::string secret = "pw-sekrit-1";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    if (!line.empty())
      lines.push_back(line);
  return lines;
}

/// The service's JSON log lines (the test harness may add its own, which
/// are not JSON objects: those are skipped).
std::vector<rapidjson::Document> json_lines(const std::string& log) {
  std::vector<rapidjson::Document> result;
  for (const auto& line : lines_of(log)) {
    if (line.front() != '{')
      continue;
    rapidjson::Document doc;
    doc.Parse(line.c_str());
    EXPECT_FALSE(doc.HasParseError()) << "not JSON: " << line;
    if (!doc.HasParseError())
      result.push_back(std::move(doc));
  }
  return result;
}

/// Whether a line with this correlationId and message fragment was logged.
bool logged(const std::string& log, const std::string& correlation_id,
            const std::string& fragment) {
  for (const auto& line : json_lines(log))
    if (line.HasMember("correlationId") && line["correlationId"].GetString() == correlation_id
        && std::string{line["message"].GetString()}.find(fragment) != std::string::npos)
      return true;
  return false;
}

class e2e_logging : public ::testing::Test {
protected:
  e2e_logging() : nats_(nats_server_options{false, user, secret}) {
  }

  std::unique_ptr<ecr_process> start(env_overrides env, std::string nats_urls) {
    env["LOGGING_FORMAT"] = "json";
    auto options = ecr_binary(std::move(env));
    options.nats_urls = std::move(nats_urls);
    return std::make_unique<ecr_process>(std::move(options));
  }

  /// The server's URL with the credentials in it.
  std::string url_with_credentials() {
    auto url = nats_.url();
    return "nats://" + user + ":" + secret + "@" + url.substr(url.find("//") + 2);
  }

  nats_server nats_;
};

TEST_F(e2e_logging, json_lines_carry_the_correlation_of_their_nats_message) {
  auto ecr = start({{"NATS_USERNAME", user}, {"NATS_PASSWORD", secret}}, nats_.url());
  nats_test_client client{url_with_credentials()};
  ASSERT_TRUE(poll_until([&] { return get_readiness(ecr->http()).http_status == 200; }));
  auto bad = make_config_request("", "av-1");
  client.publish(cdtp_request_subject(), avro::encode(bad), client.new_inbox());
  auto expired = make_config_request("ep-1", "av-1");
  expired.timestamp = now_millis() - 60'000;
  expired.timeout = 1'000;
  client.publish(cdtp_request_subject(), avro::encode(expired), client.new_inbox());
  client.flush();
  EXPECT_TRUE(poll_until([&] {
    auto log = ecr->log();
    return logged(log, bad.correlation_id, "bad CDTP request")
           && logged(log, expired.correlation_id, "expired");
  })) << ecr->log();
  auto lines = json_lines(ecr->log());
  ASSERT_GE(lines.size(), 3u);
  for (const auto& line : lines) {
    for (auto field : {"timestamp", "level", "logger", "message"})
      EXPECT_TRUE(line.HasMember(field) && line[field].IsString()) << field;
  }
  EXPECT_EQ(ecr->log().find(secret), std::string::npos) << "the NATS password was logged";
}

TEST_F(e2e_logging, credentials_in_the_nats_url_are_never_logged) {
  auto ecr = start({}, url_with_credentials());
  ASSERT_TRUE(poll_until([&] { return get_readiness(ecr->http()).http_status == 200; }))
    << ecr->log();
  nats_.stop();
  EXPECT_TRUE(poll_until([&] { return ecr->log().find("disconnected") != std::string::npos; }))
    << ecr->log();
  auto log = ecr->log();
  EXPECT_EQ(log.find(secret), std::string::npos) << log;
  EXPECT_NE(log.find("nats://***@127.0.0.1"), std::string::npos) << log;
}

} // namespace
} // namespace ecr::test
