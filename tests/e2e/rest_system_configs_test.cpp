// System configurations (A17, S1-S6, 27/SCMP) over real HTTP: the four
// levels, the Spring page, `current` with and without walking up, bad input
// refused without change, and the SCMP events checked by Apache Avro's own
// Python decoder.

#include "tests/e2e/nats_helpers.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace ecr::test {
namespace {

using namespace std::chrono_literals;

const http_headers json_type{{"Content-Type", "application/json"}};

/// One level's path under /system, e.g. "endpoints/ep-1".
struct level_case {
  std::string path;
  std::string level;
  std::string level_id;
};

const std::vector<level_case> all_levels{
  {"tenants/tenant-a", "TENANT", "tenant-a"},
  {"applications/smart-meter", "APPLICATION", "smart-meter"},
  {"app-versions/smart-meter-v1", "APP_VERSION", "smart-meter-v1"},
  {"endpoints/ep-1", "ENDPOINT", "ep-1"},
};

std::string body(const std::string& name, const std::string& config,
                 const std::string& display_name = "") {
  auto text = "{\"name\":\"" + name + "\",\"config\":" + config;
  if (!display_name.empty())
    text += ",\"displayName\":\"" + display_name + "\"";
  return text + "}";
}

/// A SystemConfiguration as served.
struct system_config {
  std::string config_id;
  std::string name;
  std::optional<std::string> display_name;
  std::string config;
  std::string created_at;
  std::string updated_at;
};

system_config to_system_config(const rapidjson::Value& v) {
  system_config x;
  x.config_id = v["configId"].GetString();
  x.name = v["name"].GetString();
  if (v["displayName"].IsString())
    x.display_name = v["displayName"].GetString();
  x.config = v["config"].GetString();
  x.created_at = v["createdAt"].GetString();
  x.updated_at = v["updatedAt"].GetString();
  return x;
}

class e2e_system_configs : public nats_e2e {
protected:
  std::string configs(const std::string& level_path,
                      const std::string& base = api) {
    return base + "/system/" + level_path + "/configs";
  }

  http_response post(const std::string& level_path, const std::string& text,
                     const std::string& base = api) {
    return http().request("POST", configs(level_path, base), json_type, text);
  }

  /// POSTs and returns the new record's URL (from Location).
  std::string create(const std::string& level_path, const std::string& name,
                     const std::string& config) {
    auto r = post(level_path, body(name, config));
    EXPECT_EQ(r.status, 201) << r.describe();
    return r.header("Location").value_or("");
  }

  system_config get(const std::string& url) {
    auto r = http().get(url);
    EXPECT_EQ(r.status, 200) << r.describe();
    if (r.status != 200)
      return {};
    return to_system_config(parse_json(r.body));
  }

  /// `current` at a level; status 200 or the expected error.
  http_response current(const std::string& level_path, const std::string& query) {
    return http().get(configs(level_path) + "/current" + query);
  }

