// The only translation unit that includes Boost.Beast.

#include "gateway/http_server.hpp"

#include "core/error.hpp"
#include "core/log.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

namespace ecr {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

class server_impl;

/// Canned error responses the server produces before a request reaches the
/// handler. Bodies follow the API's `{"message": …}` convention.
http_response server_error(unsigned status, const char* message) {
  http_response res;
  res.status = status;
  res.content_type = "application/json";
  res.body = std::string{R"({"message":")"} + message + "\"}";
  return res;
}

/// One client connection. Requests on a connection are handled one at a
/// time; the response to request N is written before request N+1 is read.
class session : public std::enable_shared_from_this<session> {
public:
  session(tcp::socket&& socket, server_impl& server);
  ~session();

  void start() {
    net::dispatch(stream_.get_executor(),
                  [self = shared_from_this()] { self->read_header(); });
  }

  /// Closes the connection if it is between requests (used when draining).
  void close_if_idle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->idle_)
        self->close();
    });
  }

private:
  void read_header();
  void on_header(beast::error_code err);
  void read_body();
  void on_body(beast::error_code err);
  void dispatch_request();
  void write(http_response res);
  void close() {
    finish_request();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  /// A request counts as in flight from its complete header until its
  /// response is written or the connection ends, so that draining waits for
  /// requests whose body is still arriving.
  void start_request();
  void finish_request();

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  server_impl& server_;
  /// Bounds the wait for the handler's reply; reused for every request.
  net::steady_timer deadline_;
  /// The request whose reply is awaited (0: none); late replies are dropped.
  uint64_t awaited_ = 0;
  uint64_t last_request_ = 0;
  bool idle_ = true;
  bool in_request_ = false;
  bool keep_alive_ = true;
};

class server_impl final : public http_server {
public:
  server_impl(const http_server_options& options, http_service service)
    : options_(options),
      service_(std::move(service)),
      ioc_(options.io_threads),
      acceptor_(net::make_strand(ioc_)) {
    // nop
  }

  ~server_impl() override {
    shutdown(std::chrono::milliseconds{0});
  }

  caf::error listen() {
    beast::error_code err;
    auto address = net::ip::make_address(options_.address, err);
    if (err)
      return make_error(ec::invalid_configuration,
                        "server.address: '" + options_.address
                          + "' is not an IP address");
    tcp::endpoint endpoint{address, options_.port};
    acceptor_.open(endpoint.protocol(), err);
    if (!err)
      acceptor_.set_option(net::socket_base::reuse_address(true), err);
    if (!err)
      acceptor_.bind(endpoint, err);
    if (!err)
      acceptor_.listen(net::socket_base::max_listen_connections, err);
    if (err)
      return make_error(ec::unavailable,
                        "cannot listen on " + options_.address + ":"
                          + std::to_string(options_.port) + ": "
                          + err.message());
    port_ = acceptor_.local_endpoint().port();
    accept();
    work_.emplace(ioc_.get_executor());
    for (int i = 0; i < options_.io_threads; ++i)
      threads_.emplace_back([this] { ioc_.run(); });
    return {};
  }

  uint16_t port() const noexcept override {
    return port_;
  }

  size_t in_flight() const noexcept override {
    return in_flight_.load();
  }

  bool shutdown(std::chrono::milliseconds grace) override {
    if (threads_.empty())
      return true;
    draining_ = true;
    net::post(acceptor_.get_executor(), [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
    });
    close_idle_sessions();
    bool drained;
    {
      std::unique_lock<std::mutex> guard{idle_mutex_};
      drained = idle_cv_.wait_for(guard, grace,
                                  [this] { return in_flight_.load() == 0; });
    }
    work_.reset();
    ioc_.stop();
    for (auto& thread : threads_)
      thread.join();
    threads_.clear();
    return drained;
  }

  // -- used by sessions ---------------------------------------------------------

  const http_server_options& options() const noexcept {
    return options_;
  }

  bool draining() const noexcept {
    return draining_.load();
  }

