// The read batcher: cache misses of HTTP and NATS threads reach real store
// readers (SQLite in a temp dir) one batch per burst, and every read is
// answered; reads made outside a burst, and full batches, never wait.

#include "actors/actors.hpp"

#include "actors/store_actors.hpp"
#include "core/error.hpp"
#include "core/metrics.hpp"
#include "storage/config_cache.hpp"
#include "tests/support/actor_system.hpp"
#include "tests/support/sqlite_handle.hpp"
#include "tests/support/temp_dir.hpp"

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace ecr::test {
namespace {

using namespace std::chrono_literals;

const config_key with_own{"kaa", "ep-own", "v1", "default"};
const config_key without_own{"kaa", "ep-other", "v1", "default"};

/// What the deliveries of a test received, in arrival order.
class outcomes {
public:
  config_delivery delivery() {
    return config_delivery{[this](caf::expected<config_record> record) {
      std::lock_guard<std::mutex> guard{mutex_};
      received_.push_back(std::move(record));
      if (received_.size() == awaited_)
        all_.set_value();
    }};
  }

  /// Waits for `count` deliveries in all (at most 10 s).
  bool await(size_t count) {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      awaited_ = count;
      if (received_.size() >= count)
        return true;
    }
    return all_.get_future().wait_for(10s) == std::future_status::ready;
  }

  size_t size() {
    std::lock_guard<std::mutex> guard{mutex_};
    return received_.size();
  }

  caf::expected<config_record> at(size_t i) {
    std::lock_guard<std::mutex> guard{mutex_};
    return received_.at(i);
  }

private:
  std::mutex mutex_;
  std::vector<caf::expected<config_record>> received_;
  size_t awaited_ = 0;
  std::promise<void> all_;
};

class read_batcher_test : public ::testing::Test {
protected:
  read_batcher_test() {
    auto path = dir_.file("ecr.db");
    auto writer = open_sqlite_or_throw(path, store_role::writer);
    own_ = put(*writer, with_own, R"({"own":true})", "id-own");
    fallback_ = put(*writer, without_own.default_key(), R"({"default":true})",
                    "id-default");
    store_reader_config cfg{std::make_shared<config_cache>(1 << 20, render_body),
                            std::make_shared<service_metrics>("test")};
    for (int i = 0; i < 2; ++i)
      readers_.push_back(sys_->spawn<caf::detached>(
        store_reader, open_sqlite_or_throw(path, store_role::reader), cfg));
  }

  ~read_batcher_test() override {
    for (const auto& reader : readers_)
      caf::anon_send_exit(reader, caf::exit_reason::user_shutdown);
  }

  static std::string render_body(const config_record& record) {
    return record.content;
  }

  static config_record put(store& db, const config_key& key,
                           const std::string& content, const std::string& id) {
    auto written = db.put_config(key, content, {}, id, 1000);
    if (!written)
      throw std::runtime_error("cannot seed: " + render(written.error()));
    return written->record;
  }

  std::unique_ptr<read_batcher> batcher(size_t max_batch = 64,
                                       size_t max_waiting = 4) {
    return std::make_unique<read_batcher>(readers_, max_batch, max_waiting);
  }

  temp_dir dir_;
  config_record own_;
  config_record fallback_;
  service_actor_system sys_;
  std::vector<store_reader_actor> readers_;
};

TEST_F(read_batcher_test, a_read_outside_a_burst_leaves_at_once) {
  auto reads = batcher();
  outcomes got;
  reads->add(config_read{with_own, false, got.delivery()});
  ASSERT_TRUE(got.await(1)) << "the read never reached a reader";
  ASSERT_TRUE(got.at(0));
  EXPECT_EQ(got.at(0)->config_id, own_.config_id);
  EXPECT_EQ(got.at(0)->content, own_.content);
}

TEST_F(read_batcher_test, reads_of_a_burst_wait_for_the_flush_and_are_all_answered) {
  auto reads = batcher();
  outcomes got;
  {
    read_batcher::burst collecting{*reads};
    reads->add(config_read{with_own, false, got.delivery()});
    reads->add(config_read{without_own, true, got.delivery()});
    reads->add(config_read{without_own, false, got.delivery()});
  }
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(got.size(), 0u) << "a read left before its burst ended";
  reads->flush();
  ASSERT_TRUE(got.await(3)) << "only " << got.size() << " of 3 answered";
  // One batch goes to one reader, which answers in order.
  ASSERT_TRUE(got.at(0));
  EXPECT_EQ(got.at(0)->config_id, own_.config_id);
  ASSERT_TRUE(got.at(1)) << "resolve falls back to the app version's default";
  EXPECT_EQ(got.at(1)->config_id, fallback_.config_id);
  ASSERT_FALSE(got.at(2));
  EXPECT_EQ(error_code(got.at(2).error()), ec::not_found);
}

TEST_F(read_batcher_test, a_full_batch_leaves_without_a_flush) {
  auto reads = batcher(2);
  outcomes got;
  read_batcher::burst collecting{*reads};
  reads->add(config_read{with_own, false, got.delivery()});
  reads->add(config_read{with_own, true, got.delivery()});
  ASSERT_TRUE(got.await(2)) << "a full batch waited for the flush";
  EXPECT_EQ(got.at(0)->config_id, own_.config_id);
  EXPECT_EQ(got.at(1)->config_id, own_.config_id);
}

TEST_F(read_batcher_test, a_burst_of_another_batcher_does_not_hold_reads_back) {
  auto reads = batcher();
  auto other = batcher();
  outcomes got;
  read_batcher::burst collecting{*other};
  reads->add(config_read{with_own, false, got.delivery()});
  ASSERT_TRUE(got.await(1)) << "the read waited for a flush nobody will make";
}

TEST_F(read_batcher_test, a_flush_with_nothing_queued_sends_nothing) {
  auto reads = batcher();
  outcomes got;
  reads->flush();
  {
    read_batcher::burst collecting{*reads};
    reads->add(config_read{with_own, false, got.delivery()});
  }
  reads->flush();
  reads->flush();
  ASSERT_TRUE(got.await(1));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(got.size(), 1u) << "a read was answered twice";
}

/// A delivery that notes the reader thread it ran on.
config_delivery noting_thread(std::promise<std::thread::id>& ran_on) {
  return config_delivery{[&ran_on](caf::expected<config_record>) {
    ran_on.set_value(std::this_thread::get_id());
  }};
}

TEST_F(read_batcher_test, batches_go_to_the_first_reader_while_it_keeps_up) {
  auto reads = batcher();
  std::vector<std::thread::id> threads;
  for (int i = 0; i < 5; ++i) {
    std::promise<std::thread::id> ran_on;
    reads->add(config_read{with_own, false, noting_thread(ran_on)});
    auto answered = ran_on.get_future();
    ASSERT_EQ(answered.wait_for(10s), std::future_status::ready);
    threads.push_back(answered.get());
  }
  for (const auto& id : threads)
    EXPECT_EQ(id, threads.front()) << "an idle first reader was passed over";
}

TEST_F(read_batcher_test, a_reader_that_falls_behind_passes_batches_on) {
  auto reads = batcher(64, 1);
  // The first batch holds its reader until released.
  std::promise<void> release;
  std::promise<std::thread::id> first_on;
  auto held = release.get_future().share();
  reads->add(config_read{
    with_own, false,
    config_delivery{[held, &first_on](caf::expected<config_record>) {
      first_on.set_value(std::this_thread::get_id());
      held.wait();
    }}});
  auto first = first_on.get_future();
  ASSERT_EQ(first.wait_for(10s), std::future_status::ready);
  std::promise<std::thread::id> second_on;
  reads->add(config_read{with_own, false, noting_thread(second_on)});
  auto second = second_on.get_future();
  auto answered = second.wait_for(10s) == std::future_status::ready;
  release.set_value();
  ASSERT_TRUE(answered) << "the batch waited behind a busy reader";
  EXPECT_NE(second.get(), first.get());
}

} // namespace
} // namespace ecr::test
