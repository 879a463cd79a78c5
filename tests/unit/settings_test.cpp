#include "core/error.hpp"
#include "settings/settings.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <stdexcept>

namespace ecr::test {

namespace {

using env_map = std::map<std::string, std::string>;

env_lookup lookup(env_map env) {
  return [env = std::move(env)](
           const std::string& name) -> std::optional<std::string> {
    if (auto i = env.find(name); i != env.end())
      return i->second;
    return std::nullopt;
  };
}

class core_settings : public ::testing::Test {
protected:
  /// Loads settings from `yaml`, written to the file that APP_CONFIG_PATH
  /// names, and from `env`.
  caf::expected<settings> load(const std::string& yaml, env_map env = {}) {
    auto path = dir_.file("service-config.yml");
    std::ofstream{path} << yaml;
    env.emplace("APP_CONFIG_PATH", path);
    return load_settings(lookup(std::move(env)));
  }

  /// Settings that must load.
  settings loaded(const std::string& yaml, env_map env = {}) {
    auto result = load(yaml, std::move(env));
    if (!result)
      throw std::runtime_error("unexpected error: " + render(result.error()));
    return std::move(*result);
  }

  /// Holds when loading fails as invalid configuration naming `subject`.
  ::testing::AssertionResult rejected(const std::string& yaml, env_map env,
                                      const std::string& subject) {
    auto result = load(yaml, std::move(env));
    if (result)
      return ::testing::AssertionFailure() << "loaded without error";
    if (error_code(result.error()) != ec::invalid_configuration)
      return ::testing::AssertionFailure()
             << "wrong error: " << render(result.error());
    if (error_message(result.error()).find(subject) == std::string::npos)
      return ::testing::AssertionFailure()
             << "message does not name " << subject << ": "
             << error_message(result.error());
    return ::testing::AssertionSuccess();
  }

