// The Beast server on its own, over real sockets, with handlers that
// misbehave on purpose.

#include "gateway/http_server.hpp"

#include "core/error.hpp"
#include "tests/support/http_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

namespace ecr {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<http_server> start_server(http_service service,
                                          size_t max_body = 1024) {
  http_server_options options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.max_body_bytes = max_body;
  options.request_timeout = 1s;
  auto server = http_server::start(options, std::move(service));
  if (!server)
    throw std::runtime_error("cannot start the server");
  return std::move(*server);
}

std::unique_ptr<http_server> start_server(http_handler handler,
                                          size_t max_body = 1024) {
  return start_server(http_service{std::move(handler)}, max_body);
}

http_response text(unsigned status, std::string body) {
  return {status, "application/json", {}, std::move(body)};
}

TEST(http_server, refuses_options_without_a_connection_or_a_timeout) {
  for (auto change : std::vector<std::function<void(http_server_options&)>>{
         [](auto& o) { o.max_connections = 0; },
         [](auto& o) { o.read_timeout = 0s; },
         [](auto& o) { o.idle_timeout = 0s; },
         [](auto& o) { o.write_timeout = 0s; },
         [](auto& o) { o.request_timeout = 0s; },
         [](auto& o) { o.io_threads = 0; }}) {
    http_server_options options;
    options.address = "127.0.0.1";
    options.port = 0;
    change(options);
    auto server = http_server::start(options, http_service{[](http_request&&, http_reply) {}});
    ASSERT_FALSE(server);
    EXPECT_EQ(error_code(server.error()), ec::invalid_configuration);
  }
}

TEST(http_server, a_handler_that_never_replies_gets_504_and_the_connection_lives) {
  std::mutex mutex;
  std::vector<http_reply> parked;
  auto server = start_server([&](http_request&& req, http_reply reply) {
    if (req.target == "/hang") {
      std::lock_guard<std::mutex> guard{mutex};
      parked.push_back(std::move(reply)); // answered too late, below
      return;
    }
    reply(text(200, R"({"ok":true})"));
  });
  test::http_client client{server->port()};
  auto hung = client.get("/hang");
  EXPECT_EQ(hung.status, 504);
  EXPECT_NE(hung.body.find("timed out"), std::string::npos);
  {
    // The late reply must be dropped, not sent as the next response.
    std::lock_guard<std::mutex> guard{mutex};
    parked.front()(text(200, R"({"late":true})"));
  }
  auto next = client.get("/fine");
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body, R"({"ok":true})");
  EXPECT_EQ(client.connect_count(), 1);
  EXPECT_TRUE(server->shutdown(1s));
}

TEST(http_server, after_each_burst_the_service_may_answer_what_it_held_back) {
  // Replies are held until the burst ends: without `after_burst` calls
  // every request here would time out with 504.
  std::mutex mutex;
  std::vector<http_reply> held;
  std::atomic<int> bursts{0};
  auto server = start_server(http_service{
    [&](http_request&&, http_reply reply) {
      std::lock_guard<std::mutex> guard{mutex};
      held.push_back(std::move(reply));
    },
    [&] {
      ++bursts;
      std::vector<http_reply> due;
      {
        std::lock_guard<std::mutex> guard{mutex};
        due.swap(held);
      }
      for (auto& reply : due)
        reply(text(200, R"({"held":true})"));
    }});
  test::http_client client{server->port()};
  for (int i = 0; i < 3; ++i) {
    auto res = client.get("/held");
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.body, R"({"held":true})");
  }
  EXPECT_GE(bursts.load(), 3);
  EXPECT_TRUE(server->shutdown(1s));
}

TEST(http_server, passes_method_target_headers_and_body_to_the_handler) {
  http_request seen;
  auto server = start_server([&](http_request&& req, http_reply reply) {
    seen = std::move(req);
    reply(text(201, "{}"));
  });
  test::http_client client{server->port()};
  auto res = client.request("PUT", "/a/b?x=1", {{"X-Thing", "Value"}}, "[1]");
  EXPECT_EQ(res.status, 201);
  EXPECT_EQ(seen.method, "PUT");
  EXPECT_EQ(seen.target, "/a/b?x=1");
  EXPECT_EQ(seen.body, "[1]");
  ASSERT_NE(seen.header("x-thing"), nullptr);
  EXPECT_EQ(*seen.header("x-thing"), "Value");
  EXPECT_TRUE(server->shutdown(1s));
}

TEST(http_server, oversize_bodies_never_reach_the_handler) {
  std::atomic<int> calls{0};
  auto server = start_server(
    [&](http_request&&, http_reply reply) {
      ++calls;
      reply(text(200, "{}"));
    },
    16);
  test::http_client client{server->port()};
  auto res = client.request("PUT", "/x", {{"Content-Type", "application/json"}},
                            std::string(17, ' '));
  EXPECT_EQ(res.status, 413);
  EXPECT_EQ(res.header("Content-Type").value_or(""), "application/json");
  EXPECT_EQ(calls.load(), 0);
  EXPECT_TRUE(server->shutdown(1s));
}

TEST(http_server, shutdown_waits_for_a_reply_under_way) {
  std::atomic<bool> replied{false};
  std::thread late_replier;
  auto server = start_server([&](http_request&&, http_reply reply) {
    late_replier = std::thread([&replied, reply = std::move(reply)] {
      std::this_thread::sleep_for(300ms);
      replied = true;
      reply(text(200, "{}"));
    });
  });
  test::http_client client{server->port()};
  client.send_raw("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(100ms); // the request is now with the handler
  EXPECT_TRUE(server->shutdown(5s));
  EXPECT_TRUE(replied.load());
  auto res = client.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  late_replier.join();
}

} // namespace
} // namespace ecr
