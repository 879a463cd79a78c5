// The Beast server: listening, accepting, timeouts and shutdown; its
// connections are in http_session.cpp.

#include "gateway/http_server.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "gateway/http_session.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

namespace ecr {

namespace {

using namespace http_detail;

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

class server_impl final : public http_server, public session_host {
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

  // -- session_host ------------------------------------------------------------

  const http_server_options& options() const noexcept override {
    return options_;
  }

  bool draining() const noexcept override {
    return draining_.load();
  }

  /// Sweeps so far: the clock of the connection timeouts.
  uint64_t sweeps() const noexcept override {
    return sweeps_.load(std::memory_order_relaxed);
  }

  /// How many sweeps a connection may stay in `p` (0: no limit).
  uint64_t sweep_limit(phase p) const noexcept override {
    switch (p) {
      case phase::idle:
        return idle_sweeps_;
      case phase::header:
      case phase::body:
        return read_sweeps_;
      case phase::writing:
        return write_sweeps_;
      case phase::handling:
      case phase::streaming:
        break;
    }
    return 0;
  }

  void handle(http_request&& req, http_reply reply) override {
    service_.handle(std::move(req), std::move(reply));
    // Posted behind the completions already queued, i.e. those of the
    // sockets that became ready together with this one.
    if (service_.after_burst && !burst_end_posted_.exchange(true))
      net::post(ioc_, [this] {
        burst_end_posted_ = false;
        service_.after_burst();
      });
  }

  void request_started() override {
    ++in_flight_;
  }

  void request_finished() override {
    if (--in_flight_ == 0 && draining_) {
      std::lock_guard<std::mutex> guard{idle_mutex_};
      idle_cv_.notify_all();
    }
  }

  void add_session(const void* key, std::weak_ptr<session> value) {
    std::lock_guard<std::mutex> guard{sessions_mutex_};
    sessions_.emplace(key, std::move(value));
  }

  void remove_session(const void* key) override {
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
  std::unordered_map<const void*, std::weak_ptr<session>> sessions_;
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


} // namespace

response_sink::~response_sink() {
  // nop
}

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