  void handle(http_request&& req, http_reply reply) {
    service_.handle(std::move(req), std::move(reply));
    // Posted behind the completions already queued, i.e. those of the
    // sockets that became ready together with this one.
    if (service_.after_burst && !burst_end_posted_.exchange(true))
      net::post(ioc_, [this] {
        burst_end_posted_ = false;
        service_.after_burst();
      });
  }

  void request_started() {
    ++in_flight_;
  }

  void request_finished() {
    if (--in_flight_ == 0 && draining_) {
      std::lock_guard<std::mutex> guard{idle_mutex_};
      idle_cv_.notify_all();
    }
  }

  void add_session(session* key, std::weak_ptr<session> value) {
    std::lock_guard<std::mutex> guard{sessions_mutex_};
    sessions_.emplace(key, std::move(value));
  }

  void remove_session(session* key) {
    std::lock_guard<std::mutex> guard{sessions_mutex_};
    sessions_.erase(key);
  }

private:
  void accept() {
    // One io thread needs no strands: its handlers never run concurrently.
    auto executor = options_.io_threads > 1
                      ? net::any_io_executor{net::make_strand(ioc_)}
                      : net::any_io_executor{ioc_.get_executor()};
    acceptor_.async_accept(
      executor, [this](beast::error_code err, tcp::socket socket) {
        if (err) {
          if (err != net::error::operation_aborted && acceptor_.is_open()) {
            ECR_WARN("http: accept failed: {}", err.message());
            accept();
          }
          return;
        }
        if (draining_)
          return;
        socket.set_option(tcp::no_delay(true), err);
        auto conn = std::make_shared<session>(std::move(socket), *this);
        add_session(conn.get(), conn);
        conn->start();
        accept();
      });
  }

  void close_idle_sessions() {
    // Acted on outside the lock: the last reference to a session may go
    // here, and its destructor takes the lock to unregister.
    std::vector<std::shared_ptr<session>> open;
    {
      std::lock_guard<std::mutex> guard{sessions_mutex_};
      for (auto& [key, weak] : sessions_)
        if (auto conn = weak.lock())
          open.push_back(std::move(conn));
    }
    for (const auto& conn : open)
      conn->close_if_idle();
  }

  // Declared before the io_context: handlers that the io_context destroys
  // still hold sessions, whose destructors unregister here.
  http_server_options options_;
  http_service service_;
  std::atomic<bool> burst_end_posted_{false};
  std::mutex sessions_mutex_;
  std::unordered_map<session*, std::weak_ptr<session>> sessions_;
  std::atomic<size_t> in_flight_{0};
  std::atomic<bool> draining_{false};
  std::mutex idle_mutex_;
  std::condition_variable idle_cv_;
  net::io_context ioc_;
  // Keeps the io threads running while sessions wait for replies from the
  // actors, which have no pending socket operation (e.g. while draining).
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
};

session::session(tcp::socket&& socket, server_impl& server)
  : stream_(std::move(socket)),
    server_(server),
    deadline_(stream_.get_executor()) {
  // nop
}

session::~session() {
  finish_request();
  server_.remove_session(this);
}

void session::start_request() {
  in_request_ = true;
  server_.request_started();
}

void session::finish_request() {
  if (in_request_) {
    in_request_ = false;
    server_.request_finished();
  }
}

void session::read_header() {
  if (server_.draining()) {
    close();
    return;
  }
  idle_ = true;
  parser_.emplace();
  parser_->header_limit(
    static_cast<std::uint32_t>(server_.options().max_header_bytes));
  parser_->body_limit(server_.options().max_body_bytes);
  stream_.expires_after(server_.options().read_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code err,
                                                      size_t) {
                            self->on_header(err);
                          });
}

