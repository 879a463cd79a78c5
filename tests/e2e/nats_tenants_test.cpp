// The tenant of NATS messages (multitenancy contract): in tenant-scoped mode
// a 6/CDTP request, a config.applied event and a 9/ELCE endpoint
// unregistered event are handled in the tenant owning their app version (its
// application's `tenant-id`, else the default tenant); with multitenancy off,
// in the default tenant. The store holds, at the same endpoint, app version
// and name, one configuration of tenant `tenant-a` and another of the
// default tenant: it is seeded with `ecr import`, from what `ecr export` made
// of a store written over REST plus a copy of a record moved to `tenant-a`.
// What landed where is read back with `ecr export`, which reads the SQLite
// file beside the running ecr. 21/TLE tenant lifecycle events reach every
// replica (plain subscriptions), for the security contexts each one caches.

#include "tests/e2e/nats_helpers.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace ecr::test {
namespace {

const std::string tenant_a = "tenant-a";
/// The configId of tenant-a's record (any UUID unlike the REST-made ones).
const std::string tenant_a_config_id = "7d1c5e0a-3b2f-4c8e-9a61-0e5f4d3c2b1a";
const std::string tenant_a_content = R"({"owner":"tenant-a"})";

/// `meter` belongs to tenant-a; `plain` names no tenant.
const std::string applications_yaml = R"(kaa:
  applications:
    meter:
      tenant-id: tenant-a
      versions: [meter-v1]
    plain:
      versions: [plain-v1]
)";

/// Keycloak security with or without multitenancy. Without a client secret
/// ecr fetches no token of its own, so the unreachable issuer is never
/// asked: the NATS paths need no Keycloak.
env_overrides security_env(bool multitenancy) {
  return {{"KAA_SECURITY_ENABLED", "true"},
          {"KAA_SECURITY_ISSUER_PUBLIC_URL", "http://127.0.0.1:1/realms/kaa"},
          {"KAA_SECURITY_CLIENT_ID", "ecr"},
          {"KAA_SECURITY_MULTITENANCY_ENABLED", multitenancy ? "true" : "false"}};
}

std::string to_text(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buffer};
  value.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

/// One exported record: its `kind` and text fields, and whether it holds a
/// dispatch or confirmation (statuses).
struct exported_record {
  std::string kind;
  std::string tenant;
  std::string endpoint;
  std::string app_version;
  std::string config_id;
  std::string content;
  bool dispatched = false;
  int64_t confirmation_code = 0;
};

std::ostream& operator<<(std::ostream& out, const exported_record& r) {
  return out << r.kind << " " << r.tenant << "/" << r.endpoint << "/" << r.app_version << " "
             << r.config_id << " " << r.content << " dispatched=" << r.dispatched
             << " confirmation=" << r.confirmation_code;
}

std::string text_member(const rapidjson::Value& line, const char* name) {
  auto i = line.FindMember(name);
  return i != line.MemberEnd() && i->value.IsString() ? i->value.GetString() : "";
}

int64_t int_member(const rapidjson::Value& line, const char* name) {
  auto i = line.FindMember(name);
  return i != line.MemberEnd() && i->value.IsInt64() ? i->value.GetInt64() : 0;
}

/// The records of an export's text (the header line skipped).
std::vector<exported_record> records_of(const std::string& text) {
  std::vector<exported_record> records;
  std::istringstream lines{text};
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    auto doc = parse_json(line);
    if (!doc.IsObject())
      continue;
    records.push_back({text_member(doc, "kind"), text_member(doc, "tenantId"),
                       text_member(doc, "endpointId"), text_member(doc, "appVersionName"),
                       text_member(doc, "configId"), text_member(doc, "content"),
                       int_member(doc, "lastDispatchedMs") > 0,
                       int_member(doc, "confirmationCode")});
  }
  return records;
}

/// The records of `kind` at (tenant, endpoint, app version).
std::vector<exported_record> records_at(const std::vector<exported_record>& records,
                                        const std::string& kind, const std::string& tenant,
                                        const std::string& endpoint,
                                        const std::string& app_version) {
  std::vector<exported_record> found;
  for (const auto& r : records)
    if (r.kind == kind && r.tenant == tenant && r.endpoint == endpoint
        && r.app_version == app_version)
      found.push_back(r);
  return found;
}

