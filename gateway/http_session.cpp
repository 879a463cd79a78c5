// The connections of the Beast server (see http_session.hpp); with
// http_server.cpp, the only translation units that include Boost.Beast.

#include "gateway/http_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <cctype>

namespace ecr::http_detail {

namespace {

/// Canned error responses the server produces before a request reaches the
/// handler. Bodies follow the API's `{"message": …}` convention.
http_response server_error(unsigned status, const char* message) {
  http_response res;
  res.status = status;
  res.content_type = "application/json";
  res.body = std::string{R"({"message":")"} + message + "\"}";
  return res;
}


} // namespace

session_host::~session_host() {
  // nop
}

/// The sink of a session's streamed response: pieces are handed to the
/// session's executor, where they are written in order.
class stream_sink final : public response_sink {
public:
  explicit stream_sink(std::weak_ptr<session> target)
    : target_(std::move(target)) {
    // nop
  }

  bool send(std::string piece) override {
    auto self = target_.lock();
    if (!self || self->closed_)
      return false;
    self->queued_bytes_ += piece.size();
    net::post(self->socket_.get_executor(),
              [self, piece = std::move(piece)]() mutable {
                self->pieces_.push_back(std::move(piece));
                if (self->pieces_.size() == 1)
                  self->write_piece();
              });
    return true;
  }

  size_t queued_bytes() const override {
    auto self = target_.lock();
    return self ? self->queued_bytes_.load() : 0;
  }

  void finish() override {
    if (auto self = target_.lock())
      net::post(self->socket_.get_executor(), [self] {
        self->finishing_ = true;
        if (self->pieces_.empty())
          self->close();
      });
  }

private:
  std::weak_ptr<session> target_;
};


session::session(tcp::socket&& socket, session_host& server)
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
  if (res.stream)
    return write_stream_header(std::move(res));
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

void session::write_stream_header(http_response res) {
  enter(phase::writing);
  auto& header = stream_header_.emplace();
  header.version(11);
  header.result(res.status);
  header.set(http::field::server, "ecr");
  header.set(http::field::content_type, res.content_type);
  for (auto& [name, value] : res.headers)
    header.set(name, value);
  // The body runs until the connection closes: no length, no reuse.
  header.keep_alive(false);
  stream_writer_.emplace(header);
  http::async_write_header(
    socket_, *stream_writer_,
    [self = shared_from_this(), start = std::move(res.stream)](
      beast::error_code err, size_t) {
      if (err)
        return self->close();
      self->enter(phase::streaming);
      start(std::make_shared<stream_sink>(self));
    });
}

void session::write_piece() {
  if (closed_)
    return;
  enter(phase::writing);
  net::async_write(socket_, net::buffer(pieces_.front()),
                   [self = shared_from_this()](beast::error_code err, size_t) {
                     self->queued_bytes_ -= self->pieces_.front().size();
                     self->pieces_.pop_front();
                     if (err)
                       return self->close();
                     if (!self->pieces_.empty())
                       return self->write_piece();
                     if (self->finishing_)
                       return self->close();
                     self->enter(phase::streaming);
                   });
}


} // namespace ecr::http_detail