  std::string id_of(const std::string& url) {
    return url.substr(url.rfind('/') + 1);
  }
};

// -- S1, S2, S4, S5, S6 at each level -------------------------------------------

TEST_F(e2e_system_configs, every_level_creates_reads_lists_updates_and_deletes) {
  for (const auto& level : all_levels) {
    SCOPED_TRACE(level.path);
    auto r = post(level.path, body("logging", R"({"level":"debug"})", "Logging"));
    ASSERT_EQ(r.status, 201) << r.describe();
    EXPECT_TRUE(r.body.empty());
    auto url = r.header("Location").value_or("");
    EXPECT_EQ(url.rfind(configs(level.path) + "/", 0), 0u) << url;
    auto created_tag = r.header("ETag");
    ASSERT_TRUE(created_tag);
    auto created = get(url);
    EXPECT_EQ(created.config_id, id_of(url));
    EXPECT_EQ(created.name, "logging");
    EXPECT_EQ(created.display_name.value_or("<null>"), "Logging");
    EXPECT_EQ(created.config, R"({"level":"debug"})");
    EXPECT_EQ(created.created_at, created.updated_at);
    EXPECT_EQ(http().get(url).header("ETag"), created_tag);

    auto list = http().get(configs(level.path));
    ASSERT_EQ(list.status, 200) << list.describe();
    auto page = parse_json(list.body);
    ASSERT_EQ(page["content"].Size(), 1u);
    EXPECT_EQ(to_system_config(page["content"][0]).config_id, created.config_id);
    EXPECT_EQ(page["totalElements"].GetInt64(), 1);

    std::this_thread::sleep_for(5ms); // a later updatedAt
    auto put = http().put_json(url, body("logging", R"("{\"level\":\"warn\"}")"));
    EXPECT_EQ(put.status, 204) << put.describe();
    EXPECT_TRUE(put.body.empty());
    EXPECT_NE(put.header("ETag"), created_tag);
    auto updated = get(url);
    EXPECT_EQ(updated.config, R"({"level":"warn"})");
    EXPECT_EQ(updated.created_at, created.created_at);
    EXPECT_GT(updated.updated_at, created.updated_at);
    EXPECT_FALSE(updated.display_name) << "PUT replaces the display name";

    EXPECT_EQ(http().del(url).status, 204);
    EXPECT_EQ(http().get(url).status, 404);
    EXPECT_EQ(http().del(url).status, 404);
    EXPECT_EQ(parse_json(http().get(configs(level.path)).body)["totalElements"].GetInt64(), 0);
  }
}

TEST_F(e2e_system_configs, both_base_paths_serve_and_locate) {
  auto r = post("tenants/t1", body("a", "1"), "/ecr/api/v1");
  ASSERT_EQ(r.status, 201) << r.describe();
  auto url = r.header("Location").value_or("");
  EXPECT_EQ(url.rfind("/ecr/api/v1/system/tenants/t1/configs/", 0), 0u) << url;
  EXPECT_EQ(get("/api/v1/system/tenants/t1/configs/" + id_of(url)).config, "1");
}

TEST_F(e2e_system_configs, a_name_is_unique_per_level_and_id) {
  create("endpoints/ep-1", "logging", "{}");
  auto again = post("endpoints/ep-1", body("logging", "[]"));
  EXPECT_EQ(again.status, 409) << again.describe();
  // Elsewhere the name is free.
  create("endpoints/ep-2", "logging", "{}");
  create("app-versions/ep-1", "logging", "{}");
  auto page = parse_json(http().get(configs("endpoints/ep-1")).body);
  ASSERT_EQ(page["content"].Size(), 1u);
  EXPECT_EQ(std::string{page["content"][0]["config"].GetString()}, "{}");
}

TEST_F(e2e_system_configs, lists_are_spring_pages) {
  for (auto name : {"a", "b", "c"})
    create("applications/app", name, "{}");
  auto r = http().get(configs("applications/app") + "?page=1&size=2");
  ASSERT_EQ(r.status, 200) << r.describe();
  auto page = parse_json(r.body);
  ASSERT_EQ(page["content"].Size(), 1u);
  EXPECT_EQ(std::string{page["content"][0]["name"].GetString()}, "c");
  EXPECT_EQ(page["totalElements"].GetInt64(), 3);
  EXPECT_EQ(page["totalPages"].GetInt64(), 2);
  EXPECT_EQ(page["number"].GetInt64(), 1);
  EXPECT_EQ(page["size"].GetInt64(), 2);
  EXPECT_TRUE(page["last"].GetBool());
  EXPECT_EQ(http().get(configs("applications/app") + "?size=0").status, 400);
  EXPECT_EQ(http().get(configs("applications/app") + "?page=-1").status, 400);
}

// -- bad input ------------------------------------------------------------------

TEST_F(e2e_system_configs, bad_bodies_are_refused_and_change_nothing) {
  auto url = create("endpoints/ep-1", "logging", R"({"v":1})");
  struct bad {
    std::string why;
    std::string text;
    int status;
  };
  for (const auto& [why, text, status] : std::vector<bad>{
         {"not JSON", "{", 400},
         {"not an object", "[1]", 400},
         {"no config", R"({"name":"x"})", 400},
         {"null config", R"({"name":"x","config":null})", 400},
         {"config string not JSON", R"({"name":"x","config":"{nope"})", 400},
         {"name not a string", R"({"name":7,"config":{}})", 400},
         {"bad name", R"({"name":"a b","config":{}})", 400},
         {"no name", R"({"config":{}})", 400},
         {"displayName not a string", R"({"name":"x","displayName":[],"config":{}})", 400},
       }) {
    SCOPED_TRACE(why);
    auto r = post("endpoints/ep-1", text);
    EXPECT_EQ(r.status, status) << r.describe();
    EXPECT_TRUE(parse_json(r.body).HasMember("message")) << r.describe();
  }
  auto wrong_type
    = http().request("POST", configs("endpoints/ep-1"), {{"Content-Type", "text/plain"}},
                     body("x", "{}"));
  EXPECT_EQ(wrong_type.status, 415);
  // An update may not rename; a bad update changes nothing.
  EXPECT_EQ(http().put_json(url, body("renamed", "{}")).status, 400);
  EXPECT_EQ(http().put_json(url, R"({"config":"{nope"})").status, 400);
  auto kept = get(url);
  EXPECT_EQ(kept.name, "logging");
  EXPECT_EQ(kept.config, R"({"v":1})");
  EXPECT_EQ(parse_json(http().get(configs("endpoints/ep-1")).body)["totalElements"].GetInt64(), 1);
  // Without a name, PUT keeps it.
  EXPECT_EQ(http().put_json(url, R"({"config":{"v":2}})").status, 204);
  EXPECT_EQ(get(url).name, "logging");
}

TEST_F(e2e_system_configs, a_config_id_is_found_only_under_its_own_level) {
  auto url = create("endpoints/ep-1", "logging", "{}");
  auto id = id_of(url);
  for (const auto& other : {configs("endpoints/ep-2"), configs("app-versions/ep-1"),
                            configs("tenants/ep-1")}) {
    SCOPED_TRACE(other);
    EXPECT_EQ(http().get(other + "/" + id).status, 404);
    EXPECT_EQ(http().put_json(other + "/" + id, body("logging", "[1]")).status, 404);
    EXPECT_EQ(http().del(other + "/" + id).status, 404);
  }
  EXPECT_EQ(get(url).config, "{}");
}

TEST_F(e2e_system_configs, unknown_levels_and_bad_ids_are_refused) {
  EXPECT_EQ(http().get(api + "/system/planets/p1/configs").status, 404);
  EXPECT_EQ(post("planets/p1", body("x", "{}")).status, 404);
  // Identifiers may hold spaces (as in Kaa), not control characters.
  EXPECT_EQ(http().get(configs("endpoints/bad%01id")).status, 400);
  EXPECT_EQ(http().get(configs("endpoints/ep-1") + "/bad%01id").status, 400);
  EXPECT_EQ(http().get(configs("endpoints/ep-1") + "/no%20such").status, 404);
  EXPECT_EQ(http().get(configs("endpoints/ep-1") + "/0b3b7d5e-0000-4000-8000-000000000000").status,
            404);
  EXPECT_EQ(http().request("PATCH", configs("endpoints/ep-1")).status, 405);
}

// -- S3: current -----------------------------------------------------------------

TEST_F(e2e_system_configs, current_is_the_level_own_record) {
  create("app-versions/v1", "default", R"({"at":"v1"})");
  create("app-versions/v1", "alerts", R"({"at":"v1-alerts"})");
  auto r = current("app-versions/v1", "");
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(to_system_config(parse_json(r.body)).config, R"({"at":"v1"})");
  EXPECT_TRUE(r.header("ETag"));
  r = current("app-versions/v1", "?name=alerts&treeTraversalStrategy=SKIP");
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(to_system_config(parse_json(r.body)).config, R"({"at":"v1-alerts"})");
}

TEST_F(e2e_system_configs, current_walks_up_to_the_tenant_unless_skipped) {
  // ECR knows ep-1 under app version v1 from its configuration.
  put_config(http(), api, endpoint_key("ep-1", "v1"), "{}");
  create("tenants/kaa", "logging", R"({"at":"tenant"})");
  auto walked = current("endpoints/ep-1", "?name=logging");
  ASSERT_EQ(walked.status, 200) << walked.describe();
  EXPECT_EQ(to_system_config(parse_json(walked.body)).config, R"({"at":"tenant"})");
  EXPECT_EQ(current("endpoints/ep-1", "?name=logging&treeTraversalStrategy=SKIP").status, 404);
  // The app version's own record is nearer than the tenant's.
  create("app-versions/v1", "logging", R"({"at":"v1"})");
  walked = current("endpoints/ep-1", "?name=logging");
  EXPECT_EQ(to_system_config(parse_json(walked.body)).config, R"({"at":"v1"})");
  // And the endpoint's own nearer still.
  create("endpoints/ep-1", "logging", R"({"at":"ep-1"})");
  walked = current("endpoints/ep-1", "?name=logging");
  EXPECT_EQ(to_system_config(parse_json(walked.body)).config, R"({"at":"ep-1"})");
  // An endpoint ECR never saw still reaches the tenant.
  walked = current("endpoints/stranger", "?name=logging");
  EXPECT_EQ(to_system_config(parse_json(walked.body)).config, R"({"at":"tenant"})");
}

TEST_F(e2e_system_configs, current_without_any_record_is_404) {
  auto r = current("endpoints/ep-1", "?name=nothing");
  EXPECT_EQ(r.status, 404) << r.describe();
  EXPECT_EQ(current("tenants/kaa", "").status, 404);
  EXPECT_EQ(current("endpoints/ep-1", "?treeTraversalStrategy=UP").status, 400);
  EXPECT_EQ(current("endpoints/ep-1", "?name=a%20b").status, 400);
}

TEST(e2e_system_config_tree, current_walks_through_the_application_of_the_version) {
  // The application settings say which application an app version is of.
  auto ecr = start_ecr({}, R"(
kaa:
  applications:
    smart-meter:
      versions: [smart-meter-v1]
)");
  auto& http = ecr->http();
  auto create = [&](const std::string& level_path, const std::string& config) {
    auto r = http.request("POST", api + "/system/" + level_path + "/configs", json_type,
                          body("logging", config));
    ASSERT_EQ(r.status, 201) << r.describe();
  };
  auto current = [&](const std::string& level_path) {
    auto r = http.get(api + "/system/" + level_path + "/configs/current?name=logging");
    EXPECT_EQ(r.status, 200) << r.describe();
    return r.status == 200 ? to_system_config(parse_json(r.body)).config : "";
  };
  put_config(http, api, endpoint_key("ep-1", "smart-meter-v1"), "{}");
  create("tenants/kaa", R"({"at":"tenant"})");
  create("applications/smart-meter", R"({"at":"application"})");
  EXPECT_EQ(current("endpoints/ep-1"), R"({"at":"application"})");
  EXPECT_EQ(current("app-versions/smart-meter-v1"), R"({"at":"application"})");
  // A version the settings do not list has no application: on to the tenant.
  EXPECT_EQ(current("app-versions/other-v1"), R"({"at":"tenant"})");
  EXPECT_EQ(current("applications/smart-meter"), R"({"at":"application"})");
  EXPECT_EQ(current("applications/other"), R"({"at":"tenant"})");
}

// -- 27/SCMP --------------------------------------------------------------------

/// Decodes SystemConfigUpdated payloads with Apache Avro's Python
/// implementation (tests/data/avro/check_decode.py), as JSON objects.
rapidjson::Document decode_with_python(const std::vector<std::string>& payloads) {
  namespace fs = std::filesystem;
  auto data = fs::path{__FILE__}.parent_path().parent_path() / "data" / "avro";
  temp_dir dir;
  std::vector<std::string> argv{"/usr/bin/python3", (data / "check_decode.py").string(),
                                (data / "schemas").string(), dir.file("out.json")};
  for (size_t i = 0; i < payloads.size(); ++i) {
    auto path = dir.file(std::to_string(i) + ".bin");
    std::ofstream{path, std::ios::binary} << payloads[i];
    argv.push_back(
      "org.kaaproject.ipc.event.gen.v1.system.config.SystemConfigUpdated=" + path);
  }
  process decoder{{argv, {}, dir.file("python.log")}};
  auto status = decoder.wait_exit(2min);
  EXPECT_TRUE(status && status->exited_with(0)) << decoder.log();
  return parse_json(read_file(dir.file("out.json")));
}

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

TEST_F(e2e_system_configs, creates_and_updates_are_announced_over_scmp) {
  auto events = client_->subscribe("kaa.v1.events.ecr.system.config.updated");
  client_->flush();
  auto url = create("app-versions/v1", "alerts", R"({"to":["ops@example.com"]})");
  ASSERT_EQ(http().put_json(url, body("alerts", R"({"to":[]})")).status, 204);
  ASSERT_EQ(http().del(url).status, 204);
  auto received = events->take(2, nats_wait);
  ASSERT_EQ(received.size(), 2u);
  EXPECT_TRUE(events->take_for(300ms).empty()) << "a delete is not announced";
  std::vector<std::string> payloads;
  for (const auto& msg : received)
    payloads.push_back(msg.payload);
  auto decoded = decode_with_python(payloads);
  ASSERT_TRUE(decoded.IsArray());
  ASSERT_EQ(decoded.Size(), 2u);
  const char* contents[] = {R"({"to":["ops@example.com"]})", R"({"to":[]})"};
  for (rapidjson::SizeType i = 0; i < 2; ++i) {
    SCOPED_TRACE(i);
    const auto& e = decoded[i];
    EXPECT_FALSE(std::string{e["correlationId"].GetString()}.empty());
    EXPECT_GT(e["timestamp"].GetInt64(), 0);
    EXPECT_EQ(e["timeout"].GetInt64(), 0);
    EXPECT_EQ(std::string{e["tenantId"].GetString()}, "kaa");
    EXPECT_EQ(std::string{e["configName"].GetString()}, "alerts");
    EXPECT_EQ(std::string{e["configLevel"].GetString()}, "APP_VERSION");
    EXPECT_EQ(std::string{e["configLevelId"].GetString()}, "v1");
    EXPECT_EQ(std::string{e["contentType"].GetString()}, "application/json");
    EXPECT_EQ(std::string{e["content"].GetString()}, hex(contents[i]));
    ASSERT_TRUE(e["originatorReplicaId"].IsString());
    EXPECT_FALSE(std::string{e["originatorReplicaId"].GetString()}.empty());
  }
}

TEST_F(e2e_system_configs, refused_writes_are_not_announced) {
  create("tenants/kaa", "logging", "{}");
  auto events = client_->subscribe("kaa.v1.events.ecr.system.config.updated");
  client_->flush();
  EXPECT_EQ(post("tenants/kaa", body("logging", "[]")).status, 409);
  EXPECT_EQ(post("tenants/kaa", "{").status, 400);
  EXPECT_TRUE(events->take_for(300ms).empty());
}

} // namespace
} // namespace ecr::test
