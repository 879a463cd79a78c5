#include "storage/config_cache.hpp"

#include <gtest/gtest.h>

namespace ecr {
namespace {

/// Stands in for the REST rendering: enough to see it is kept and fresh.
std::string render(const config_record& record) {
  return "body:" + record.config_id;
}

config_record make_record(const std::string& endpoint, const std::string& id,
                          size_t content_size = 10) {
  return {{"kaa", endpoint, "v1", "default"}, id,
          std::string(content_size, 'x'), 1, 2};
}

/// A read missed twice, so that the doorkeeper admits it: only the
/// generation rule can keep it out.
void fill_twice(config_cache& cache, const config_record& record,
                uint64_t generation_at_read_start) {
  cache.fill(record, generation_at_read_start);
  cache.fill(record, generation_at_read_start);
}

/// The cached document's configId, "absent" for a known miss, "unknown" when
/// the cache knows nothing.
std::string state(config_cache& cache, const config_key& key) {
  auto hit = cache.find(key);
  if (!hit)
    return "unknown";
  return *hit ? (*hit)->record.config_id : "absent";
}

TEST(config_cache, keeps_documents_with_their_rendering) {
  config_cache cache{1 << 20, render};
  auto record = make_record("ep", "id-1");
  EXPECT_EQ(state(cache, record.key), "unknown");
  cache.put(record);
  auto hit = cache.find(record.key);
  ASSERT_TRUE(hit && *hit);
  EXPECT_EQ((*hit)->record, record);
  EXPECT_EQ((*hit)->body, "body:id-1");
}

TEST(config_cache, a_committed_delete_leaves_a_known_absence) {
  config_cache cache{1 << 20, render};
  auto record = make_record("ep", "id-1");
  cache.put(record);
  cache.erase(record.key);
  EXPECT_EQ(state(cache, record.key), "absent");
  cache.put(record);
  EXPECT_EQ(state(cache, record.key), "id-1");
}

TEST(config_cache, keys_differ_by_every_field) {
  config_cache cache{1 << 20, render};
  cache.put(make_record("ep", "id-1"));
  for (auto key : {config_key{"other", "ep", "v1", "default"},
                   config_key{"kaa", "", "v1", "default"},
                   config_key{"kaa", "ep", "v2", "default"},
                   config_key{"kaa", "ep", "v1", "named"}})
    EXPECT_EQ(state(cache, key), "unknown");
}

TEST(config_cache, fill_is_skipped_after_a_concurrent_write) {
  config_cache cache{1 << 20, render};
  auto stale = make_record("ep", "old");
  auto fresh = make_record("ep", "new");
  auto before_read = cache.generation();
  cache.put(fresh); // a write commits while the read is in flight
  fill_twice(cache, stale, before_read);
  EXPECT_EQ(state(cache, fresh.key), "new");
}

TEST(config_cache, fills_are_skipped_after_a_concurrent_delete) {
  config_cache cache{1 << 20, render};
  auto stale = make_record("ep", "old");
  auto before_read = cache.generation();
  cache.erase(stale.key);
  fill_twice(cache, stale, before_read);
  EXPECT_EQ(state(cache, stale.key), "absent");
}

TEST(config_cache, absent_fill_is_skipped_after_a_concurrent_write) {
  config_cache cache{1 << 20, render};
  auto record = make_record("ep", "new");
  auto before_read = cache.generation();
  cache.put(record);
  cache.fill_absent(record.key, before_read);
  cache.fill_absent(record.key, before_read);
  EXPECT_EQ(state(cache, record.key), "new");
}

TEST(config_cache, a_read_is_cached_on_the_second_miss_of_its_key) {
  config_cache cache{1 << 20, render};
  auto record = make_record("ep", "id");
  cache.fill(record, cache.generation());
  EXPECT_EQ(state(cache, record.key), "unknown");
  cache.fill(record, cache.generation());
  EXPECT_EQ(state(cache, record.key), "id");
  auto missing = make_record("other", "x").key;
  cache.fill_absent(missing, cache.generation());
  EXPECT_EQ(state(cache, missing), "unknown");
  cache.fill_absent(missing, cache.generation());
  EXPECT_EQ(state(cache, missing), "absent");
}

TEST(config_cache, keys_read_once_each_are_not_cached) {
  config_cache cache{1 << 20, render};
  for (int i = 0; i < 10000; ++i)
    cache.fill(make_record("ep-" + std::to_string(i), "id"),
               cache.generation());
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(config_cache, committed_writes_are_cached_at_once) {
  config_cache cache{1 << 20, render};
  cache.put(make_record("ep-1", "id-1"));
  cache.erase(make_record("ep-2", "id-2").key);
  EXPECT_EQ(state(cache, make_record("ep-1", "id-1").key), "id-1");
  EXPECT_EQ(state(cache, make_record("ep-2", "id-2").key), "absent");
}

TEST(config_cache, evicts_least_recently_used_within_the_budget) {
  auto one = make_record("a", "1", 1000);
  config_cache probe{1 << 20, render};
  probe.put(one);
  auto cost = probe.bytes();
  config_cache cache{cost * 3, render};
  auto two = make_record("b", "2", 1000);
  auto three = make_record("c", "3", 1000);
  auto four = make_record("d", "4", 1000);
  cache.put(one);
  cache.put(two);
  cache.put(three);
  EXPECT_EQ(state(cache, one.key), "1"); // one is now the most recent
  cache.put(four);                       // evicts two
  EXPECT_EQ(state(cache, two.key), "unknown");
  EXPECT_EQ(state(cache, one.key), "1");
  EXPECT_EQ(state(cache, three.key), "3");
  EXPECT_EQ(state(cache, four.key), "4");
  EXPECT_LE(cache.bytes(), cost * 3);
}

TEST(config_cache, zero_budget_disables_caching) {
  config_cache cache{0, render};
  cache.put(make_record("ep", "id"));
  cache.erase(make_record("other", "id").key);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(config_cache, clear_drops_everything) {
  config_cache cache{1 << 20, render};
  cache.put(make_record("a", "1"));
  cache.erase(make_record("b", "2").key);
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(config_cache, forget_drops_one_key_and_stops_older_fills) {
  config_cache cache{1 << 20, render};
  auto kept = make_record("ep-1", "id-1");
  auto changed = make_record("ep-2", "id-2");
  cache.put(kept);
  cache.put(changed);
  // A read of ep-2 began before another replica's change arrived.
  auto read_start = cache.generation();
  cache.forget(changed.key);
  EXPECT_EQ(state(cache, changed.key), "unknown");
  EXPECT_EQ(state(cache, kept.key), "id-1");
  fill_twice(cache, changed, read_start);
  EXPECT_EQ(state(cache, changed.key), "unknown");
  fill_twice(cache, changed, cache.generation());
  EXPECT_EQ(state(cache, changed.key), "id-2");
}

TEST(config_cache, a_disabled_cache_knows_and_keeps_nothing) {
  config_cache cache{1 << 20, render};
  auto record = make_record("ep", "id-1");
  cache.put(record);
  cache.set_enabled(false);
  EXPECT_EQ(state(cache, record.key), "unknown");
  EXPECT_EQ(cache.size(), 0u);
  cache.put(record);
  cache.erase(make_record("ep-2", "id-2").key);
  fill_twice(cache, record, cache.generation());
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
  cache.set_enabled(true);
  EXPECT_EQ(state(cache, record.key), "unknown");
  cache.put(record);
  EXPECT_EQ(state(cache, record.key), "id-1");
}

} // namespace
} // namespace ecr
