#include "storage/delivery_log.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

namespace ecr {
namespace {

status_record dispatch_of(const std::string& endpoint, const std::string& id,
                          int64_t at) {
  status_record x;
  x.tenant_id = "kaa";
  x.endpoint_id = endpoint;
  x.app_version = "v1";
  x.config_id = id;
  x.last_dispatched_ms = at;
  return x;
}

bool dispatch(delivery_log& log, const std::string& endpoint,
              const std::string& id, int64_t at, std::string_view content = {}) {
  return log.dispatched(dispatch_of(endpoint, id, at), content);
}

TEST(delivery_log, wakes_the_recorder_on_the_first_record_only) {
  delivery_log log{{.high_water = 100}};
  EXPECT_TRUE(dispatch(log, "a", "1", 10));
  EXPECT_FALSE(dispatch(log, "b", "1", 10));
  EXPECT_FALSE(log.confirmed(dispatch_of("c", "1", 10)));
  log.take();
  EXPECT_TRUE(log.confirmed(dispatch_of("c", "1", 10)));
}

TEST(delivery_log, wakes_the_recorder_again_at_high_water) {
  delivery_log log{{.high_water = 3}};
  EXPECT_TRUE(dispatch(log, "a", "1", 1));
  EXPECT_FALSE(dispatch(log, "b", "1", 1));
  EXPECT_TRUE(dispatch(log, "c", "1", 1));
  EXPECT_FALSE(dispatch(log, "d", "1", 1));
}

TEST(delivery_log, repeated_dispatches_collapse_into_the_latest) {
  delivery_log log;
  dispatch(log, "a", "1", 30);
  dispatch(log, "a", "1", 10); // an older, late arrival
  dispatch(log, "a", "2", 20);
  EXPECT_EQ(log.size(), 2u);
  auto batch = log.take();
  ASSERT_EQ(batch.dispatches.size(), 2u);
  for (const auto& x : batch.dispatches)
    EXPECT_EQ(x.last_dispatched_ms, x.config_id == "1" ? 30 : 20);
  EXPECT_TRUE(batch.confirmations.empty());
  EXPECT_EQ(log.size(), 0u);
}

TEST(delivery_log, keeps_the_latest_confirmation_per_configuration) {
  delivery_log log;
  auto first = dispatch_of("a", "1", 0);
  first.last_confirmed_ms = 5;
  auto second = first;
  second.last_confirmed_ms = 6;
  log.confirmed(first);
  log.confirmed(second);
  auto batch = log.take();
  ASSERT_EQ(batch.confirmations.size(), 1u);
  EXPECT_EQ(batch.confirmations.front().last_confirmed_ms, 6);
}

TEST(delivery_log, loses_nothing_under_concurrent_producers) {
  delivery_log log{{.high_water = 1 << 20}};
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t)
    producers.emplace_back([&log, t] {
      for (int i = 0; i < 1000; ++i)
        dispatch(log, "ep-" + std::to_string(t), std::to_string(i), i);
    });
  size_t taken = 0;
  for (int rounds = 0; rounds < 50; ++rounds)
    taken += log.take().dispatches.size();
  for (auto& producer : producers)
    producer.join();
  taken += log.take().dispatches.size();
  EXPECT_EQ(taken, 4000u);
}

TEST(delivery_log, a_taken_dispatch_suppresses_identical_ones_until_refresh) {
  delivery_log log{{.dispatch_refresh_ms = 1000}};
  dispatch(log, "a", "1", 100);
  ASSERT_EQ(log.take().dispatches.size(), 1u);
  EXPECT_FALSE(dispatch(log, "a", "1", 1099));
  EXPECT_EQ(log.size(), 0u);
  // Another configuration of the same endpoint is news.
  dispatch(log, "a", "2", 1099);
  EXPECT_EQ(log.size(), 1u);
  // Once the refresh interval passed, the same dispatch is written again.
  EXPECT_FALSE(dispatch(log, "a", "1", 1100));
  auto batch = log.take();
  ASSERT_EQ(batch.dispatches.size(), 2u);
  for (const auto& x : batch.dispatches)
    EXPECT_EQ(x.last_dispatched_ms, 1099 + (x.config_id == "1"));
}

TEST(delivery_log, forgetting_taken_dispatches_writes_the_next_ones) {
  delivery_log log{{.dispatch_refresh_ms = 1000}};
  dispatch(log, "a", "1", 100);
  log.take();
  log.forget_taken();
  dispatch(log, "a", "1", 200);
  EXPECT_EQ(log.take().dispatches.size(), 1u);
}

TEST(delivery_log, remembers_a_bounded_number_of_taken_dispatches) {
  delivery_log log{{.dispatch_refresh_ms = 1000, .remembered = 4}};
  for (auto endpoint : {"a", "b", "c", "d", "e"}) {
    dispatch(log, endpoint, "1", 100);
    log.take();
  }
  // Two generations of two, taken in this order: "e" pushed out "a" and "b".
  for (auto endpoint : {"a", "b", "c", "d", "e"})
    dispatch(log, endpoint, "1", 200);
  std::vector<std::string> rewritten;
  for (const auto& x : log.take().dispatches)
    rewritten.push_back(x.endpoint_id);
  std::sort(rewritten.begin(), rewritten.end());
  EXPECT_EQ(rewritten, (std::vector<std::string>{"a", "b"}));
}

TEST(delivery_log, taken_dispatches_carry_their_content) {
  delivery_log log;
  dispatch(log, "a", "1", 1, R"({"mode":"eco"})");
  dispatch(log, "b", "1", 1, R"({"mode":"eco"})");
  dispatch(log, "a", "2", 1, R"({"mode":"max"})");
  auto batch = log.take();
  ASSERT_EQ(batch.dispatches.size(), 3u);
  for (const auto& x : batch.dispatches)
    EXPECT_EQ(x.content,
              x.config_id == "1" ? R"({"mode":"eco"})" : R"({"mode":"max"})");
}

TEST(delivery_log, wakes_the_recorder_when_pending_content_reaches_its_bytes) {
  delivery_log log{{.high_water = 100, .high_water_bytes = 10}};
  // Counted per dispatch, shared content or not: a batch holds each copy.
  EXPECT_TRUE(dispatch(log, "a", "1", 1, "1234"));
  EXPECT_FALSE(dispatch(log, "b", "1", 1, "1234"));
  EXPECT_FALSE(log.full());
  EXPECT_TRUE(dispatch(log, "c", "1", 1, "1234"));
  EXPECT_TRUE(log.full());
  EXPECT_FALSE(dispatch(log, "d", "1", 1, "1234"));
}

TEST(delivery_log, a_batch_takes_dispatches_up_to_either_high_water) {
  delivery_log log{{.high_water = 3, .high_water_bytes = 10}};
  for (auto endpoint : {"a", "b", "c", "d", "e"})
    dispatch(log, endpoint, "1", 1, "1234");
  // 12 bytes would pass the 10 of a batch: two dispatches go.
  EXPECT_EQ(log.take().dispatches.size(), 2u);
  EXPECT_EQ(log.size(), 3u);
  EXPECT_EQ(log.take().dispatches.size(), 2u);
  EXPECT_EQ(log.take().dispatches.size(), 1u);
  EXPECT_EQ(log.size(), 0u);
  for (auto endpoint : {"f", "g", "h", "i", "j"})
    dispatch(log, endpoint, "1", 1, "1");
  EXPECT_EQ(log.take().dispatches.size(), 3u);
  EXPECT_EQ(log.take().dispatches.size(), 2u);
}

TEST(delivery_log, a_dispatch_larger_than_a_batch_is_taken_alone) {
  delivery_log log{{.high_water_bytes = 4}};
  dispatch(log, "a", "1", 1, "123456789");
  dispatch(log, "b", "2", 1, "123456789");
  auto first = log.take();
  ASSERT_EQ(first.dispatches.size(), 1u);
  EXPECT_EQ(first.dispatches.front().content, "123456789");
  EXPECT_EQ(log.take().dispatches.size(), 1u);
  EXPECT_EQ(log.size(), 0u);
}

TEST(delivery_log, a_batch_takes_every_confirmation) {
  delivery_log log{{.high_water = 2}};
  for (auto endpoint : {"a", "b", "c"}) {
    dispatch(log, endpoint, "1", 1);
    log.confirmed(dispatch_of(endpoint, "0", 1));
  }
  auto batch = log.take();
  EXPECT_EQ(batch.dispatches.size(), 2u);
  EXPECT_EQ(batch.confirmations.size(), 3u);
  EXPECT_EQ(log.size(), 1u);
}

} // namespace
} // namespace ecr