void session::on_header(beast::error_code err) {
  idle_ = false;
  if (err == http::error::end_of_stream || err == beast::error::timeout
      || err == net::error::operation_aborted || err == net::error::eof
      || err == net::error::connection_reset) {
    close();
    return;
  }
  keep_alive_ = false;
  // Beast already refuses a Content-Length above the body limit here.
  if (err == http::error::body_limit) {
    write(server_error(413, "request body exceeds the configured limit"));
    return;
  }
  if (err == http::error::header_limit) {
    write(server_error(431, "request header fields too large"));
    return;
  }
  if (err) {
    write(server_error(400, "malformed HTTP request"));
    return;
  }
  start_request();
  const auto& header = parser_->get();
  keep_alive_ = header.keep_alive();
  auto expect = header[http::field::expect];
  if (beast::iequals(expect, "100-continue")) {
    auto cont = std::make_shared<http::response<http::empty_body>>(
      http::status::continue_, header.version());
    http::async_write(stream_, *cont,
                      [self = shared_from_this(), cont](beast::error_code err,
                                                        size_t) {
                        if (err)
                          self->close();
                        else
                          self->read_body();
                      });
    return;
  }
  read_body();
}

void session::read_body() {
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code err, size_t) {
                     self->on_body(err);
                   });
}

void session::on_body(beast::error_code err) {
  if (err == http::error::body_limit) {
    keep_alive_ = false;
    write(server_error(413, "request body exceeds the configured limit"));
    return;
  }
  if (err == beast::error::timeout || err == net::error::operation_aborted
      || err == http::error::end_of_stream || err == net::error::eof
      || err == http::error::partial_message
      || err == net::error::connection_reset) {
    close();
    return;
  }
  if (err) {
    keep_alive_ = false;
    write(server_error(400, "malformed HTTP request"));
    return;
  }
  dispatch_request();
}

void session::dispatch_request() {
  auto message = parser_->release();
  http_request req;
  req.method = std::string{message.method_string()};
  req.target = std::string{message.target()};
  req.headers.reserve(8);
  for (const auto& field : message) {
    std::string name{field.name_string()};
    for (auto& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers.emplace_back(std::move(name), std::string{field.value()});
  }
  req.body = std::move(message.body());
  stream_.expires_never();
  auto id = ++last_request_;
  awaited_ = id;
  // The reply holds the session weakly: while it is awaited the deadline
  // timer keeps the session alive; a reply arriving after the connection
  // ended (or the server stopped) finds nothing and is dropped.
  std::weak_ptr<session> weak_self = shared_from_this();
  server_.handle(std::move(req), [weak_self, id](http_response res) {
    auto self = weak_self.lock();
    if (!self)
      return;
    auto executor = self->stream_.get_executor();
    // Inline when the handler answered on this strand (cached reads).
    net::dispatch(executor, [self, id, res = std::move(res)]() mutable {
      if (self->awaited_ != id)
        return;
      self->awaited_ = 0;
      self->deadline_.cancel();
      self->write(std::move(res));
    });
  });
  // Answered inline (a cached read): no timer needed, which spares the
  // timer queue and its kernel timer on the hot path.
  if (awaited_ != id)
    return;
  deadline_.expires_after(server_.options().request_timeout);
  deadline_.async_wait([self = shared_from_this(), id](beast::error_code err) {
    if (err || self->awaited_ != id)
      return;
    self->awaited_ = 0;
    self->write(
      server_error(504, "the request timed out inside the service"));
  });
}

void session::write(http_response res) {
  idle_ = false;
  response_ = {};
  response_.version(11);
  response_.result(res.status);
  response_.set(http::field::server, "ecr");
  if (!res.content_type.empty())
    response_.set(http::field::content_type, res.content_type);
  for (auto& [name, value] : res.headers)
    response_.set(name, value);
  response_.body() = std::move(res.body);
  auto keep_alive = keep_alive_ && !server_.draining();
  response_.keep_alive(keep_alive);
  if (res.status != 304 && res.status != 204)
    response_.prepare_payload();
  http::async_write(stream_, response_,
                    [self = shared_from_this(),
                     keep_alive](beast::error_code err, size_t) {
                      self->finish_request();
                      if (err || !keep_alive) {
                        self->close();
                        return;
                      }
                      self->read_header();
                    });
}

} // namespace

http_server::~http_server() {
  // nop
}

caf::expected<std::unique_ptr<http_server>>
http_server::start(const http_server_options& options, http_service service) {
  auto server = std::make_unique<server_impl>(options, std::move(service));
  if (auto err = server->listen())
    return err;
  return std::unique_ptr<http_server>{std::move(server)};
}

} // namespace ecr