  temp_dir dir_{"ecr-settings"};
};

void expect_defaults(const settings& s) {
  EXPECT_EQ(s.server.address, "0.0.0.0");
  EXPECT_EQ(s.server.port, 80);
  EXPECT_EQ(s.server.io_threads, 1);
  EXPECT_EQ(s.server.max_body_bytes, 1048576u);
  EXPECT_EQ(s.server.request_timeout_seconds, 30);
  EXPECT_EQ(s.service.instance_name, "ecr");
  EXPECT_EQ(s.service.graceful_shutdown_seconds, 30);
  EXPECT_EQ(s.service.default_tenant, "kaa");
  EXPECT_EQ(s.storage.backend, "sqlite");
  EXPECT_EQ(s.storage.sqlite_path, "/var/lib/ecr/ecr.db");
  EXPECT_EQ(s.storage.sqlite_readers, 2);
  EXPECT_EQ(s.storage.group_commit_max, 512);
  EXPECT_EQ(s.cache.max_bytes, 16u * 1024 * 1024);
  EXPECT_EQ(s.memory.release_interval_seconds, 10);
  EXPECT_EQ(s.memory.release_above_bytes, 4u * 1024 * 1024);
  EXPECT_EQ(s.logging.level, "info");
  EXPECT_EQ(s.scheduler_threads, 2);
  // Without a configured replica ID, each start makes one from the instance.
  EXPECT_TRUE(std::regex_match(s.service.replica_id,
                               std::regex{"^ecr-[0-9a-f]{8}$"}))
    << s.service.replica_id;
}

// -- sources ------------------------------------------------------------------

TEST_F(core_settings, empty_file_gives_defaults) {
  expect_defaults(loaded(""));
}

TEST_F(core_settings, no_file_at_the_default_path_gives_defaults) {
  if (std::filesystem::exists(default_config_path))
    GTEST_SKIP() << default_config_path << " exists on this machine";
  auto result = load_settings(lookup({}));
  ASSERT_TRUE(result) << render(result.error());
  expect_defaults(*result);
}

TEST_F(core_settings, generated_replica_ids_differ) {
  EXPECT_NE(loaded("").service.replica_id, loaded("").service.replica_id);
}

TEST_F(core_settings, yaml_sets_nested_keys) {
  auto s = loaded(R"(
server:
  address: 127.0.0.1
  port: 8080
  io-threads: 2
  max-body-size: 64KiB
  request-timeout: 5
service:
  instance:
    name: ecr-a
  graceful-shutdown: 0
kaa:
  tenant:
    default: acme
storage:
  backend: sqlite
  sqlite:
    path: /data/ecr.db
    readers: 4
  group-commit-max: 64
cache:
  max-size: 1MiB
memory:
  release-interval: 0
  release-above: 64MiB
logging:
  level: debug
scheduler:
  threads: 3
)");
  EXPECT_EQ(s.server.address, "127.0.0.1");
  EXPECT_EQ(s.server.port, 8080);
  EXPECT_EQ(s.server.io_threads, 2);
  EXPECT_EQ(s.server.max_body_bytes, 65536u);
  EXPECT_EQ(s.server.request_timeout_seconds, 5);
  EXPECT_EQ(s.service.instance_name, "ecr-a");
  EXPECT_EQ(s.service.graceful_shutdown_seconds, 0);
  EXPECT_EQ(s.service.default_tenant, "acme");
  EXPECT_EQ(s.storage.sqlite_path, "/data/ecr.db");
  EXPECT_EQ(s.storage.sqlite_readers, 4);
  EXPECT_EQ(s.storage.group_commit_max, 64);
  EXPECT_EQ(s.cache.max_bytes, 1048576u);
  EXPECT_EQ(s.memory.release_interval_seconds, 0);
  EXPECT_EQ(s.memory.release_above_bytes, 64u * 1024 * 1024);
  EXPECT_EQ(s.logging.level, "debug");
  EXPECT_EQ(s.scheduler_threads, 3);
  EXPECT_TRUE(std::regex_match(s.service.replica_id,
                               std::regex{"^ecr-a-[0-9a-f]{8}$"}))
    << s.service.replica_id;
}

TEST_F(core_settings, yaml_accepts_dotted_keys_inside_maps) {
  auto s = loaded(R"(
service: {instance: {replica.id: r1}}
storage.sqlite.path: /dotted.db
server:
  max-body-size: 1048576
logging.level: warn
)");
  EXPECT_EQ(s.service.replica_id, "r1");
  EXPECT_EQ(s.storage.sqlite_path, "/dotted.db");
  EXPECT_EQ(s.server.max_body_bytes, 1048576u);
  EXPECT_EQ(s.logging.level, "warn");
}

TEST_F(core_settings, unknown_keys_are_tolerated) {
  auto s = loaded(R"(
server:
  port: 8080
  compression: true
kaa:
  applications:
    demo:
      versions: [v1, v2]
nats:
  urls: nats://localhost:4222
)");
  EXPECT_EQ(s.server.port, 8080);
}

TEST_F(core_settings, environment_overrides_yaml) {
  auto s = loaded(R"(
server:
  port: 8080
storage:
  sqlite:
    path: /from/yaml.db
)",
                  {{"SERVER_PORT", "9090"},
                   {"STORAGE_SQLITE_PATH", "/from/env.db"},
                   {"SERVER_MAX_BODY_SIZE", "2MiB"},
                   {"INSTANCE_NAME", "from-env"},
                   {"REPLICA_ID", "replica-7"}});
  EXPECT_EQ(s.server.port, 9090);
  EXPECT_EQ(s.storage.sqlite_path, "/from/env.db");
  EXPECT_EQ(s.server.max_body_bytes, 2u * 1024 * 1024);
  EXPECT_EQ(s.service.instance_name, "from-env");
  EXPECT_EQ(s.service.replica_id, "replica-7");
}

TEST_F(core_settings, relaxed_env_names) {
  EXPECT_EQ(relaxed_env_name("server.port"), "SERVER_PORT");
  EXPECT_EQ(relaxed_env_name("storage.sqlite.path"), "STORAGE_SQLITE_PATH");
  EXPECT_EQ(relaxed_env_name("server.max-body-size"), "SERVER_MAX_BODY_SIZE");
  EXPECT_EQ(relaxed_env_name("service.instance.replica.id"),
            "SERVICE_INSTANCE_REPLICA_ID");
}

TEST_F(core_settings, sizes_take_binary_suffixes) {
  struct sample {
    const char* text;
    size_t bytes;
  };
  for (auto [text, bytes] : {sample{"1048576", 1048576}, sample{"64KiB", 65536},
                             sample{"1MiB", 1048576}, sample{"1mib", 1048576},
                             sample{"2KB", 2048}, sample{"0", 0}})
    EXPECT_EQ(loaded("", {{"CACHE_MAX_SIZE", text}}).cache.max_bytes, bytes)
      << text;
}

TEST_F(core_settings, metrics_path_defaults_to_prometheus_and_can_move) {
  EXPECT_EQ(loaded("", {}).metrics.path, "/prometheus");
  EXPECT_EQ(loaded("", {{"METRICS_PATH", "/actuator/prometheus"}}).metrics.path,
            "/actuator/prometheus");
  EXPECT_EQ(loaded("", {{"METRICS_PATH", "/healthz"}}).metrics.path,
            "/healthz");
}

TEST_F(core_settings, the_pool_service_label_is_empty_unless_set) {
  EXPECT_EQ(loaded("", {}).metrics.service_label, "");
  EXPECT_EQ(loaded("", {{"METRICS_SERVICE_LABEL", "kaa-ecr"}}).metrics.service_label,
            "kaa-ecr");
}

// -- invalid input --------------------------------------------------------------

TEST_F(core_settings, invalid_values_are_rejected_naming_the_key) {
  struct sample {
    std::string env;
    std::string value;
    std::string key;
  };
  for (auto [env, value, key] : {
         sample{"SERVER_PORT", "70000", "server.port"},
         sample{"SERVER_PORT", "-1", "server.port"},
         sample{"SERVER_PORT", "http", "server.port"},
         sample{"SERVER_PORT", "80x", "server.port"},
         sample{"SERVER_PORT", "", "server.port"},
         sample{"INSTANCE_NAME", "bad name", "service.instance.name"},
         sample{"INSTANCE_NAME", "", "service.instance.name"},
         sample{"INSTANCE_NAME", std::string(65, 'a'), "service.instance.name"},
         sample{"REPLICA_ID", "r/1", "service.instance.replica.id"},
         sample{"STORAGE_BACKEND", "cassandra", "storage.backend"},
         sample{"SERVER_MAX_BODY_SIZE", "lots", "server.max-body-size"},
         sample{"SERVER_MAX_BODY_SIZE", "1TiB", "server.max-body-size"},
         sample{"SERVER_MAX_BODY_SIZE", "2GiB", "server.max-body-size"},
         sample{"SERVER_MAX_BODY_SIZE", "0", "server.max-body-size"},
         sample{"CACHE_MAX_SIZE", "-5", "cache.max-size"},
         sample{"METRICS_PATH", "metrics", "metrics.path"},
         sample{"METRICS_SERVICE_LABEL", "kaa ecr", "metrics.service-label"},
         sample{"METRICS_PATH", "/health", "metrics.path"},
         sample{"METRICS_PATH", "/api/v1/metrics", "metrics.path"},
         sample{"METRICS_PATH", "/ecr", "metrics.path"},
         sample{"METRICS_PATH", "/a//b", "metrics.path"},
         sample{"METRICS_PATH", "/m?x=1", "metrics.path"},
         sample{"LOGGING_LEVEL", "verbose", "logging.level"},
         sample{"LOGGING_FORMAT", "xml", "logging.format"},
         sample{"SERVER_IO_THREADS", "0", "server.io-threads"},
         sample{"STORAGE_SQLITE_READERS", "17", "storage.sqlite.readers"},
         sample{"STORAGE_SQLITE_PATH", "", "storage.sqlite.path"},
         sample{"MEMORY_RELEASE_INTERVAL", "-1", "memory.release-interval"},
         sample{"MEMORY_RELEASE_INTERVAL", "3601", "memory.release-interval"},
         sample{"MEMORY_RELEASE_ABOVE", "2GiB", "memory.release-above"},
       })
    EXPECT_TRUE(rejected("", {{env, value}}, key)) << env << "=" << value;
}

TEST_F(core_settings, a_mongodb_url_selects_the_mongodb_store) {
  auto s = load("", {{"MONGODB_URL", "mongodb://db:27017/kaa"},
                     {"MONGODB_USERNAME", "ecr"},
                     {"MONGODB_PASSWORD", "s3cret"}});
  ASSERT_TRUE(s) << render(s.error());
  EXPECT_EQ(s->storage.backend, "mongodb");
  EXPECT_EQ(s->mongodb.url, "mongodb://db:27017/kaa");
  EXPECT_EQ(s->mongodb.username, "ecr");
  EXPECT_EQ(s->mongodb.password, "s3cret");
  EXPECT_EQ(s->mongodb.write_concern, "majority");
  EXPECT_TRUE(s->mongodb.journal);
  // Spring's name works too, and an explicit backend wins.
  auto spring = load("spring:\n  data:\n    mongodb:\n      uri: mongodb://m\n",
                     {{"STORAGE_BACKEND", "sqlite"}});
  ASSERT_TRUE(spring) << render(spring.error());
  EXPECT_EQ(spring->mongodb.url, "mongodb://m");
  EXPECT_EQ(spring->storage.backend, "sqlite");
  EXPECT_TRUE(rejected("", {{"STORAGE_BACKEND", "mongodb"}}, "storage.backend"));
  EXPECT_TRUE(rejected("", {{"MONGODB_URL", "http://db"}}, "mongodb.url"));
  EXPECT_TRUE(rejected("", {{"MONGODB_WRITE_CONCERN", "all"}},
                       "mongodb.write-concern"));
  EXPECT_TRUE(rejected("", {{"MONGODB_DATABASE", "a/b"}}, "mongodb.database"));
}

TEST_F(core_settings, security_needs_an_issuer_and_a_client) {
  auto off = load("");
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->security.enabled);
  env_map on{{"KAA_SECURITY_ENABLED", "true"},
             {"KAA_SECURITY_ISSUER_PUBLIC_URL", "https://kc.example/realms/kaa"},
             {"KAA_SECURITY_CLIENT_ID", "kaa-ecr"}};
  auto s = load("", on);
  ASSERT_TRUE(s) << render(s.error());
  EXPECT_TRUE(s->security.enabled);
  // Without a private URL ecr reaches the issuer where callers do.
  EXPECT_EQ(s->security.issuer_private_url, "https://kc.example/realms/kaa");
  for (auto missing : {"KAA_SECURITY_ISSUER_PUBLIC_URL", "KAA_SECURITY_CLIENT_ID"}) {
    auto partial = on;
    partial.erase(missing);
    EXPECT_FALSE(load("", partial)) << missing;
  }
  EXPECT_TRUE(rejected("", {{"KAA_SECURITY_ISSUER_PRIVATE_URL", "keycloak"}},
                       "kaa.security.issuer.private-url"));
}