/// Whether `server` shows a subscription to `subject` without a queue group.
bool plain_subscription(nats_server& server, const std::string& subject) {
  for (const auto& c : server.connections())
    for (const auto& s : c.subscriptions)
      if (s.subject == subject && s.queue_group.empty())
        return true;
  return false;
}

/// The value of `ecr_events_consumed_total{type="<type>"}` in a scrape, or
/// -1 when it has none.
double consumed(const std::string& scrape, const std::string& type) {
  auto series = "\necr_events_consumed_total{type=\"" + type + "\"} ";
  auto at = scrape.find(series);
  return at == std::string::npos ? -1 : std::stod(scrape.substr(at + series.size()));
}

/// The one record of `kind` at (tenant, endpoint, app version); nullopt
/// unless there is exactly one.
std::optional<exported_record> one_at(const std::vector<exported_record>& records,
                                      const std::string& kind, const std::string& tenant,
                                      const std::string& endpoint,
                                      const std::string& app_version) {
  auto found = records_at(records, kind, tenant, endpoint, app_version);
  if (found.size() != 1)
    return std::nullopt;
  return found.front();
}

class e2e_nats_tenants : public ::testing::Test {
protected:
  void SetUp() override {
    std::ofstream{dir_.file("empty.yml")};
    ASSERT_NO_FATAL_FAILURE(seed());
  }

  /// Starts ecr on the seeded store, with security and the applications,
  /// and a test client.
  void start(bool multitenancy) {
    auto options = ecr_binary(security_env(multitenancy), applications_yaml);
    options.dir = store_dir("main");
    options.nats_urls = nats_.url();
    ecr_ = std::make_unique<ecr_process>(std::move(options));
    ASSERT_TRUE(wait_for_ecr_subscriptions(nats_));
    client_ = std::make_unique<nats_test_client>(nats_.url());
  }

  /// Every record of the store `name`, read by `ecr export`.
  std::vector<exported_record> exported(const std::string& name = "main") {
    return records_of(export_text(name));
  }

  /// Exports the store `main` until `done` holds for its records; records a
  /// failure when it never does. Returns the last records read.
  std::vector<exported_record>
  wait_for_records(const std::function<bool(const std::vector<exported_record>&)>& done) {
    std::vector<exported_record> records;
    if (!poll_until([&] {
          records = exported();
          return done(records);
        }))
      ADD_FAILURE() << "the store never got there; it holds:\n"
                    << ::testing::PrintToString(records);
    return records;
  }

  stored_config kaa_meter_;
  stored_config kaa_plain_;
  nats_server nats_;
  std::unique_ptr<ecr_process> ecr_;
  std::unique_ptr<nats_test_client> client_;

private:
  std::filesystem::path store_dir(const std::string& name) const {
    return dir_.path() / name;
  }

  /// Runs `ecr <args>` on the SQLite store `name` to its end; records a
  /// failure, with its output, unless it exits with 0.
  void run_ecr(std::vector<std::string> args, const std::string& name) {
    args.insert(args.begin(), ECR_BINARY);
    auto log = dir_.file("command-" + std::to_string(++runs_) + ".log");
    process child{{args,
                   {{"APP_CONFIG_PATH", dir_.file("empty.yml")},
                    {"STORAGE_BACKEND", "sqlite"},
                    {"STORAGE_SQLITE_PATH", (store_dir(name) / "data" / "ecr.db").string()}},
                   log}};
    auto status = child.wait_exit(60s);
    if (!status)
      child.kill();
    EXPECT_TRUE(status && status->exited_with(0))
      << args[1] << " " << (status ? status->describe() : "did not finish") << ":\n"
      << child.log();
  }

  std::string export_text(const std::string& name) {
    auto dump = dir_.file("export-" + std::to_string(++runs_) + ".ndjson");
    run_ecr({"export", dump}, name);
    return read_file(dump);
  }

