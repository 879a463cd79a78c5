#pragma once

// Plain HTTP request/response values passed between the Beast server and the
// REST layer, so that Beast stays inside http_server.cpp.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ecr {

struct http_request {
  std::string method;
  std::string target;
  /// Header names are lowercase.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  /// The first header named `lowercase_name`, or nullptr.
  const std::string* header(std::string_view lowercase_name) const noexcept {
    for (const auto& [name, value] : headers)
      if (name == lowercase_name)
        return &value;
    return nullptr;
  }
};

/// The sending end of a streamed response (B3's event stream): pieces go
/// out in order after the header, until either end stops. Thread-safe; never
/// blocks.
class response_sink {
public:
  virtual ~response_sink();

  /// Queues `piece`; false once the connection is gone.
  virtual bool send(std::string piece) = 0;

  /// Bytes queued and not yet written to the client.
  virtual size_t queued_bytes() const = 0;

  /// Ends the response once what is queued is written.
  virtual void finish() = 0;
};

struct http_response {
  unsigned status = 200;
  /// Empty for responses without a body.
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// Set for a streamed response: called with its sink once the header is
  /// written; the body is what goes through the sink, until the connection
  /// closes.
  std::function<void(std::shared_ptr<response_sink>)> stream;
};

/// Sends the response for one request; callable once, from any thread.
using http_reply = std::function<void(http_response)>;

/// Handles one request; must eventually call the reply exactly once.
using http_handler = std::function<void(http_request&&, http_reply)>;

/// What an HTTP server serves: `handle` for each request and, if set,
/// `after_burst` on an io thread once the requests that arrived together
/// have all been handed to `handle`, so that the work they queued can leave
/// in one go.
struct http_service {
  http_service(http_handler handler, std::function<void()> burst_end = {})
    : handle(std::move(handler)), after_burst(std::move(burst_end)) {
    // nop
  }

  http_handler handle;
  std::function<void()> after_burst;
};

} // namespace ecr