TEST_F(core_settings, multitenancy_scopes_data_only_with_security_on) {
  env_map keycloak{{"KAA_SECURITY_ENABLED", "true"},
                   {"KAA_SECURITY_ISSUER_PUBLIC_URL", "https://kc/realms/kaa"},
                   {"KAA_SECURITY_CLIENT_ID", "kaa-ecr"},
                   {"KAA_SECURITY_MULTITENANCY_ENABLED", "true"},
                   {"KAA_SECURITY_MULTITENANCY_TENANT_MANAGER_URL", "http://tm:8080"},
                   {"KAA_SECURITY_MULTITENANCY_CONTEXT_CACHE_SECONDS", "60"}};
  auto s = load("", keycloak);
  ASSERT_TRUE(s) << render(s.error());
  EXPECT_TRUE(s->security.tenant_scoped());
  EXPECT_EQ(s->security.multitenancy.tenant_manager_url, "http://tm:8080");
  EXPECT_EQ(s->security.multitenancy.context_cache_seconds, 60);
  auto defaults = load("", {{"KAA_SECURITY_MULTITENANCY_ENABLED", "true"}});
  ASSERT_TRUE(defaults) << render(defaults.error());
  // Nobody is authenticated, so nobody has a tenant of their own.
  EXPECT_FALSE(defaults->security.tenant_scoped());
  EXPECT_EQ(defaults->security.multitenancy.tenant_manager_url,
            "http://tenant-manager");
  EXPECT_EQ(defaults->security.multitenancy.context_cache_seconds, 300);
  auto iamcore = load("", {{"KAA_SECURITY_IAMCORE_ENABLED", "true"},
                           {"KAA_SECURITY_IAMCORE_API_KEY", "k-1"},
                           {"KAA_SECURITY_MULTITENANCY_ENABLED", "true"}});
  ASSERT_TRUE(iamcore) << render(iamcore.error());
  EXPECT_TRUE(iamcore->security.tenant_scoped());
  keycloak.erase("KAA_SECURITY_MULTITENANCY_ENABLED");
  auto single = load("", keycloak);
  ASSERT_TRUE(single) << render(single.error());
  EXPECT_FALSE(single->security.tenant_scoped());
  EXPECT_TRUE(rejected("", {{"KAA_SECURITY_MULTITENANCY_TENANT_MANAGER_URL", "tm"}},
                       "kaa.security.multitenancy.tenant-manager-url"));
  EXPECT_TRUE(rejected("", {{"KAA_SECURITY_MULTITENANCY_CONTEXT_CACHE_SECONDS", "-1"}},
                       "kaa.security.multitenancy.context-cache-seconds"));
}

