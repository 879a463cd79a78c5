// Component tests: the node, its actors and the REST handler in one process,
// on a real SQLite store in a temp dir, without sockets.

#include "actors/node.hpp"

#include "core/metrics.hpp"
#include "gateway/json.hpp"
#include "gateway/rest_api.hpp"
#include "settings/settings.hpp"
#include "storage/config_cache.hpp"
#include "tests/support/temp_dir.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <set>
#include <thread>

namespace ecr {
namespace {

struct service_fixture : ::testing::Test {
  service_fixture() {
    cfg.storage.sqlite_path = dir.file("data/ecr.db");
    start();
  }

  ~service_fixture() override {
    stop();
  }

  void start() {
    cache = std::make_shared<config_cache>(cfg.cache.max_bytes, render_config);
    metrics = std::make_shared<service_metrics>("test");
    auto ncfg = make_node_config(cfg, cache, metrics);
    if (!ncfg)
      throw std::runtime_error("cannot open the store");
    sys_cfg = std::make_unique<caf::actor_system_config>();
    configure_actor_system(*sys_cfg, cfg);
    sys = std::make_unique<caf::actor_system>(*sys_cfg);
    supervisor = sys->spawn(node, *ncfg);
    caf::scoped_actor self{*sys};
    auto rest = connect_gateway(self, supervisor, cfg, **ncfg);
    if (!rest)
      throw std::runtime_error("cannot reach the node");
    service = std::make_unique<http_service>(make_rest_handler(*rest));
  }

  void stop() {
    if (!sys)
      return;
    {
      caf::scoped_actor self{*sys};
      self->send_exit(supervisor, caf::exit_reason::user_shutdown);
      self->wait_for(supervisor);
    }
    supervisor = nullptr;
    service.reset();
    sys.reset();
    sys_cfg.reset();
  }

  /// Hands a request to the REST handler and waits for its reply.
  http_response call(std::string method, std::string target,
                     std::string body = {},
                     std::vector<std::pair<std::string, std::string>> headers
                     = {}) {
    http_request req{std::move(method), std::move(target), std::move(headers),
                     std::move(body)};
    if (!req.body.empty() && !req.header("content-type"))
      req.headers.emplace_back("content-type", "application/json");
    auto promise = std::make_shared<std::promise<http_response>>();
    auto reply = promise->get_future();
    service->handle(std::move(req), [promise](http_response res) {
      promise->set_value(std::move(res));
    });
    // What an HTTP server does once the requests that came together were
    // handled: store reads queued for them leave.
    service->after_burst();
    if (reply.wait_for(std::chrono::seconds{30}) != std::future_status::ready)
      throw std::runtime_error("no reply within 30 s");
    return reply.get();
  }

  static std::string header(const http_response& res, const std::string& name) {
    for (const auto& [key, value] : res.headers)
      if (key == name)
        return value;
    return {};
  }

  test::temp_dir dir;
  settings cfg;
  std::shared_ptr<config_cache> cache;
  std::shared_ptr<service_metrics> metrics;
  std::unique_ptr<caf::actor_system_config> sys_cfg;
  std::unique_ptr<caf::actor_system> sys;
  node_actor supervisor;
  std::unique_ptr<http_service> service;
};

constexpr const char* endpoint_path = "/api/v1/endpoints/ep-1/app-versions/v1";

TEST_F(service_fixture, concurrent_writes_are_all_acknowledged_and_durable) {
  // Many writers at once: the store writer groups them into shared commits.
  constexpr int threads = 8;
  constexpr int per_thread = 50;
  std::vector<std::thread> workers;
  std::vector<std::vector<std::string>> ids(threads);
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto res = call("PUT",
                        "/api/v1/endpoints/ep-" + std::to_string(t) + "-"
                          + std::to_string(i) + "/app-versions/v1",
                        "{\"n\":" + std::to_string(i) + "}");
        if (res.status == 200)
          ids[t].push_back(header(res, "ETag"));
      }
    });
  for (auto& worker : workers)
    worker.join();
  std::set<std::string> unique;
  for (const auto& list : ids) {
    EXPECT_EQ(list.size(), static_cast<size_t>(per_thread));
    unique.insert(list.begin(), list.end());
  }
  EXPECT_EQ(unique.size(), static_cast<size_t>(threads * per_thread));
  // Everything acknowledged survives a restart.
  stop();
  start();
  for (int t = 0; t < threads; ++t)
    for (int i = 0; i < per_thread; ++i) {
      auto res = call("GET", "/api/v1/endpoints/ep-" + std::to_string(t) + "-"
                               + std::to_string(i) + "/app-versions/v1");
      ASSERT_EQ(res.status, 200u);
      EXPECT_EQ(header(res, "ETag"), ids[t][i]);
    }
}

TEST_F(service_fixture, reads_fill_the_cache_and_writes_keep_it_coherent) {
  auto put = call("PUT", endpoint_path, R"({"v":1})");
  ASSERT_EQ(put.status, 200u);
  config_key key{cfg.service.default_tenant, "ep-1", "v1", "default"};
  auto cached_content = [&] {
    auto hit = cache->find(key);
    return hit ? (*hit ? (*hit)->record.content : "absent") : "unknown";
  };
  EXPECT_EQ(cached_content(), R"({"v":1})");
  cache->clear();
  ASSERT_EQ(call("GET", endpoint_path).status, 200u); // a miss, read from store
  EXPECT_EQ(cached_content(), "unknown");             // read once: not kept
  ASSERT_EQ(call("GET", endpoint_path).status, 200u); // missed again: kept
  EXPECT_EQ(cached_content(), R"({"v":1})");
  ASSERT_EQ(call("PUT", endpoint_path, R"({"v":2})").status, 200u);
  EXPECT_EQ(cached_content(), R"({"v":2})");
  auto get = call("GET", endpoint_path);
  EXPECT_NE(get.body.find(R"({\"v\":2})"), std::string::npos);
  ASSERT_EQ(call("DELETE", endpoint_path).status, 204u);
  EXPECT_EQ(cached_content(), "absent");
  EXPECT_EQ(call("GET", endpoint_path).status, 404u);
}

