#pragma once

#include "actors/actors.hpp"

#include <caf/send.hpp>

#include <atomic>
#include <mutex>
#include <utility>

namespace ecr {

/// Collects the cache misses of callers outside the actor system (HTTP io
/// threads, NATS delivery threads) and sends them to the store readers in
/// batches, round robin: the caller flushes when the burst of requests that
/// arrived together has been handled, so a burst wakes a reader once rather
/// than once per miss (waking a thread costs more than the read itself).
/// Only reads added inside a `burst` scope wait for that flush; any other
/// (a request continued on an actor's thread) leaves at once, and so does a
/// full batch, which bounds the wait of its first read. Thread-safe.
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
                        size_t max_batch = 64)
    : readers_(std::move(readers)), max_batch_(max_batch) {
    // nop
  }

  bool has_readers() const noexcept {
    return !readers_.empty();
  }

  /// Queues a read inside a burst, else sends it; sends the batch when it
  /// is full.
  void add(config_read read) {
    config_reads full;
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
    config_reads batch;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      if (pending_.empty())
        return;
      batch.swap(pending_);
    }
    send(std::move(batch));
  }

private:
  void send(config_reads batch) {
    const auto& reader = readers_[next_++ % readers_.size()];
    caf::anon_send(reader, atom::get_v, std::move(batch));
  }

  static inline thread_local const read_batcher* collecting_ = nullptr;

  const std::vector<store_reader_actor> readers_;
  const size_t max_batch_;
  std::atomic<size_t> next_ = 0;
  std::mutex mutex_;
  config_reads pending_;
};

} // namespace ecr
