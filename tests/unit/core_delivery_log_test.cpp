#include "core/delivery_log.hpp"

#include <gtest/gtest.h>

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

TEST(delivery_log, wakes_the_recorder_on_the_first_record_only) {
  delivery_log log{100};
  EXPECT_TRUE(log.dispatched(dispatch_of("a", "1", 10)));
  EXPECT_FALSE(log.dispatched(dispatch_of("b", "1", 10)));
  EXPECT_FALSE(log.confirmed(dispatch_of("c", "1", 10)));
  log.take();
  EXPECT_TRUE(log.confirmed(dispatch_of("c", "1", 10)));
}

TEST(delivery_log, wakes_the_recorder_again_at_high_water) {
  delivery_log log{3};
  EXPECT_TRUE(log.dispatched(dispatch_of("a", "1", 1)));
  EXPECT_FALSE(log.dispatched(dispatch_of("b", "1", 1)));
  EXPECT_TRUE(log.dispatched(dispatch_of("c", "1", 1)));
  EXPECT_FALSE(log.dispatched(dispatch_of("d", "1", 1)));
}

TEST(delivery_log, repeated_dispatches_collapse_into_the_latest) {
  delivery_log log;
  log.dispatched(dispatch_of("a", "1", 30));
  log.dispatched(dispatch_of("a", "1", 10)); // an older, late arrival
  log.dispatched(dispatch_of("a", "2", 20));
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
  delivery_log log{1 << 20};
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t)
    producers.emplace_back([&log, t] {
      for (int i = 0; i < 1000; ++i)
        log.dispatched(dispatch_of("ep-" + std::to_string(t), std::to_string(i),
                                   i));
    });
  size_t taken = 0;
  for (int rounds = 0; rounds < 50; ++rounds)
    taken += log.take().dispatches.size();
  for (auto& producer : producers)
    producer.join();
  taken += log.take().dispatches.size();
  EXPECT_EQ(taken, 4000u);
}

} // namespace
} // namespace ecr
