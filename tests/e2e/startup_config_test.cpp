// Start-up: configuration sources and their precedence, invalid settings
// (exit code 2 naming the key), and signal handling.

#include "tests/e2e/e2e_helpers.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <thread>

namespace ecr::test {
namespace {

/// A loopback port that was free a moment ago.
uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0
      || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("cannot find a free port");
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// Runs the binary with a configuration it must refuse: exit code 2 and
/// output naming `mentions`.
void expect_refused(env_overrides env, std::string yaml, const std::string& mentions) {
  auto result = run_ecr_to_exit(ecr_binary(std::move(env), std::move(yaml)));
  EXPECT_TRUE(result.status.exited_with(2))
    << "ended with " << result.status.describe() << "; output:\n"
    << result.output;
  EXPECT_NE(result.output.find(mentions), std::string::npos)
    << "output does not mention " << mentions << ":\n"
    << result.output;
}

const std::string base = "/api/v1";

/// The largest accepted body and one byte more.
void expect_body_limit(ecr_process& ecr, size_t limit) {
  SCOPED_TRACE("body limit " + std::to_string(limit));
  auto k = make_key(config_kind::endpoint, "limit-" + std::to_string(limit));
  auto stored = put_config(ecr.http(), base, k, json_string_of_size(limit));
  expect_error(ecr.http().put_json(k.url(base), json_string_of_size(limit + 1)), 413);
  expect_stored(ecr.http(), base, k, std::nullopt, stored);
}

TEST(e2e_startup_config, non_numeric_server_port_env_exits_2) {
  expect_refused({{"SERVER_PORT", "abc"}}, "", "server.port");
}

TEST(e2e_startup_config, out_of_range_server_port_env_exits_2) {
  expect_refused({{"SERVER_PORT", "70000"}}, "", "server.port");
  expect_refused({{"SERVER_PORT", "-1"}}, "", "server.port");
}

TEST(e2e_startup_config, out_of_range_server_port_in_yaml_exits_2) {
  expect_refused({{"SERVER_PORT", std::nullopt}}, "server:\n  port: 70000\n", "server.port");
}

TEST(e2e_startup_config, missing_config_file_named_by_app_config_path_exits_2) {
  temp_dir dir;
  expect_refused({{"APP_CONFIG_PATH", dir.file("does-not-exist.yml")}}, "",
                 "APP_CONFIG_PATH");
}

TEST(e2e_startup_config, malformed_yaml_exits_2) {
  auto result = run_ecr_to_exit(ecr_binary({}, "server: {port: 8080\n  oops: [\n"));
  EXPECT_TRUE(result.status.exited_with(2))
    << result.status.describe() << "; output:\n"
    << result.output;
}

TEST(e2e_startup_config, invalid_instance_name_exits_2) {
  expect_refused({{"INSTANCE_NAME", "bad name!"}}, "", "service.instance.name");
}

TEST(e2e_startup_config, invalid_max_body_size_exits_2) {
  expect_refused({{"SERVER_MAX_BODY_SIZE", "lots"}}, "", "server.max-body-size");
}

TEST(e2e_startup_config, environment_wins_over_yaml) {
  // YAML asks for a privileged port; SERVER_PORT=0 from the environment wins.
  auto ecr = start_ecr({{"SERVER_PORT", "0"}}, "server:\n  port: 1\n");
  EXPECT_NE(ecr->port(), 1);
  EXPECT_EQ(ecr->http().get("/health").status, 200);
}

TEST(e2e_startup_config, yaml_port_applies_without_environment) {
  auto port = free_port();
  auto ecr = start_ecr({{"SERVER_PORT", std::nullopt}},
                       "server:\n  port: " + std::to_string(port) + "\n");
  EXPECT_EQ(ecr->port(), port);
  EXPECT_EQ(ecr->http().get("/health").status, 200);
}

TEST(e2e_startup_config, unknown_yaml_keys_are_tolerated) {
  auto ecr = start_ecr({}, "kaa:\n  tekton:\n    enabled: false\n"
                           "something:\n  unknown: [1, 2]\nserver:\n  whatever: x\n");
  EXPECT_EQ(ecr->http().get("/health").status, 200);
}

TEST(e2e_startup_config, max_body_size_accepts_bytes_and_units) {
  {
    auto ecr = start_ecr({{"SERVER_MAX_BODY_SIZE", "3000"}});
    expect_body_limit(*ecr, 3000);
  }
  {
    auto ecr = start_ecr({{"SERVER_MAX_BODY_SIZE", "64KiB"}});
    expect_body_limit(*ecr, 64 * 1024);
  }
}

TEST(e2e_startup_config, max_body_size_from_yaml_and_env_override) {
  const std::string yaml = "server:\n  max-body-size: 2048\n";
  {
    auto ecr = start_ecr({}, yaml);
    expect_body_limit(*ecr, 2048);
  }
  {
    auto ecr = start_ecr({{"SERVER_MAX_BODY_SIZE", "4KiB"}}, yaml);
    expect_body_limit(*ecr, 4096);
  }
}

TEST(e2e_startup_config, sqlite_path_from_yaml) {
  temp_dir dir;
  auto db = dir.path() / "elsewhere" / "store.db";
  std::filesystem::create_directories(db.parent_path());
  auto options = ecr_binary({{"STORAGE_SQLITE_PATH", std::nullopt}},
                            "storage:\n  sqlite:\n    path: " + db.string() + "\n");
  options.dir = dir.path();
  auto k = make_key(config_kind::endpoint, "yaml-db");
  stored_config stored;
  {
    ecr_process ecr(options);
    stored = put_config(ecr.http(), base, k, R"({"where":"yaml"})");
    ecr.stop();
  }
  EXPECT_TRUE(std::filesystem::exists(db));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "data" / "ecr.db"))
    << "the YAML path should be used, not the default test path";
  ecr_process again(options);
  expect_stored(again.http(), base, k, std::nullopt, stored);
}