TEST_F(core_settings, iamcore_needs_its_api_key_but_no_issuer) {
  auto s = load("", {{"KAA_SECURITY_IAMCORE_ENABLED", "true"},
                     {"KAA_SECURITY_IAMCORE_API_KEY", "k-1"}});
  ASSERT_TRUE(s) << render(s.error());
  EXPECT_TRUE(s->security.active());
  EXPECT_FALSE(s->security.enabled);
  EXPECT_EQ(s->security.iamcore.url, "https://cloud.iamcore.io");
  EXPECT_EQ(s->security.iamcore.application, "kaa");
  EXPECT_TRUE(rejected("", {{"KAA_SECURITY_IAMCORE_ENABLED", "true"}},
                       "kaa.security.iamcore.api-key"));
  EXPECT_TRUE(rejected("", {{"KAA_SECURITY_IAMCORE_ENABLED", "true"},
                            {"KAA_SECURITY_IAMCORE_API_KEY", ""}},
                       "kaa.security.iamcore.api-key"));
}

TEST_F(core_settings, invalid_yaml_values_are_rejected_naming_the_key) {
  EXPECT_TRUE(rejected("server:\n  port: abc\n", {}, "server.port"));
  EXPECT_TRUE(rejected("logging:\n  level: loud\n", {}, "logging.level"));
  EXPECT_TRUE(rejected("server:\n  port: [1, 2]\n", {}, "server.port"));
}

