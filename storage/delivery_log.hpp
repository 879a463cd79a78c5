#pragma once

#include "core/records.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ecr {

/// Delivery bookkeeping collected on the CDTP hot path (NATS delivery
/// threads) and drained in batches by the STATUS RECORDER. Repeated records
/// for one (tenant, endpoint, app version, configId) collapse into one, so
/// memory stays bounded by distinct configurations. Thread-safe.
///
/// A device that pulls the same configuration again and again would make the
/// store rewrite its dispatch record on every flush; instead, a dispatch
/// already taken for writing less than `dispatch_refresh_ms` ago is not
/// written again, so `lastDispatchedDate` of a repeated dispatch lags by at
/// most that long. The log remembers up to `remembered` taken dispatches
/// (older ones are forgotten first, and then simply written again).
///
/// Dispatched content is kept once per configId however many endpoints it
/// went to, and batches are bounded in content bytes as well as records: a
/// large default configuration pulled by thousands of devices would
/// otherwise be copied into every pending record.
class delivery_log {
public:
  struct limits {
    /// Pending records at which the recorder is woken before its interval;
    /// also the most records one batch takes.
    size_t high_water = 4096;
    /// Content bytes of pending dispatches at which the recorder is woken;
    /// also the most content one batch takes (but always one record).
    size_t high_water_bytes = 1024 * 1024;
    /// How long a taken dispatch suppresses identical ones.
    int64_t dispatch_refresh_ms = 10'000;
    /// Most taken dispatches remembered for that.
    size_t remembered = 65'536;
  };

  delivery_log();

  explicit delivery_log(limits bounds);

  /// Records a dispatch of `content` (`last_dispatched_ms` set, `content`
  /// left empty); returns true when the recorder should be woken: the log
  /// was empty or reached its high water. Copies `content` only if no
  /// pending dispatch holds that configId yet.
  bool dispatched(status_record record, std::string_view content);

  /// Records an implicit confirmation (`last_confirmed_ms` set); same
  /// return value as `dispatched`.
  bool confirmed(status_record record);

  struct batch {
    std::vector<status_record> dispatches;
    std::vector<status_record> confirmations;
  };

  /// Takes a batch: every confirmation, and dispatches up to either high
  /// water, each with its content; `size` tells whether more remain.
  batch take();

  /// Forgets which dispatches were taken, so the next ones are written even
  /// if identical (after a purge removed their records).
  void forget_taken();

  size_t size() const;

  /// Whether a full batch is waiting (either high water is reached).
  bool full() const;

private:
  using taken_map = std::unordered_map<std::string, int64_t>;

  /// A dispatch and the content it carried, shared with every pending
  /// dispatch of the same configId.
  struct pending_dispatch {
    status_record record;
    std::shared_ptr<const std::string> content;
  };

  bool should_wake_locked(bool was_empty, bool was_full) const;

  bool full_locked() const;

  std::shared_ptr<const std::string> content_locked(const std::string& config_id,
                                                    std::string_view content);

  bool recently_taken_locked(const std::string& key, int64_t at) const;

  void remember_taken_locked(std::string key, int64_t at);

  const limits bounds_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, pending_dispatch> dispatches_;
  std::unordered_map<std::string, status_record> confirmations_;
  /// configId -> content, for the pending dispatches.
  std::unordered_map<std::string, std::shared_ptr<const std::string>> contents_;
  /// Content bytes of the pending dispatches, counted per dispatch: what a
  /// batch of them will hold.
  size_t pending_bytes_ = 0;
  // Two generations of taken dispatches (key -> last_dispatched_ms): when
  // the young one is full it becomes the old one, so memory stays bounded
  // and the least recently taken are forgotten first.
  taken_map taken_young_;
  taken_map taken_old_;
};

} // namespace ecr
