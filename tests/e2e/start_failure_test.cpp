// A start that fails ends the process at once with one clear line, and
// SIGTERM ends it at any moment of its start, even one that blocks.

#include "tests/e2e/e2e_helpers.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

namespace ecr::test {
namespace {

using namespace std::chrono_literals;

/// What the issue allows a failed start.
constexpr auto failed_start_limit = 2s;

/// A loopback port some other program listens on while this lives.
class taken_port {
public:
  taken_port() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0
        || ::listen(fd_, 4) != 0
        || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("cannot listen on a loopback port");
    port_ = ntohs(addr.sin_port);
  }

  ~taken_port() {
    ::close(fd_);
  }

  uint16_t port() const noexcept {
    return port_;
  }

private:
  int fd_;
  uint16_t port_ = 0;
};

/// Runs the binary to its failed start: `code` within the limit, and one
/// error line that mentions `cause`.
void expect_failed_start(env_overrides env, int code, const std::string& cause) {
  auto begin = std::chrono::steady_clock::now();
  auto result = run_ecr_to_exit(ecr_binary(std::move(env)), 10s);
  auto took = std::chrono::steady_clock::now() - begin;
  EXPECT_TRUE(result.status.exited_with(code))
    << result.status.describe() << "; output:\n" << result.output;
  EXPECT_LT(took, failed_start_limit)
    << "took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
    << " ms; output:\n" << result.output;
  auto errors = lines_with(result.output, "ERROR");
  ASSERT_EQ(errors.size(), 1u) << result.output;
  EXPECT_NE(errors.front().find(cause), std::string::npos) << result.output;
}

TEST(e2e_start_failure, port_taken_exits_1_at_once) {
  taken_port taken;
  auto port = std::to_string(taken.port());
  expect_failed_start({{"SERVER_PORT", port}}, 1,
                      "cannot listen on 127.0.0.1:" + port + ": Address already in use");
}

TEST(e2e_start_failure, an_address_that_is_no_ip_exits_2_at_once) {
  expect_failed_start({{"SERVER_ADDRESS", "999.1.1.1"}}, 2, "server.address");
}

TEST(e2e_start_failure, an_unopenable_store_exits_1_at_once) {
  temp_dir dir;
  // A directory where the database file should be.
  expect_failed_start({{"STORAGE_SQLITE_PATH", dir.path().string()}}, 1,
                      "cannot open the store");
}

TEST(e2e_start_failure, sigterm_ends_a_start_that_blocks) {
  // Nothing listens on port 1: opening the store waits for a MongoDB server
  // for ten minutes.
  temp_dir dir;
  auto options = ecr_binary({{"MONGODB_URL", "mongodb://127.0.0.1:1/ecr"},
                             {"MONGODB_SERVER_SELECTION_TIMEOUT_MS", "600000"},
                             {"SERVICE_GRACEFUL_SHUTDOWN", "1"}});
  auto ecr = launch_ecr(options, dir.path());
  std::this_thread::sleep_for(500ms);
  ASSERT_TRUE(ecr->running()) << ecr->log();
  ecr->terminate();
  // The grace, the 2 s the components get to stop, and a margin.
  auto status = ecr->wait_exit(6s);
  ASSERT_TRUE(status) << "still running 6 s after SIGTERM; log:\n" << ecr->log();
  EXPECT_TRUE(status->exited_with(1)) << status->describe() << "; log:\n" << ecr->log();
  EXPECT_NE(ecr->log().find("exiting now"), std::string::npos) << ecr->log();
}

TEST(e2e_start_failure, sigterm_at_any_moment_of_the_start_ends_the_process) {
  for (auto delay : {0ms, 2ms, 5ms, 10ms, 20ms, 40ms, 80ms, 160ms}) {
    SCOPED_TRACE("SIGTERM " + std::to_string(delay.count()) + " ms after the start");
    temp_dir dir;
    auto ecr = launch_ecr(ecr_binary({{"SERVICE_GRACEFUL_SHUTDOWN", "1"}}), dir.path());
    std::this_thread::sleep_for(delay);
    ecr->terminate();
    auto status = ecr->wait_exit(6s);
    ASSERT_TRUE(status) << "still running 6 s after SIGTERM; log:\n" << ecr->log();
    // Before the service watches signals, SIGTERM's default action ends it.
    EXPECT_TRUE(status->exited_with(0) || (status->signaled && status->value == SIGTERM))
      << status->describe() << "; log:\n" << ecr->log();
  }
}

} // namespace
} // namespace ecr::test
