#pragma once

#include <nats/nats.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ecr::test {

/// A message a test client received.
struct nats_received {
  std::string subject;
  std::string reply;
  std::string payload;
};

/// A synchronous subscription: messages queue up in cnats until the test
/// takes them, so nothing runs on cnats threads. Unsubscribes on
/// destruction; must not outlive its client.
class nats_subscription {
public:
  explicit nats_subscription(natsSubscription* sub) noexcept : sub_(sub) {
  }
  ~nats_subscription();

  nats_subscription(const nats_subscription&) = delete;
  nats_subscription& operator=(const nats_subscription&) = delete;

  /// The next message, or nothing when none arrives within `timeout`.
  std::optional<nats_received> next(std::chrono::milliseconds timeout);

  /// Up to `count` messages; fewer when the total wait reaches `timeout`.
  std::vector<nats_received> take(size_t count, std::chrono::milliseconds timeout);

  /// Every message that arrives within `window` (absence checks: call it
  /// after a barrier, with a short window).
  std::vector<nats_received> take_for(std::chrono::milliseconds window);

private:
  natsSubscription* sub_;
};

/// An independent NATS client for tests (cnats), not sharing code with the
/// product's messaging layer. It reconnects quickly and forever, keeping its
/// subscriptions, so it survives a nats_server::restart(). Failures throw
/// std::runtime_error.
class nats_test_client {
public:
  explicit nats_test_client(const std::string& url);
  ~nats_test_client();

  nats_test_client(const nats_test_client&) = delete;
  nats_test_client& operator=(const nats_test_client&) = delete;

  void publish(const std::string& subject, std::string_view payload,
               const std::string& reply = {});

  /// Round-trips a PING, so everything published before has reached the
  /// server and every subscription made before is registered there.
  void flush(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// Publishes with a fresh reply inbox and returns the first reply, or
  /// nothing when none comes within `timeout`.
  std::optional<std::string> request(const std::string& subject, std::string_view payload,
                                     std::chrono::milliseconds timeout);

  /// Subscribes and flushes, so the subscription is live at the server when
  /// this returns.
  std::unique_ptr<nats_subscription> subscribe(const std::string& subject);

  /// A unique subject for replies.
  std::string new_inbox();

  bool connected() const;

  /// Creates a JetStream stream (file storage) capturing `subjects`. Needs a
  /// server started with `jetstream`.
  void add_stream(const std::string& name, const std::vector<std::string>& subjects);

  /// The first `count` messages stored in stream `name`, once it holds that
  /// many; fewer (all it holds) when that takes longer than `timeout`.
  std::vector<nats_received> stream_messages(const std::string& name, size_t count,
                                             std::chrono::milliseconds timeout);

private:
  jsCtx* jetstream();

  natsConnection* conn_ = nullptr;
  jsCtx* js_ = nullptr;
};

} // namespace ecr::test
