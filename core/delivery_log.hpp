#pragma once

#include "core/records.hpp"

#include <mutex>
#include <string>
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
class delivery_log {
public:
  struct limits {
    /// Pending records at which the recorder is woken before its interval.
    size_t high_water = 4096;
    /// How long a taken dispatch suppresses identical ones.
    int64_t dispatch_refresh_ms = 10'000;
    /// Most taken dispatches remembered for that.
    size_t remembered = 65'536;
  };

  delivery_log();

  explicit delivery_log(limits bounds);

  /// Records a dispatch (`last_dispatched_ms` set); returns true when the
  /// recorder should be woken: the log was empty or reached its high water.
  bool dispatched(status_record record);

  /// Records an implicit confirmation (`last_confirmed_ms` set); same
  /// return value as `dispatched`.
  bool confirmed(status_record record);

  struct batch {
    std::vector<status_record> dispatches;
    std::vector<status_record> confirmations;
  };

  /// Takes everything recorded so far.
  batch take();

  /// Forgets which dispatches were taken, so the next ones are written even
  /// if identical (after a purge removed their records).
  void forget_taken();

  size_t size() const;

  size_t high_water() const noexcept {
    return bounds_.high_water;
  }

private:
  using taken_map = std::unordered_map<std::string, int64_t>;

  bool should_wake_locked(size_t before) const;

  bool recently_taken_locked(const std::string& key, int64_t at) const;

  void remember_taken_locked(std::string key, int64_t at);

  const limits bounds_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, status_record> dispatches_;
  std::unordered_map<std::string, status_record> confirmations_;
  // Two generations of taken dispatches (key -> last_dispatched_ms): when
  // the young one is full it becomes the old one, so memory stays bounded
  // and the least recently taken are forgotten first.
  taken_map taken_young_;
  taken_map taken_old_;
};

} // namespace ecr
