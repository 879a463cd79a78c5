#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ecr::test {

using http_headers = std::vector<std::pair<std::string, std::string>>;

/// Whether reading a response passes over interim 1xx answers (such as
/// `100 Continue`) or returns them.
enum class interim_responses { skip, keep };

struct http_response {
  int status = 0;
  std::string reason;
  http_headers headers;
  std::string body;

  /// First header named `name`, compared case-insensitively.
  std::optional<std::string> header(std::string_view name) const;

  /// "<status> <reason>\n<headers>\n\n<body>", for assertion messages.
  std::string describe() const;
};

/// A small blocking HTTP/1.1 client for 127.0.0.1:port. One connection, kept
/// alive between requests and reopened when the server closed it. Every wait
/// is bounded by the receive timeout: a hung server throws instead of hanging
/// the test. Failures (connect, timeout, malformed response) throw
/// std::runtime_error.
class http_client {
public:
  explicit http_client(uint16_t port,
                       std::chrono::milliseconds timeout = std::chrono::seconds(15));
  ~http_client();

  http_client(http_client&& other) noexcept;
  http_client& operator=(http_client&& other) noexcept;
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Sends one request and reads its response. Adds `Host`, and
  /// `Content-Length` when there is a body or the method is PUT/POST.
  http_response request(const std::string& method, const std::string& target,
                        const http_headers& headers = {}, const std::string& body = {});

  http_response get(const std::string& target, const http_headers& headers = {});
  http_response del(const std::string& target, const http_headers& headers = {});
  /// PUT with `Content-Type: application/json` unless `headers` sets one.
  http_response put_json(const std::string& target, const std::string& body,
                         const http_headers& headers = {});

  /// Writes bytes as they are (malformed requests, announced-but-unsent
  /// bodies). Connects first if needed. Stops early, without error, when the
  /// server answers or closes while the bytes are still being sent.
  void send_raw(std::string_view bytes);

  /// Reads one response from the current connection; empty when the server
  /// closed it before sending anything.
  std::optional<http_response> read_response(
    bool head_request = false, interim_responses interim = interim_responses::skip);

  /// Whether a connection is open.
  bool connected() const noexcept {
    return fd_ >= 0;
  }

  /// How many connections this client has opened, to check keep-alive.
  int connect_count() const noexcept {
    return connect_count_;
  }

  void close();

private:
  void connect();
  /// Sends everything or stops early when the peer answers or goes away;
  /// returns false in the latter cases.
  bool send_all(std::string_view bytes);
  /// Appends received bytes to `buffer_`; false on orderly close.
  bool receive_some();
  std::optional<http_response> read_response_impl(bool head_request,
                                                  interim_responses interim);

  uint16_t port_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  int connect_count_ = 0;
  std::string buffer_;
};

/// Case-insensitive ASCII comparison, for header names.
bool iequals(std::string_view a, std::string_view b);

} // namespace ecr::test
