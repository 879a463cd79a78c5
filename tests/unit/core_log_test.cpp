#include "core/log.hpp"

#include <rapidjson/document.h>
#include <spdlog/sinks/ostream_sink.h>

#include <gtest/gtest.h>

#include <sstream>

namespace ecr {
namespace {

/// A logger writing the service's line format into a string.
struct captured {
  explicit captured(bool json)
    : sink(std::make_shared<spdlog::sinks::ostream_sink_mt>(out)),
      logger("test", sink) {
    logger.set_formatter(make_line_formatter(json));
  }

  std::vector<std::string> lines() const {
    std::vector<std::string> result;
    std::istringstream in{out.str()};
    for (std::string line; std::getline(in, line);)
      result.push_back(line);
    return result;
  }

  std::ostringstream out;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink;
  spdlog::logger logger;
};

rapidjson::Document parse(const std::string& line) {
  rapidjson::Document doc;
  doc.Parse(line.c_str());
  EXPECT_FALSE(doc.HasParseError()) << line;
  return doc;
}

TEST(logging, json_lines_are_objects_with_the_correlation_when_in_scope) {
  captured log{true};
  log.logger.info("plain");
  {
    log_correlation outer{"c-1"};
    log.logger.warn("with \"quotes\"\nand a newline");
    {
      log_correlation inner{"c-2"};
      log.logger.error("inner");
    }
    log.logger.info("outer again");
  }
  log.logger.info("after");
  auto lines = log.lines();
  ASSERT_EQ(lines.size(), 5u) << log.out.str();
  auto first = parse(lines[0]);
  EXPECT_STREQ(first["level"].GetString(), "INFO");
  EXPECT_STREQ(first["message"].GetString(), "plain");
  EXPECT_STREQ(first["logger"].GetString(), "test");
  EXPECT_EQ(std::string{first["timestamp"].GetString()}.size(), 24u);
  EXPECT_FALSE(first.HasMember("correlationId"));
  auto second = parse(lines[1]);
  EXPECT_STREQ(second["message"].GetString(), "with \"quotes\"\nand a newline");
  EXPECT_STREQ(second["level"].GetString(), "WARN");
  EXPECT_STREQ(second["correlationId"].GetString(), "c-1");
  EXPECT_STREQ(parse(lines[2])["correlationId"].GetString(), "c-2");
  EXPECT_STREQ(parse(lines[3])["correlationId"].GetString(), "c-1");
  EXPECT_FALSE(parse(lines[4]).HasMember("correlationId"));
}

TEST(logging, text_lines_end_with_the_correlation_when_in_scope) {
  captured log{false};
  log.logger.info("no scope");
  {
    log_correlation scope{"c-9"};
    log.logger.info("in scope");
  }
  auto lines = log.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find(" INFO  [test] no scope"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[0].find("correlationId"), std::string::npos);
  EXPECT_NE(lines[1].find("in scope [correlationId c-9]"), std::string::npos) << lines[1];
}

TEST(logging, a_scope_belongs_to_its_thread) {
  captured log{true};
  log_correlation scope{"mine"};
  std::thread other{[&] { log.logger.info("elsewhere"); }};
  other.join();
  EXPECT_FALSE(parse(log.lines().at(0)).HasMember("correlationId"));
}

TEST(logging, urls_lose_their_credentials) {
  EXPECT_EQ(redact_url("nats://user:secret@nats:4222"), "nats://***@nats:4222");
  EXPECT_EQ(redact_url("nats://token@127.0.0.1:4222"), "nats://***@127.0.0.1:4222");
  EXPECT_EQ(redact_url("mongodb://u:p@a:1,b:2/db?x=y@z"), "mongodb://***@a:1,b:2/db?x=y@z");
  EXPECT_EQ(redact_url("nats://nats:4222"), "nats://nats:4222");
  EXPECT_EQ(redact_url("http://host/path@x"), "http://host/path@x");
  EXPECT_EQ(redact_url("user:pw@host:4222"), "***@host:4222");
}

} // namespace
} // namespace ecr
