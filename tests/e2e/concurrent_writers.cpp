#include "tests/e2e/concurrent_writers.hpp"

#include <gtest/gtest.h>

namespace ecr::test {

namespace {

const std::string base = "/api/v1";

/// Already minified, so the stored `config` must equal it byte for byte.
std::string make_body(int thread_index, int key_index, int version, size_t size) {
  auto head = R"({"t":)" + std::to_string(thread_index) + R"(,"k":)"
              + std::to_string(key_index) + R"(,"v":)" + std::to_string(version)
              + R"(,"pad":")";
  auto pad = size > head.size() + 2 ? size - head.size() - 2 : 0;
  return head + std::string(pad, 'p') + "\"}";
}

} // namespace

concurrent_writers::concurrent_writers(uint16_t port, writers_plan plan)
  : port_(port), plan_(plan), running_(plan.threads), histories_(plan.threads) {
  for (int t = 0; t < plan_.threads; ++t)
    threads_.emplace_back([this, t] { run(t); });
}

concurrent_writers::~concurrent_writers() {
  join();
}

void concurrent_writers::join() {
  stop_ = true;
  for (auto& thread : threads_)
    if (thread.joinable())
      thread.join();
}

void concurrent_writers::wait_for_acks(size_t count,
                                       std::chrono::milliseconds max_wait) const {
  auto deadline = std::chrono::steady_clock::now() + max_wait;
  while (acked_ < count && running_ > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

void concurrent_writers::run(int thread_index) {
  struct on_exit {
    std::atomic<int>& running;
    ~on_exit() {
      --running;
    }
  } guard{running_};
  http_client c(port_);
  auto kind = thread_index % 2 == 0 ? config_kind::endpoint
                                    : config_kind::app_version_default;
  auto& keys = histories_[thread_index];
  for (int k = 0; !stop_; ++k) {
    auto& history = keys.emplace_back();
    history.key = make_key(kind, "w" + std::to_string(thread_index) + "-" + std::to_string(k));
    int writes = k % plan_.overwrite_every == 0 ? 3 : 1;
    for (int v = 0; v < writes && !stop_; ++v) {
      auto body = make_body(thread_index, k, v, plan_.body_bytes);
      history.in_flight = body;
      http_response r;
      try {
        r = c.put_json(history.key.url(base), body);
      } catch (const std::exception&) {
        // The server went away; this write's outcome is unknown.
        return;
      }
      if (r.status != 200) {
        if (plan_.allow_service_unavailable && r.status == 503)
          expect_error(r, 503);
        else
          ADD_FAILURE() << "unexpected answer to a write: " << r.describe();
        return;
      }
      auto stored = expect_config(r);
      EXPECT_EQ(stored.config, body);
      history.in_flight.reset();
      ++history.acked;
      history.acked_ids.push_back(stored.config_id);
      history.last_acked_id = stored.config_id;
      history.last_acked_config = body;
      ++acked_;
    }
  }
}

void concurrent_writers::verify_durable(http_client& c) const {
  for (const auto& keys : histories_) {
    for (const auto& h : keys) {
      SCOPED_TRACE(h.key.url(base));
      auto r = c.get(h.key.url(base));
      if (h.acked == 0) {
        // Never acknowledged: absent, or the unanswered write took effect.
        if (r.status != 404) {
          EXPECT_EQ(expect_config(r).config, h.in_flight.value_or("<no write>"));
        }
        continue;
      }
      auto stored = expect_config(r);
      bool last_acked = stored.config_id == h.last_acked_id
                        && stored.config == h.last_acked_config;
      bool unanswered = h.in_flight && stored.config == *h.in_flight
                        && stored.config_id != h.last_acked_id;
      EXPECT_TRUE(last_acked || unanswered)
        << "acknowledged " << h.acked << " writes, last " << h.last_acked_id
        << "; found " << stored.config_id << " with " << stored.config.substr(0, 80);
    }
  }
}

void concurrent_writers::verify_history(http_client& c) const {
  for (const auto& keys : histories_) {
    for (const auto& h : keys) {
      SCOPED_TRACE(h.key.url(base));
      auto r = c.get(h.key.url(base) + "/history?size=1000");
      if (r.status == 404) {
        // No version: so no write took effect.
        EXPECT_EQ(h.acked, 0);
        EXPECT_EQ(c.get(h.key.url(base)).status, 404);
        continue;
      }
      ASSERT_EQ(r.status, 200) << r.body;
      auto page = parse_json(r.body);
      std::vector<std::string> versions; // oldest first
      const auto& items = page["content"];
      for (auto i = items.Size(); i > 0; --i)
        versions.emplace_back(items[i - 1]["configId"].GetString());
      auto expected = h.acked_ids;
      // The unanswered write, if it took effect, is the newest version.
      if (h.in_flight && versions.size() == expected.size() + 1) {
        auto current = expect_config(c.get(h.key.url(base)));
        EXPECT_EQ(current.config, *h.in_flight);
        expected.push_back(current.config_id);
      }
      EXPECT_EQ(versions, expected);
    }
  }
}

} // namespace ecr::test
