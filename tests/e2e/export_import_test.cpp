// `ecr export` and `ecr import` with the real binary: data written over REST
// to one SQLite store is exported, imported into a new one, and served from
// there with the same configIds, contents and dates; files and the standard
// streams carry the same text; a malformed file is refused with a non-zero
// exit and changes nothing.

#include "tests/e2e/e2e_helpers.hpp"
#include "tests/support/mongo_stand_in.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

namespace ecr::test {
namespace {

using namespace std::chrono_literals;

const std::string base = "/api/v1";
const http_headers json_type{{"Content-Type", "application/json"}};

/// How a command ended and what it printed (stdout and stderr together).
struct command_result {
  exit_status status;
  std::string output;
};

std::ostream& operator<<(std::ostream& out, const command_result& r) {
  return out << r.status.describe() << ", output:\n" << r.output;
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out) << "cannot write " << path;
}

/// A place for stores, dumps and command logs.
class e2e_export_import : public ::testing::Test {
protected:
  void SetUp() override {
    write_file(dir_.path() / "empty.yml", "");
  }

  /// The data directory of the store called `name` (as ecr_process uses it).
  std::filesystem::path store_dir(const std::string& name) const {
    return dir_.path() / name;
  }

  std::string database(const std::string& name) const {
    return (store_dir(name) / "data" / "ecr.db").string();
  }

  std::string file(const std::string& name) const {
    return dir_.file(name);
  }

  /// Runs `argv` to its end with the SQLite store `store` configured.
  command_result run(std::vector<std::string> argv, const std::string& store,
                     env_overrides env = {}) {
    env.emplace("APP_CONFIG_PATH", file("empty.yml"));
    env.emplace("STORAGE_BACKEND", "sqlite");
    env.emplace("STORAGE_SQLITE_PATH", database(store));
    auto log = file("command-" + std::to_string(++runs_) + ".log");
    process child{{argv, std::move(env), log}};
    auto status = child.wait_exit(60s);
    if (!status) {
      child.kill();
      ADD_FAILURE() << argv_text(argv) << " did not finish";
      return {child.wait_exit(10s).value_or(exit_status{true, 9}),
              child.log()};
    }
    return {*status, child.log()};
  }

  /// `ecr <args>` on the store `store`.
  command_result run_ecr(std::vector<std::string> args, const std::string& store,
                     env_overrides env = {}) {
    args.insert(args.begin(), ECR_BINARY);
    return run(std::move(args), store, std::move(env));
  }

  /// `script` run by the shell with $0 the ecr binary and $1 `path`.
  command_result shell(const std::string& script, const std::string& path,
                       const std::string& store) {
    return run({"/bin/sh", "-c", script, ECR_BINARY, path}, store);
  }

  /// Exports `store` to a new file; answers its text.
  std::string export_of(const std::string& store) {
    auto dump = file("export-" + std::to_string(++runs_) + ".ndjson");
    auto result = run_ecr({"export", dump}, store);
    EXPECT_TRUE(result.status.exited_with(0)) << result;
    return read_file(dump);
  }

  ecr_options options_for(const std::string& store) const {
    auto options = ecr_binary();
    options.dir = store_dir(store);
    return options;
  }

