#include "core/metrics.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ecr {
namespace {

using namespace std::chrono_literals;

/// The value of the sample line that starts with `series` (name and labels
/// as rendered), or -1 if there is none.
double sample(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos)
    return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

TEST(service_metrics, counts_http_requests_by_route_method_and_status) {
  service_metrics m{"1.2.3"};
  m.http_request("/api/v1/statuses", "GET", 200, 2ms);
  m.http_request("/api/v1/statuses", "GET", 200, 20ms);
  m.http_request("/api/v1/statuses", "GET", 400, 1ms);
  auto text = m.render();
  const std::string ok = R"({method="GET",status="200",uri="/api/v1/statuses"})";
  EXPECT_EQ(sample(text, "http_server_requests_seconds_count" + ok), 2) << text;
  EXPECT_NEAR(sample(text, "http_server_requests_seconds_sum" + ok), 0.022, 1e-9);
  // 2 ms falls in the 2.5 ms bucket, 20 ms only from 25 ms on.
  EXPECT_EQ(sample(text, R"(http_server_requests_seconds_bucket{method="GET",status="200",uri="/api/v1/statuses",le="0.0025"})"),
            1);
  EXPECT_EQ(sample(text, R"(http_server_requests_seconds_bucket{method="GET",status="200",uri="/api/v1/statuses",le="0.025"})"),
            2);
  EXPECT_EQ(sample(text, R"(http_server_requests_seconds_count{method="GET",status="400",uri="/api/v1/statuses"})"),
            1);
  EXPECT_EQ(sample(text, R"(ecr_build_info{version="1.2.3"})"), 1);
}

TEST(service_metrics, client_chosen_methods_do_not_become_series) {
  service_metrics m{"t"};
  m.http_request("UNKNOWN", "BREW", 405, 1ms);
  m.http_request("UNKNOWN", "SPAM", 405, 1ms);
  auto text = m.render();
  EXPECT_EQ(sample(text, R"(http_server_requests_seconds_count{method="OTHER",status="405",uri="UNKNOWN"})"),
            2)
    << text;
  EXPECT_EQ(text.find("BREW"), std::string::npos);
}

TEST(service_metrics, counts_cdtp_answers_and_dropped_messages) {
  service_metrics m{"t"};
  m.cdtp_request(200, 1ms);
  m.cdtp_request(404, 1ms);
  m.cdtp_request(200, 1ms);
  m.message_dropped("cdtp.request", "expired");
  m.message_dropped("cdtp.request", "expired");
  m.message_dropped("config.applied", "undecodable");
  auto text = m.render();
  EXPECT_EQ(sample(text, R"(ecr_cdtp_requests_seconds_count{status="200"})"), 2);
  EXPECT_EQ(sample(text, R"(ecr_cdtp_requests_seconds_count{status="404"})"), 1);
  EXPECT_EQ(sample(text, R"(ecr_messages_dropped_total{reason="expired",subject="cdtp.request"})"),
            2);
  EXPECT_EQ(sample(text, R"(ecr_messages_dropped_total{reason="undecodable",subject="config.applied"})"),
            1);
}

TEST(service_metrics, events_in_and_out) {
  service_metrics m{"t"};
  m.event_published("config.updated");
  m.event_consumed("config.applied");
  m.event_consumed("config.applied");
  auto text = m.render();
  EXPECT_EQ(sample(text, R"(ecr_events_published_total{type="config.updated"})"), 1);
  EXPECT_EQ(sample(text, R"(ecr_events_consumed_total{type="config.applied"})"), 2);
}

TEST(service_metrics, a_connect_after_a_loss_is_a_reconnect) {
  service_metrics m{"t"};
  EXPECT_EQ(sample(m.render(), "ecr_nats_connected"), 0);
  m.nats_state(true);
  EXPECT_EQ(sample(m.render(), "ecr_nats_connected"), 1);
  EXPECT_EQ(sample(m.render(), "ecr_nats_reconnects_total"), 0);
  m.nats_state(false);
  EXPECT_EQ(sample(m.render(), "ecr_nats_connected"), 0);
  m.nats_state(true);
  auto text = m.render();
  EXPECT_EQ(sample(text, "ecr_nats_connected"), 1);
  EXPECT_EQ(sample(text, "ecr_nats_reconnects_total"), 1);
}

TEST(service_metrics, store_errors_count_failures_only) {
  service_metrics m{"t"};
  m.store_operation("commit", 3ms, false);
  m.store_operation("commit", 3ms, true);
  auto text = m.render();
  EXPECT_EQ(sample(text, R"(ecr_store_operation_seconds_count{operation="commit"})"), 2);
  EXPECT_EQ(sample(text, R"(ecr_store_errors_total{operation="commit"})"), 1);
  EXPECT_EQ(sample(text, R"(ecr_store_errors_total{operation="get_config"})"), -1);
}

TEST(service_metrics, refused_writes_count_by_reason_from_zero) {
  service_metrics m{"1.0"};
  EXPECT_EQ(sample(m.render(), R"(ecr_store_writes_refused_total{reason="no_space"})"), 0);
  m.store_writes_refused("no_space", 3);
  m.store_writes_refused("no_space", 1);
  EXPECT_EQ(sample(m.render(), R"(ecr_store_writes_refused_total{reason="no_space"})"), 4);
}

TEST(service_metrics, license_days_show_only_with_a_certificate) {
  service_metrics m{"t"};
  EXPECT_EQ(sample(m.render(), "ecr_license_days_left"), -1);
  m.license(42, true);
  EXPECT_EQ(sample(m.render(), "ecr_license_days_left"), 42);
  EXPECT_EQ(sample(m.render(), "ecr_license_valid"), 1);
  m.license(-3, false);
  EXPECT_EQ(sample(m.render(), "ecr_license_days_left"), -3);
  EXPECT_EQ(sample(m.render(), "ecr_license_valid"), 0);
  m.license(std::nullopt, false);
  EXPECT_EQ(sample(m.render(), "ecr_license_days_left"), -1);
}

TEST(service_metrics, the_outbound_pool_shows_under_the_kaa_chart_names) {
  service_metrics m{"t"};
  service_metrics::pool_snapshot pool{3, 1, 4, 2};
  m.watch_outbound_pool("kaa-ecr", [&pool] { return pool; });
  auto text = m.render();
  const std::string c = "httpcomponents_httpclient_pool_total_connections";
  EXPECT_EQ(sample(text, c + R"({httpclient="rest-client-connection-pool",service="kaa-ecr",state="leased"})"),
            3)
    << text;
  EXPECT_EQ(sample(text, c + R"({httpclient="rest-client-connection-pool",service="kaa-ecr",state="available"})"),
            1);
  EXPECT_EQ(sample(text, R"(httpcomponents_httpclient_pool_total_pending{httpclient="rest-client-connection-pool",service="kaa-ecr"})"),
            2);
  EXPECT_EQ(sample(text, R"(httpclient_pool_total_max{httpclient="rest-client-connection-pool",service="kaa-ecr"})"),
            4);
  EXPECT_EQ(sample(text, R"(httpclient_pool_routes_with_half_leased_connections{service="kaa-ecr"})"), 1);
  EXPECT_EQ(sample(text, R"(httpclient_pool_routes_with_max_leased_connections{service="kaa-ecr"})"), 0);
  EXPECT_EQ(sample(text, R"(httpclient_pool_routes_with_pending_connections{service="kaa-ecr"})"), 1);
  // Read again at the next scrape.
  pool = {0, 4, 4, 0};
  text = m.render();
  EXPECT_EQ(sample(text, R"(httpclient_pool_routes_with_half_leased_connections{service="kaa-ecr"})"), 0);
  EXPECT_EQ(sample(text, R"(httpclient_pool_routes_with_pending_connections{service="kaa-ecr"})"), 0);
  EXPECT_EQ(sample(text, c + R"({httpclient="rest-client-connection-pool",service="kaa-ecr",state="available"})"),
            4);
}

} // namespace
} // namespace ecr