TEST_F(core_settings, missing_file_named_by_app_config_path_is_an_error) {
  auto result = load_settings(
    lookup({{"APP_CONFIG_PATH", dir_.file("missing.yml")}}));
  ASSERT_FALSE(result);
  EXPECT_EQ(error_code(result.error()), ec::invalid_configuration);
  EXPECT_NE(error_message(result.error()).find("APP_CONFIG_PATH"),
            std::string::npos)
    << error_message(result.error());
}

TEST_F(core_settings, malformed_yaml_is_an_error) {
  EXPECT_TRUE(rejected("server: [unclosed\n", {}, "service-config.yml"));
  EXPECT_TRUE(rejected("server:\n  port: 1\n bad: indent\n", {},
                       "service-config.yml"));
}

TEST_F(core_settings, top_level_must_be_a_map) {
  EXPECT_TRUE(rejected("- a\n- b\n", {}, "service-config.yml"));
  EXPECT_TRUE(rejected("just text\n", {}, "service-config.yml"));
}

// -- kaa.applications ---------------------------------------------------------

/// The minified schema text in force for `version`, or "none".
std::string schema_text(const settings& s, const std::string& version) {
  auto rule = s.applications.schema_for(version);
  return rule.schema ? rule.schema->text() : "none";
}

TEST_F(core_settings, applications_load_with_both_schema_keys) {
  auto s = loaded(R"(
kaa:
  applications:
    kettle:
      endpoint-configuration:
        schema-required: true
        schema:
          type: object
          required: [power]
          properties:
            power: {type: boolean}
      versions:
        kettle-v1:
        kettle-v2:
          endpointConfigurationSchema: '{"type": "object", "required": ["mode"]}'
    lamp:
      endpointConfigurationSchema: |
        {"type": "array"}
      versions: [lamp-v1, lamp-v2]
    bare:
)");
  const auto& apps = s.applications.applications();
  ASSERT_EQ(apps.size(), 3u);
  EXPECT_TRUE(apps.at("kettle").schema_required);
  EXPECT_FALSE(apps.at("lamp").schema_required);
  EXPECT_EQ(apps.at("bare").schema, nullptr);
  EXPECT_TRUE(apps.at("bare").versions.empty());
  EXPECT_EQ(s.applications.application_of("kettle-v2"), "kettle");
  EXPECT_EQ(s.applications.application_of("lamp-v2"), "lamp");
  EXPECT_EQ(schema_text(s, "kettle-v1"),
            R"({"type":"object","required":["power"],"properties":{"power":{"type":"boolean"}}})");
  EXPECT_EQ(schema_text(s, "kettle-v2"), R"({"type":"object","required":["mode"]})");
  EXPECT_EQ(schema_text(s, "lamp-v1"), R"({"type":"array"})");
  EXPECT_TRUE(s.applications.schema_for("kettle-v1").required);
  EXPECT_FALSE(s.applications.schema_for("lamp-v1").required);
  // The schema from YAML is live, not just text.
  EXPECT_EQ(s.applications.schema_for("kettle-v1").schema->violations(R"({"power": 1})"),
            std::vector<std::string>{"/power: expected boolean, got integer"});
}

