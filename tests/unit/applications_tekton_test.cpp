// Tekton's app-configs answer (docs/configuration.md, "Application settings
// from Tekton") parsed into the application settings, and the URL asked.

#include "applications/tekton.hpp"
#include "core/error.hpp"
#include "core/http_client.hpp"
#include "tests/support/tekton_stand_in.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace ecr::test {
namespace {

const char* const sample = R"({
  "applications": [
    {"name": "smart-meter",
     "tenantId": "tenant-a",
     "config": {"endpoint-configuration": {
                  "schema-required": true,
                  "schema": {"type": "object", "required": ["pushInterval"]}}},
     "appVersions": [
       {"name": "smart-meter-v1"},
       {"name": "smart-meter-v2",
        "config": {"endpointConfigurationSchema": "{\"required\": [\"mode\"]}"}}]},
    {"name": "sensor",
     "tenantId": null,
     "config": {"endpointConfigurationSchema": {"maxProperties": 1}},
     "appVersions": [{"name": "sensor-v1", "config": {}}]},
    {"name": "bare"}
  ]
})";

/// Violations of `document` under the schema in force for `version`.
std::vector<std::string> violations(const app_catalog& catalog, const std::string& version,
                                    const std::string& document) {
  auto rule = catalog.schema_for(version);
  if (!rule.schema) {
    ADD_FAILURE() << "no schema for " << version;
    return {};
  }
  return rule.schema->violations(document);
}

TEST(core_tekton, settings_map_versions_to_applications_with_their_schemas) {
  auto catalog = parse_tekton_app_configs(sample);
  ASSERT_TRUE(catalog) << render(catalog.error());
  EXPECT_EQ(catalog->applications().size(), 3u);
  EXPECT_EQ(catalog->application_of("smart-meter-v1"), "smart-meter");
  EXPECT_EQ(catalog->application_of("smart-meter-v2"), "smart-meter");
  EXPECT_EQ(catalog->application_of("sensor-v1"), "sensor");
  EXPECT_EQ(catalog->application_of("bare-v1"), std::nullopt);
  // The application's schema, and a version's own one in its place.
  EXPECT_TRUE(catalog->schema_for("smart-meter-v1").required);
  EXPECT_EQ(violations(*catalog, "smart-meter-v1", R"({"mode":1})").size(), 1u);
  EXPECT_TRUE(violations(*catalog, "smart-meter-v1", R"({"pushInterval":1})").empty());
  EXPECT_TRUE(violations(*catalog, "smart-meter-v2", R"({"mode":1})").empty());
  EXPECT_EQ(violations(*catalog, "smart-meter-v2", R"({"pushInterval":1})").size(), 1u);
  // The older application-level key; schema-required defaults to false.
  EXPECT_FALSE(catalog->schema_for("sensor-v1").required);
  EXPECT_EQ(violations(*catalog, "sensor-v1", R"({"a":1,"b":2})").size(), 1u);
  EXPECT_EQ(catalog->applications().at("bare").schema, nullptr);
}

TEST(core_tekton, an_application_may_name_its_tenant) {
  auto catalog = parse_tekton_app_configs(sample);
  ASSERT_TRUE(catalog) << render(catalog.error());
  EXPECT_EQ(catalog->applications().at("smart-meter").tenant_id, "tenant-a");
  EXPECT_EQ(catalog->tenant_of("smart-meter-v1"), "tenant-a");
  EXPECT_EQ(catalog->tenant_of("smart-meter-v2"), "tenant-a");
  // null or absent: none named.
  EXPECT_EQ(catalog->tenant_of("sensor-v1"), std::nullopt);
  EXPECT_EQ(catalog->applications().at("bare").tenant_id, "");
}

TEST(core_tekton, no_applications_is_an_empty_catalog) {
  auto catalog = parse_tekton_app_configs(R"({"applications": []})");
  ASSERT_TRUE(catalog) << render(catalog.error());
  EXPECT_TRUE(catalog->applications().empty());
}

