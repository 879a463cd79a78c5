#pragma once

// Shared vocabulary of the end-to-end suites: how to start the binary, how to
// address a configuration, and checks for the response shapes of the
// contract (EndpointConfiguration objects, error bodies).

#include "tests/support/ecr_process.hpp"
#include "tests/support/http_client.hpp"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace ecr::test {

/// Options that run the binary built with the tests.
ecr_options ecr_binary(env_overrides env = {}, std::string yaml = {});

/// Starts the binary built with the tests and waits until it is ready.
std::unique_ptr<ecr_process> start_ecr(env_overrides env = {}, std::string yaml = {});

/// Both base paths every route is served under (decision A1).
inline const std::vector<std::string> base_paths{"/api/v1", "/ecr/api/v1"};

enum class config_kind { endpoint, app_version_default };

/// The key of one configuration document, minus its name: an endpoint and
/// app version for endpoint configs, only the app version for defaults.
/// Identifiers are used in URLs as given, so tests can pass encoded forms.
struct config_key {
  config_kind kind;
  std::string endpoint;
  std::string app_version;

  /// E1-E3 / D1-D3 path, with `?name=` when `name` is given.
  std::string url(const std::string& base,
                  const std::optional<std::string>& name = std::nullopt) const;

  /// E4 / D4 path.
  std::string list_url(const std::string& base) const;
};

/// A key of `kind` whose identifiers contain `tag`, for distinct keys.
config_key make_key(config_kind kind, const std::string& tag);

/// One base path and configuration kind: the REST suites run for each.
struct rest_case {
  std::string base;
  config_kind kind;
};

/// "endpoint under /api/v1", for gtest messages.
void PrintTo(const rest_case& c, std::ostream* out);

/// Every base path with every kind.
std::vector<rest_case> all_rest_cases();

/// "endpoint_api_v1" etc., for parameterized test names.
std::string rest_case_name(const ::testing::TestParamInfo<rest_case>& info);

/// A fresh `ecr` per test, addressed through one rest_case.
class rest_test : public ::testing::TestWithParam<rest_case> {
protected:
  void SetUp() override;

  http_client& http() {
    return ecr_->http();
  }

  const std::string& base() const {
    return GetParam().base;
  }

  config_key key(const std::string& tag) const {
    return make_key(GetParam().kind, tag);
  }

  std::unique_ptr<ecr_process> ecr_;
};

/// The EndpointConfiguration JSON object of spec section 5.3.
struct stored_config {
  std::string config_id;
  std::string name;
  std::string config;
  std::string created_date;
  std::string updated_date;

  bool operator==(const stored_config&) const = default;
};

std::ostream& operator<<(std::ostream& out, const stored_config& c);

/// Parses `text`; records a failure and returns a null document when it is
/// not JSON.
rapidjson::Document parse_json(const std::string& text);

/// True when the Content-Type is application/json (parameters allowed).
bool is_json_content_type(const http_response& r);

/// Checks an EndpointConfiguration object: exactly the five string fields,
/// a lowercase UUID v4 and ISO-8601 UTC dates with milliseconds.
stored_config to_stored_config(const rapidjson::Value& v);

/// Checks a 200 response carrying one configuration (JSON content type,
/// `ETag` = quoted configId) and returns it.
stored_config expect_config(const http_response& r);

/// Checks a 200 response carrying a JSON array of configurations.
std::vector<stored_config> expect_config_list(const http_response& r);

/// Checks an error response: `status`, JSON content type, and a body
/// `{"message": "<non-empty>"}`.
void expect_error(const http_response& r, int status);

/// Stores `body` at `key`/`name` and returns the stored configuration.
stored_config put_config(http_client& c, const std::string& base, const config_key& key,
                         const std::string& body,
                         const std::optional<std::string>& name = std::nullopt);

/// Checks that `key`/`name` still holds `expected`.
void expect_stored(http_client& c, const std::string& base, const config_key& key,
                   const std::optional<std::string>& name, const stored_config& expected);

/// Checks that `key`/`name` holds nothing.
void expect_absent(http_client& c, const std::string& base, const config_key& key,
                   const std::optional<std::string>& name = std::nullopt);

/// A JSON string literal of exactly `size` bytes (quotes included).
std::string json_string_of_size(size_t size, char fill = 'x');

/// `"<configId>"`, the ETag form of a configId.
std::string etag_of(const std::string& s);

/// The lines of a log that contain `text`.
std::vector<std::string> lines_with(const std::string& log, const std::string& text);

} // namespace ecr::test