  /// The default tenant's configurations come from REST; tenant-a's is the
  /// exported meter-v1 record with another tenant, configId and content.
  void seed() {
    {
      auto options = ecr_binary();
      options.dir = store_dir("seed");
      std::filesystem::create_directories(options.dir);
      options.nats_urls = nats_.url();
      ecr_process seeder(std::move(options));
      kaa_meter_ = put_config(seeder.http(), api, endpoint_key("ep-1", "meter-v1"),
                              R"({"owner":"kaa"})");
      kaa_plain_ = put_config(seeder.http(), api, endpoint_key("ep-1", "plain-v1"),
                              R"({"owner":"kaa","app":"plain"})");
      seeder.stop();
    }
    auto text = export_text("seed");
    std::istringstream lines{text};
    std::string line;
    std::string moved;
    // The configuration's line (its version's line names the configId too).
    while (std::getline(lines, line))
      if (line.find(kaa_meter_.config_id) != std::string::npos
          && line.rfind(R"({"kind":"config")", 0) == 0) {
        auto doc = parse_json(line);
        ASSERT_TRUE(doc.IsObject()) << line;
        auto& a = doc.GetAllocator();
        doc["tenantId"].SetString(tenant_a.c_str(), a);
        doc["configId"].SetString(tenant_a_config_id.c_str(), a);
        doc["content"].SetString(tenant_a_content.c_str(), a);
        moved = to_text(doc);
      }
    ASSERT_FALSE(moved.empty()) << "no record of " << kaa_meter_.config_id << " in\n" << text;
    auto dump = dir_.file("seed.ndjson");
    std::ofstream{dump} << text << moved << "\n";
    run_ecr({"import", dump}, "main");
    auto records = exported();
    ASSERT_TRUE(one_at(records, "config", tenant_a, "ep-1", "meter-v1"))
      << ::testing::PrintToString(records);
    ASSERT_TRUE(one_at(records, "config", default_tenant, "ep-1", "meter-v1"))
      << ::testing::PrintToString(records);
  }

  temp_dir dir_{"ecr-e2e-tenants"};
  int runs_ = 0;
};

TEST_F(e2e_nats_tenants, cdtp_answers_and_records_in_the_tenant_owning_the_app_version) {
  ASSERT_NO_FATAL_FAILURE(start(true));
  expect_config_sent(cdtp(*client_, make_config_request("ep-1", "meter-v1")),
                     tenant_a_config_id, tenant_a_content);
  // An application without a tenant-id: the default tenant's.
  expect_config_sent(cdtp(*client_, make_config_request("ep-1", "plain-v1")),
                     kaa_plain_.config_id, kaa_plain_.config);
  auto records = wait_for_records([this](const auto& records) {
    auto a = one_at(records, "status", tenant_a, "ep-1", "meter-v1");
    auto plain = one_at(records, "status", default_tenant, "ep-1", "plain-v1");
    return a && a->dispatched && a->config_id == tenant_a_config_id
           && a->content == tenant_a_content && plain && plain->dispatched
           && plain->config_id == kaa_plain_.config_id;
  });
  EXPECT_TRUE(records_at(records, "status", default_tenant, "ep-1", "meter-v1").empty())
    << ::testing::PrintToString(records);
  ecr_->stop();
}

TEST_F(e2e_nats_tenants, a_known_config_id_is_confirmed_in_the_owning_tenant) {
  ASSERT_NO_FATAL_FAILURE(start(true));
  // The request that reports tenant-a's configId confirms it implicitly.
  expect_no_config(
    cdtp(*client_, make_config_request("ep-1", "meter-v1", tenant_a_config_id)), 200,
    "Not Modified");
  wait_for_records([](const auto& records) {
    auto a = one_at(records, "status", tenant_a, "ep-1", "meter-v1");
    return a && a->config_id == tenant_a_config_id && a->confirmation_code == 200;
  });
  ecr_->stop();
}

