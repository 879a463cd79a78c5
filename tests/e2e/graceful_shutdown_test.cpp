// SIGTERM while requests are in flight: those requests still get proper
// answers, the process exits 0, and every acknowledged write is durable.

#include "tests/e2e/concurrent_writers.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <iostream>
#include <thread>

namespace ecr::test {
namespace {

constexpr size_t large_body = 512 * 1024;

/// Whether a new connection to `port` is refused right now.
bool refuses_connections(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool refused = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0;
  ::close(fd);
  return refused;
}

/// Gives the server time to act on SIGTERM: returns once it refuses new
/// connections, or after `max_wait` (servers may stop accepting without
/// closing the listener, and then this just waits).
void wait_until_refusing(uint16_t port, std::chrono::milliseconds max_wait) {
  auto deadline = std::chrono::steady_clock::now() + max_wait;
  while (!refuses_connections(port) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

/// Waits for the exit code 0 that follows SIGTERM.
void expect_clean_exit(ecr_process& ecr) {
  auto status = ecr.proc().wait_exit(std::chrono::seconds(30));
  ASSERT_TRUE(status) << "still running 30 s after SIGTERM";
  EXPECT_TRUE(status->exited_with(0)) << status->describe();
}

TEST(e2e_graceful_shutdown, request_under_way_at_sigterm_is_completed) {
  temp_dir dir;
  auto options = ecr_binary();
  options.dir = dir.path();
  auto k = make_key(config_kind::endpoint, "under-way");
  auto body = json_string_of_size(large_body, 'h');
  {
    ecr_process ecr(options);
    http_client c(ecr.port());
    // `100 Continue` proves the server has read the head and waits for the
    // body: the request is in flight when SIGTERM arrives.
    c.send_raw("PUT " + k.url("/api/v1") + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               + "Content-Type: application/json\r\nExpect: 100-continue\r\n"
               + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n");
    auto interim = c.read_response(false, interim_responses::keep);
    ASSERT_TRUE(interim);
    ASSERT_EQ(interim->status, 100) << interim->describe();
    c.send_raw(body.substr(0, body.size() / 2));
    ecr.proc().terminate();
    wait_until_refusing(ecr.port(), std::chrono::seconds(2));
    c.send_raw(body.substr(body.size() / 2));
    auto r = c.read_response();
    ASSERT_TRUE(r) << "the in-flight request was dropped at SIGTERM";
    EXPECT_EQ(expect_config(*r).config, body);
    c.close();
    expect_clean_exit(ecr);
  }
  ecr_process restarted(options);
  EXPECT_EQ(expect_config(restarted.http().get(k.url("/api/v1"))).config, body);
}

TEST(e2e_graceful_shutdown, concurrent_large_writes_during_sigterm) {
  temp_dir dir;
  auto options = ecr_binary();
  options.dir = dir.path();
  ecr_process ecr(options);
  concurrent_writers writers(ecr.port(), {.threads = 4,
                                          .overwrite_every = 2,
                                          .body_bytes = large_body,
                                          .allow_service_unavailable = true});
  writers.wait_for_acks(16, std::chrono::seconds(20));
  ASSERT_GT(writers.running(), 0) << "every writer stopped before SIGTERM";
  auto before = writers.acknowledged();
  ecr.proc().terminate();
  expect_clean_exit(ecr);
  writers.join();
  std::cout << "[graceful_shutdown] " << writers.acknowledged() << " writes acknowledged, "
            << writers.acknowledged() - before << " of them after SIGTERM was sent\n";

  ecr_process restarted(options);
  writers.verify_durable(restarted.http());
}

} // namespace
} // namespace ecr::test
