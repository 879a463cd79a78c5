#pragma once

#include "actors/actors.hpp"
#include "storage/store.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

namespace ecr {

class config_cache;
class service_metrics;

// -- store writer ---------------------------------------------------------------

/// Whether the store refuses writes for lack of space, as the writer last
/// saw it: from a write refused so until the next write that succeeds.
/// Readiness reads it from other threads.
struct store_space {
  std::atomic<bool> exhausted{false};
};

struct store_writer_config {
  /// Most writes committed together.
  size_t max_batch = 512;
  /// Times each batch commit and counts the writes refused.
  std::shared_ptr<service_metrics> metrics;
  /// Told whether writes find space.
  std::shared_ptr<store_space> space = std::make_shared<store_space>();
};

caf::error validate(const store_writer_config& cfg);

/// A write accepted but not yet committed: `apply` runs inside the batch
/// and answers its own outcome; `finish` answers the client with it, or
/// with the commit error.
struct pending_write {
  std::function<caf::error(store&)> apply;
  std::function<void(const caf::error& commit_error)> finish;
};

struct store_writer_state {
  // Not an aggregate: CAF 0.17 would try to build it from `self` (C++20
  // parenthesized aggregate init).
  store_writer_state() = default;

  store_ptr db;
  store_writer_config cfg;
  std::vector<pending_write> batch;

  /// Commits the batch (one durable transaction) and answers its writes.
  void flush();

  /// Counts the `writes` of a batch refused for lack of space (each one's
  /// outcome is `commit_error`, else its own of `outcomes`) and keeps
  /// `cfg.space` up to date.
  void note_space(size_t writes, const caf::error& commit_error,
                  const std::vector<caf::error>& outcomes);

  static inline const char* name = "store-writer";
};

/// Must be spawned `caf::detached`: every handler blocks on the store. Writes
/// that arrive while a commit runs queue up in the mailbox and form the next
/// batch, so concurrent clients share fsyncs (group commit).
store_writer_actor::behavior_type
store_writer(store_writer_actor::stateful_pointer<store_writer_state> self,
             store_ptr db, store_writer_config cfg);

// -- store reader ---------------------------------------------------------------

struct store_reader_config {
  /// Filled with what single-configuration reads find.
  std::shared_ptr<config_cache> cache;
  /// Times each read.
  std::shared_ptr<service_metrics> metrics;
};

caf::error validate(const store_reader_config& cfg);

struct store_reader_state {
  // Not an aggregate: CAF 0.17 would try to build it from `self` (C++20
  // parenthesized aggregate init).
  store_reader_state() = default;

  store_ptr db;
  store_reader_config cfg;

  /// Reads one configuration and caches the outcome (document or absence)
  /// unless a write committed since the cache was at `generation`.
  caf::expected<config_record> read_through(const config_key& key,
                                            uint64_t generation);

  /// The configuration in force at `key`: its own, else the default.
  caf::expected<config_record> resolve(const config_key& key,
                                       uint64_t generation);

  /// Answers a batch of reads from one store snapshot.
  void serve(config_reads& batch);

  static inline const char* name = "store-reader";
};

/// Must be spawned `caf::detached`: every handler blocks on the store.
store_reader_actor::behavior_type
store_reader(store_reader_actor::stateful_pointer<store_reader_state> self,
             store_ptr db, store_reader_config cfg);

} // namespace ecr
