#pragma once

// Shared vocabulary of the NATS end-to-end suites: subjects (spec 6.1), a
// fixture with one nats-server, one ecr and a test client, CDTP round trips,
// the status page of `GET /statuses`, and config.updated events collected up
// to a barrier so that "no event" can be asserted exactly.

#include "messaging/avro.hpp"
#include "tests/e2e/e2e_helpers.hpp"
#include "tests/support/nats_server.hpp"
#include "tests/support/nats_test_client.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ecr::test {

using namespace std::chrono_literals;

/// Bound of every wait for something the product does asynchronously.
inline constexpr auto nats_wait = std::chrono::seconds(10);

/// The tenant of single-tenant mode.
inline const std::string default_tenant = "kaa";

// -- subjects (section 6.1) ---------------------------------------------------

std::string cdtp_request_subject(const std::string& instance = "ecr");
/// `default` has the plain subject, other names one more token (A14).
std::string config_updated_subject(const std::string& name = "default",
                                   const std::string& instance = "ecr");
/// One wildcard over every config.updated subject of `instance`, so a single
/// subscription sees them in publication order.
std::string config_events_wildcard(const std::string& instance = "ecr");
std::string config_applied_subject(const std::string& consumer = "cmx");
std::string endpoint_unregistered_subject(const std::string& epr = "epr");
std::string tenant_unregistered_subject(const std::string& tenant_manager);
std::string tenant_updated_subject(const std::string& tenant_manager);

/// The instance names ecr is configured with (defaults of the contract).
struct ecr_names {
  std::string instance = "ecr";
  std::string consumer = "cmx";
  std::string epr = "epr";
  std::string tenant_manager = "*";
};

/// What ecr subscribes to: CDTP requests, config.applied, endpoint and
/// tenant unregistered.
std::vector<std::string> consumed_subjects(const ecr_names& names = {});

/// Waits until the server shows `replicas` subscriptions on each subject ecr
/// consumes; records a failure (with the server's view) and returns false
/// when it never does.
[[nodiscard]] bool wait_for_ecr_subscriptions(nats_server& server, size_t replicas = 1,
                                const ecr_names& names = {});

/// Polls `done` every few ms until it holds or `timeout` passes; returns
/// its last result. Stops early (false) once `done` records a test failure.
bool poll_until(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = nats_wait);

int64_t now_millis();
std::string new_correlation_id();

// -- REST shortcuts ------------------------------------------------------------

inline const std::string api = "/api/v1";

inline config_key endpoint_key(const std::string& endpoint, const std::string& app_version) {
  return {config_kind::endpoint, endpoint, app_version};
}

inline config_key default_key(const std::string& app_version) {
  return {config_kind::app_version_default, "", app_version};
}

/// GET `/health/ready`: the HTTP status and each component's status.
struct readiness {
  int http_status = 0;
  std::string storage;
  std::string nats;
  std::string body;
};

readiness get_readiness(http_client& c);

/// Polls readiness until its HTTP status is `http_status`; records a failure
/// with the last body otherwise.
readiness wait_for_readiness(http_client& c, int http_status);

// -- CDTP ---------------------------------------------------------------------

avro::config_request make_config_request(const std::string& endpoint,
                                         const std::string& app_version,
                                         std::optional<std::string> config_id = std::nullopt,
                                         std::optional<std::string> config_name = std::nullopt);

/// Decodes a ConfigResponse; records a failure and returns nothing when the
/// bytes are not one.
std::optional<avro::config_response> decode_config_response(const std::string& bytes);

/// Checks what every reply echoes (section 6.2): correlationId,
/// appVersionName, endpointId, timeout 0, contentType, and a timestamp taken
/// between `sent_ms` and `received_ms`.
void expect_echo(const avro::config_response& response, const avro::config_request& request,
                 int64_t sent_ms, int64_t received_ms);

/// Sends `request` and returns the checked reply, or nothing when none comes
/// within `timeout`.
std::optional<avro::config_response> cdtp(nats_test_client& client,
                                          const avro::config_request& request,
                                          std::chrono::milliseconds timeout = nats_wait,
                                          const std::string& instance = "ecr");

/// A 200 "OK" carrying `config_id` and `content`.
void expect_config_sent(const std::optional<avro::config_response>& response,
                        const std::string& config_id, const std::string& content);

