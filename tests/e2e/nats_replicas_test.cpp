// Two replicas of one instance: two ecr processes on one shared store and
// one nats-server. Every test runs on both stores replicas can share: one
// SQLite file in one data directory, and one MongoDB database (on the
// wire-protocol stand-in, as production runs replicas on MongoDB).
// CDTP requests are shared through the queue group (each answered exactly
// once, by either replica); a REST change publishes one event, whichever
// replica took it; and a change made through one replica reaches the other
// even when that one had read, and may cache, the previous version.

#include "core/ids.hpp"
#include "tests/e2e/nats_helpers.hpp"
#include "tests/support/mongo_stand_in.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <tuple>

namespace ecr::test {
namespace {

const std::vector<std::string> replica_ids{"ecr-replica-a", "ecr-replica-b"};

/// The store both replicas share.
enum class shared_store { sqlite, mongodb_stand_in };

std::string name_of(shared_store store) {
  return store == shared_store::sqlite ? "sqlite" : "mongodb_stand_in";
}

/// Names the parameter in gtest's (and so ctest's) listing.
void PrintTo(shared_store store, std::ostream* out) {
  *out << name_of(store);
}

std::string store_name(const ::testing::TestParamInfo<shared_store>& info) {
  return name_of(info.param);
}

/// `url` with `database` as its path, the form a production MONGODB_URL has.
std::string with_database(std::string url, const std::string& database) {
  auto slash = url.find('/', url.find("://") + 3);
  if (slash == std::string::npos)
    return url + "/" + database;
  return url.insert(slash + 1, database);
}

class e2e_nats_replicas : public ::testing::TestWithParam<shared_store> {
protected:
  void SetUp() override {
    env_overrides env;
    if (GetParam() == shared_store::mongodb_stand_in) {
      try {
        mongo_ = std::make_unique<mongo_stand_in>();
      } catch (const mongo_stand_in::unavailable& e) {
        GTEST_SKIP() << "no MongoDB stand-in: " << e.what();
      }
      // A database of its own, as a deployment shared with other tests.
      env["MONGODB_URL"] = with_database(mongo_->url(), "ecr_e2e_" + make_uuid_v4().substr(0, 8));
      // How long a lost deployment takes to show in readiness (default 5 s).
      env["MONGODB_SERVER_SELECTION_TIMEOUT_MS"] = "1000";
    }
    for (const auto& id : replica_ids) {
      env["REPLICA_ID"] = id;
      auto options = ecr_binary(env);
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

  http_client& replica(size_t i) {
    return replicas_[i]->http();
  }

  /// Polls replica `i` until `key` serves `expected` (nothing: 404), then
  /// checks the whole response. Replicas learn of each other's writes over
  /// NATS, so a replica may serve the previous version for a moment.
  void wait_until_served(size_t i, const config_key& key,
                         const std::optional<stored_config>& expected) {
    auto url = key.url(api);
    auto served = [&] {
      auto r = replica(i).get(url);
      if (!expected)
        return r.status == 404;
      return r.status == 200 && r.header("ETag") == etag_of(expected->config_id);
    };
    if (!poll_until(served)) {
      ADD_FAILURE() << replica_ids[i] << " never served "
                    << (expected ? expected->config_id : "404") << " at " << url;
      return;
    }
    if (expected)
      expect_stored(replica(i), api, key, std::nullopt, *expected);
    else
      expect_absent(replica(i), api, key);
  }

  /// Sends many CDTP requests for `endpoint` at once and returns the replies;
  /// checks that each replica answered some, so that neither one's view goes
  /// unchecked.
  std::vector<avro::config_response> pull_from_both(const std::string& endpoint,
                                                    const std::string& app_version) {
    constexpr size_t requests = 40;
    auto before = requests_by_replica();
    auto inbox = client_->new_inbox();
    auto replies = client_->subscribe(inbox);
    for (size_t i = 0; i < requests; ++i)
      client_->publish(cdtp_request_subject(),
                       avro::encode(make_config_request(endpoint, app_version)), inbox);
    auto received = replies->take(requests, nats_wait);
    EXPECT_EQ(received.size(), requests);
    auto after = requests_by_replica();
    for (const auto& id : replica_ids)
      EXPECT_GT(after[id], before[id]) << id << " answered none of " << requests;
    std::vector<avro::config_response> responses;
    for (const auto& msg : received)
      if (auto response = decode_config_response(msg.payload))
        responses.push_back(std::move(*response));
    return responses;
  }

  /// Checks that CDTP hands out `stored` for `endpoint`, from both replicas.
  void expect_pulled(const std::string& endpoint, const std::string& app_version,
                     const stored_config& stored) {
    for (const auto& response : pull_from_both(endpoint, app_version))
      expect_config_sent(response, stored.config_id, stored.config);
  }

  nats_server nats_;
  temp_dir data_{"ecr-replicas"};
  // Declared before the replicas: they stop before their store goes away.
  std::unique_ptr<mongo_stand_in> mongo_;
  std::vector<std::unique_ptr<ecr_process>> replicas_;
  std::unique_ptr<nats_test_client> client_;
};

TEST_P(e2e_nats_replicas, requests_are_shared_and_each_answered_once) {
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

TEST_P(e2e_nats_replicas, a_put_on_either_replica_publishes_one_event) {
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

/// An endpoint's own configuration and an app version's default.
const std::vector<config_key> both_kinds{endpoint_key("ep-1", "av-1"), default_key("av-1")};

TEST_P(e2e_nats_replicas, a_write_on_one_replica_replaces_what_the_other_had_read) {
  for (const auto& key : both_kinds) {
    SCOPED_TRACE(key.url(api));
    // B reads each version (first that there is none) before A replaces it.
    wait_until_served(1, key, std::nullopt);
    auto first = put_config(replica(0), api, key, R"({"v":1})");
    wait_until_served(1, key, first);
    auto second = put_config(replica(0), api, key, R"({"v":2})");
    wait_until_served(1, key, second);
    // And the other way round: A wrote the version B now replaces.
    auto third = put_config(replica(1), api, key, R"({"v":3})");
    wait_until_served(0, key, third);
  }
}

TEST_P(e2e_nats_replicas, a_delete_on_one_replica_is_seen_by_the_other) {
  for (const auto& key : both_kinds) {
    SCOPED_TRACE(key.url(api));
    auto stored = put_config(replica(0), api, key, "[1]");
    wait_until_served(1, key, stored);
    EXPECT_EQ(replica(0).del(key.url(api)).status, 204);
    wait_until_served(1, key, std::nullopt);
  }
}

TEST_P(e2e_nats_replicas, cdtp_on_either_replica_serves_a_write_made_on_the_other) {
  // Written through A and pulled from both (so both may cache it), then
  // replaced through B: once A's REST serves the new version, so must CDTP.
  auto replace = [&](const config_key& key, const std::string& endpoint,
                     const std::string& app_version) {
    SCOPED_TRACE(key.url(api) + " pulled by " + endpoint);
    auto before = put_config(replica(0), api, key, R"({"v":1})");
    expect_pulled(endpoint, app_version, before);
    auto after = put_config(replica(1), api, key, R"({"v":2})");
    wait_until_served(0, key, after);
    expect_pulled(endpoint, app_version, after);
  };
  replace(endpoint_key("ep-own", "av-1"), "ep-own", "av-1");
  replace(default_key("av-2"), "ep-follower", "av-2");
}

TEST_P(e2e_nats_replicas, an_unregistered_endpoint_leaves_no_trace_on_either_replica) {
  auto key = endpoint_key("ep-gone", "av-1");
  auto gone = put_config(replica(0), api, key, R"({"v":1})");
  auto kept = put_config(replica(1), api, endpoint_key("ep-kept", "av-1"), "[2]");
  // A status record to purge, written by whichever replica takes the event.
  client_->publish(config_applied_subject(),
                   config_applied_payload("ep-gone", "av-1", gone.config_id, 200, "OK"));
  client_->flush();
  wait_for_status(replica(0), "ep-gone", gone.config_id, "CONFIRMED");
  for (size_t i = 0; i < replicas_.size(); ++i)
    wait_until_served(i, key, gone);
  // Only one replica handles the event (queue group); both must forget.
  client_->publish(endpoint_unregistered_subject(),
                   endpoint_unregistered_payload("ep-gone", "av-1"));
  client_->flush();
  for (size_t i = 0; i < replicas_.size(); ++i) {
    SCOPED_TRACE(replica_ids[i]);
    wait_until_served(i, key, std::nullopt);
    EXPECT_TRUE(get_statuses(replica(i), "endpointId=ep-gone").empty);
    expect_stored(replica(i), api, endpoint_key("ep-kept", "av-1"), std::nullopt, kept);
  }
  for (const auto& response : pull_from_both("ep-gone", "av-1"))
    expect_no_config(response, 404, "Not Found");
}

TEST_P(e2e_nats_replicas, changes_through_both_replicas_publish_one_event_each) {
  // (subject, endpointId, configId, originatorReplicaId)
  using published = std::tuple<std::string, std::string, std::string, std::string>;
  config_events through_a(*client_, replica(0));
  config_events through_b(*client_, replica(1));
  std::vector<std::vector<published>> expected(replicas_.size());
  std::vector<std::thread> writers;
  // Both replicas write at once: endpoints of their own and one they share.
  for (size_t i = 0; i < replicas_.size(); ++i)
    writers.emplace_back([&, i] {
      auto http = replicas_[i]->new_client();
      for (int k = 0; k < 9; ++k) {
        auto content = "{\"replica\":" + std::to_string(i) + ",\"k\":" + std::to_string(k) + "}";
        for (const auto& endpoint :
             {replica_ids[i] + "-ep-" + std::to_string(k % 3), std::string{"ep-shared"}}) {
          auto stored = put_config(http, api, endpoint_key(endpoint, "av-1"), content);
          expected[i].emplace_back(config_updated_subject(), endpoint, stored.config_id,
                                   replica_ids[i]);
        }
      }
    });
  for (auto& w : writers)
    w.join();
  std::vector<published> want;
  for (const auto& x : expected)
    want.insert(want.end(), x.begin(), x.end());
  // A named default through B: one event for each endpoint that follows it,
  // here every endpoint written above (none has a night-mode of its own).
  std::set<std::string> followers;
  for (const auto& x : want)
    followers.insert(std::get<1>(x));
  auto fallback = put_config(replica(1), api, default_key("av-1"), "[0]", "night-mode");
  for (const auto& endpoint : followers)
    want.emplace_back(config_updated_subject("night-mode"), endpoint, fallback.config_id,
                      replica_ids[1]);
  // A's barrier follows all of A's events, B's barrier all of B's; both
  // subscriptions see every event, so B's batch, taken last, holds them all.
  through_a.next_batch();
  std::vector<published> got;
  for (const auto& e : through_b.next_batch())
    got.emplace_back(e.subject, e.event.endpoint_id, e.event.config_id,
                     e.event.originator_replica_id.value_or("<null>"));
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want);
}

TEST_P(e2e_nats_replicas, readiness_reports_the_shared_store_on_both_replicas) {
  for (size_t i = 0; i < replicas_.size(); ++i) {
    SCOPED_TRACE(replica_ids[i]);
    auto ready = wait_for_readiness(replica(i), 200);
    EXPECT_EQ(ready.storage, "UP") << ready.body;
  }
  if (!mongo_)
    return; // a SQLite file cannot go away under its processes
  mongo_->stop();
  for (size_t i = 0; i < replicas_.size(); ++i) {
    SCOPED_TRACE(replica_ids[i]);
    auto ready = wait_for_readiness(replica(i), 503);
    EXPECT_EQ(ready.storage, "DOWN") << ready.body;
    EXPECT_EQ(ready.nats, "UP") << ready.body;
    EXPECT_EQ(replica(i).get("/health").status, 200);
    // The first probe may fail on the connection that broke; the next one
    // has to select a server anew, and finds none.
    ready = get_readiness(replica(i));
    EXPECT_EQ(ready.http_status, 503) << ready.body;
    EXPECT_EQ(ready.storage, "DOWN") << ready.body;
  }
}

INSTANTIATE_TEST_SUITE_P(store, e2e_nats_replicas,
                         ::testing::Values(shared_store::sqlite, shared_store::mongodb_stand_in),
                         store_name);

} // namespace
} // namespace ecr::test
