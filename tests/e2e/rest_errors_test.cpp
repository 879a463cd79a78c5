// Bad requests against the configuration routes: each gets its status code,
// a JSON error body, and leaves the store exactly as it was.

#include "tests/e2e/e2e_helpers.hpp"

#include <gtest/gtest.h>

namespace ecr::test {
namespace {

/// A PUT that announces `content_length` bytes of JSON but sends only
/// `body`, so the server must judge the request by its headers.
std::string announced_put(const std::string& target, size_t content_length,
                          const std::string& body = {}) {
  return "PUT " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
         + "Content-Type: application/json\r\nContent-Length: "
         + std::to_string(content_length) + "\r\n\r\n" + body;
}

/// Sends a PUT announcing `content_length` bytes without the body and
/// expects a 413 answer.
void expect_announced_body_rejected(uint16_t port, const std::string& target,
                                    size_t content_length) {
  http_client raw(port);
  raw.send_raw(announced_put(target, content_length));
  auto r = raw.read_response();
  ASSERT_TRUE(r) << "connection closed without a 413 for Content-Length "
                 << content_length;
  expect_error(*r, 413);
}

class rest_errors : public rest_test {
protected:
  void SetUp() override {
    rest_test::SetUp();
    existing_ = key("existing");
    fresh_ = key("fresh");
    baseline_ = put_config(http(), base(), existing_, R"({"baseline":true})");
  }

  /// The baseline document is untouched and the fresh key is still empty.
  void expect_nothing_changed() {
    SCOPED_TRACE("nothing changed");
    expect_stored(http(), base(), existing_, std::nullopt, baseline_);
    expect_absent(http(), base(), fresh_);
    EXPECT_EQ(expect_config_list(http().get(existing_.list_url(base()))),
              std::vector<stored_config>{baseline_});
    EXPECT_TRUE(expect_config_list(http().get(fresh_.list_url(base()))).empty());
  }

  /// A rejected write must fail alike on an existing and on a new document.
  void expect_put_rejected(const std::string& body, const http_headers& headers,
                           int status, bool with_content_type = true) {
    for (const auto* k : {&existing_, &fresh_}) {
      auto target = k->url(base());
      auto r = with_content_type ? http().put_json(target, body, headers)
                                 : http().request("PUT", target, headers, body);
      expect_error(r, status);
    }
    expect_nothing_changed();
  }

  config_key existing_;
  config_key fresh_;
  stored_config baseline_;
};

TEST_P(rest_errors, malformed_json_is_400) {
  const std::vector<std::string> bodies{
    "",
    " ",
    R"({"a":1,})",
    R"({"a":tru})",
    R"({} x)",
    R"({"a":1)",
    R"({"a" 1})",
    "[1,]",
    "{'a':1}",
    R"({"a":01})",
    "NaN",
    R"({"a":"unterminated})",
    "\"\xff\xfe\"",
    "{\"a\":\"\xc3\x28\"}",
    "{\"\xed\xa0\x80\":1}",
    std::string("{\"a\":\"nul\0inside\"}", 19),
  };
  for (const auto& body : bodies) {
    SCOPED_TRACE("body: " + body);
    expect_put_rejected(body, {}, 400);
  }
}

TEST_P(rest_errors, invalid_name_is_400) {
  const std::vector<std::string> names{"bad%20name", "a.b", "a+b",        "%C3%A9",
                                       "a%2Fb",      "%zz", "semi%3Bcol", std::string(65, 'n')};
  for (const auto& name : names) {
    SCOPED_TRACE("name=" + name);
    expect_error(http().put_json(existing_.url(base(), name), "{}"), 400);
    expect_error(http().put_json(fresh_.url(base(), name), "{}"), 400);
    expect_error(http().get(existing_.url(base(), name)), 400);
    expect_error(http().del(existing_.url(base(), name)), 400);
    expect_nothing_changed();
  }
}

