#include "tests/support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ecr::test {

namespace {

using clock_type = std::chrono::steady_clock;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool icontains(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a))
                                 == std::tolower(static_cast<unsigned char>(b));
                        });
  return it != haystack.end();
}

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("http_client: " + what);
}

[[noreturn]] void fail_errno(const std::string& what) {
  fail(what + ": " + std::strerror(errno));
}

int poll_remaining(int fd, short events, clock_type::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline
                                                                      - clock_type::now());
    if (left.count() <= 0)
      return 0;
    pollfd p{fd, events, 0};
    auto n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      fail_errno("poll");
    if (n > 0)
      return p.revents;
  }
}

} // namespace

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size()
         && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
              return std::tolower(static_cast<unsigned char>(x))
                     == std::tolower(static_cast<unsigned char>(y));
            });
}

std::optional<std::string> http_response::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (iequals(key, name))
      return value;
  return std::nullopt;
}

std::string http_response::describe() const {
  std::string out = std::to_string(status) + " " + reason + "\n";
  for (const auto& [key, value] : headers)
    out += key + ": " + value + "\n";
  out += "\n";
  out += body.size() > 2048 ? body.substr(0, 2048) + "..." : body;
  return out;
}

http_client::http_client(uint16_t port, std::chrono::milliseconds timeout)
  : port_(port), timeout_(timeout) {
}

http_client::~http_client() {
  close();
}

http_client::http_client(http_client&& other) noexcept
  : port_(other.port_),
    timeout_(other.timeout_),
    fd_(std::exchange(other.fd_, -1)),
    connect_count_(other.connect_count_),
    buffer_(std::move(other.buffer_)) {
}

http_client& http_client::operator=(http_client&& other) noexcept {
  if (this != &other) {
    close();
    port_ = other.port_;
    timeout_ = other.timeout_;
    fd_ = std::exchange(other.fd_, -1);
    connect_count_ = other.connect_count_;
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

void http_client::close() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

void http_client::connect() {
  close();
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0)
    fail_errno("socket");
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    auto err = errno;
    close();
    errno = err;
    fail_errno("connect to 127.0.0.1:" + std::to_string(port_));
  }
  ++connect_count_;
}

