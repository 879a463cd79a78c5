// The outbound HTTP client (libcurl) against the Tekton stand-in on loopback:
// answers of any status, connection reuse, errors by kind, and the handle
// pool's bound and statistics; POSTs against the Keycloak stand-in's echo
// route.

#include "core/error.hpp"
#include "core/http_client.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/keycloak_stand_in.hpp"
#include "tests/support/tekton_stand_in.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <sstream>

namespace ecr::test {
namespace {

using namespace std::chrono_literals;

const std::string served = R"({"applications": [{"name": "kettle"}]})";

class core_http_client : public ::testing::Test {
protected:
  std::string url(const std::string& path) const {
    return tekton_.url() + path;
  }

  tekton_stand_in tekton_{served};
};

TEST_F(core_http_client, a_get_returns_status_and_body) {
  outbound_http_client http;
  auto ok = http.get(url("/api/v1/app-configs?serviceInstanceName=ecr"));
  ASSERT_TRUE(ok) << render(ok.error());
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, served);
  // Other statuses are answers too.
  auto missing = http.get(url("/nowhere"));
  ASSERT_TRUE(missing) << render(missing.error());
  EXPECT_EQ(missing->status, 404);
  tekton_.fail_with(503);
  auto failing = http.get(url("/api/v1/app-configs"));
  ASSERT_TRUE(failing) << render(failing.error());
  EXPECT_EQ(failing->status, 503);
  EXPECT_EQ(tekton_.requests(),
            (std::vector<std::string>{"GET /api/v1/app-configs?serviceInstanceName=ecr",
                                      "GET /nowhere", "GET /api/v1/app-configs"}));
}

/// Nothing leased or waiting, `available` handles kept.
void expect_idle(const outbound_http_stats& stats, size_t available) {
  EXPECT_EQ(stats.leased, 0u);
  EXPECT_EQ(stats.available, available);
  EXPECT_EQ(stats.pending, 0u);
}

TEST_F(core_http_client, sequential_requests_reuse_one_connection) {
  outbound_http_client http;
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(http.get(url("/api/v1/app-configs")));
  auto connections = http.get(url("/connections"));
  ASSERT_TRUE(connections) << render(connections.error());
  EXPECT_EQ(connections->body, "1");
  expect_idle(http.stats(), 1);
}

TEST_F(core_http_client, a_server_that_does_not_answer_in_time_is_a_timeout) {
  outbound_http_options options;
  options.timeout = 300ms;
  outbound_http_client http{options};
  auto held = http.get(url("/hold?name=never"));
  ASSERT_FALSE(held);
  EXPECT_EQ(error_code(held.error()), ec::timeout) << render(held.error());
  EXPECT_EQ(http.stats().leased, 0u) << "the handle went back to the pool";
}

TEST_F(core_http_client, nothing_listening_is_unavailable) {
  outbound_http_client http;
  auto refused = http.get("http://127.0.0.1:" + std::to_string(free_loopback_port()) + "/");
  ASSERT_FALSE(refused);
  EXPECT_EQ(error_code(refused.error()), ec::unavailable) << render(refused.error());
}

TEST_F(core_http_client, an_oversize_body_fails_the_request) {
  outbound_http_options options;
  options.max_body_bytes = served.size() - 1;
  outbound_http_client http{options};
  auto big = http.get(url("/api/v1/app-configs"));
  ASSERT_FALSE(big);
  EXPECT_EQ(error_code(big.error()), ec::upstream_failure);
  EXPECT_NE(error_message(big.error()).find("over"), std::string::npos)
    << render(big.error());
}

TEST_F(core_http_client, callers_beyond_the_pool_wait_for_a_handle) {
  outbound_http_options options;
  options.max_handles = 1;
  outbound_http_client http{options};
  EXPECT_EQ(http.stats().max, 1u);
  caf::expected<outbound_http_response> first{outbound_http_response{}};
  caf::expected<outbound_http_response> second{outbound_http_response{}};
  std::thread holder{[&] { first = http.get(url("/hold?name=a")); }};
  ASSERT_TRUE(eventually([&] { return http.stats().leased == 1; }));
  std::thread waiter{[&] { second = http.get(url("/api/v1/app-configs")); }};
  EXPECT_TRUE(eventually([&] { return http.stats().pending == 1; }));
  auto busy = http.stats();
  EXPECT_EQ(busy.leased, 1u);
  EXPECT_EQ(busy.available, 0u);
  tekton_.release("a");
  holder.join();
  waiter.join();
  ASSERT_TRUE(first) << render(first.error());
  EXPECT_EQ(first->body, "released");
  ASSERT_TRUE(second) << render(second.error());
  EXPECT_EQ(second->body, served);
  expect_idle(http.stats(), 1);
}

TEST_F(core_http_client, a_caller_gives_up_waiting_for_a_handle_at_its_timeout) {
  outbound_http_options options;
  options.max_handles = 1;
  options.timeout = 300ms;
  outbound_http_client http{options};
  std::thread holder{[&] { (void) http.get(url("/hold?name=b")); }};
  ASSERT_TRUE(eventually([&] { return http.stats().leased == 1; }));
  // The holder times out first and hands the handle on just before the
  // waiter's own deadline; the waiter's request is held too, so it times
  // out whether it waited in vain or got the handle.
  auto waited = http.get(url("/hold?name=b"));
  holder.join();
  ASSERT_FALSE(waited);
  EXPECT_EQ(error_code(waited.error()), ec::timeout) << render(waited.error());
}

/// A request as the echo route saw it.
struct echoed {
  /// "<method> <path>".
  std::string request_line;
  /// "Name: value" lines.
  std::vector<std::string> headers;
  std::string body;

