// Metrics (A22, A12): Prometheus text at /prometheus (or the configured
// path) counting HTTP requests by route template, CDTP answers and dropped
// NATS messages, accepted by Prometheus' own `promtool check metrics`.

#include "tests/e2e/nats_helpers.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <unistd.h>

namespace ecr::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* promtool = "/usr/bin/promtool";

/// The value of the sample `series` (name and labels as rendered), or -1.
double sample(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos)
    return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

class e2e_metrics : public nats_e2e {
protected:
  std::string scrape(const std::string& path = "/prometheus") {
    auto res = http().get(path);
    EXPECT_EQ(res.status, 200) << res.describe();
    EXPECT_EQ(res.header("content-type").value_or(""),
              "text/plain; version=0.0.4; charset=utf-8");
    return res.body;
  }

  /// Scrapes until `series` reaches `value` (events are counted on other
  /// threads than the one answering the scrape).
  std::string wait_for_sample(const std::string& series, double value) {
    std::string text;
    EXPECT_TRUE(poll_until([&] {
      text = scrape();
      return sample(text, series) == value;
    })) << series << " never reached " << value << "; last scrape:\n"
        << text;
    return text;
  }
};

TEST_F(e2e_metrics, counts_requests_by_route_template_and_status) {
  const std::string route
    = "/api/v1/endpoints/{endpointId}/app-versions/{appVersionName}";
  EXPECT_EQ(http().get("/api/v1/endpoints/ep-1/app-versions/av-1").status, 404);
  put_config(http(), api, endpoint_key("ep-1", "av-1"), "{}");
  put_config(http(), api, endpoint_key("ep-2", "av-1"), "{}");
  EXPECT_EQ(http().get("/api/v1/nowhere").status, 404);
  auto text = scrape();
  EXPECT_EQ(sample(text, R"(http_server_requests_seconds_count{method="GET",status="404",uri=")"
                           + route + "\"}"),
            1)
    << text;
  EXPECT_EQ(sample(text, R"(http_server_requests_seconds_count{method="PUT",status="200",uri=")"
                           + route + "\"}"),
            2)
    << text;
  EXPECT_EQ(sample(text, R"(http_server_requests_seconds_count{method="GET",status="404",uri="UNKNOWN"})"),
            1);
  EXPECT_EQ(sample(text, R"(ecr_build_info{version=")" ECR_VERSION "\"}"), 1);
  EXPECT_EQ(sample(text, "ecr_nats_connected"), 1);
  EXPECT_GE(sample(text, R"(ecr_store_operation_seconds_count{operation="commit"})"), 1);
  // The outbound pool, idle, under the names Kaa's alert rules read.
  EXPECT_EQ(sample(text, R"(httpclient_pool_total_max{httpclient="rest-client-connection-pool",service="ecr"})"),
            4)
    << text;
  EXPECT_EQ(sample(text, R"(httpcomponents_httpclient_pool_total_connections{httpclient="rest-client-connection-pool",service="ecr",state="leased"})"),
            0);
}

TEST_F(e2e_metrics, counts_cdtp_answers_and_dropped_messages) {
  auto own = put_config(http(), api, endpoint_key("ep-1", "av-1"), "{}");
  expect_config_sent(cdtp(*client_, make_config_request("ep-1", "av-1")), own.config_id, "{}");
  expect_no_config(cdtp(*client_, make_config_request("ep-none", "av-1")), 404, "Not Found");
  auto expired = make_config_request("ep-1", "av-1");
  expired.timestamp = now_millis() - 60'000;
  expired.timeout = 1'000;
  client_->publish(cdtp_request_subject(), avro::encode(expired), client_->new_inbox());
  client_->publish(cdtp_request_subject(), "not avro", client_->new_inbox());
  client_->publish(config_applied_subject(), std::string(3, '\xff'));
  client_->flush();
  // Each drop is waited for: the junk request is counted after the expired
  // one, so seeing one count says nothing about the other.
  wait_for_sample(R"(ecr_messages_dropped_total{reason="undecodable",subject="config.applied"})", 1);
  wait_for_sample(R"(ecr_messages_dropped_total{reason="expired",subject="cdtp.request"})", 1);
  auto text = wait_for_sample(
    R"(ecr_messages_dropped_total{reason="undecodable",subject="cdtp.request"})", 1);
  EXPECT_EQ(sample(text, R"(ecr_cdtp_requests_seconds_count{status="200"})"), 1);
  EXPECT_EQ(sample(text, R"(ecr_cdtp_requests_seconds_count{status="404"})"), 1);
}

TEST_F(e2e_metrics, promtool_accepts_the_output) {
  ASSERT_EQ(access(promtool, X_OK), 0)
    << promtool << " is missing: scripts/install-deps.sh installs the prometheus package";
  // Every family with samples: requests, CDTP, drops, events, store.
  put_config(http(), api, default_key("av-1"), "{}");
  cdtp(*client_, make_config_request("ep-1", "av-1"));
  client_->publish(cdtp_request_subject(), "junk", client_->new_inbox());
  client_->flush();
  auto text = wait_for_sample(
    R"(ecr_messages_dropped_total{reason="undecodable",subject="cdtp.request"})", 1);
  temp_dir dir;
  auto scraped = dir.file("scrape.txt");
  std::ofstream{scraped} << text;
  process check{{{"/bin/sh", "-c",
                  std::string{promtool} + " check metrics < '" + scraped + "'"},
                 {},
                 dir.file("promtool.log")}};
  auto status = check.wait_exit(30s);
  ASSERT_TRUE(status) << "promtool did not finish";
  EXPECT_TRUE(status->exited_with(0))
    << status->describe() << "\n" << check.log() << "\n" << text;
}

class e2e_metrics_replica : public e2e_metrics {
protected:
  env_overrides ecr_env() const override {
    return {{"REPLICA_ID", "replica-m"}, {"METRICS_SERVICE_LABEL", "kaa-ecr"}};
  }
};

TEST_F(e2e_metrics_replica, the_pool_series_carry_the_configured_service_label) {
  auto text = scrape();
  EXPECT_EQ(sample(text, R"(httpclient_pool_total_max{httpclient="rest-client-connection-pool",service="kaa-ecr"})"),
            4)
    << text;
}

TEST_F(e2e_metrics_replica, undecodable_efmp_answers_are_counted) {
  // Published until counted: the answer subscription may still be on its way.
  const std::string series
    = R"(ecr_messages_dropped_total{reason="undecodable",subject="efmp.response"})";
  std::string text;
  EXPECT_TRUE(poll_until([&] {
    client_->publish("kaa.v1.replica.replica-m.efmp.ep-list-by-filter-response", "junk");
    client_->flush();
    text = scrape();
    return sample(text, series) >= 1;
  })) << text;
}

class e2e_metrics_path : public e2e_metrics {
protected:
  env_overrides ecr_env() const override {
    return {{"METRICS_PATH", "/actuator/prometheus"}};
  }
};

TEST_F(e2e_metrics_path, the_path_is_configurable) {
  EXPECT_NE(scrape("/actuator/prometheus").find("ecr_build_info"), std::string::npos);
  EXPECT_EQ(http().get("/prometheus").status, 404);
}

} // namespace
} // namespace ecr::test
