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

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

namespace ecr {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

class server_impl;

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
  /// Writing the response.
  writing,
};

/// Lets one log line through per interval for an event that may recur
/// thousands of times a second, carrying how often it happened since the
/// previous line.
class log_throttle {
public:
  explicit log_throttle(std::chrono::seconds interval) : interval_(interval) {
    // nop
  }

  /// Counts one occurrence; answers how many to report now, or 0.
  uint64_t occurred() {
    ++count_;
    auto now = std::chrono::steady_clock::now();
    if (logged_ && now - *logged_ < interval_)
      return 0;
    logged_ = now;
    return std::exchange(count_, 0);
  }

private:
  std::chrono::seconds interval_;
  std::optional<std::chrono::steady_clock::time_point> logged_;
  uint64_t count_ = 0;
};

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
  void enter(phase next);
  void enforce_timeout(uint64_t now);
  void close() {
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
  server_impl& server_;
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
};

/// Pauses between accepts after a failure: the listener stays readable
/// while the cause (no descriptors left) lasts, so retrying at once spins.
constexpr std::chrono::milliseconds first_accept_pause{10};
constexpr std::chrono::milliseconds longest_accept_pause{1000};

/// At most one line per this interval for each recurring connection event.
constexpr std::chrono::seconds log_interval{10};

/// How often connections are checked against their timeouts: a quarter of
/// the shortest, at most a second. A connection is closed at most that late
/// (twice that for the read timeout, whose start a sweep notices). Timers
/// per request would cost the hot path a kernel timer update each.
std::chrono::milliseconds sweep_period(const http_server_options& options) {
  auto shortest = std::min({options.read_timeout, options.idle_timeout,
                            options.write_timeout});
  return std::min<std::chrono::milliseconds>(
    std::chrono::seconds{1}, std::chrono::milliseconds{shortest} / 4);
}

class server_impl final : public http_server {
public:
  server_impl(const http_server_options& options, http_service service)
    : options_(options),
      service_(std::move(service)),
      sweep_period_(sweep_period(options)),
      read_sweeps_(sweeps_of(options.read_timeout)),
      idle_sweeps_(sweeps_of(options.idle_timeout)),
      write_sweeps_(sweeps_of(options.write_timeout)),
      ioc_(options.io_threads),
      acceptor_(net::make_strand(ioc_)),
      accept_timer_(acceptor_.get_executor()),
      sweep_timer_(acceptor_.get_executor()) {
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
    sweep();
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
      accept_timer_.cancel();
    });
    for (const auto& conn : open_sessions())
      conn->close_if_idle();
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

  /// Sweeps so far: the clock of the connection timeouts.
  uint64_t sweeps() const noexcept {
    return sweeps_.load(std::memory_order_relaxed);
  }

  /// How many sweeps a connection may stay in `p` (0: no limit).
  uint64_t sweep_limit(phase p) const noexcept {
    switch (p) {
      case phase::idle:
        return idle_sweeps_;
      case phase::header:
      case phase::body:
        return read_sweeps_;
      case phase::writing:
        return write_sweeps_;
      case phase::handling:
        break;
    }
    return 0;
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
  /// Sweeps that cover `timeout`: a phase that began just before a sweep
  /// still gets all of it.
  uint64_t sweeps_of(std::chrono::seconds timeout) const {
    auto period = sweep_period_.count();
    auto span = std::chrono::duration_cast<std::chrono::milliseconds>(timeout)
                  .count();
    return static_cast<uint64_t>((span + period - 1) / period);
  }

  void accept() {
    // One io thread needs no strands: its handlers never run concurrently.
    auto executor = options_.io_threads > 1
                      ? net::any_io_executor{net::make_strand(ioc_)}
                      : net::any_io_executor{ioc_.get_executor()};
    acceptor_.async_accept(
      executor, [this](beast::error_code err, tcp::socket socket) {
        if (err) {
          if (err != net::error::operation_aborted && acceptor_.is_open())
            pause_accepting(err);
          return;
        }
        accept_pause_ = {};
        if (draining_)
          return;
        if (at_capacity()) {
          // Before any allocation: a flood of connections costs an accept
          // and a close each.
          if (auto count = refused_.occurred())
            ECR_WARN("http: closed {} new connection(s): {} are open "
                     "(server.max-connections)",
                     count, options_.max_connections);
          socket.close(err);
          accept();
          return;
        }
        socket.set_option(tcp::no_delay(true), err);
        auto conn = std::make_shared<session>(std::move(socket), *this);
        add_session(conn.get(), conn);
        conn->start();
        accept();
      });
  }

  void pause_accepting(const beast::error_code& err) {
    accept_pause_ = std::clamp(accept_pause_ * 2, first_accept_pause,
                               longest_accept_pause);
    if (auto count = accept_failures_.occurred())
      ECR_WARN("http: accepting failed {} time(s): {}; pausing accepts for "
               "up to {} ms at a time",
               count, err.message(), longest_accept_pause.count());
    accept_timer_.expires_after(accept_pause_);
    accept_timer_.async_wait([this](beast::error_code cancelled) {
      if (!cancelled && acceptor_.is_open())
        accept();
    });
  }

  bool at_capacity() {
    std::lock_guard<std::mutex> guard{sessions_mutex_};
    return sessions_.size() >= options_.max_connections;
  }

  void sweep() {
    sweep_timer_.expires_after(sweep_period_);
    sweep_timer_.async_wait([this](beast::error_code err) {
      if (err)
        return;
      auto now = sweeps_.fetch_add(1, std::memory_order_relaxed) + 1;
      for (const auto& conn : open_sessions())
        conn->sweep(now);
      sweep();
    });
  }

  std::vector<std::shared_ptr<session>> open_sessions() {
    // Acted on outside the lock: the last reference to a session may go
    // there, and its destructor takes the lock to unregister.
    std::vector<std::shared_ptr<session>> open;
    std::lock_guard<std::mutex> guard{sessions_mutex_};
    open.reserve(sessions_.size());
    for (auto& [key, weak] : sessions_)
      if (auto conn = weak.lock())
        open.push_back(std::move(conn));
    return open;
  }

  // Declared before the io_context: handlers that the io_context destroys
  // still hold sessions, whose destructors unregister here.
  http_server_options options_;
  http_service service_;
  std::chrono::milliseconds sweep_period_;
  uint64_t read_sweeps_;
  uint64_t idle_sweeps_;
  uint64_t write_sweeps_;
  std::atomic<uint64_t> sweeps_{0};
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
  // The accept pauses, the sweep and their logs run on the acceptor's strand.
  net::steady_timer accept_timer_;
  net::steady_timer sweep_timer_;
  std::chrono::milliseconds accept_pause_{0};
  log_throttle accept_failures_{log_interval};
  log_throttle refused_{log_interval};
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
};

