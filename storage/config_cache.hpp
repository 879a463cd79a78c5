#pragma once

#include "core/records.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace ecr {

/// A cached document with its rendered REST form, so that a cached GET costs
/// no rendering.
struct cached_config {
  config_record record;
  std::string body;
};

/// A bounded LRU cache of configuration documents, and of keys known to have
/// none, read by HTTP io threads and NATS delivery threads so that hot reads
/// need no actor hop. Only the configuration manager writes it, after the
/// store committed, which keeps it coherent in one process: `put`/`erase`
/// record committed changes and bump a generation counter; `fill` (after a
/// read) is skipped when any change happened since the read began, so a slow
/// read never overwrites a newer write. Across replicas, `forget` drops what
/// another replica changed, under the same generation rule.
///
/// A read is cached only on the second miss of its key in a short while (a
/// doorkeeper of recent misses, one slot per KiB of budget, about one per
/// entry the budget holds): when many more documents are read than fit (a
/// million endpoints, each asking now and then), caching every miss would
/// only evict what was just cached, paying rendering and allocation for
/// entries never hit again. Committed writes are always cached.
class config_cache {
public:
  /// Renders the REST body kept with each document.
  using renderer = std::function<std::string(const config_record&)>;

  /// What the cache knows about a key: nothing (nullopt), that there is no
  /// document (nullptr), or the document.
  using lookup = std::optional<std::shared_ptr<const cached_config>>;

  config_cache(size_t max_bytes, renderer render);

  lookup find(const config_key& key);

  /// What the cache knows about the configuration in force at `key`: the
  /// endpoint's own, else the default of the same name.
  lookup find_effective(const config_key& key);

  /// The value to pass to `fill` for a read that starts now.
  uint64_t generation() const;

  /// Records a committed upsert.
  void put(const config_record& record);

  /// Records a committed delete: the key is now known to be absent.
  void erase(const config_key& key);

  /// Caches a record read from the store if nothing changed since
  /// `generation_at_read_start`.
  void fill(const config_record& record, uint64_t generation_at_read_start);

  /// Caches that the store has no document at `key`, under the same rule.
  void fill_absent(const config_key& key, uint64_t generation_at_read_start);

  /// Drops everything (e.g. after a purge).
  void clear();

  /// Drops what it knows about `key`, which another replica changed: the
  /// next read asks the store.
  void forget(const config_key& key);

  /// A disabled cache knows and keeps nothing: a replica that cannot hear
  /// the others' changes (NATS down) must not answer from memory.
  void set_enabled(bool enabled);

  size_t size() const;
  size_t bytes() const;

private:
  struct key_hash {
    size_t operator()(const config_key& key) const noexcept;
  };

  struct entry {
    std::shared_ptr<const cached_config> value;
    std::list<config_key>::iterator position;
    size_t bytes;
  };

  /// Whether a read of `key` may be cached: the key missed recently before.
  /// Counts this miss. Lock-free, so that the many misses that are not
  /// cached never contend with the io threads' lookups; a lost race only
  /// costs one more miss.
  bool admit(const config_key& key);

  void insert_locked(const config_key& key,
                     std::shared_ptr<const cached_config> value);
  void erase_locked(const config_key& key);
  void drop_all_locked();

  const size_t max_bytes_;
  const renderer render_;
  mutable std::mutex mutex_;
  uint64_t generation_ = 0;
  bool enabled_ = true;
  size_t bytes_ = 0;
  std::list<config_key> recency_;
  /// Hashes of keys that recently missed, by their low bits (0: free).
  std::vector<std::atomic<size_t>> recent_misses_;
  std::unordered_map<config_key, entry, key_hash> entries_;
};

} // namespace ecr
