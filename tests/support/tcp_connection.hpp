#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace ecr::test {

/// A bare TCP connection to 127.0.0.1:port that does only what the test
/// says: for clients that misbehave on purpose (never read, stall, hold
/// connections open). Failures to connect throw std::runtime_error.
class tcp_connection {
public:
  /// Connects. A `receive_buffer` above 0 shrinks the receive buffer first,
  /// so that a client that reads nothing stalls the server's writes sooner.
  explicit tcp_connection(uint16_t port, int receive_buffer = 0);
  ~tcp_connection();

  tcp_connection(tcp_connection&& other) noexcept;
  tcp_connection& operator=(tcp_connection&&) = delete;
  tcp_connection(const tcp_connection&) = delete;
  tcp_connection& operator=(const tcp_connection&) = delete;

  /// Sends all of `bytes`, waiting at most `timeout` for room; false when
  /// the peer closed the connection or the time ran out first.
  bool send(std::string_view bytes,
            std::chrono::milliseconds timeout = std::chrono::seconds(10));

  /// Waits up to `timeout` for the peer to close the connection (an end of
  /// stream or a reset), discarding what it sends meanwhile.
  bool closed_within(std::chrono::milliseconds timeout);

private:
  int fd_;
};

} // namespace ecr::test
