#pragma once

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ecr {

struct nats_settings {
  std::vector<std::string> urls;
  std::string username;
  std::string password;
  /// Shown by the server for this connection (the replica id).
  std::string client_name;
  /// Bytes published while disconnected are kept up to this bound and sent
  /// after reconnecting (A24).
  size_t reconnect_buffer_bytes = 8 * 1024 * 1024;
};

/// A received message, copied out of cnats.
struct nats_message {
  std::string subject;
  std::string reply;
  std::string payload;
  /// More messages of the same subscription were already waiting: work
  /// collected for this one may wait for them and leave together.
  bool more_waiting = false;
};

/// Runs on a cnats delivery thread: must not block.
using nats_handler = std::function<void(nats_message&&)>;

/// Connection state changes, also on cnats threads.
using nats_state_handler = std::function<void(bool connected)>;

/// One NATS connection (cnats) that reconnects forever. Creating it never
/// fails for an unreachable server: it keeps trying in the background, and
/// subscriptions take effect once connected. Thread-safe.
class nats_client {
public:
  static caf::expected<std::shared_ptr<nats_client>>
  connect(const nats_settings& settings, nats_state_handler on_state);

  virtual ~nats_client();

  /// Publishes `payload` (buffered while disconnected).
  virtual caf::error publish(const std::string& subject,
                             std::string_view payload,
                             const std::string& reply = {})
    = 0;

  /// Subscribes for the lifetime of the client; an empty `queue_group`
  /// makes every subscriber see every message.
  virtual caf::error subscribe(const std::string& subject,
                               const std::string& queue_group,
                               nats_handler handler)
    = 0;

  /// A unique inbox subject for replies to this client.
  virtual std::string new_inbox() = 0;

  virtual bool connected() const = 0;

  /// Unsubscribes, flushes and closes; later calls fail. Idempotent.
  virtual void close() = 0;
};

} // namespace ecr
