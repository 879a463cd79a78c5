#pragma once

// Threads that PUT configurations concurrently until the server goes away,
// remembering what was acknowledged, so a test can check after a restart
// that no acknowledged write was lost.

#include "tests/e2e/e2e_helpers.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ecr::test {

/// What one key went through. Each key belongs to one thread, which writes
/// it sequentially, so at most one write per key has an unknown outcome.
struct key_history {
  config_key key;
  int acked = 0;
  /// The configId of each acknowledged write, oldest first (each write
  /// changes the content).
  std::vector<std::string> acked_ids;
  std::string last_acked_id;
  std::string last_acked_config;
  /// The minified body of the write that got no answer.
  std::optional<std::string> in_flight;
};

struct writers_plan {
  int threads = 8;
  /// Every n-th key is written three times, the others once.
  int overwrite_every = 4;
  /// Approximate size of each body.
  size_t body_bytes = 256;
  /// Whether a 503 JSON error is a proper answer (during shutdown).
  bool allow_service_unavailable = false;
};

class concurrent_writers {
public:
  /// Starts the threads right away. Even threads write endpoint configs,
  /// odd threads default configs.
  concurrent_writers(uint16_t port, writers_plan plan);
  ~concurrent_writers();

  concurrent_writers(const concurrent_writers&) = delete;
  concurrent_writers& operator=(const concurrent_writers&) = delete;

  size_t acknowledged() const noexcept {
    return acked_.load();
  }

  /// Returns once `count` writes are acknowledged, all threads have ended,
  /// or `max_wait` has passed. Only a trigger for the test's next step.
  void wait_for_acks(size_t count, std::chrono::milliseconds max_wait) const;

  /// Asks the threads to stop after their current write and joins them.
  void join();

  /// How many threads are still writing.
  int running() const noexcept {
    return running_.load();
  }

  /// After join(): every acknowledged write reads back through `c`; a write
  /// without an answer may or may not have happened.
  void verify_durable(http_client& c) const;

  /// After join(): each key's history holds exactly a version per
  /// acknowledged write, plus one for the unanswered write if it took
  /// effect, and nothing else (B1).
  void verify_history(http_client& c) const;

private:
  void run(int thread_index);

  uint16_t port_;
  writers_plan plan_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> acked_{0};
  std::atomic<int> running_{0};
  std::vector<std::vector<key_history>> histories_;
  std::vector<std::thread> threads_;
};

} // namespace ecr::test
