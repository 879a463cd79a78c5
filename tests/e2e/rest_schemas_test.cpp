// Endpoint configuration schemas (A18, D5, D6) over real HTTP, with the
// application settings from `kaa.applications` in the service config file:
// PUTs validated against the version's or the application's schema with every
// violation named, `schema-required` without a schema refused, batch upserts
// all-or-nothing, and the schema routes.

#include "tests/e2e/e2e_helpers.hpp"

#include <gtest/gtest.h>

namespace ecr::test {
namespace {

const std::string api = "/api/v1";

const char* const applications_yaml = R"(
kaa:
  applications:
    smart-meter:
      endpoint-configuration:
        schema-required: true
        schema:
          type: object
          properties:
            pushInterval: {type: integer, minimum: 1}
            label: {type: string}
          required: [pushInterval]
      versions:
        smart-meter-v1:
        smart-meter-v2:
          endpointConfigurationSchema:
            type: object
            properties:
              mode: {enum: [eco, boost]}
            required: [mode]
    sensor:
      endpointConfigurationSchema: '{"type": "object", "maxProperties": 1}'
      versions: [sensor-v1]
    strict:
      endpoint-configuration:
        schema-required: true
      versions: [strict-v1]
)";

class e2e_schemas : public ::testing::Test {
protected:
  void SetUp() override {
    ecr_ = start_ecr({}, applications_yaml);
  }

  http_client& http() {
    return ecr_->http();
  }

  std::string endpoint_url(const std::string& endpoint, const std::string& app_version) {
    return api + "/endpoints/" + endpoint + "/app-versions/" + app_version;
  }

  /// Expects `r` to be a 400 whose message names each of `fragments`.
  void expect_violations(const http_response& r, const std::vector<std::string>& fragments) {
    ASSERT_EQ(r.status, 400) << r.describe();
    std::string message = parse_json(r.body)["message"].GetString();
    for (const auto& fragment : fragments)
      EXPECT_NE(message.find(fragment), std::string::npos)
        << "'" << fragment << "' not in: " << message;
  }