  /// Writes configurations, defaults and system configurations into the
  /// store `store` over REST; answers every URL that reads one back, with
  /// its body.
  std::map<std::string, std::string> write_through_rest(const std::string& store) {
    std::filesystem::create_directories(store_dir(store));
    ecr_process ecr(options_for(store));
    auto& c = ecr.http();
    std::vector<std::string> urls;
    auto body = R"({"text":"caf)" "\xc3\xa9" R"( \"quoted\"","n":1.50,"deep":{"a":[1,2]}})";
    for (auto endpoint : {"ep-1", "ep-2"})
      for (auto name : {"default", "net"}) {
        config_key key{config_kind::endpoint, endpoint, "av-1"};
        put_config(c, base, key, body, name);
        urls.push_back(key.url(base, name));
        urls.push_back(key.list_url(base));
        urls.push_back(key.url(base) + "/history?name=" + name);
      }
    config_key app_default{config_kind::app_version_default, "", "av-1"};
    put_config(c, base, app_default, R"({"v":1})");
    put_config(c, base, app_default, R"({"v":2})"); // created and updated
    urls.push_back(app_default.url(base));
    urls.push_back(app_default.list_url(base));
    urls.push_back(app_default.url(base) + "/history");
    for (auto level : {"tenants/t-1", "applications/meter", "app-versions/av-1",
                       "endpoints/ep-1"}) {
      auto configs = base + "/system/" + level + "/configs";
      auto r = c.request("POST", configs, json_type,
                         R"({"name":"logging","displayName":"Logging",)"
                         R"("config":{"level":"debug"}})");
      EXPECT_EQ(r.status, 201) << r.describe();
      urls.push_back(r.header("Location").value_or(configs));
      urls.push_back(configs);
    }
    std::map<std::string, std::string> bodies;
    for (const auto& url : urls) {
      auto r = c.get(url);
      EXPECT_EQ(r.status, 200) << url << "\n" << r.describe();
      bodies[url] = r.body;
    }
    ecr.stop();
    return bodies;
  }

  /// Starts ecr on `store` and checks that every URL reads back as before.
  void expect_served(const std::string& store,
                     const std::map<std::string, std::string>& bodies) {
    ecr_process ecr(options_for(store));
    for (const auto& [url, body] : bodies) {
      auto r = ecr.http().get(url);
      EXPECT_EQ(r.status, 200) << url << "\n" << r.describe();
      EXPECT_EQ(r.body, body) << url;
    }
    ecr.stop();
  }

private:
  static std::string argv_text(const std::vector<std::string>& argv) {
    std::string text;
    for (const auto& arg : argv)
      text += (text.empty() ? "" : " ") + arg;
    return text;
  }

  temp_dir dir_{"ecr-e2e-transfer"};
  int runs_ = 0;
};

/// The number in "<verb> N records" of a command's output; -1 if absent.
long long reported(const command_result& r, const std::string& verb) {
  std::smatch match;
  std::regex line{verb + " ([0-9]+) records"};
  return std::regex_search(r.output, match, line) ? std::stoll(match[1]) : -1;
}

long long records_in(const std::string& dump) {
  return std::count(dump.begin(), dump.end(), '\n') - 1;
}

TEST_F(e2e_export_import, a_new_store_serves_the_same_ids_contents_and_dates) {
  auto bodies = write_through_rest("source");
  ASSERT_FALSE(HasFailure());
  auto dump = file("dump.ndjson");
  auto exported = run_ecr({"export", dump}, "source");
  ASSERT_TRUE(exported.status.exited_with(0)) << exported;
  auto text = read_file(dump);
  // 4 endpoint configurations, 1 default, their 6 versions, 4 system
  // configurations.
  EXPECT_EQ(reported(exported, "exported"), 15) << exported;
  EXPECT_EQ(records_in(text), 15) << text;

  auto imported = run_ecr({"import", dump}, "target");
  ASSERT_TRUE(imported.status.exited_with(0)) << imported;
  EXPECT_EQ(reported(imported, "imported"), 15) << imported;
  expect_served("target", bodies);
  // The target holds exactly what the source held.
  EXPECT_EQ(export_of("target"), text);
}

TEST_F(e2e_export_import, moves_from_sqlite_to_mongodb_and_back) {
  std::unique_ptr<mongo_stand_in> mongo;
  try {
    mongo = std::make_unique<mongo_stand_in>();
  } catch (const mongo_stand_in::unavailable& e) {
    GTEST_SKIP() << e.what();
  }
  auto bodies = write_through_rest("source");
  ASSERT_FALSE(HasFailure());
  auto text = export_of("source");
  auto dump = file("dump.ndjson");
  write_file(dump, text);
  env_overrides on_mongo{{"STORAGE_BACKEND", "mongodb"},
                         {"MONGODB_URL", mongo->url()}};
  auto imported = run_ecr({"import", dump}, "unused", on_mongo);
  ASSERT_TRUE(imported.status.exited_with(0)) << imported;
  EXPECT_EQ(reported(imported, "imported"), 15) << imported;
  {
    // ecr on MongoDB serves what the SQLite store held.
    auto options = ecr_binary(on_mongo);
    options.dir = store_dir("mongodb-run");
    std::filesystem::create_directories(options.dir);
    ecr_process ecr(options);
    for (const auto& [url, body] : bodies) {
      auto r = ecr.http().get(url);
      EXPECT_EQ(r.status, 200) << url << "\n" << r.describe();
      EXPECT_EQ(r.body, body) << url;
    }
    ecr.stop();
  }
  // And back: MongoDB's export makes a SQLite store like the first.
  auto back = file("back.ndjson");
  auto exported = run_ecr({"export", back}, "unused", on_mongo);
  ASSERT_TRUE(exported.status.exited_with(0)) << exported;
  EXPECT_EQ(reported(exported, "exported"), 15) << exported;
  ASSERT_TRUE(run_ecr({"import", back}, "target").status.exited_with(0));
  expect_served("target", bodies);
  EXPECT_EQ(export_of("target"), text);
}

