// Application settings from Tekton (spec 7.2, 6.8): the real `ecr` with
// KAA_TEKTON_ENABLED, a real nats-server and the Tekton stand-in. Settings
// from Tekton enforce schemas and map app versions to applications (the
// file's kaa.applications are ignored); a 17/SCMP event, broadcast or
// targeted, brings changed settings into force without restart; Tekton
// unreachable at start keeps readiness down while REST answers; a bad schema
// from Tekton keeps the settings in force.

#include "messaging/avro.hpp"
#include "tests/e2e/nats_helpers.hpp"
#include "tests/support/tekton_stand_in.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace ecr::test {
namespace {

const http_headers json_type{{"Content-Type", "application/json"}};

/// smart-meter: pushInterval required on every version but v2, which needs
/// a mode instead.
const std::string first_settings = R"({"applications": [
  {"name": "smart-meter",
   "config": {"endpoint-configuration": {
     "schema-required": true,
     "schema": {"type": "object", "required": ["pushInterval"],
                "properties": {"pushInterval": {"type": "integer", "minimum": 1}}}}},
   "appVersions": [
     {"name": "smart-meter-v1"},
     {"name": "smart-meter-v2",
      "config": {"endpointConfigurationSchema": {"type": "object", "required": ["mode"]}}}]}
]})";

/// smart-meter now wants an `interval`, and a new application owns lamp-v1.
const std::string second_settings = R"({"applications": [
  {"name": "smart-meter",
   "config": {"endpoint-configuration": {
     "schema": {"type": "object", "required": ["interval"]}}},
   "appVersions": [{"name": "smart-meter-v1"}]},
  {"name": "lamp", "appVersions": [{"name": "lamp-v1"}]}
]})";

const std::string third_settings = R"({"applications": [
  {"name": "smart-meter",
   "config": {"endpointConfigurationSchema": {"type": "object", "required": ["colour"]}},
   "appVersions": [{"name": "smart-meter-v1"}]}
]})";

/// An invalid JSON schema (no such type).
const std::string bad_settings = R"({"applications": [
  {"name": "smart-meter",
   "config": {"endpointConfigurationSchema": {"type": "strin"}},
   "appVersions": [{"name": "smart-meter-v1"}]}
]})";

/// The file's applications, which Tekton's replace: were they in force,
/// file-v1 would refuse every configuration (required, but no schema).
const std::string file_applications = R"(
kaa:
  applications:
    file-app:
      endpoint-configuration:
        schema-required: true
      versions: [file-v1]
)";

const std::vector<std::string> scmp_subjects{
  "kaa.v1.events.tekton.service.configuration.upsert",
  "kaa.v1.events.tekton.service.configuration.delete",
  "kaa.v1.service.ecr.scmp.configuration.upsert",
  "kaa.v1.service.ecr.scmp.configuration.delete",
};

class e2e_tekton : public ::testing::Test {
protected:
  /// Starts ecr reading its settings from Tekton at `tekton_url`, with
  /// retries at most 200 ms apart, and waits for its SCMP subscriptions.
  void start(const std::string& tekton_url) {
    auto options = ecr_binary({{"KAA_TEKTON_ENABLED", "true"},
                               {"KAA_TEKTON_URL", tekton_url},
                               {"KAA_TEKTON_RETRY_MAX_MS", "200"}},
                              file_applications);
    options.nats_urls = nats_.url();
    ecr_ = std::make_unique<ecr_process>(std::move(options));
    client_ = std::make_unique<nats_test_client>(nats_.url());
    expect_scmp_subscriptions();
  }

  http_client& http() {
    return ecr_->http();
  }

  /// Every SCMP subject subscribed once, without a queue group: each replica
  /// must see each event.
  void expect_scmp_subscriptions() {
    std::vector<nats_subscription_info> seen;
    auto subscribed = poll_until([&] {
      seen.clear();
      for (const auto& connection : nats_.connections())
        for (const auto& s : connection.subscriptions)
          if (std::find(scmp_subjects.begin(), scmp_subjects.end(), s.subject)
              != scmp_subjects.end())
            seen.push_back(s);
      return seen.size() == scmp_subjects.size();
    });
    ASSERT_TRUE(subscribed) << seen.size() << " of the SCMP subjects subscribed";
    for (const auto& s : seen)
      EXPECT_EQ(s.queue_group, "") << s.subject;
  }

