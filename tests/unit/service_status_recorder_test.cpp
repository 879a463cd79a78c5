// The status recorder drains the delivery log into a real store writer
// (SQLite in a temp dir): batch by batch while the log is full, the rest at
// the interval or at exit, each dispatch with the content it carried.

#include "actors/status_recorder.hpp"

#include "actors/store_actors.hpp"
#include "core/error.hpp"
#include "core/metrics.hpp"
#include "tests/support/actor_system.hpp"
#include "tests/support/sqlite_handle.hpp"
#include "tests/support/temp_dir.hpp"

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace ecr::test {
namespace {

using namespace std::chrono_literals;

const std::string content = R"({"mode":"eco"})";

class status_recorder_test : public ::testing::Test {
protected:
  status_recorder_test() {
    auto writer = open_sqlite_or_throw(dir_.file("ecr.db"), store_role::writer);
    writer_ = sys_->spawn<caf::detached>(
      store_writer, std::move(writer),
      store_writer_config{512, std::make_shared<service_metrics>("test")});
  }

  ~status_recorder_test() override {
    if (recorder_)
      caf::anon_send_exit(recorder_, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(writer_, caf::exit_reason::user_shutdown);
  }

  /// A recorder whose interval never comes during a test.
  void start(delivery_log::limits limits) {
    log_ = std::make_shared<delivery_log>(limits);
    recorder_ = sys_->spawn(status_recorder,
                            status_recorder_config{writer_, log_, 1h});
  }

  void dispatch(int count) {
    for (int i = 0; i < count; ++i) {
      status_record x;
      x.tenant_id = "kaa";
      x.endpoint_id = "ep-" + std::to_string(i);
      x.app_version = "v1";
      x.config_id = "id-1";
      x.last_dispatched_ms = 1000 + i;
      if (log_->dispatched(std::move(x), content))
        caf::anon_send(recorder_, atom::dispatch_v);
    }
  }

  /// Endpoints whose dispatch is in the store, each checked for its
  /// content, once `expected` are there or after 10 s.
  int recorded(int dispatched, int expected) {
    auto reader = open_sqlite_or_throw(dir_.file("ecr.db"), store_role::reader);
    auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
      int found = 0;
      for (int i = 0; i < dispatched; ++i) {
        auto page = reader->list_statuses(
          status_query{"kaa", "ep-" + std::to_string(i), "", "", 0, 20, false});
        if (!page)
          throw std::runtime_error(render(page.error()));
        for (const auto& item : page->items) {
          EXPECT_EQ(item.content, content);
          ++found;
        }
      }
      if (found >= expected || std::chrono::steady_clock::now() > deadline)
        return found;
      std::this_thread::sleep_for(20ms);
    }
  }

  temp_dir dir_;
  service_actor_system sys_;
  store_writer_actor writer_;
  std::shared_ptr<delivery_log> log_;
  status_recorder_actor recorder_;
};

TEST_F(status_recorder_test, a_full_log_is_written_batch_by_batch) {
  start({.high_water = 2});
  dispatch(5);
  // Two full batches go at once; the last dispatch waits for the interval.
  EXPECT_EQ(recorded(5, 4), 4);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(recorded(5, 4), 4);
  EXPECT_EQ(log_->size(), 1u);
}

TEST_F(status_recorder_test, content_bytes_fill_a_batch_too) {
  start({.high_water = 100, .high_water_bytes = 2 * content.size()});
  dispatch(7);
  EXPECT_EQ(recorded(7, 6), 6);
  EXPECT_EQ(log_->size(), 1u);
}

TEST_F(status_recorder_test, everything_pending_is_written_at_exit) {
  start({.high_water = 2});
  dispatch(5);
  ASSERT_EQ(recorded(5, 4), 4);
  caf::anon_send_exit(recorder_, caf::exit_reason::user_shutdown);
  recorder_ = nullptr;
  EXPECT_EQ(recorded(5, 5), 5);
  EXPECT_EQ(log_->size(), 0u);
}

} // namespace
} // namespace ecr::test
