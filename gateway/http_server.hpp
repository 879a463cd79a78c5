#pragma once

#include "gateway/http_types.hpp"

#include <caf/expected.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace ecr {

struct http_server_options {
  std::string address = "0.0.0.0";
  uint16_t port = 80;
  int io_threads = 1;
  size_t max_body_bytes = 1024 * 1024;
  size_t max_header_bytes = 16 * 1024;
  /// How long a client may take to send a request once its first bytes
  /// arrived (header and body).
  std::chrono::seconds read_timeout{60};
  /// How long a connection may wait for its next request.
  std::chrono::seconds idle_timeout{60};
  /// How long writing a response may take (a client that stops reading).
  std::chrono::seconds write_timeout{30};
  /// How long the handler may take to reply before the client gets 504.
  std::chrono::seconds request_timeout{30};
  /// Connections accepted while this many are open are closed at once.
  size_t max_connections = 10000;
};

caf::error validate(const http_server_options& options);

/// An asynchronous HTTP/1.1 server (Boost.Beast) on its own io threads.
/// Oversize bodies are refused with 413 before they are read, malformed
/// requests with 400; everything else goes to the handler. Connections that
/// overrun their read, idle or write timeout are closed; when accepting
/// fails (no descriptors left), accepting pauses, longer each time.
class http_server {
public:
  /// Binds, listens and starts the io threads.
  static caf::expected<std::unique_ptr<http_server>>
  start(const http_server_options& options, http_service service);

  virtual ~http_server();

  /// The bound port (useful with port 0).
  virtual uint16_t port() const noexcept = 0;

  /// Requests being handled or written right now.
  virtual size_t in_flight() const noexcept = 0;

  /// Stops accepting, closes idle connections, lets in-flight requests finish
  /// for up to `grace`, then closes everything and joins the io threads.
  /// Returns false if requests were still in flight when the grace ran out.
  virtual bool shutdown(std::chrono::milliseconds grace) = 0;
};

} // namespace ecr