session::session(tcp::socket&& socket, server_impl& server)
  : socket_(std::move(socket)),
    server_(server),
    deadline_(socket_.get_executor()) {
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

void session::enter(phase next) {
  phase_ = next;
  phase_since_ = server_.sweeps();
}

void session::enforce_timeout(uint64_t now) {
  if (!socket_.is_open())
    return;
  // The next request began arriving since the last sweep (a pending read
  // keeps what it got in the buffer until the header is complete).
  if (phase_ == phase::idle && buffer_.size() > 0)
    enter(phase::header);
  auto limit = server_.sweep_limit(phase_);
  // Closing cancels the pending read or write, whose handler ends the
  // connection.
  if (limit != 0 && now - phase_since_ > limit)
    close();
}

void session::read_header() {
  if (server_.draining()) {
    close();
    return;
  }
  // Pipelined requests may already be here.
  enter(buffer_.size() > 0 ? phase::header : phase::idle);
  parser_.emplace();
  parser_->header_limit(
    static_cast<std::uint32_t>(server_.options().max_header_bytes));
  parser_->body_limit(server_.options().max_body_bytes);
  http::async_read_header(socket_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code err,
                                                      size_t) {
                            self->on_header(err);
                          });
}

void session::on_header(beast::error_code err) {
  // The read timeout runs from the request's first bytes on: keep its start
  // if a sweep saw them arrive.
  if (phase_ == phase::idle)
    enter(phase::body);
  else
    phase_ = phase::body;
  if (err == http::error::end_of_stream
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
    http::async_write(socket_, *cont,
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
  http::async_read(socket_, buffer_, *parser_,
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
  if (err == net::error::operation_aborted
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
  enter(phase::handling);
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
    auto executor = self->socket_.get_executor();
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
  enter(phase::writing);
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
  http::async_write(socket_, response_,
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

caf::error validate(const http_server_options& options) {
  auto positive = [](std::chrono::seconds timeout) {
    return timeout >= std::chrono::seconds{1};
  };
  if (options.io_threads < 1 || options.max_connections < 1
      || !positive(options.read_timeout) || !positive(options.idle_timeout)
      || !positive(options.write_timeout) || !positive(options.request_timeout))
    return make_error(ec::invalid_configuration,
                      "the HTTP server needs an io thread, room for a "
                      "connection and timeouts of at least a second");
  return {};
}

http_server::~http_server() {
  // nop
}

caf::expected<std::unique_ptr<http_server>>
http_server::start(const http_server_options& options, http_service service) {
  if (auto err = validate(options))
    return err;
  auto server = std::make_unique<server_impl>(options, std::move(service));
  if (auto err = server->listen())
    return err;
  return std::unique_ptr<http_server>{std::move(server)};
}

} // namespace ecr