TEST(e2e_startup_config, port_zero_gives_each_instance_its_own_port) {
  auto a = start_ecr();
  auto b = start_ecr();
  EXPECT_NE(a->port(), b->port());
  auto k = make_key(config_kind::endpoint, "two");
  put_config(a->http(), base, k, "1");
  expect_absent(b->http(), base, k);
}

// With no threshold, every look of the memory keeper gives the free heap
// back and logs it at debug level.
const env_overrides eager_memory_keeper = {{"LOGGING_LEVEL", "debug"},
                                           {"MEMORY_RELEASE_ABOVE", "0"}};
const std::string memory_given_back = "memory-keeper: gave back free heap";

TEST(e2e_startup_config, memory_is_given_back_at_the_configured_interval) {
  auto env = eager_memory_keeper;
  env["MEMORY_RELEASE_INTERVAL"] = "1";
  auto ecr = start_ecr(env);
  EXPECT_TRUE(eventually([&] {
    return ecr->log().find(memory_given_back) != std::string::npos;
  })) << ecr->log();
}

TEST(e2e_startup_config, a_zero_release_interval_never_gives_memory_back) {
  auto env = eager_memory_keeper;
  env["MEMORY_RELEASE_INTERVAL"] = "0";
  auto ecr = start_ecr(env);
  // Two and a half intervals of the test above.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(ecr->log().find(memory_given_back), std::string::npos)
    << ecr->log();
}

TEST(e2e_startup_config, sigterm_exits_0) {
  auto ecr = start_ecr();
  put_config(ecr->http(), base, make_key(config_kind::endpoint, "term"), "1");
  auto status = ecr->stop();
  EXPECT_TRUE(status.exited_with(0)) << status.describe();
}

TEST(e2e_startup_config, sigint_exits_0) {
  auto ecr = start_ecr();
  put_config(ecr->http(), base, make_key(config_kind::endpoint, "int"), "1");
  ecr->http().close();
  ecr->proc().signal(SIGINT);
  auto status = ecr->proc().wait_exit(std::chrono::seconds(20));
  ASSERT_TRUE(status) << "still running 20 s after SIGINT";
  EXPECT_TRUE(status->exited_with(0)) << status->describe();
}

} // namespace
} // namespace ecr::test
