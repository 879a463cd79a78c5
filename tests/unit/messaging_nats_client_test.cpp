// The cnats wrapper against a real nats-server: each message says whether
// more of its subscription were already waiting, which is what lets CDTP
// send the store reads of a burst together.

#include "messaging/nats_client.hpp"

#include "tests/support/nats_server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace ecr {
namespace {

using namespace std::chrono_literals;

/// A client of `server` that ignores connection state changes.
auto connect_to(const test::nats_server& server) {
  nats_settings settings;
  settings.urls = {server.url()};
  return nats_client::connect(settings, [](bool) {});
}

TEST(nats_client, a_message_says_whether_more_were_waiting_behind_it) {
  test::nats_server server;
  auto client = connect_to(server);
  ASSERT_TRUE(client);
  std::promise<void> first_seen;
  std::promise<void> release_first;
  auto released = release_first.get_future().share();
  std::mutex mutex;
  std::vector<std::pair<std::string, bool>> seen;
  std::promise<void> all_seen;
  ASSERT_FALSE((*client)->subscribe("burst.test", "", [&](nats_message&& msg) {
    size_t count;
    {
      std::lock_guard<std::mutex> guard{mutex};
      seen.emplace_back(msg.payload, msg.more_waiting);
      count = seen.size();
    }
    if (count == 1) {
      // Hold the delivery thread so that the others queue up behind.
      first_seen.set_value();
      released.wait();
    }
    if (msg.payload == "c")
      all_seen.set_value();
  }));
  // Subscriptions take effect asynchronously: repeat the first until seen.
  auto first = first_seen.get_future();
  while (first.wait_for(50ms) != std::future_status::ready)
    ASSERT_FALSE((*client)->publish("burst.test", "first"));
  for (const char* payload : {"a", "b", "c"})
    ASSERT_FALSE((*client)->publish("burst.test", payload));
  std::this_thread::sleep_for(200ms); // the three reach the client's queue
  release_first.set_value();
  ASSERT_EQ(all_seen.get_future().wait_for(10s), std::future_status::ready);
  std::lock_guard<std::mutex> guard{mutex};
  ASSERT_GE(seen.size(), 4u);
  // Extra copies of "first" may have been queued by the repeats above.
  auto a = std::find_if(seen.begin(), seen.end(),
                        [](const auto& m) { return m.first == "a"; });
  ASSERT_NE(a, seen.end());
  EXPECT_TRUE(a->second) << "b and c were waiting behind a";
  EXPECT_EQ(seen.back().first, "c");
  EXPECT_FALSE(seen.back().second) << "nothing was waiting behind c";
  (*client)->close();
}

TEST(nats_client, close_waits_for_a_handler_that_is_running) {
  test::nats_server server;
  auto client = connect_to(server);
  ASSERT_TRUE(client);
  std::promise<void> entered;
  std::atomic<bool> once{false};
  std::atomic<bool> returned{false};
  ASSERT_FALSE((*client)->subscribe("close.test", "", [&](nats_message&&) {
    if (once.exchange(true))
      return;
    entered.set_value();
    std::this_thread::sleep_for(300ms);
    returned = true;
  }));
  auto running = entered.get_future();
  while (running.wait_for(50ms) != std::future_status::ready)
    ASSERT_FALSE((*client)->publish("close.test", "x"));
  (*client)->close();
  EXPECT_TRUE(returned) << "close returned while a handler still ran, so "
                           "what the handler uses could be freed under it";
}

} // namespace
} // namespace ecr
