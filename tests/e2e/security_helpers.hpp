#pragma once

// What the Keycloak and the iamcore security suites share: the application
// catalog they run ecr with, the URLs and bodies they send, and the writes
// that refused callers must not make.

#include "tests/e2e/nats_helpers.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ecr::test {

/// Seconds since the epoch, for token dates.
int64_t now_s();

/// `Authorization: Bearer <token>`.
http_headers bearer(const std::string& token);

/// Every Keycloak scope (iamcore action) ECR asks for.
extern const std::vector<std::string> security_scopes;

/// smart-meter has a (permissive) schema, so that D5/D6 answer 200; lamp has
/// none.
extern const std::string security_applications_yaml;

std::string endpoint_url(const std::string& endpoint,
                         const std::string& app_version = "smart-meter-v1");

std::string system_configs_url(const std::string& level_path);

extern const std::string system_config_body;

/// A batch (E5) of `{"v":2}` to app version -> endpoints.
std::string batch_body(const std::map<std::string, std::vector<std::string>>& targets);

/// 401 with the JSON error body and the challenge of RFC 6750.
void expect_unauthenticated(const http_response& r);

/// One write attempt, for the "nothing written" checks.
struct write_attempt {
  std::string method;
  std::string url;
  std::string body;
};

/// Writes to what the suites seed (ep-1's configuration, smart-meter-v1's
/// default and ep-1's system configuration at `system_config_url`), and to
/// a new endpoint.
std::vector<write_attempt> writes_over_seed(const std::string& system_config_url);

/// Stores, as the caller `owner` names, what `writes_over_seed` writes
/// over: ep-1's configuration, smart-meter-v1's default and a system
/// configuration of ep-1, whose URL it returns (empty, with a failure
/// recorded, when a write fails).
std::string seed_for_refusals(http_client& http, const http_headers& owner);

/// What `owner` reads of everything `writes_over_seed` touches:
/// url -> "<status> <body>".
std::map<std::string, std::string> seeded_state(http_client& http,
                                                const http_headers& owner,
                                                const std::string& system_config_url);

} // namespace ecr::test