  bool has_header(const std::string& line) const {
    return std::find(headers.begin(), headers.end(), line) != headers.end();
  }

  bool has_header_named(const std::string& name) const {
    return std::any_of(headers.begin(), headers.end(), [&](const std::string& x) {
      return x.compare(0, name.size() + 1, name + ":") == 0;
    });
  }
};

echoed parse_echo(const std::string& answer) {
  echoed result;
  auto head_end = answer.find("\n\n");
  EXPECT_NE(head_end, std::string::npos) << answer;
  std::istringstream head{answer.substr(0, head_end)};
  std::getline(head, result.request_line);
  for (std::string line; std::getline(head, line);)
    result.headers.push_back(line);
  result.body = answer.substr(head_end + 2);
  return result;
}

class core_http_client_post : public ::testing::Test {
protected:
  std::string echo_url() const {
    return keycloak_.url() + "/_stand_in/echo";
  }

  keycloak_stand_in keycloak_;
};

TEST_F(core_http_client_post, a_post_sends_its_body_type_and_headers) {
  outbound_http_client http;
  // Over the 1 MiB from which libcurl would announce it with "Expect:
  // 100-continue", and binary.
  std::string body(2 * 1024 * 1024, 'x');
  body.replace(0, 8, std::string{"a&b=c\0\r\n", 8});
  auto ok = http.post(echo_url(), body, "application/octet-stream",
                      {"X-Probe: one"});
  ASSERT_TRUE(ok) << render(ok.error());
  EXPECT_EQ(ok->status, 200);
  auto seen = parse_echo(ok->body);
  EXPECT_EQ(seen.request_line, "POST /_stand_in/echo");
  EXPECT_TRUE(seen.has_header("Content-Type: application/octet-stream"));
  EXPECT_TRUE(seen.has_header("X-Probe: one"));
  EXPECT_TRUE(seen.has_header("Content-Length: " + std::to_string(body.size())));
  EXPECT_FALSE(seen.has_header_named("Expect"));
  EXPECT_EQ(seen.body, body);
}

TEST_F(core_http_client_post, an_empty_post_is_sent_with_a_zero_length) {
  outbound_http_client http;
  auto ok = http.post(echo_url(), "", "text/plain");
  ASSERT_TRUE(ok) << render(ok.error());
  auto seen = parse_echo(ok->body);
  EXPECT_EQ(seen.request_line, "POST /_stand_in/echo");
  EXPECT_TRUE(seen.has_header("Content-Length: 0"));
  EXPECT_EQ(seen.body, "");
}

TEST_F(core_http_client_post, a_handle_that_posted_then_gets_on_the_same_connection) {
  outbound_http_options options;
  options.max_handles = 1;
  outbound_http_client http{options};
  ASSERT_TRUE(http.post(echo_url(), "first", "text/plain", {"X-Probe: one"}));
  auto got = http.get(echo_url());
  ASSERT_TRUE(got) << render(got.error());
  auto seen = parse_echo(got->body);
  EXPECT_EQ(seen.request_line, "GET /_stand_in/echo");
  // Nothing of the POST is left on the handle.
  EXPECT_FALSE(seen.has_header_named("Content-Type"));
  EXPECT_FALSE(seen.has_header_named("X-Probe"));
  EXPECT_EQ(seen.body, "");
  auto connections = http.get(keycloak_.url() + "/_stand_in/connections");
  ASSERT_TRUE(connections) << render(connections.error());
  EXPECT_EQ(connections->body, "1");
  expect_idle(http.stats(), 1);
}

TEST_F(core_http_client_post, a_post_returns_answers_of_any_status) {
  outbound_http_client http;
  auto missing = http.post(keycloak_.issuer("nowhere") + "/protocol/openid-connect/token",
                           "grant_type=client_credentials",
                           "application/x-www-form-urlencoded");
  ASSERT_TRUE(missing) << render(missing.error());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->body, R"({"error": "Realm does not exist"})");
}

TEST_F(core_http_client_post, errors_of_a_post_are_mapped_like_those_of_a_get) {
  outbound_http_client http;
  auto nowhere = "http://127.0.0.1:" + std::to_string(free_loopback_port()) + "/";
  auto refused = http.post(nowhere, "x", "text/plain");
  ASSERT_FALSE(refused);
  EXPECT_EQ(error_code(refused.error()), ec::unavailable) << render(refused.error());
  EXPECT_NE(error_message(refused.error()).find("POST http://127.0.0.1:"),
            std::string::npos)
    << render(refused.error());
  outbound_http_options small;
  small.max_body_bytes = 10;
  outbound_http_client bounded{small};
  auto big = bounded.post(echo_url(), "a body the echo makes too long", "text/plain");
  ASSERT_FALSE(big);
  EXPECT_EQ(error_code(big.error()), ec::upstream_failure) << render(big.error());
  EXPECT_EQ(bounded.stats().leased, 0u) << "the handle went back to the pool";
}

} // namespace
} // namespace ecr::test