  void publish_broadcast(const std::string& action) {
    avro::broadcast_configuration_update_event event;
    event.correlation_id = new_correlation_id();
    event.timestamp = now_millis();
    event.originator_replica_id = "tekton-0";
    client_->publish("kaa.v1.events.tekton.service.configuration." + action,
                     avro::encode(event));
  }

  void publish_targeted(const std::string& action) {
    avro::service_specific_configuration_update_event event;
    event.correlation_id = new_correlation_id();
    event.timestamp = now_millis();
    event.tenant_id = default_tenant;
    event.app_name = "smart-meter";
    client_->publish("kaa.v1.service.ecr.scmp.configuration." + action, avro::encode(event));
  }

  /// The schema in force for `app_version` (empty when none).
  std::string schema_of(const std::string& app_version) {
    auto r = http().get(api + "/app-versions/" + app_version + "/schemas");
    return r.status == 200 ? r.body : "";
  }

  /// Waits until the schema of smart-meter-v1 names `property`.
  void wait_for_schema_naming(const std::string& property) {
    std::string last;
    EXPECT_TRUE(poll_until([&] {
      last = schema_of("smart-meter-v1");
      return last.find("\"" + property + "\"") != std::string::npos;
    })) << "the schema never named " << property << "; last: " << last;
  }

  /// Expects a PUT of `body` to `url` to be refused (400) naming `fragment`.
  void expect_refused(const std::string& url, const std::string& body,
                      const std::string& fragment) {
    auto r = http().put_json(url, body);
    ASSERT_EQ(r.status, 400) << r.describe();
    EXPECT_NE(r.body.find(fragment), std::string::npos) << r.body;
  }

  void create_system_config(const std::string& level_path, const std::string& config) {
    auto r = http().request("POST", api + "/system/" + level_path + "/configs", json_type,
                            R"({"name":"logging","config":)" + config + "}");
    ASSERT_EQ(r.status, 201) << r.describe();
  }

  /// The `logging` system configuration in force at an app version.
  std::string current_at(const std::string& app_version) {
    auto r = http().get(api + "/system/app-versions/" + app_version
                        + "/configs/current?name=logging");
    EXPECT_EQ(r.status, 200) << r.describe();
    return r.status == 200 ? std::string{parse_json(r.body)["config"].GetString()} : "";
  }

  /// The readiness body's `tekton` component status ("" when missing).
  static std::string tekton_status(const readiness& r) {
    auto doc = parse_json(r.body);
    if (!doc.IsObject() || !doc.HasMember("components") || !doc["components"].HasMember("tekton"))
      return "";
    return doc["components"]["tekton"]["status"].GetString();
  }

  nats_server nats_;
  std::unique_ptr<ecr_process> ecr_;
  std::unique_ptr<nats_test_client> client_;
};

const std::string meter_v1 = api + "/endpoints/ep-1/app-versions/smart-meter-v1";

TEST_F(e2e_tekton, settings_from_tekton_enforce_schemas_and_map_versions) {
  tekton_stand_in tekton{first_settings};
  start(tekton.url());
  auto ready = wait_for_readiness(http(), 200);
  EXPECT_EQ(tekton_status(ready), "UP") << ready.body;
  EXPECT_EQ(tekton.requests().front(), "GET /api/v1/app-configs?serviceInstanceName=ecr");
  expect_refused(meter_v1, R"({"pushInterval":"often"})", "/pushInterval");
  EXPECT_EQ(http().put_json(meter_v1, R"({"pushInterval":5})").status, 200);
  expect_refused(api + "/app-versions/smart-meter-v2", R"({"pushInterval":5})", "mode");
  // kaa.applications from the file is not in force.
  auto file = http().put_json(api + "/endpoints/ep-2/app-versions/file-v1", "{}");
  EXPECT_EQ(file.status, 200) << file.describe();
  // The app version -> application mapping drives the system config walk.
  create_system_config("tenants/kaa", R"({"at":"tenant"})");
  create_system_config("applications/smart-meter", R"({"at":"application"})");
  EXPECT_EQ(current_at("smart-meter-v2"), R"({"at":"application"})");
  EXPECT_EQ(current_at("file-v1"), R"({"at":"tenant"})");
}