bool http_client::send_all(std::string_view bytes) {
  auto deadline = clock_type::now() + timeout_;
  while (!bytes.empty()) {
    auto revents = poll_remaining(fd_, POLLOUT | POLLIN, deadline);
    if (revents == 0)
      fail("timeout while sending to port " + std::to_string(port_));
    // An early answer (e.g. 413 before the whole body) or a close ends the
    // upload; the caller then reads whatever the server said.
    if (revents & (POLLIN | POLLERR | POLLHUP))
      return false;
    auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
        continue;
      if (errno == EPIPE || errno == ECONNRESET)
        return false;
      fail_errno("send");
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool http_client::receive_some() {
  auto deadline = clock_type::now() + timeout_;
  for (;;) {
    if (poll_remaining(fd_, POLLIN, deadline) == 0)
      fail("timeout after " + std::to_string(timeout_.count())
           + " ms waiting for a response from port " + std::to_string(port_));
    char chunk[16384];
    auto n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
      return true;
    }
    if (n == 0)
      return false;
    if (errno == EINTR || errno == EAGAIN)
      continue;
    if (errno == ECONNRESET)
      return false;
    fail_errno("recv");
  }
}

void http_client::send_raw(std::string_view bytes) {
  if (!connected())
    connect();
  send_all(bytes);
}

std::optional<http_response> http_client::read_response(bool head_request,
                                                        interim_responses interim) {
  if (!connected())
    fail("read_response without a connection");
  return read_response_impl(head_request, interim);
}

std::optional<http_response> http_client::read_response_impl(bool head_request,
                                                             interim_responses interim) {
  // Blocks until `buffer_` holds `n` bytes; a close before that is an error
  // because the response is already under way.
  auto need = [this](size_t n) {
    while (buffer_.size() < n)
      if (!receive_some())
        fail("connection closed inside a response");
  };
  auto read_line = [this]() {
    size_t end;
    while ((end = buffer_.find("\r\n")) == std::string::npos)
      if (!receive_some())
        fail("connection closed inside a response");
    auto line = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    return line;
  };

  http_response response;
  std::string version;
  bool is_interim = false;
  // Interim 1xx responses carry no body; the final response follows.
  do {
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!receive_some()) {
        if (buffer_.empty()) {
          close();
          return std::nullopt;
        }
        fail("connection closed inside response headers: " + buffer_);
      }
    }
    auto head = std::string_view(buffer_).substr(0, header_end);
    auto line_end = head.find("\r\n");
    auto status_line = head.substr(0, line_end);
    auto sp1 = status_line.find(' ');
    if (sp1 == std::string_view::npos || status_line.substr(0, 5) != "HTTP/")
      fail("malformed status line: " + std::string(status_line));
    version = std::string(status_line.substr(0, sp1));
    auto rest = status_line.substr(sp1 + 1);
    auto sp2 = rest.find(' ');
    auto code = std::string(rest.substr(0, sp2));
    if (code.size() != 3 || !std::all_of(code.begin(), code.end(), ::isdigit))
      fail("malformed status line: " + std::string(status_line));
    response = http_response{};
    response.status = std::stoi(code);
    if (sp2 != std::string_view::npos)
      response.reason = std::string(rest.substr(sp2 + 1));
    auto fields = line_end == std::string_view::npos ? std::string_view{}
                                                     : head.substr(line_end + 2);
    while (!fields.empty()) {
      auto end = fields.find("\r\n");
      auto field = fields.substr(0, end);
      auto colon = field.find(':');
      if (colon == std::string_view::npos)
        fail("malformed header line: " + std::string(field));
      response.headers.emplace_back(std::string(trim(field.substr(0, colon))),
                                    std::string(trim(field.substr(colon + 1))));
      fields = end == std::string_view::npos ? std::string_view{} : fields.substr(end + 2);
    }
    buffer_.erase(0, header_end + 4);
    is_interim = response.status >= 100 && response.status < 200;
  } while (is_interim && interim == interim_responses::skip);
  if (is_interim)
    return response;

  auto transfer_encoding = response.header("Transfer-Encoding");
  auto content_length = response.header("Content-Length");
  bool close_after = false;
  if (head_request || response.status == 204 || response.status == 304) {
    // No body by definition.
  } else if (transfer_encoding && icontains(*transfer_encoding, "chunked")) {
    for (;;) {
      auto size_line = read_line();
      auto size = std::stoul(size_line.substr(0, size_line.find(';')), nullptr, 16);
      if (size == 0)
        break;
      need(size + 2);
      response.body.append(buffer_, 0, size);
      buffer_.erase(0, size + 2);
    }
    while (!read_line().empty()) {
      // Trailer fields are not used by the tests.
    }
  } else if (content_length) {
    auto size = std::stoul(*content_length);
    need(size);
    response.body = buffer_.substr(0, size);
    buffer_.erase(0, size);
  } else {
    while (receive_some()) {
    }
    response.body = std::move(buffer_);
    close_after = true;
  }

  auto connection = response.header("Connection");
  if (connection && icontains(*connection, "close"))
    close_after = true;
  if (version == "HTTP/1.0" && !(connection && icontains(*connection, "keep-alive")))
    close_after = true;
  if (close_after)
    close();
  return response;
}

http_response http_client::request(const std::string& method, const std::string& target,
                                   const http_headers& headers, const std::string& body) {
  std::string text = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:"
                     + std::to_string(port_) + "\r\n";
  for (const auto& [name, value] : headers)
    text += name + ": " + value + "\r\n";
  if (!body.empty() || method == "PUT" || method == "POST")
    text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  text += "\r\n";
  text += body;
  bool head_request = method == "HEAD";
  // A reused keep-alive connection may have been closed by the server while
  // idle; that shows as a close before any response byte, and then one retry
  // on a fresh connection is safe.
  for (int attempt = 0;; ++attempt) {
    bool reused = connected();
    if (!reused)
      connect();
    send_all(text);
    if (auto response = read_response_impl(head_request, interim_responses::skip))
      return std::move(*response);
    if (!reused || attempt > 0)
      fail("connection closed without a response to " + method + " " + target);
  }
}

http_response http_client::get(const std::string& target, const http_headers& headers) {
  return request("GET", target, headers);
}

http_response http_client::del(const std::string& target, const http_headers& headers) {
  return request("DELETE", target, headers);
}

http_response http_client::put_json(const std::string& target, const std::string& body,
                                    const http_headers& headers) {
  bool has_type = std::any_of(headers.begin(), headers.end(), [](const auto& h) {
    return iequals(h.first, "Content-Type");
  });
  if (has_type)
    return request("PUT", target, headers, body);
  auto with_type = headers;
  with_type.emplace_back("Content-Type", "application/json");
  return request("PUT", target, with_type, body);
}

} // namespace ecr::test
