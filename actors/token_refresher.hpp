#pragma once

#include "actors/actors.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace ecr {

class outbound_http_client;

/// The service's own credential for outbound calls (spec 9.3): a bearer
/// token the token refresher replaces, or iamcore's API key. Read by whoever
/// calls out. Thread-safe.
class service_credentials {
public:
  /// The header line to send (`Authorization: Bearer <token>` or
  /// `X-iamcore-API-Key: <key>`), else none.
  std::optional<std::string> authorization_header() const;

  void set(std::string token);
  void use_api_key(const std::string& key);
  void clear();

private:
  mutable std::mutex mutex_;
  std::optional<std::string> header_;
};

struct token_refresher_config {
  std::shared_ptr<outbound_http_client> http;
  /// Where tokens are asked (`KAA_SECURITY_ISSUER_PRIVATE_URL`).
  std::string issuer_url;
  std::string client_id;
  std::string client_secret;
  std::shared_ptr<service_credentials> credentials;
  /// Pauses between failed attempts double from `retry_min` up to
  /// `retry_max`.
  std::chrono::milliseconds retry_min{500};
  std::chrono::milliseconds retry_max{30000};
};

caf::error validate(const token_refresher_config& cfg);

struct token_refresher_state {
  // Not an aggregate: CAF 0.17 would try to build it from `self` (C++20
  // parenthesized aggregate init).
  token_refresher_state() = default;

  token_refresher_config cfg;
  std::chrono::milliseconds backoff{0};
  /// When the token in force runs out; none without one.
  std::optional<std::chrono::steady_clock::time_point> expires;
  std::string last_error;

  static inline const char* name = "token-refresher";
};

/// The TOKEN REFRESHER: obtains ECR's client-credentials token from the
/// issuer at start, renews it when 80 % of its lifetime has passed, and
/// retries failures with a doubling pause; a token past its lifetime is
/// withdrawn. Must be spawned `caf::detached`: each request blocks on HTTP.
token_refresher_actor::behavior_type token_refresher(
  token_refresher_actor::stateful_pointer<token_refresher_state> self,
  token_refresher_config cfg);

} // namespace ecr