TEST_F(e2e_tekton, scmp_events_bring_changed_settings_into_force) {
  tekton_stand_in tekton{first_settings};
  start(tekton.url());
  wait_for_readiness(http(), 200);
  create_system_config("tenants/kaa", R"({"at":"tenant"})");
  create_system_config("applications/lamp", R"({"at":"lamp"})");
  EXPECT_EQ(current_at("lamp-v1"), R"({"at":"tenant"})");

  // A broadcast naming nothing: everything is reloaded.
  tekton.serve(second_settings);
  publish_broadcast("upsert");
  wait_for_schema_naming("interval");
  expect_refused(meter_v1, R"({"pushInterval":5})", "interval");
  EXPECT_EQ(http().put_json(meter_v1, R"({"interval":5})").status, 200);
  EXPECT_EQ(current_at("lamp-v1"), R"({"at":"lamp"})");
  // smart-meter-v2 is gone with the old settings.
  EXPECT_EQ(schema_of("smart-meter-v2"), "");

  // An event for this instance alone, naming a tenant and an application.
  tekton.serve(third_settings);
  publish_targeted("delete");
  wait_for_schema_naming("colour");
  expect_refused(meter_v1, R"({"interval":5})", "colour");
}

TEST_F(e2e_tekton, tekton_down_at_start_holds_readiness_until_it_answers) {
  auto port = free_loopback_port();
  start("http://127.0.0.1:" + std::to_string(port));
  auto down = get_readiness(http());
  EXPECT_EQ(down.http_status, 503) << down.body;
  EXPECT_EQ(tekton_status(down), "DOWN") << down.body;
  EXPECT_EQ(down.storage, "UP") << down.body;
  // REST answers meanwhile, with no application settings in force.
  EXPECT_EQ(http().put_json(meter_v1, R"({"pushInterval":"often"})").status, 200);
  EXPECT_EQ(http().get(meter_v1).status, 200);

  // Tekton comes up failing: ecr keeps asking, and stays not ready.
  tekton_stand_in tekton{first_settings, port, 503};
  EXPECT_TRUE(poll_until([&] { return tekton.requests().size() >= 2; }))
    << "no retries reached Tekton";
  down = get_readiness(http());
  EXPECT_EQ(down.http_status, 503) << down.body;
  EXPECT_EQ(tekton_status(down), "DOWN") << down.body;

  tekton.fail_with(0);
  auto ready = wait_for_readiness(http(), 200);
  EXPECT_EQ(tekton_status(ready), "UP") << ready.body;
  expect_refused(meter_v1, R"({"pushInterval":"often"})", "/pushInterval");
}

TEST_F(e2e_tekton, a_bad_schema_from_tekton_keeps_the_settings_in_force) {
  tekton_stand_in tekton{first_settings};
  start(tekton.url());
  wait_for_readiness(http(), 200);
  auto before = schema_of("smart-meter-v1");
  ASSERT_NE(before, "");

  tekton.serve(bad_settings);
  publish_broadcast("upsert");
  EXPECT_TRUE(poll_until([&] {
    return ecr_->log().find("keeping the previous settings") != std::string::npos;
  })) << ecr_->log();
  EXPECT_EQ(schema_of("smart-meter-v1"), before);
  expect_refused(meter_v1, R"({"pushInterval":"often"})", "/pushInterval");
  auto ready = get_readiness(http());
  EXPECT_EQ(ready.http_status, 200) << ready.body;

  // Fixed at Tekton: the next event brings the fixed settings in.
  tekton.serve(third_settings);
  publish_broadcast("delete");
  wait_for_schema_naming("colour");
}

} // namespace
} // namespace ecr::test
