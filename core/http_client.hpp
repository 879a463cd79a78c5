#pragma once

#include <caf/expected.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace ecr {

struct outbound_http_options {
  /// Most requests in flight at once; further callers wait for a handle.
  size_t max_handles = 4;
  /// Bounds connecting (TCP and TLS) alone.
  std::chrono::milliseconds connect_timeout{2000};
  /// Bounds a whole request, waiting for a free handle included.
  std::chrono::milliseconds timeout{5000};
  /// Larger response bodies fail the request.
  size_t max_body_bytes = 16 * 1024 * 1024;
};

/// An answer, whatever its status: callers decide what a 404 means.
struct outbound_http_response {
  long status = 0;
  std::string body;
};

/// A snapshot of the handle pool, for metrics.
struct outbound_http_stats {
  /// Handles serving a request now.
  size_t leased = 0;
  /// Idle handles, each possibly holding a kept-alive connection.
  size_t available = 0;
  size_t max = 0;
  /// Callers waiting for a handle.
  size_t pending = 0;
};

/// The header of every request that expects a JSON answer.
inline constexpr const char* accept_json = "Accept: application/json";

/// Blocking HTTP(S) requests to the services ECR depends on (Tekton,
/// Keycloak, the Tenant Manager, iamcore), over libcurl. Handles are pooled and
/// reused, so connections to a server stay open between requests.
/// Thread-safe; calls block, so never make them on an io or NATS thread or
/// on the CAF scheduler.
class outbound_http_client {
public:
  /// Loads and sets up libcurl now, logging why if it cannot. libcurl is
  /// otherwise loaded by the first request; a service that will make
  /// outbound calls does it before starting threads (libcurl's global setup
  /// is not thread-safe everywhere). Later calls do nothing.
  static void global_init();

  explicit outbound_http_client(outbound_http_options options = {});
  ~outbound_http_client();

  outbound_http_client(const outbound_http_client&) = delete;
  outbound_http_client& operator=(const outbound_http_client&) = delete;

  /// GETs `url` with extra `headers` ("Name: value"). Errors:
  /// `ec::timeout` (no answer or no free handle in time), `ec::unavailable`
  /// (cannot resolve or connect), `ec::upstream_failure` (anything else,
  /// such as an oversize body), each with libcurl's reason.
  caf::expected<outbound_http_response>
  get(const std::string& url, const std::vector<std::string>& headers = {});

  /// POSTs `body` as `content_type` to `url`, with extra `headers`; answers
  /// and errors as for `get`.
  caf::expected<outbound_http_response>
  post(const std::string& url, const std::string& body,
       const std::string& content_type,
       const std::vector<std::string>& headers = {});

  outbound_http_stats stats() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace ecr
