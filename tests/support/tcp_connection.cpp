#include "tests/support/tcp_connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

namespace ecr::test {

namespace {

using clock_type = std::chrono::steady_clock;

/// Polls for `events` until `deadline`; 0 when the time ran out.
short wait_for(int fd, short events, clock_type::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline
                                                                      - clock_type::now());
    pollfd p{fd, events, 0};
    auto n = ::poll(&p, 1, static_cast<int>(std::max<long long>(left.count(), 0)));
    if (n > 0)
      return p.revents;
    if (n == 0 || errno != EINTR)
      return 0;
  }
}

} // namespace

tcp_connection::tcp_connection(uint16_t port, int receive_buffer)
  : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  if (fd_ < 0)
    throw std::runtime_error(std::string("tcp_connection: socket: ") + std::strerror(errno));
  if (receive_buffer > 0)
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    auto err = errno;
    ::close(fd_);
    throw std::runtime_error("tcp_connection: connect to 127.0.0.1:" + std::to_string(port)
                             + ": " + std::strerror(err));
  }
}

tcp_connection::~tcp_connection() {
  if (fd_ >= 0)
    ::close(fd_);
}

tcp_connection::tcp_connection(tcp_connection&& other) noexcept
  : fd_(std::exchange(other.fd_, -1)) {
}

bool tcp_connection::send(std::string_view bytes, std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  while (!bytes.empty()) {
    if ((wait_for(fd_, POLLOUT, deadline) & POLLOUT) == 0)
      return false;
    auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EINTR && errno != EAGAIN)
      return false;
    if (n > 0)
      bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool tcp_connection::closed_within(std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    if (wait_for(fd_, POLLIN, deadline) == 0)
      return false;
    char discarded[16384];
    auto n = ::recv(fd_, discarded, sizeof(discarded), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
      return true;
  }
}

} // namespace ecr::test
