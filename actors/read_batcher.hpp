#pragma once

#include "actors/actors.hpp"

#include <caf/send.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <utility>

namespace ecr {

/// Collects the cache misses of callers outside the actor system (HTTP io
/// threads, NATS delivery threads) and sends them to the store readers in
/// batches: the caller flushes when the burst of requests that arrived
/// together has been handled, so a burst wakes a reader once rather than
/// once per miss (waking a thread costs more than the read itself).
/// Only reads added inside a `burst` scope wait for that flush; any other
/// (a request continued on an actor's thread) leaves at once, and so does a
/// full batch, which bounds the wait of its first read.
///
/// A batch goes to the first reader that is not behind (fewer than
/// `max_waiting` of its batches unanswered): a reader that finds the next
/// batch already queued reads on without sleeping, so the readers after the
/// first take batches only when it cannot keep up. Thread-safe.
class read_batcher {
public:
  /// Marks the current thread, while alive, as handling requests whose
  /// reads `flush` will send.
  class burst {
  public:
    explicit burst(const read_batcher& batcher) : previous_(collecting_) {
      collecting_ = &batcher;
    }

    ~burst() {
      collecting_ = previous_;
    }

    burst(const burst&) = delete;
    burst& operator=(const burst&) = delete;

  private:
    const read_batcher* previous_;
  };

  explicit read_batcher(std::vector<store_reader_actor> readers,
                        size_t max_batch = 64, size_t max_waiting = 4)
    : readers_(std::move(readers)),
      max_batch_(max_batch),
      max_waiting_(max_waiting),
      unanswered_(std::make_shared<std::vector<std::atomic<size_t>>>(
        readers_.size())) {
    // nop
  }

  bool has_readers() const noexcept {
    return !readers_.empty();
  }

  /// Queues a read inside a burst, else sends it; sends the batch when it
  /// is full.
  void add(config_read read) {
    std::vector<config_read> full;
    if (collecting_ != this) {
      full.push_back(std::move(read));
      return send(std::move(full));
    }
    {
      std::lock_guard<std::mutex> guard{mutex_};
      pending_.push_back(std::move(read));
      if (pending_.size() < max_batch_)
        return;
      full.swap(pending_);
    }
    send(std::move(full));
  }

  /// Sends what is queued: the burst it belongs to has been handled.
  void flush() {
    std::vector<config_read> batch;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      if (pending_.empty())
        return;
      batch.swap(pending_);
    }
    send(std::move(batch));
  }

private:
  void send(std::vector<config_read> batch) {
    auto index = pick();
    auto& unanswered = *unanswered_;
    unanswered[index].fetch_add(1, std::memory_order_relaxed);
    // The counters are shared: a reader may answer after the batcher is gone.
    auto done = [counters = unanswered_, index] {
      (*counters)[index].fetch_sub(1, std::memory_order_relaxed);
    };
    caf::anon_send(readers_[index], atom::get_v,
                   config_reads{std::move(batch), std::move(done)});
  }

  /// The first reader not behind, else the one least behind.
  size_t pick() const {
    const auto& unanswered = *unanswered_;
    size_t least = 0;
    for (size_t index = 0; index < unanswered.size(); ++index) {
      auto waiting = unanswered[index].load(std::memory_order_relaxed);
      if (waiting < max_waiting_)
        return index;
      if (waiting < unanswered[least].load(std::memory_order_relaxed))
        least = index;
    }
    return least;
  }

  static inline thread_local const read_batcher* collecting_ = nullptr;

  const std::vector<store_reader_actor> readers_;
  const size_t max_batch_;
  const size_t max_waiting_;
  /// Per reader, batches sent and not yet answered.
  const std::shared_ptr<std::vector<std::atomic<size_t>>> unanswered_;
  std::mutex mutex_;
  std::vector<config_read> pending_;
};

} // namespace ecr
