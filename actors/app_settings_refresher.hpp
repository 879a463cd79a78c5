#pragma once

#include "actors/actors.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace ecr {

class live_app_catalog;
class service_credentials;
class outbound_http_client;

struct tekton_fetcher_config {
  std::shared_ptr<outbound_http_client> http;
  /// Tekton's base URL (`kaa.tekton.url`).
  std::string url;
  /// The service instance whose settings are asked for.
  std::string instance;
  /// ECR's own token, sent when security is on (spec 9.3); may be null.
  std::shared_ptr<const service_credentials> credentials;
};

caf::error validate(const tekton_fetcher_config& cfg);

/// Must be spawned `caf::detached`: each request blocks on HTTP for up to
/// the client's timeout.
tekton_fetcher_actor::behavior_type
tekton_fetcher(tekton_fetcher_actor::pointer self, tekton_fetcher_config cfg);

struct app_settings_refresher_config {
  tekton_fetcher_actor fetcher;
  /// Replaced as a whole by each successful load.
  std::shared_ptr<live_app_catalog> applications;
  /// Pauses between failed attempts double from `retry_min` up to
  /// `retry_max`.
  std::chrono::milliseconds retry_min{500};
  std::chrono::milliseconds retry_max{30000};
};

caf::error validate(const app_settings_refresher_config& cfg);

struct app_settings_refresher_state {
  // Not an aggregate: CAF 0.17 would try to build it from `self` (C++20
  // parenthesized aggregate init).
  app_settings_refresher_state() = default;

  app_settings_refresher_config cfg;
  /// Settings from Tekton are in force (readiness).
  bool loaded = false;
  /// Why the last attempt failed; empty after a success.
  std::string last_error;
  /// A fetch is under way; `again` asks for one more after it, since the
  /// event may have come after Tekton answered.
  bool fetching = false;
  bool again = false;
  bool retry_scheduled = false;
  std::chrono::milliseconds backoff{0};

  static inline const char* name = "app-settings-refresher";
};

/// Loads at start; then reloads everything on each 17/SCMP event, whatever
/// tenant, application or version it names (one GET returns all of them).
/// A failed load keeps the settings in force and is retried with backoff.
app_settings_refresher_actor::behavior_type app_settings_refresher(
  app_settings_refresher_actor::stateful_pointer<app_settings_refresher_state>
    self,
  app_settings_refresher_config cfg);

/// What the node needs to keep the application settings in step with
/// Tekton.
struct tekton_config {
  tekton_fetcher_config fetcher;
  /// Tekton's instance name: the broadcast subjects.
  std::string provider = "tekton";
  std::chrono::milliseconds retry_min{500};
  std::chrono::milliseconds retry_max{30000};
};

} // namespace ecr
