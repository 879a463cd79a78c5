// Clients that hold on to the server: descriptor exhaustion, clients that
// stop reading, stall or idle, and more connections than the limit. Each
// costs the server little and ends, while the other clients are served.

#include "tests/e2e/e2e_helpers.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/tcp_connection.hpp"

#include <gtest/gtest.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <thread>

namespace ecr::test {
namespace {

using namespace std::chrono_literals;

/// ecr without a NATS server of its own (none of these tests needs one).
std::unique_ptr<ecr_process> start_quiet_ecr(env_overrides env = {}) {
  auto options = ecr_binary(std::move(env));
  options.nats_urls = unreachable_nats_url;
  return std::make_unique<ecr_process>(options);
}

/// The share of one core `pid` used over `span`.
double cpu_share(pid_t pid, std::chrono::milliseconds span) {
  auto before = cpu_time(pid);
  std::this_thread::sleep_for(span);
  return static_cast<double>((cpu_time(pid) - before).count()) / span.count();
}

TEST(e2e_http_limits, running_out_of_descriptors_pauses_accepting) {
  auto ecr = start_quiet_ecr();
  auto pid = ecr->proc().pid();
  // Opened while descriptors remain: it must be served throughout.
  auto open_before = ecr->new_client();
  ASSERT_EQ(open_before.get("/health").status, 200);
  constexpr rlim_t limit = 128;
  rlimit lowered{limit, limit};
  ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, &lowered, nullptr), 0);
  std::vector<tcp_connection> idle;
  for (int i = 0; i < 300; ++i)
    idle.emplace_back(ecr->port());
  const std::string failure = "Too many open files";
  ASSERT_TRUE(eventually([&] { return !lines_with(ecr->log(), failure).empty(); }))
    << "the descriptors never ran out; log:\n" << ecr->log();

  auto share = cpu_share(pid, 3s);
  std::cout << "[descriptor exhaustion] " << share * 100 << " % of a core, "
            << lines_with(ecr->log(), failure).size() << " accept warning(s)\n";
  EXPECT_LT(share, 0.2) << "the accept loop spins";
  // One at once, then one per 10 s at most.
  EXPECT_LE(lines_with(ecr->log(), failure).size(), 2u);
  EXPECT_EQ(open_before.get("/health").status, 200);

  idle.clear();
  EXPECT_TRUE(eventually([&] {
    try {
      return ecr->new_client().get("/health").status == 200;
    } catch (const std::exception&) {
      return false;
    }
  })) << "no longer accepting once descriptors were free again";
}

TEST(e2e_http_limits, a_client_that_stops_reading_is_closed_after_the_write_timeout) {
  auto ecr = start_quiet_ecr({{"SERVER_WRITE_TIMEOUT", "1"}});
  auto pid = ecr->proc().pid();
  auto listening = open_sockets(pid);
  auto k = make_key(config_kind::endpoint, "unread");
  put_config(ecr->http(), "/api/v1", k, json_string_of_size(16 * 1024));
  ecr->http().close();
  ASSERT_TRUE(eventually([&] { return open_sockets(pid) == listening; }));

  std::string pipelined;
  for (int i = 0; i < 400; ++i)
    pipelined += "GET " + k.url("/api/v1") + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  std::vector<tcp_connection> unread;
  for (int i = 0; i < 20; ++i) {
    unread.emplace_back(ecr->port(), 4096);
    unread.back().send(pipelined);
  }
  auto sent = std::chrono::steady_clock::now();
  // Each connection owes 6.4 MiB of responses nobody reads. Seen open
  // first, so that the count is not taken before they were accepted.
  int most = 0;
  EXPECT_TRUE(eventually([&] {
    auto now = open_sockets(pid);
    most = std::max(most, now);
    return most >= listening + 20 && now == listening;
  })) << "at most " << most - listening << " held, " << open_sockets(pid) - listening
      << " still open";
  std::cout << "[write timeout 1 s] non-reading clients closed "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now() - sent)
                 .count()
            << " ms after their requests\n";
  EXPECT_EQ(ecr->new_client().get("/health").status, 200);
}

TEST(e2e_http_limits, connections_past_the_limit_are_closed_at_once) {
  constexpr int limit = 20;
  auto ecr = start_quiet_ecr({{"SERVER_MAX_CONNECTIONS", std::to_string(limit)}});
  std::vector<http_client> open;
  for (int i = 0; i < limit; ++i) {
    open.push_back(ecr->new_client());
    ASSERT_EQ(open.back().get("/health").status, 200);
  }
  auto begin = std::chrono::steady_clock::now();
  tcp_connection extra(ecr->port());
  EXPECT_TRUE(extra.closed_within(5s)) << "a connection past the limit was kept";
  std::cout << "[max-connections " << limit << "] connection " << limit + 1
            << " closed after "
            << std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::steady_clock::now() - begin)
                 .count()
            << " us\n";
  for (auto& client : open)
    EXPECT_EQ(client.get("/health").status, 200);
  EXPECT_EQ(lines_with(ecr->log(), "server.max-connections").size(), 1u) << ecr->log();
  open.pop_back();
  EXPECT_TRUE(eventually([&] {
    try {
      return ecr->new_client().get("/health").status == 200;
    } catch (const std::exception&) {
      return false;
    }
  })) << "a connection under the limit again was refused";
}

/// A connection that sent half a request header, and one that sent nothing.
struct stalled_and_idle {
  explicit stalled_and_idle(uint16_t port) : stalled(port), idle(port) {
    stalled.send("GET /health HTTP/1.1\r\nHo");
  }

  tcp_connection stalled;
  tcp_connection idle;
};

TEST(e2e_http_limits, the_read_timeout_closes_a_stalled_request) {
  auto ecr = start_quiet_ecr({{"SERVER_READ_TIMEOUT", "1"}});
  stalled_and_idle clients(ecr->port());
  EXPECT_TRUE(clients.stalled.closed_within(5s));
  EXPECT_FALSE(clients.idle.closed_within(0ms)) << "the idle timeout is not the read timeout";
}

TEST(e2e_http_limits, the_idle_timeout_closes_an_idle_connection) {
  auto ecr = start_quiet_ecr({{"SERVER_IDLE_TIMEOUT", "1"}});
  stalled_and_idle clients(ecr->port());
  EXPECT_TRUE(clients.idle.closed_within(5s));
  EXPECT_FALSE(clients.stalled.closed_within(0ms)) << "the read timeout is not the idle timeout";
}

TEST(e2e_http_limits, invalid_limits_exit_2_naming_the_key) {
  for (const auto& [variable, key] :
       std::vector<std::pair<std::string, std::string>>{
         {"SERVER_READ_TIMEOUT", "server.read-timeout"},
         {"SERVER_IDLE_TIMEOUT", "server.idle-timeout"},
         {"SERVER_WRITE_TIMEOUT", "server.write-timeout"},
         {"SERVER_MAX_CONNECTIONS", "server.max-connections"}}) {
    SCOPED_TRACE(variable);
    auto result = run_ecr_to_exit(ecr_binary({{variable, "0"}}));
    EXPECT_TRUE(result.status.exited_with(2)) << result.status.describe() << "\n"
                                              << result.output;
    EXPECT_NE(result.output.find(key), std::string::npos) << result.output;
  }
}

} // namespace
} // namespace ecr::test
