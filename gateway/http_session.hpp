#pragma once

// One HTTP connection of the Beast server, private to gateway/: it reads
// requests, hands them to the service, and writes the answers, a streamed
// one included. Only gateway's server sources include this (Beast is heavy).

#include "gateway/http_server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace ecr::http_detail {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

/// Where a connection is. Each state but `handling` has a timeout, which the
/// server's sweep enforces (`handling` has the request deadline).
enum class phase : uint8_t {
  /// Waiting for the next request; nothing of it has arrived.
  idle,
  /// Reading a request's header.
  header,
  /// Reading a request's body.
  body,
  /// The handler has the request.
  handling,
  /// Writing the response (or a piece of a streamed one).
  writing,
  /// Streaming a response, with nothing to write right now: no timeout.
  streaming,
};


/// What a connection needs of the server that accepted it.
class session_host {
public:
  virtual ~session_host();

  virtual const http_server_options& options() const noexcept = 0;

  /// Whether the server is stopping: connections end after their request.
  virtual bool draining() const noexcept = 0;

  /// Sweeps so far: the clock of the connection timeouts.
  virtual uint64_t sweeps() const noexcept = 0;

  /// How many sweeps a connection may stay in `p` (0: no limit).
  virtual uint64_t sweep_limit(phase p) const noexcept = 0;

  /// Hands a request to the service.
  virtual void handle(http_request&& req, http_reply reply) = 0;

  virtual void request_started() = 0;
  virtual void request_finished() = 0;

  /// The connection ends.
  virtual void remove_session(const void* key) = 0;
};

/// One client connection. Requests on a connection are handled one at a
/// time; the response to request N is written before request N+1 is read.
class session : public std::enable_shared_from_this<session> {
public:
  session(tcp::socket&& socket, session_host& server);
  ~session();

  void start() {
    net::dispatch(socket_.get_executor(),
                  [self = shared_from_this()] { self->read_header(); });
  }

  /// Closes the connection if it is between requests (used when draining).
  void close_if_idle() {
    net::post(socket_.get_executor(), [self = shared_from_this()] {
      if (self->phase_ == phase::idle || self->phase_ == phase::header)
        self->close();
    });
  }

  /// Closes the connection if it spent too long in its phase; `now` is the
  /// server's sweep count.
  void sweep(uint64_t now) {
    net::dispatch(socket_.get_executor(), [self = shared_from_this(), now] {
      self->enforce_timeout(now);
    });
  }

private:
  void read_header();
  void on_header(beast::error_code err);
  void read_body();
  void on_body(beast::error_code err);
  void dispatch_request();
  void write(http_response res);
  void write_stream_header(http_response res);
  void write_piece();
  void enter(phase next);
  void enforce_timeout(uint64_t now);
  void close() {
    closed_ = true;
    finish_request();
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  /// A request counts as in flight from its complete header until its
  /// response is written or the connection ends, so that draining waits for
  /// requests whose body is still arriving.
  void start_request();
  void finish_request();

  tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  session_host& server_;
  /// Bounds the wait for the handler's reply; reused for every request.
  net::steady_timer deadline_;
  /// The request whose reply is awaited (0: none); late replies are dropped.
  uint64_t awaited_ = 0;
  uint64_t last_request_ = 0;
  phase phase_ = phase::idle;
  /// The sweep count when the current phase began.
  uint64_t phase_since_ = 0;
  bool in_request_ = false;
  bool keep_alive_ = true;

  // -- a streamed response --------------------------------------------------

  friend class stream_sink;
  std::optional<http::response<http::empty_body>> stream_header_;
  std::optional<http::response_serializer<http::empty_body>> stream_writer_;
  /// Pieces waiting to be written, the first one being written.
  std::deque<std::string> pieces_;
  std::atomic<size_t> queued_bytes_{0};
  /// The stream ends once the pieces are written.
  bool finishing_ = false;
  std::atomic<bool> closed_{false};
};




} // namespace ecr::http_detail
