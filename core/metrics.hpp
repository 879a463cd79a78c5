#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ecr {

/// The service's Prometheus metrics (A22), recorded from any thread (HTTP io
/// threads, NATS delivery threads, actors) and rendered in the text
/// exposition format for `/prometheus`. Recording a sample costs a few
/// atomic operations and one small map lookup.
class service_metrics {
public:
  using duration = std::chrono::steady_clock::duration;

  /// `version` goes into `ecr_build_info`.
  explicit service_metrics(std::string_view version);

  ~service_metrics();

  service_metrics(const service_metrics&) = delete;
  service_metrics& operator=(const service_metrics&) = delete;

  /// One answered HTTP request; `uri` is the route template, not the path.
  void http_request(std::string_view uri, std::string_view method, int status,
                    duration took);

  /// One answered CDTP request, from receipt to the published reply.
  void cdtp_request(int status, duration took);

  /// A NATS message that got no processing: `reason` is `expired`,
  /// `undecodable` or `no_reply_subject`.
  void message_dropped(std::string_view subject, std::string_view reason);

  void event_published(std::string_view type);

  void event_consumed(std::string_view type);

  /// NATS connection state changes; a connect after a loss is a reconnect.
  void nats_state(bool connected);

  /// One store operation (`failed`: it returned an error other than "not
  /// found", which is an answer).
  void store_operation(std::string_view operation, duration took, bool failed);

  /// `count` writes the store refused, for `reason` (`no_space`): nothing
  /// of them was stored and their clients were told.
  void store_writes_refused(std::string_view reason, uint64_t count);

  /// The license state after a check: days until it ends (none without a
  /// readable certificate) and whether it is usable.
  void license(std::optional<int64_t> days_left, bool usable);

  /// The outbound HTTP client's connection pool, as read at scrape time.
  struct pool_snapshot {
    size_t leased = 0;
    size_t available = 0;
    size_t max = 0;
    size_t pending = 0;
  };

  /// Exports the pool read by `probe` under the series Kaa's ECR chart alerts
  /// on (`httpcomponents_httpclient_pool_*`, `httpclient_pool_*`), labelled
  /// `service`. The pool is one route to them.
  void watch_outbound_pool(std::string service,
                           std::function<pool_snapshot()> probe);

  /// Everything, in the Prometheus text format (version 0.0.4).
  std::string render() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace ecr