  std::unique_ptr<ecr_process> ecr_;
};

TEST_F(e2e_schemas, the_application_schema_guards_its_versions) {
  auto url = endpoint_url("ep-1", "smart-meter-v1");
  expect_violations(http().put_json(url, R"({"pushInterval":"5","label":7})"),
                    {"smart-meter-v1", "/pushInterval", "/label"});
  expect_violations(http().put_json(url, R"({"label":"x"})"), {"pushInterval"});
  expect_violations(http().put_json(url, R"({"pushInterval":0})"), {"/pushInterval"});
  EXPECT_EQ(http().get(url).status, 404) << "a refused PUT stored something";
  auto ok = http().put_json(url, R"({"pushInterval":5})");
  EXPECT_EQ(ok.status, 200) << ok.describe();
  // A refused update leaves the stored configuration as it was.
  expect_violations(http().put_json(url, R"({"pushInterval":-1})"), {"/pushInterval"});
  EXPECT_EQ(expect_config(http().get(url)).config, R"({"pushInterval":5})");
}

TEST_F(e2e_schemas, a_version_schema_overrides_the_application_schema) {
  auto url = api + "/app-versions/smart-meter-v2";
  auto ok = http().put_json(url, R"({"mode":"eco"})");
  EXPECT_EQ(ok.status, 200) << ok.describe() << " (the app schema's pushInterval must not apply)";
  expect_violations(http().put_json(url, R"({"mode":"turbo","pushInterval":5})"), {"/mode"});
}

TEST_F(e2e_schemas, a_schema_given_as_json_text_applies_without_being_required) {
  EXPECT_EQ(http().put_json(endpoint_url("ep-1", "sensor-v1"), R"({"a":1})").status, 200);
  expect_violations(http().put_json(endpoint_url("ep-2", "sensor-v1"), R"({"a":1,"b":2})"),
                    {"sensor-v1"});
}

TEST_F(e2e_schemas, a_required_schema_that_is_missing_refuses_with_404) {
  auto r = http().put_json(endpoint_url("ep-1", "strict-v1"), "{}");
  ASSERT_EQ(r.status, 404) << r.describe();
  std::string message = parse_json(r.body)["message"].GetString();
  EXPECT_NE(message.find("required"), std::string::npos) << message;
  EXPECT_EQ(http().put_json(api + "/app-versions/strict-v1", "{}").status, 404);
  EXPECT_EQ(http().get(endpoint_url("ep-1", "strict-v1")).status, 404);
}

TEST_F(e2e_schemas, versions_without_settings_take_any_json) {
  EXPECT_EQ(http().put_json(endpoint_url("ep-1", "unlisted-v1"), R"("anything")").status, 200);
}

TEST_F(e2e_schemas, a_batch_is_validated_for_every_version_before_any_write) {
  auto body = R"({"configPayload":{"pushInterval":"often"},"endpoints":{)"
              R"("unlisted-v1":["ep-1"],"smart-meter-v1":["ep-2"]}})";
  expect_violations(http().put_json(api + "/endpoints/batch", body), {"/pushInterval"});
  EXPECT_EQ(http().get(endpoint_url("ep-1", "unlisted-v1")).status, 404);
  EXPECT_EQ(http().get(endpoint_url("ep-2", "smart-meter-v1")).status, 404);
  auto valid = R"({"configPayload":{"pushInterval":3},"endpoints":{)"
               R"("unlisted-v1":["ep-1"],"smart-meter-v1":["ep-2"]}})";
  EXPECT_EQ(http().put_json(api + "/endpoints/batch", valid).status, 200);
  EXPECT_EQ(http().get(endpoint_url("ep-2", "smart-meter-v1")).status, 200);
}

TEST_F(e2e_schemas, the_schema_route_serves_the_schema_in_force) {
  auto app = http().get(api + "/app-versions/smart-meter-v1/schemas");
  ASSERT_EQ(app.status, 200) << app.describe();
  auto schema = parse_json(app.body);
  EXPECT_EQ(std::string{schema["type"].GetString()}, "object");
  EXPECT_TRUE(schema["properties"].HasMember("pushInterval"));
  auto version = parse_json(http().get("/ecr/api/v1/app-versions/smart-meter-v2/schemas").body);
  EXPECT_TRUE(version["properties"].HasMember("mode"));
  EXPECT_FALSE(version["properties"].HasMember("pushInterval"));
  EXPECT_EQ(http().get(api + "/app-versions/unlisted-v1/schemas").status, 404);
  EXPECT_EQ(http().get(api + "/app-versions/strict-v1/schemas").status, 404);
}

TEST_F(e2e_schemas, validate_checks_a_configuration_without_storing_it) {
  auto url = api + "/app-versions/smart-meter-v1/schemas/validate";
  auto ok = http().put_json(url, R"({"pushInterval":1})");
  ASSERT_EQ(ok.status, 200) << ok.describe();
  EXPECT_TRUE(parse_json(ok.body)["valid"].GetBool());
  expect_violations(http().put_json(url, R"({"pushInterval":true})"), {"/pushInterval"});
  expect_violations(http().put_json(url, "{not json"), {"JSON"});
  EXPECT_EQ(http().put_json(api + "/app-versions/unlisted-v1/schemas/validate", "{}").status, 404);
  EXPECT_EQ(http().get(api + "/app-versions/smart-meter-v1").status, 404) << "validate stored it";
}

TEST(e2e_schema_settings, an_invalid_schema_in_the_config_file_stops_the_start) {
  auto result = run_ecr_to_exit(ecr_binary({}, R"(
kaa:
  applications:
    broken:
      endpoint-configuration:
        schema: {type: 17}
)"));
  EXPECT_TRUE(result.status.exited_with(2))
    << result.status.describe() << "\n" << result.output;
  EXPECT_NE(result.output.find("kaa.applications.broken"), std::string::npos)
    << result.output;
}

} // namespace
} // namespace ecr::test