TEST_F(e2e_export_import, the_standard_streams_carry_the_same_text) {
  write_through_rest("source");
  auto text = export_of("source");
  ASSERT_FALSE(HasFailure());
  auto piped = file("piped.ndjson");
  auto out = shell(R"("$0" export > "$1")", piped, "source");
  ASSERT_TRUE(out.status.exited_with(0)) << out;
  EXPECT_EQ(read_file(piped), text);
  EXPECT_EQ(reported(out, "exported"), records_in(text)) << out;
  // A pipe cannot be read twice: the import spools it.
  auto in = shell(R"(cat "$1" | "$0" import)", piped, "target");
  ASSERT_TRUE(in.status.exited_with(0)) << in;
  EXPECT_EQ(export_of("target"), text);
  // Again, from a redirected file and with "-": nothing changes.
  auto again = shell(R"("$0" import - < "$1")", piped, "target");
  ASSERT_TRUE(again.status.exited_with(0)) << again;
  EXPECT_EQ(reported(again, "imported"), records_in(text)) << again;
  EXPECT_EQ(export_of("target"), text);
}

TEST_F(e2e_export_import, a_malformed_file_exits_non_zero_and_changes_nothing) {
  write_through_rest("source");
  auto text = export_of("source");
  ASSERT_FALSE(HasFailure());
  // The target already holds data: the same records, one of them changed.
  auto first_record = text.find('\n') + 1;
  auto changed = text;
  changed.replace(changed.find("\"createdMs\":", first_record), 12,
                  "\"createdMs\":1");
  write_file(file("changed.ndjson"), changed);
  ASSERT_TRUE(run_ecr({"import", file("changed.ndjson")}, "target").status.exited_with(0));
  auto before = export_of("target");
  ASSERT_NE(before, text);

  // The last line is cut short; every line before it is fine.
  auto bad = text.substr(0, text.size() - 10) + "\n";
  write_file(file("bad.ndjson"), bad);
  auto result = run_ecr({"import", file("bad.ndjson")}, "target");
  EXPECT_TRUE(result.status.exited_with(1)) << result;
  EXPECT_NE(result.output.find("line " + std::to_string(records_in(text) + 1) + ": not JSON"),
            std::string::npos)
    << result;
  EXPECT_EQ(reported(result, "imported"), -1) << result;
  EXPECT_EQ(export_of("target"), before);
}

TEST_F(e2e_export_import, missing_files_and_stores_are_errors_that_create_nothing) {
  auto missing = run_ecr({"import", file("no-such.ndjson")}, "target");
  EXPECT_TRUE(missing.status.exited_with(1)) << missing;
  EXPECT_NE(missing.output.find("no-such.ndjson"), std::string::npos) << missing;
  EXPECT_FALSE(std::filesystem::exists(database("target")));

  auto no_store = run_ecr({"export", file("out.ndjson")}, "target");
  EXPECT_TRUE(no_store.status.exited_with(1)) << no_store;
  EXPECT_FALSE(std::filesystem::exists(database("target")));
  EXPECT_FALSE(std::filesystem::exists(file("out.ndjson")))
    << "the output is opened only once the store is";
}

TEST_F(e2e_export_import, bad_arguments_and_configuration_exit_with_2) {
  auto extra = run_ecr({"export", "a", "b"}, "source");
  EXPECT_TRUE(extra.status.exited_with(2)) << extra;
  EXPECT_NE(extra.output.find("ecr export [FILE]"), std::string::npos) << extra;
  auto bad_config = run_ecr({"import", "-"}, "source", {{"STORAGE_BACKEND", "nope"}});
  EXPECT_TRUE(bad_config.status.exited_with(2)) << bad_config;
  EXPECT_NE(bad_config.output.find("invalid configuration"), std::string::npos)
    << bad_config;
}

} // namespace
} // namespace ecr::test