TEST_F(service_fixture, rejected_writes_change_neither_store_nor_cache) {
  auto put = call("PUT", endpoint_path, R"({"v":1})");
  ASSERT_EQ(put.status, 200u);
  auto etag = header(put, "ETag");
  EXPECT_EQ(call("PUT", endpoint_path, R"({"v":2})", {{"if-match", "\"nope\""}})
              .status,
            412u);
  EXPECT_EQ(call("PUT", endpoint_path, R"({"v":)").status, 400u);
  EXPECT_EQ(call("PUT", endpoint_path, "{}", {{"content-type", "text/plain"}})
              .status,
            415u);
  EXPECT_EQ(call("DELETE", endpoint_path, {}, {{"if-match", "\"nope\""}}).status,
            412u);
  cache->clear();
  auto get = call("GET", endpoint_path);
  ASSERT_EQ(get.status, 200u);
  EXPECT_EQ(header(get, "ETag"), etag);
  EXPECT_NE(get.body.find(R"({\"v\":1})"), std::string::npos);
}

TEST_F(service_fixture, readiness_reports_the_storage_component) {
  auto res = call("GET", "/health/ready");
  EXPECT_EQ(res.status, 200u);
  // Without a NATS client the node runs REST only; NATS reports disabled.
  // No license file at the default path, and enforcement off: up, saying so.
  EXPECT_EQ(res.body, R"({"status":"UP","components":{"storage":{"status":"UP"},)"
                      R"("nats":{"status":"UP","details":"disabled"},)"
                      R"("license":{"status":"UP","details":"missing: no file at )"
                      R"(/run/license/license.p12"}}})");
  EXPECT_EQ(call("GET", "/health").status, 200u);
  EXPECT_EQ(call("GET", "/health/startup").status, 200u);
}

TEST_F(service_fixture, routes_resolve_under_both_base_paths_only) {
  ASSERT_EQ(call("PUT", "/ecr/api/v1/app-versions/v1", "[1]").status, 200u);
  EXPECT_EQ(call("GET", "/api/v1/app-versions/v1").status, 200u);
  EXPECT_EQ(call("GET", "/v1/app-versions/v1").status, 404u);
  EXPECT_EQ(call("GET", "/api/v1/app-versions/v1/extra").status, 404u);
  EXPECT_EQ(call("GET", "/api/v1/health").status, 404u);
  auto wrong = call("POST", "/api/v1/app-versions/v1/configurations");
  EXPECT_EQ(wrong.status, 405u);
  EXPECT_EQ(header(wrong, "Allow"), "GET");
}

} // namespace
} // namespace ecr

namespace ecr {
namespace {

TEST_F(service_fixture, batch_upserts_every_endpoint_and_counts_changes) {
  ASSERT_EQ(call("PUT", "/api/v1/endpoints/b/app-versions/v1?name=n",
                 R"({"k":1})")
              .status,
            200u);
  auto res = call("PUT", "/ecr/api/v1/endpoints/batch?name=n",
                  R"({"configPayload": {"k": 1},
                      "endpoints": {"v1": ["a", "b"], "v2": ["c"]}})");
  ASSERT_EQ(res.status, 200u) << res.body;
  EXPECT_EQ(res.body, R"({"updated":2})"); // b already had this content
  for (auto path : {"/api/v1/endpoints/a/app-versions/v1?name=n",
                    "/api/v1/endpoints/b/app-versions/v1?name=n",
                    "/api/v1/endpoints/c/app-versions/v2?name=n"}) {
    auto get = call("GET", path);
    ASSERT_EQ(get.status, 200u) << path;
    EXPECT_NE(get.body.find(R"("config":"{\"k\":1}")"), std::string::npos);
  }
  EXPECT_EQ(call("GET", "/api/v1/endpoints/a/app-versions/v1").status, 404u);
}

TEST_F(service_fixture, a_batch_with_any_bad_part_writes_nothing) {
  auto bad_id = std::string(257, 'x');
  for (auto body : {std::string{R"({"endpoints": {"v1": ["a"]}})"},
                    std::string{R"({"configPayload": 1, "endpoints": {"v1": []}})"},
                    R"({"configPayload": 1, "endpoints": {"v1": ["a", ")"
                      + bad_id + "\"]}}"}) {
    auto res = call("PUT", "/api/v1/endpoints/batch", body);
    EXPECT_EQ(res.status, 400u) << body;
    EXPECT_NE(res.body.find("\"message\""), std::string::npos);
  }
  EXPECT_EQ(call("PUT", "/api/v1/endpoints/batch?name=bad!",
                 R"({"configPayload": 1, "endpoints": {"v1": ["a"]}})")
              .status,
            400u);
  EXPECT_EQ(call("PUT", "/api/v1/endpoints/batch", "{}",
                 {{"content-type", "text/plain"}})
              .status,
            415u);
  EXPECT_EQ(call("GET", "/api/v1/endpoints/a/app-versions/v1").status, 404u);
}

} // namespace
} // namespace ecr