TEST_F(core_settings, yaml_schemas_keep_their_scalar_types) {
  auto s = loaded(R"(
kaa:
  applications:
    kettle:
      endpoint-configuration:
        schema:
          properties:
            a: {type: integer, minimum: -5, maximum: +10, multipleOf: 0x2, default: 007}
            b: {enum: [true, False, null, ~, "true", '1', 1.5, -2.5e-3, 1e3, on, yes, 0o17]}
            c:
              const: !!str 12
              title: |
                two
                lines
            d: {minimum: 123456789012345678901234567890}
            "4": {description: "", examples: [[], {}]}
      versions: [kettle-v1]
)");
  EXPECT_EQ(schema_text(s, "kettle-v1"),
            R"({"properties":{)"
            R"("a":{"type":"integer","minimum":-5,"maximum":10,"multipleOf":2,"default":7},)"
            R"("b":{"enum":[true,false,null,null,"true","1",1.5,-0.0025,1000.0,"on","yes",15]},)"
            R"("c":{"const":"12","title":"two\nlines\n"},)"
            R"("d":{"minimum":1.2345678901234568e29},)"
            R"("4":{"description":"","examples":[[],{}]}}})");
}

TEST_F(core_settings, application_keys_may_be_dotted) {
  auto s = loaded(R"(
kaa.applications:
  kettle:
    endpoint-configuration.schema-required: "true"
    endpoint-configuration.schema: '{"type": "object"}'
    versions: {kettle-v1: {}}
)");
  EXPECT_TRUE(s.applications.schema_for("kettle-v1").required);
  EXPECT_EQ(schema_text(s, "kettle-v1"), R"({"type":"object"})");
}

TEST_F(core_settings, applications_may_name_their_tenant) {
  auto s = loaded(R"(
kaa:
  applications:
    meter:
      tenant-id: f889ce8a-aac4-4de5-a4a3-8b4503174690
      versions: [meter-v1, meter-v2]
    gauge:
      tenant-id: 42
      versions: [gauge-v1]
    lamp:
      tenant-id:
      versions: [lamp-v1]
    kettle:
      versions: [kettle-v1]
)");
  const auto& apps = s.applications.applications();
  EXPECT_EQ(apps.at("meter").tenant_id, "f889ce8a-aac4-4de5-a4a3-8b4503174690");
  EXPECT_EQ(s.applications.tenant_of("meter-v2"), "f889ce8a-aac4-4de5-a4a3-8b4503174690");
  // A plain scalar is the tenant's name, whatever it looks like.
  EXPECT_EQ(s.applications.tenant_of("gauge-v1"), "42");
  // Empty or absent: the default tenant owns the versions.
  EXPECT_EQ(apps.at("lamp").tenant_id, "");
  EXPECT_EQ(s.applications.tenant_of("lamp-v1"), std::nullopt);
  EXPECT_EQ(apps.at("kettle").tenant_id, "");
  EXPECT_EQ(s.applications.tenant_of("kettle-v1"), std::nullopt);
}

