#pragma once

// The changes a replica tells its event streams about (B3): a bounded log of
// the latest events, numbered in the order they happened here, that streams
// subscribe to from a cursor. Producers on any thread append; subscribers
// get every event after their cursor exactly once, in order.

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace ecr {

/// One change as the event stream tells it.
struct change_event {
  /// `config.updated`, `config.deleted`, `status.updated`,
  /// `system-config.updated` or `system-config.deleted`.
  std::string type;
  /// Whose data it is.
  std::string tenant_id;
  /// What stream filters select on; empty when the event has none.
  std::string app_version;
  std::string endpoint_id;
  std::string name;
  /// For system configurations: the level and its id (permissions).
  std::string level;
  std::string level_id;
  /// The event's payload: one line of JSON.
  std::string data;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, change_event& x) {
  return f(caf::meta::type_name("change_event"), x.type, x.tenant_id,
           x.app_version, x.endpoint_id, x.name, x.level, x.level_id, x.data);
}

class event_log {
public:
  using event_ptr = std::shared_ptr<const change_event>;

  /// Gets each event with its position; called in order, under the log's
  /// lock, so it must only hand the event on.
  using subscriber = std::function<void(uint64_t position, const event_ptr&)>;

  /// Keeps the last `retain` events for resuming streams.
  explicit event_log(size_t retain);

  /// Appends `event` and hands it to every subscriber.
  void append(change_event event);

  struct subscription {
    uint64_t id = 0;
    /// The cursor was older than what is kept (or of another log): events
    /// may have been missed, and the subscriber starts with the live ones.
    bool reset = false;
  };

  /// Subscribes: the events kept after `cursor` (none: only live ones)
  /// first, then every new one, without gap or repetition.
  subscription subscribe(std::optional<std::string_view> cursor,
                         subscriber fn);

  void unsubscribe(uint64_t id);

  /// The cursor of the event at `position`, opaque to clients.
  std::string cursor(uint64_t position) const;

private:
  /// The position a cursor of this log names, if it does.
  std::optional<uint64_t> position_of(std::string_view cursor) const;

  const size_t retain_;
  /// Tells this log's cursors from another run's or another replica's.
  const std::string epoch_;
  mutable std::mutex mutex_;
  /// Position of `kept_.front()`.
  uint64_t first_ = 1;
  std::deque<event_ptr> kept_;
  uint64_t next_subscriber_ = 1;
  std::map<uint64_t, subscriber> subscribers_;
};

} // namespace ecr
