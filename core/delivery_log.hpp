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
class delivery_log {
public:
  explicit delivery_log(size_t high_water = 4096);

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

  size_t size() const;

  size_t high_water() const noexcept {
    return high_water_;
  }

private:
  bool should_wake_locked(size_t before) const;

  const size_t high_water_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, status_record> dispatches_;
  std::unordered_map<std::string, status_record> confirmations_;
};

} // namespace ecr