TEST(core_tekton, mistakes_fail_the_whole_answer_naming_where) {
  for (const auto& [body, where] : std::vector<std::pair<std::string, std::string>>{
         {"", "body: not JSON"},
         {"[1]", "body: must be an object"},
         {"{}", "applications: must be an array"},
         {R"({"applications": {}})", "applications: must be an array"},
         {R"({"applications": [5]})", "applications[0]: must be an object"},
         {R"({"applications": [{}]})", "applications[0].name: must be a string"},
         {R"({"applications": [{"name": ""}]})", "applications[0].name: application name"},
         {R"({"applications": [{"name": "a"}, {"name": "a"}]})",
          "applications[1]: application a listed twice"},
         {R"({"applications": [{"name": "a", "tenantId": 7}]})",
          "applications[0].tenantId: must be a string"},
         {R"({"applications": [{"name": "a", "tenantId": ""}]})",
          "applications[0].tenantId: tenant id must be 1 to 256 bytes"},
         {R"({"applications": [{"name": "a", "tenantId": "t\u0001"}]})",
          "applications[0].tenantId: tenant id must not contain control characters"},
         {R"({"applications": [{"name": "a", "config": []}]})",
          "applications[0].config: must be an object"},
         {R"({"applications": [{"name": "a", "config": {"endpoint-configuration": 1}}]})",
          "applications[0].config.endpoint-configuration: must be an object"},
         {R"({"applications": [{"name": "a", "config": {"endpoint-configuration":
              {"schema-required": "yes"}}}]})",
          "applications[0].config.endpoint-configuration.schema-required: must be true or false"},
         {R"({"applications": [{"name": "a", "config": {"endpoint-configuration":
              {"schema": {"type": "strin"}}}}]})",
          "applications[0].config.endpoint-configuration.schema: invalid JSON schema"},
         {R"({"applications": [{"name": "a", "config": {"endpointConfigurationSchema": {},
              "endpoint-configuration": {"schema": {}}}}]})",
          "applications[0].config.endpoint-configuration.schema: give either"},
         {R"({"applications": [{"name": "a", "config": {"endpointConfigurationSchema": "{"}}]})",
          "applications[0].config.endpointConfigurationSchema: schema is not valid JSON"},
         {R"({"applications": [{"name": "a", "appVersions": {}}]})",
          "applications[0].appVersions: must be an array"},
         {R"({"applications": [{"name": "a", "appVersions": [{"name": 1}]}]})",
          "applications[0].appVersions[0].name: must be a string"},
         {R"({"applications": [{"name": "a", "appVersions": [{"name": "v1",
              "config": {"endpointConfigurationSchema": {"minLength": -1}}}]}]})",
          "applications[0].appVersions[0].config.endpointConfigurationSchema: invalid JSON schema"},
         {R"({"applications": [{"name": "a", "appVersions": [{"name": "v1"}]},
              {"name": "b", "appVersions": [{"name": "v1"}]}]})",
          "applications[1].appVersions[0]: app version v1 is already listed under application a"},
       }) {
    auto catalog = parse_tekton_app_configs(body);
    ASSERT_FALSE(catalog) << body;
    EXPECT_EQ(error_code(catalog.error()), ec::invalid_argument) << body;
    auto message = error_message(catalog.error());
    EXPECT_NE(message.find(where), std::string::npos) << message << "\nexpected: " << where;
  }
}

TEST(core_tekton, deep_nesting_is_refused_without_exhausting_the_stack) {
  std::string deep = R"({"applications": [{"name": "a", "config": {"endpointConfigurationSchema": )"
                     + std::string(200000, '[') + std::string(200000, ']') + "}}]}";
  auto catalog = parse_tekton_app_configs(deep);
  ASSERT_FALSE(catalog);
  EXPECT_NE(error_message(catalog.error()).find("body: nested deeper than 512 levels"),
            std::string::npos)
    << error_message(catalog.error());
}

TEST(core_tekton, the_url_names_this_instance) {
  EXPECT_EQ(tekton_app_configs_url("http://tekton", "ecr"),
            "http://tekton/api/v1/app-configs?serviceInstanceName=ecr");
  EXPECT_EQ(tekton_app_configs_url("http://tekton:8080/base/", "ecr-blue_2"),
            "http://tekton:8080/base/api/v1/app-configs?serviceInstanceName=ecr-blue_2");
  EXPECT_EQ(tekton_app_configs_url("http://t", "a b&c"),
            "http://t/api/v1/app-configs?serviceInstanceName=a%20b%26c");
}

/// Tekton's REST API, stood in for over loopback.
class tekton_client : public ::testing::Test {
protected:
  tekton_stand_in tekton_{R"({"applications": [{"name": "kettle"}]})"};
};

TEST_F(tekton_client, tekton_settings_are_fetched_for_the_instance) {
  outbound_http_client http;
  auto catalog = fetch_tekton_app_configs(http, tekton_.url() + "/", "ecr-blue");
  ASSERT_TRUE(catalog) << render(catalog.error());
  EXPECT_EQ(catalog->applications().count("kettle"), 1u);
  EXPECT_EQ(tekton_.requests(),
            std::vector<std::string>{"GET /api/v1/app-configs?serviceInstanceName=ecr-blue"});
  tekton_.fail_with(503);
  auto unavailable = fetch_tekton_app_configs(http, tekton_.url(), "ecr");
  ASSERT_FALSE(unavailable);
  EXPECT_EQ(error_code(unavailable.error()), ec::unavailable);
  tekton_.fail_with(500);
  auto failed = fetch_tekton_app_configs(http, tekton_.url(), "ecr");
  ASSERT_FALSE(failed);
  EXPECT_EQ(error_code(failed.error()), ec::upstream_failure);
  tekton_.fail_with(0);
  tekton_.serve("not json");
  auto garbled = fetch_tekton_app_configs(http, tekton_.url(), "ecr");
  ASSERT_FALSE(garbled);
  EXPECT_EQ(error_code(garbled.error()), ec::invalid_argument);
}

} // namespace
} // namespace ecr::test
