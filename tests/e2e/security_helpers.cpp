#include "tests/e2e/security_helpers.hpp"

#include <chrono>

namespace ecr::test {

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

http_headers bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

const std::vector<std::string> security_scopes{
  "endpoint:read",
  "endpoint:update",
  "application:endpoint-config:read",
  "application:endpoint-config:update",
  "application:endpoint-config:delete",
  "application:read",
  "application:update",
  "tenant:read",
  "tenant:update",
};

const std::string security_applications_yaml = R"(
kaa:
  applications:
    smart-meter:
      endpoint-configuration:
        schema:
          type: object
      versions: [smart-meter-v1, smart-meter-v2]
    lamp:
      versions: [lamp-v1, lamp-v2]
)";

std::string endpoint_url(const std::string& endpoint,
                         const std::string& app_version) {
  return endpoint_key(endpoint, app_version).url(api);
}

std::string system_configs_url(const std::string& level_path) {
  return api + "/system/" + level_path + "/configs";
}

const std::string system_config_body = R"({"name":"limits","config":{"max":1}})";

std::string batch_body(const std::map<std::string, std::vector<std::string>>& targets) {
  std::string body = R"({"configPayload":{"v":2},"endpoints":{)";
  for (auto i = targets.begin(); i != targets.end(); ++i) {
    body += (i == targets.begin() ? "\"" : ",\"") + i->first + "\":[";
    for (size_t n = 0; n < i->second.size(); ++n)
      body += (n == 0 ? "\"" : ",\"") + i->second[n] + "\"";
    body += "]";
  }
  return body + "}}";
}

void expect_unauthenticated(const http_response& r) {
  expect_error(r, 401);
  auto challenge = r.header("WWW-Authenticate");
  ASSERT_TRUE(challenge) << r.describe();
  EXPECT_EQ(challenge->rfind("Bearer", 0), 0u) << *challenge;
}

std::vector<write_attempt> writes_over_seed(const std::string& system_config_url) {
  const std::string changed = R"({"v":2})";
  return {
    {"PUT", endpoint_url("ep-1"), changed},
    {"PUT", endpoint_url("ep-new"), changed},
    {"DELETE", endpoint_url("ep-1"), ""},
    {"PUT", default_key("smart-meter-v1").url(api), changed},
    {"DELETE", default_key("smart-meter-v1").url(api), ""},
    {"PUT", api + "/endpoints/batch", batch_body({{"smart-meter-v1", {"ep-1", "ep-new"}}})},
    {"POST", system_configs_url("endpoints/ep-1"), system_config_body},
    {"PUT", system_config_url, R"({"name":"limits","config":{"max":2}})"},
    {"DELETE", system_config_url, ""},
  };
}

std::string seed_for_refusals(http_client& http, const http_headers& owner) {
  auto json = owner;
  json.emplace_back("Content-Type", "application/json");
  for (const auto& url : {endpoint_url("ep-1"), default_key("smart-meter-v1").url(api)}) {
    auto stored = http.request("PUT", url, json, R"({"v":1})");
    if (stored.status != 200) {
      ADD_FAILURE() << "seeding " << url << ": " << stored.describe();
      return {};
    }
  }
  auto created = http.request("POST", system_configs_url("endpoints/ep-1"), json,
                              system_config_body);
  auto location = created.header("Location");
  if (created.status != 201 || !location) {
    ADD_FAILURE() << "seeding a system configuration: " << created.describe();
    return {};
  }
  return *location;
}

std::map<std::string, std::string> seeded_state(http_client& http,
                                                const http_headers& owner,
                                                const std::string& system_config_url) {
  std::map<std::string, std::string> seen;
  for (const auto& url : {endpoint_url("ep-1"), endpoint_url("ep-new"),
                          default_key("smart-meter-v1").url(api),
                          system_configs_url("endpoints/ep-1"), system_config_url}) {
    auto r = http.request("GET", url, owner, {});
    seen[url] = std::to_string(r.status) + " " + r.body;
  }
  return seen;
}

} // namespace ecr::test
