#pragma once

#include <caf/expected.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

namespace ecr {

/// Turns SIGTERM and SIGINT into a stop request at any moment, and bounds
/// how long stopping may take: once a stop began, a process still running
/// after the deadline logs one line and exits with code 1, whatever hangs
/// (a store call, a blocked start, an actor that never ends). Acknowledged
/// writes are durable before they are acknowledged, so nothing they hold is
/// lost.
///
/// One per process, started before any other thread exists: it blocks
/// both signals in the calling thread, and every later thread inherits the
/// mask, so only this object sees them. Destroy it last: it watches until
/// then.
class stop_control {
public:
  /// After the drain, what the components get to stop.
  static constexpr std::chrono::seconds stop_allowance{2};

  /// Blocks the signals and starts watching. `grace`: how long in-flight
  /// requests may take after a stop request.
  static caf::expected<std::unique_ptr<stop_control>>
  start(std::chrono::seconds grace);

  ~stop_control();

  stop_control(const stop_control&) = delete;
  stop_control& operator=(const stop_control&) = delete;

  /// Blocks until SIGTERM or SIGINT arrives (or arrived); answers which.
  int wait();

  /// Begins a stop that has nothing to drain (a failed start): the process
  /// must end within `stop_allowance`. A stop already under way keeps its
  /// deadline.
  void stop_without_drain();

private:
  using clock = std::chrono::steady_clock;

  /// Owns a file descriptor.
  class descriptor {
  public:
    explicit descriptor(int fd) : fd_(fd) {
      // nop
    }
    descriptor(descriptor&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)) {
      // nop
    }
    ~descriptor();
    descriptor& operator=(descriptor&&) = delete;
    int get() const noexcept {
      return fd_;
    }

  private:
    int fd_;
  };

  stop_control(std::chrono::seconds grace, descriptor signal_fd,
               descriptor wake_fd);

  void watch();
  /// Sets the deadline unless one is set; needs `mutex_`.
  void arm(clock::duration budget);
  void wake();

  std::chrono::seconds grace_;
  descriptor signal_fd_;
  descriptor wake_fd_;
  std::mutex mutex_;
  std::condition_variable signalled_;
  int signal_ = 0;
  std::optional<clock::time_point> deadline_;
  bool done_ = false;
  std::thread watcher_;
};

} // namespace ecr
