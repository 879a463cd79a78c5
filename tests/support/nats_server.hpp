#pragma once

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ecr::test {

/// A NATS URL nothing listens on (port 1 on loopback is never served in
/// tests): connecting fails at once, without DNS.
inline constexpr char unreachable_nats_url[] = "nats://127.0.0.1:1";

struct nats_server_options {
  /// Enables JetStream with its store in the server's temp dir, kept across
  /// restart(): streams capture messages no subscriber is there to see.
  bool jetstream = false;
  /// When set, clients must log in with this user and `password`.
  std::string user;
  std::string password;
};

/// One subscription as the server's monitoring endpoint reports it.
struct nats_subscription_info {
  std::string subject;
  /// Empty for a plain subscription.
  std::string queue_group;
  /// Messages delivered to it.
  uint64_t msgs = 0;
};

/// One client connection as the server's monitoring endpoint reports it.
struct nats_connection_info {
  /// The name the client gave in CONNECT (ecr sends its replica id).
  std::string name;
  std::vector<nats_subscription_info> subscriptions;
};

/// A `/usr/sbin/nats-server` on 127.0.0.1 with a random client port and a
/// random monitoring port. The constructor returns once the server accepts
/// connections; the destructor kills it.
class nats_server {
public:
  explicit nats_server(nats_server_options options = {});
  ~nats_server();

  nats_server(const nats_server&) = delete;
  nats_server& operator=(const nats_server&) = delete;

  /// `nats://127.0.0.1:<port>`.
  const std::string& url() const noexcept {
    return url_;
  }

  uint16_t port() const noexcept {
    return port_;
  }

  bool running();

  /// SIGTERM by PID and waits for the exit (SIGKILL if it lingers).
  void stop();

  /// Starts the server again on the same client port (clients reconnect to
  /// the URL they had); stops it first if it still runs.
  void restart();

  /// Client connections with their subscriptions (`/connz?subs=detail`).
  std::vector<nats_connection_info> connections();

private:
  /// Starts the binary on `port` (0: random) and waits until it serves.
  void start(uint16_t port);

  nats_server_options options_;
  temp_dir dir_{"ecr-nats"};
  std::unique_ptr<process> process_;
  int runs_ = 0;
  uint16_t port_ = 0;
  uint16_t monitor_port_ = 0;
  std::string url_;
};

} // namespace ecr::test