/// Checks that `received` answers every request of `endpoint_of`
/// (correlationId -> endpointId) exactly once, each with its endpoint's
/// configuration from `stored` (endpointId -> what was stored).
void expect_each_answered_once(const std::vector<nats_received>& received,
                               const std::map<std::string, std::string>& endpoint_of,
                               const std::map<std::string, stored_config>& stored);

/// A reply with `status` and `reason` and null configId and content.
void expect_no_config(const std::optional<avro::config_response>& response, int status,
                      const std::string& reason);

// -- GET /statuses ------------------------------------------------------------

struct status_record {
  std::string config_id;
  std::string endpoint_id;
  std::string app_version_name;
  std::string status;
  std::string config;
  std::optional<std::string> last_dispatched_date;
  std::optional<std::string> last_confirmed_date;
  std::optional<int> confirmation_status_code;
  std::optional<std::string> confirmation_reason_phrase;
};

std::ostream& operator<<(std::ostream& out, const status_record& r);

struct status_page {
  std::vector<status_record> content;
  int64_t total_elements = 0;
  int64_t total_pages = 0;
  int64_t size = 0;
  int64_t number = 0;
  int64_t number_of_elements = 0;
  bool first = false;
  bool last = false;
  bool empty = false;

  /// The record of `config_id`, if the page holds it.
  std::optional<status_record> find(const std::string& config_id) const;
};

/// `GET /api/v1/statuses?<query>`: checks a 200 JSON Spring page (every
/// field, its type, and that the paging fields agree with each other and
/// with the records) and returns it.
status_page get_statuses(http_client& c, const std::string& query);

/// Polls `GET /statuses?<query>` until `done(page)`; records a failure when
/// it never holds. Returns the last page.
status_page wait_for_statuses(http_client& c, const std::string& query,
                              const std::function<bool(const status_page&)>& done);

/// Polls until the record of (`endpoint`, its app version, `config_id`) has
/// `status`; returns it (a failure is recorded when it never does).
status_record wait_for_status(http_client& c, const std::string& endpoint,
                              const std::string& config_id, const std::string& status);

// -- publishing events to ecr -------------------------------------------------

std::string config_applied_payload(const std::string& endpoint, const std::string& app_version,
                                   const std::string& config_id, int32_t status_code,
                                   std::optional<std::string> reason);

std::string endpoint_unregistered_payload(const std::string& endpoint,
                                          const std::string& app_version);

std::string tenant_unregistered_payload(const std::string& tenant);

std::string tenant_updated_payload(const std::string& tenant);

// -- config.updated events ----------------------------------------------------

struct config_event {
  std::string subject;
  avro::config_updated event;
};

std::ostream& operator<<(std::ostream& out, const config_event& e);

/// Records a failure listing the events unless `batch` is empty.
void expect_no_events(const std::vector<config_event>& batch, const std::string& why);

/// Subscribes to every config.updated subject of an instance and hands out
/// the events raised by the test's actions. Each batch ends with a barrier:
/// a PUT to a sentinel endpoint whose own event closes the batch. Events of
/// default configurations are fanned out after a store query, so they may
/// trail the barrier; a short grace period after it collects them too.
class config_events {
public:
  config_events(nats_test_client& client, http_client& http,
                const std::string& instance = "ecr");

  /// Events published since the previous batch, in order, barrier excluded.
  std::vector<config_event> next_batch();

  /// Checks the event fields that do not depend on the change (contentType,
  /// timeout, correlationId, originatorReplicaId when given).
  static void expect_envelope(const config_event& e,
                              const std::optional<std::string>& replica_id = std::nullopt);

private:
  http_client& http_;
  std::unique_ptr<nats_subscription> sub_;
};

/// The `config_event` for `endpoint` in `batch`, with a failure recorded
/// unless there is exactly one.
std::optional<config_event> only_event_for(const std::vector<config_event>& batch,
                                           const std::string& endpoint);

// -- fixture ------------------------------------------------------------------

/// One nats-server, one ecr connected to it (subscriptions in place) and an
/// independent test client.
class nats_e2e : public ::testing::Test {
protected:
  void SetUp() override;

  /// Environment for ecr; fixtures override it.
  virtual env_overrides ecr_env() const {
    return {};
  }

  /// The instance names `ecr_env()` configures.
  virtual ecr_names names() const {
    return {};
  }

  http_client& http() {
    return ecr_->http();
  }

  nats_server nats_;
  std::unique_ptr<ecr_process> ecr_;
  std::unique_ptr<nats_test_client> client_;
};

} // namespace ecr::test