TEST_F(core_settings, no_applications_means_an_empty_catalog) {
  EXPECT_TRUE(loaded("").applications.applications().empty());
  EXPECT_TRUE(loaded("kaa:\n  applications:\n").applications.applications().empty());
  // YAML only: the environment cannot set them.
  EXPECT_TRUE(loaded("", {{"KAA_APPLICATIONS", "x"}}).applications.applications().empty());
}

TEST_F(core_settings, invalid_applications_are_rejected_naming_the_key) {
  struct sample {
    std::string apps;
    std::string key;
  };
  const std::string long_name(257, 'n');
  for (const auto& [apps, key] : {
         sample{"[kettle]", "kaa.applications: must map"},
         sample{"{\"bad\\tname\": {}}",
                "kaa.applications.bad\tname: application name must not contain control characters"},
         sample{"{" + long_name + ": {}}",
                "kaa.applications." + long_name + ": application name must be 1 to 256"},
         sample{"{kettle: {}, kettle: {}}", "kaa.applications.kettle: application listed twice"},
         sample{"{kettle: 5}", "kaa.applications.kettle: must be a mapping"},
         sample{"{kettle: {endpoint-configuration: {schema-required: maybe}}}",
                "kaa.applications.kettle.endpoint-configuration.schema-required: "
                "must be true or false (got 'maybe')"},
         sample{"{kettle: {endpoint-configuration: {schema-required: [true]}}}",
                "kaa.applications.kettle.endpoint-configuration.schema-required"},
         sample{"{kettle: {endpoint-configuration: {schema: {type: strin}}}}",
                "kaa.applications.kettle.endpoint-configuration.schema: invalid JSON schema"},
         sample{"{kettle: {endpoint-configuration: {schema: [1]}}}",
                "kaa.applications.kettle.endpoint-configuration.schema: must be a JSON schema"},
         sample{"{kettle: {endpoint-configuration: {schema: {maximum: .inf}}}}",
                "kaa.applications.kettle.endpoint-configuration.schema: the number .inf"},
         sample{"{kettle: {endpoint-configuration: {schema: {maximum: 0x10000000000000000}}}}",
                "kaa.applications.kettle.endpoint-configuration.schema: the number"},
         sample{"{kettle: {endpoint-configuration: {schema: &a {items: *a}}}}",
                "kaa.applications.kettle.endpoint-configuration.schema: nested deeper"},
         sample{"{kettle: {endpointConfigurationSchema: '{\"type\": '}}",
                "kaa.applications.kettle.endpointConfigurationSchema: schema is not valid JSON"},
         sample{"{kettle: {endpointConfigurationSchema: {$ref: 'http://example.com/s.json'}}}",
                "kaa.applications.kettle.endpointConfigurationSchema: invalid JSON schema: "
                "/$ref names another document"},
         sample{"{kettle: {endpointConfigurationSchema: {}, endpoint-configuration: {schema: {}}}}",
                "kaa.applications.kettle.endpoint-configuration.schema: give either this key "
                "or kaa.applications.kettle.endpointConfigurationSchema"},
         sample{"{kettle: {versions: 5}}", "kaa.applications.kettle.versions: must map"},
         sample{"{kettle: {versions: [[v1]]}}", "kaa.applications.kettle.versions: app version names must be plain"},
         sample{"{kettle: {versions: {" + long_name + ": }}}",
                "kaa.applications.kettle.versions." + long_name + ": app version name must be 1 to 256"},
         sample{"{kettle: {versions: {v1: 5}}}", "kaa.applications.kettle.versions.v1: must be a mapping"},
         sample{"{kettle: {versions: {v1: {endpointConfigurationSchema: '{\"minLength\": -1}'}}}}",
                "kaa.applications.kettle.versions.v1.endpointConfigurationSchema: invalid JSON schema"},
         sample{"{kettle: {versions: [v1]}, lamp: {versions: {v2: , v1: }}}",
                "kaa.applications.lamp.versions.v1: app version v1 is already listed under "
                "application kettle"},
         sample{"{kettle: {versions: [v1, v1]}}",
                "kaa.applications.kettle.versions.v1: app version v1 is already listed"},
         sample{"{meter: {tenant-id: ''}}",
                "kaa.applications.meter.tenant-id: tenant id must be 1 to 256 bytes"},
         sample{"{meter: {tenant-id: " + long_name + "}}",
                "kaa.applications.meter.tenant-id: tenant id must be 1 to 256 bytes"},
         sample{"{meter: {tenant-id: \"a\\tb\"}}",
                "kaa.applications.meter.tenant-id: tenant id must not contain control characters"},
         sample{"{meter: {tenant-id: [tenant-a]}}",
                "kaa.applications.meter.tenant-id: must be a tenant id, a plain value"},
         sample{"{meter: {tenant-id: {id: tenant-a}}}",
                "kaa.applications.meter.tenant-id: must be a tenant id, a plain value"},
       })
    EXPECT_TRUE(rejected("kaa:\n  applications: " + apps + "\n", {}, key)) << apps;
}

