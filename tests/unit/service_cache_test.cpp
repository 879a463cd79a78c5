#include "gateway/config_cache.hpp"

#include "gateway/json.hpp"

#include <gtest/gtest.h>

namespace ecr {
namespace {

config_record make_record(const std::string& endpoint, const std::string& id,
                          size_t content_size = 10) {
  return {{"kaa", endpoint, "v1", "default"}, id,
          std::string(content_size, 'x'), 1, 2};
}

TEST(config_cache, finds_what_was_put_and_forgets_erased_keys) {
  config_cache cache{1 << 20};
  auto record = make_record("ep", "id-1");
  EXPECT_EQ(cache.find(record.key), nullptr);
  cache.put(record);
  auto hit = cache.find(record.key);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->record, record);
  EXPECT_EQ(hit->body, render_config(record));
  cache.erase(record.key);
  EXPECT_EQ(cache.find(record.key), nullptr);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(config_cache, keys_differ_by_every_field) {
  config_cache cache{1 << 20};
  cache.put(make_record("ep", "id-1"));
  for (auto key : {config_key{"other", "ep", "v1", "default"},
                   config_key{"kaa", "", "v1", "default"},
                   config_key{"kaa", "ep", "v2", "default"},
                   config_key{"kaa", "ep", "v1", "named"}})
    EXPECT_EQ(cache.find(key), nullptr);
}

TEST(config_cache, fill_is_skipped_after_a_concurrent_write) {
  config_cache cache{1 << 20};
  auto stale = make_record("ep", "old");
  auto fresh = make_record("ep", "new");
  auto before_read = cache.generation();
  cache.put(fresh); // a write commits while the read is in flight
  cache.fill(stale, before_read);
  ASSERT_NE(cache.find(fresh.key), nullptr);
  EXPECT_EQ(cache.find(fresh.key)->record.config_id, "new");
}

TEST(config_cache, fill_is_skipped_after_a_concurrent_delete) {
  config_cache cache{1 << 20};
  auto stale = make_record("ep", "old");
  auto before_read = cache.generation();
  cache.erase(stale.key);
  cache.fill(stale, before_read);
  EXPECT_EQ(cache.find(stale.key), nullptr);
}

TEST(config_cache, fill_inserts_when_nothing_changed) {
  config_cache cache{1 << 20};
  auto record = make_record("ep", "id");
  cache.fill(record, cache.generation());
  EXPECT_NE(cache.find(record.key), nullptr);
}

TEST(config_cache, evicts_least_recently_used_within_the_budget) {
  auto one = make_record("a", "1", 1000);
  config_cache probe{1 << 20};
  probe.put(one);
  auto cost = probe.bytes();
  config_cache cache{cost * 3};
  auto two = make_record("b", "2", 1000);
  auto three = make_record("c", "3", 1000);
  auto four = make_record("d", "4", 1000);
  cache.put(one);
  cache.put(two);
  cache.put(three);
  ASSERT_NE(cache.find(one.key), nullptr); // one is now the most recent
  cache.put(four);                         // evicts two
  EXPECT_EQ(cache.find(two.key), nullptr);
  EXPECT_NE(cache.find(one.key), nullptr);
  EXPECT_NE(cache.find(three.key), nullptr);
  EXPECT_NE(cache.find(four.key), nullptr);
  EXPECT_LE(cache.bytes(), cost * 3);
}

TEST(config_cache, zero_budget_disables_caching) {
  config_cache cache{0};
  cache.put(make_record("ep", "id"));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(config_cache, clear_drops_everything) {
  config_cache cache{1 << 20};
  cache.put(make_record("a", "1"));
  cache.put(make_record("b", "2"));
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
}

} // namespace
} // namespace ecr