TEST_F(e2e_nats_tenants, config_applied_lands_in_the_tenant_owning_the_app_version) {
  ASSERT_NO_FATAL_FAILURE(start(true));
  // Explicit confirmations are recorded whether or not the configId is
  // known: where each lands shows the tenant it was handled in.
  client_->publish(config_applied_subject(),
                   config_applied_payload("ep-1", "meter-v1", tenant_a_config_id, 422,
                                          "rejected"));
  client_->publish(config_applied_subject(),
                   config_applied_payload("ep-1", "plain-v1", kaa_plain_.config_id, 200, "ok"));
  auto records = wait_for_records([this](const auto& records) {
    auto a = one_at(records, "status", tenant_a, "ep-1", "meter-v1");
    auto plain = one_at(records, "status", default_tenant, "ep-1", "plain-v1");
    return a && a->config_id == tenant_a_config_id && a->confirmation_code == 422 && plain
           && plain->config_id == kaa_plain_.config_id && plain->confirmation_code == 200;
  });
  EXPECT_TRUE(records_at(records, "status", default_tenant, "ep-1", "meter-v1").empty())
    << ::testing::PrintToString(records);
  ecr_->stop();
}

TEST_F(e2e_nats_tenants, endpoint_unregistered_purges_the_owning_tenant_only) {
  ASSERT_NO_FATAL_FAILURE(start(true));
  expect_config_sent(cdtp(*client_, make_config_request("ep-1", "meter-v1")),
                     tenant_a_config_id, tenant_a_content);
  wait_for_records([](const auto& records) {
    return one_at(records, "status", tenant_a, "ep-1", "meter-v1").has_value();
  });
  client_->publish(endpoint_unregistered_subject(),
                   endpoint_unregistered_payload("ep-1", "meter-v1"));
  auto records = wait_for_records([](const auto& records) {
    return records_at(records, "config", tenant_a, "ep-1", "meter-v1").empty()
           && records_at(records, "status", tenant_a, "ep-1", "meter-v1").empty();
  });
  // The purge of tenant-a's endpoint spared the default tenant's.
  auto kept = one_at(records, "config", default_tenant, "ep-1", "meter-v1");
  EXPECT_TRUE(kept && kept->config_id == kaa_meter_.config_id)
    << ::testing::PrintToString(records);
  EXPECT_TRUE(one_at(records, "config", default_tenant, "ep-1", "plain-v1"))
    << ::testing::PrintToString(records);
  expect_no_config(cdtp(*client_, make_config_request("ep-1", "meter-v1")), 404, "Not Found");
  ecr_->stop();
}

TEST_F(e2e_nats_tenants, every_replica_hears_tenant_lifecycle_events) {
  ASSERT_NO_FATAL_FAILURE(start(true));
  // Besides the unregistered subscription in the queue group (the purge),
  // plain ones: each replica drops its own cached security contexts.
  ASSERT_TRUE(poll_until([&] {
    return plain_subscription(nats_, tenant_updated_subject("*"))
           && plain_subscription(nats_, tenant_unregistered_subject("*"));
  }));
  client_->publish(tenant_updated_subject("tm"), tenant_updated_payload(tenant_a));
  client_->publish(tenant_unregistered_subject("tm"), tenant_unregistered_payload("tenant-gone"));
  std::string scrape;
  EXPECT_TRUE(poll_until([&] {
    scrape = ecr_->http().get("/prometheus").body;
    return consumed(scrape, "tenant.updated") == 1
           && consumed(scrape, "tenant.unregistered.context") == 1
           && consumed(scrape, "tenant.unregistered") == 1;
  })) << scrape;
  ecr_->stop();
}

TEST_F(e2e_nats_tenants, without_multitenancy_the_default_tenant_answers) {
  ASSERT_NO_FATAL_FAILURE(start(false));
  expect_config_sent(cdtp(*client_, make_config_request("ep-1", "meter-v1")),
                     kaa_meter_.config_id, kaa_meter_.config);
  auto records = wait_for_records([this](const auto& records) {
    auto kaa = one_at(records, "status", default_tenant, "ep-1", "meter-v1");
    return kaa && kaa->dispatched && kaa->config_id == kaa_meter_.config_id;
  });
  EXPECT_TRUE(records_at(records, "status", tenant_a, "ep-1", "meter-v1").empty())
    << ::testing::PrintToString(records);
  ecr_->stop();
}

} // namespace
} // namespace ecr::test