TEST_P(rest_errors, invalid_path_identifier_is_400) {
  const std::vector<std::string> identifiers{
    "%00", "a%0Ab", "tab%09", "del%7F", "%zz", "%", "ab%4", "%G1", std::string(257, 'i'),
    // 86 three-byte characters: 258 bytes once decoded.
    [] {
      std::string s;
      for (int i = 0; i < 86; ++i)
        s += "%E2%82%AC";
      return s;
    }(),
  };
  for (const auto& id : identifiers) {
    SCOPED_TRACE("identifier: " + id.substr(0, 40));
    std::vector<config_key> bad_keys;
    auto bad_version = existing_;
    bad_version.app_version = id;
    bad_keys.push_back(bad_version);
    if (GetParam().kind == config_kind::endpoint) {
      auto bad_endpoint = existing_;
      bad_endpoint.endpoint = id;
      bad_keys.push_back(bad_endpoint);
    }
    for (const auto& k : bad_keys) {
      expect_error(http().put_json(k.url(base()), "{}"), 400);
      expect_error(http().get(k.url(base())), 400);
      expect_error(http().del(k.url(base())), 400);
      expect_error(http().get(k.list_url(base())), 400);
    }
    expect_nothing_changed();
  }
}

TEST_P(rest_errors, non_json_content_type_is_415) {
  for (const auto* type : {"text/plain", "application/x-www-form-urlencoded", "application/xml"}) {
    SCOPED_TRACE(type);
    expect_put_rejected("{}", {{"Content-Type", type}}, 415);
  }
  SCOPED_TRACE("no Content-Type");
  expect_put_rejected("{}", {}, 415, false);
}

TEST_P(rest_errors, body_over_the_default_limit_is_413) {
  constexpr size_t limit = 1024 * 1024;
  expect_put_rejected(json_string_of_size(limit + 1), {}, 413);
  for (const auto* k : {&existing_, &fresh_})
    expect_announced_body_rejected(ecr_->port(), k->url(base()), 64 * limit);
  expect_nothing_changed();
  // Exactly at the limit is fine.
  auto at_limit = put_config(http(), base(), fresh_, json_string_of_size(limit));
  EXPECT_EQ(at_limit.config.size(), limit);
}

TEST_P(rest_errors, wrong_method_is_405_with_allow_header) {
  const std::vector<std::pair<std::string, std::string>> cases{
    // PATCH of a configuration is B2's partial update; of a list, no route.
    {"POST", existing_.url(base())},      {"PATCH", existing_.list_url(base())},
    {"POST", fresh_.url(base())},         {"PUT", existing_.list_url(base())},
    {"DELETE", existing_.list_url(base())}, {"POST", existing_.list_url(base())},
  };
  for (const auto& [method, target] : cases) {
    SCOPED_TRACE(method + " " + target);
    auto r = http().request(method, target, {{"Content-Type", "application/json"}},
                            R"({"sneaky":true})");
    expect_error(r, 405);
    auto allow = r.header("Allow");
    ASSERT_TRUE(allow) << r.describe();
    EXPECT_NE(allow->find("GET"), std::string::npos) << *allow;
    EXPECT_EQ(allow->find(method), std::string::npos) << *allow;
  }
  expect_nothing_changed();
}

INSTANTIATE_TEST_SUITE_P(e2e, rest_errors, ::testing::ValuesIn(all_rest_cases()),
                         rest_case_name);

TEST(e2e_rest_errors_routes, unknown_routes_are_404) {
  auto ecr = start_ecr();
  const std::vector<std::string> targets{
    "/api/v1/nope",
    "/api/v2/app-versions/x",
    "/ecr/api/v1/nope",
    "/ecr/api/v2/endpoints/e/app-versions/v",
    "/",
    "/api",
    "/api/v1",
    "/api/v1/endpoints/e",
    "/api/v1/endpoints/e/app-versions",
    "/api/v1/endpoints/e/app-versions/v/configurations/extra",
    "/other/api/v1/app-versions/x",
  };
  for (const auto& target : targets) {
    SCOPED_TRACE(target);
    expect_error(ecr->http().get(target), 404);
    expect_error(ecr->http().put_json(target, "{}"), 404);
  }
}

TEST(e2e_rest_errors_limits, configured_body_limit_is_enforced) {
  auto ecr = start_ecr({{"SERVER_MAX_BODY_SIZE", "1KiB"}});
  auto k = make_key(config_kind::endpoint, "limit");
  const std::string base = "/api/v1";
  auto stored = put_config(ecr->http(), base, k, json_string_of_size(1024));
  expect_error(ecr->http().put_json(k.url(base), json_string_of_size(1025)), 413);
  expect_announced_body_rejected(ecr->port(), k.url(base), 1025);
  expect_stored(ecr->http(), base, k, std::nullopt, stored);
  auto fresh = make_key(config_kind::app_version_default, "limit-fresh");
  expect_error(ecr->http().put_json(fresh.url(base), json_string_of_size(4096)), 413);
  expect_absent(ecr->http(), base, fresh);
}

} // namespace
} // namespace ecr::test
