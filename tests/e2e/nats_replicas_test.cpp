// Two replicas of one instance: two ecr processes on one data directory and
// one nats-server. CDTP requests are shared through the queue group (each
// answered exactly once, by either replica); a REST change publishes one
// event, whichever replica took it.

#include "tests/e2e/nats_helpers.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <map>

namespace ecr::test {
namespace {

const std::vector<std::string> replica_ids{"ecr-replica-a", "ecr-replica-b"};

class e2e_nats_replicas : public ::testing::Test {
protected:
  void SetUp() override {
    for (const auto& id : replica_ids) {
      auto options = ecr_binary({{"REPLICA_ID", id}});
      options.nats_urls = nats_.url();
      options.dir = data_.path();
      replicas_.push_back(std::make_unique<ecr_process>(std::move(options)));
    }
    ASSERT_TRUE(wait_for_ecr_subscriptions(nats_, replica_ids.size()));
    client_ = std::make_unique<nats_test_client>(nats_.url());
  }

  /// CDTP requests each replica's connection received, by replica id.
  std::map<std::string, uint64_t> requests_by_replica() {
    std::map<std::string, uint64_t> counts;
    for (const auto& c : nats_.connections())
      for (const auto& s : c.subscriptions)
        if (s.subject == cdtp_request_subject())
          counts[c.name] += s.msgs;
    return counts;
  }

  nats_server nats_;
  temp_dir data_{"ecr-replicas"};
  std::vector<std::unique_ptr<ecr_process>> replicas_;
  std::unique_ptr<nats_test_client> client_;
};

TEST_F(e2e_nats_replicas, requests_are_shared_and_each_answered_once) {
  constexpr int endpoints = 10;
  constexpr int requests = 200;
  std::map<std::string, stored_config> stored;
  for (int i = 0; i < endpoints; ++i) {
    auto ep = "ep-" + std::to_string(i);
    // Writes through both replicas land in the one store.
    auto& writer = replicas_[i % replicas_.size()]->http();
    stored[ep] = put_config(writer, api, endpoint_key(ep, "av-1"),
                            "{\"i\":" + std::to_string(i) + "}");
  }
  auto inbox = client_->new_inbox();
  auto replies = client_->subscribe(inbox);
  std::map<std::string, std::string> endpoint_of;
  for (int i = 0; i < requests; ++i) {
    auto request = make_config_request("ep-" + std::to_string(i % endpoints), "av-1");
    endpoint_of[request.correlation_id] = request.endpoint_id;
    client_->publish(cdtp_request_subject(), avro::encode(request), inbox);
  }
  auto received = replies->take(requests, nats_wait);
  EXPECT_EQ(received.size(), size_t{requests});
  for (auto& extra : replies->take_for(300ms))
    received.push_back(std::move(extra));
  expect_each_answered_once(received, endpoint_of, stored);

  auto counts = requests_by_replica();
  uint64_t total = 0;
  for (const auto& id : replica_ids) {
    EXPECT_GT(counts[id], 0u) << id << " took no request; the server saw "
                              << counts.size() << " consumers";
    total += counts[id];
  }
  EXPECT_EQ(total, uint64_t{requests}) << "each request went to exactly one replica";
}

TEST_F(e2e_nats_replicas, a_put_on_either_replica_publishes_one_event) {
  for (size_t i = 0; i < replicas_.size(); ++i) {
    SCOPED_TRACE(replica_ids[i]);
    auto& http = replicas_[i]->http();
    config_events events(*client_, http);
    auto endpoint = "ep-" + std::to_string(i);
    auto stored = put_config(http, api, endpoint_key(endpoint, "av-1"), "[1]");
    auto batch = events.next_batch();
    ASSERT_EQ(batch.size(), 1u);
    EXPECT_EQ(batch[0].event.endpoint_id, endpoint);
    EXPECT_EQ(batch[0].event.config_id, stored.config_id);
    EXPECT_EQ(batch[0].event.originator_replica_id.value_or("<null>"), replica_ids[i]);
    // The other replica serves what this one stored.
    auto& other = replicas_[(i + 1) % replicas_.size()]->http();
    expect_stored(other, api, endpoint_key(endpoint, "av-1"), std::nullopt, stored);
  }
}

} // namespace
} // namespace ecr::test