TEST_F(core_settings, tekton_is_off_by_default) {
  auto s = loaded("");
  EXPECT_FALSE(s.tekton.enabled);
  EXPECT_EQ(s.tekton.url, "http://tekton");
  EXPECT_EQ(s.tekton.instance_name, "tekton");
  EXPECT_EQ(s.tekton.timeout_ms, 5000);
  EXPECT_EQ(s.tekton.retry_max_ms, 30000);
}

TEST_F(core_settings, tekton_keys_come_from_yaml_and_kaa_variables) {
  auto yaml = R"(
kaa:
  tekton: {enabled: true, url: 'https://tekton.example:8443/base', timeout-ms: 750,
           retry-max-ms: 2000}
  scmp.consumer:
    provider.service-instance.name: tekton-blue
)";
  auto s = loaded(yaml);
  EXPECT_TRUE(s.tekton.enabled);
  EXPECT_EQ(s.tekton.url, "https://tekton.example:8443/base");
  EXPECT_EQ(s.tekton.timeout_ms, 750);
  EXPECT_EQ(s.tekton.retry_max_ms, 2000);
  EXPECT_EQ(s.tekton.instance_name, "tekton-blue");
  // The variables of Kaa's image, and the relaxed name of the SCMP provider.
  auto env = loaded(yaml, {{"KAA_TEKTON_ENABLED", "false"},
                           {"KAA_TEKTON_URL", "http://127.0.0.1:9"},
                           {"KAA_SCMP_CONSUMER_PROVIDER_SERVICE_INSTANCE_NAME", "t2"}});
  EXPECT_FALSE(env.tekton.enabled);
  EXPECT_EQ(env.tekton.url, "http://127.0.0.1:9");
  EXPECT_EQ(env.tekton.instance_name, "t2");
}

TEST_F(core_settings, invalid_tekton_values_are_rejected_naming_the_key) {
  EXPECT_TRUE(rejected("", {{"KAA_TEKTON_ENABLED", "yes"}}, "kaa.tekton.enabled"));
  EXPECT_TRUE(rejected("", {{"KAA_TEKTON_URL", "tekton:80"}}, "kaa.tekton.url"));
  EXPECT_TRUE(rejected("", {{"KAA_TEKTON_URL", "ftp://tekton"}}, "kaa.tekton.url"));
  EXPECT_TRUE(rejected("", {{"KAA_TEKTON_URL", "http://"}}, "kaa.tekton.url"));
  EXPECT_TRUE(rejected("", {{"KAA_TEKTON_TIMEOUT_MS", "0"}}, "kaa.tekton.timeout-ms"));
  EXPECT_TRUE(rejected("", {{"KAA_TEKTON_RETRY_MAX_MS", "-5"}}, "kaa.tekton.retry-max-ms"));
  EXPECT_TRUE(rejected("kaa: {scmp: {consumer: {provider: {service-instance: {name: 'a b'}}}}}",
                       {}, "kaa.scmp.consumer.provider.service-instance.name"));
}

} // namespace

} // namespace ecr::test
