// Hostile payloads on every subject ecr consumes (A12): empty, garbage,
// truncated, with trailing bytes, with an absurd length prefix, and valid
// records over NATS_MAX_PAYLOAD_SIZE. Each variant is built from a record
// that would have an effect if it were decoded, so "dropped" is observable;
// afterwards ecr still handles valid messages on the same subject.

#include "tests/e2e/nats_helpers.hpp"

#include <gtest/gtest.h>

#include <random>

namespace ecr::test {
namespace {

constexpr size_t max_payload = 4096;

/// Avro's zigzag varint of a long.
std::string avro_long(int64_t n) {
  auto z = (static_cast<uint64_t>(n) << 1) ^ static_cast<uint64_t>(n >> 63);
  std::string out;
  do {
    auto byte = static_cast<char>(z & 0x7f);
    z >>= 7;
    out.push_back(static_cast<char>(z ? (byte | 0x80) : byte));
  } while (z);
  return out;
}

struct hostile_payload {
  std::string what;
  std::string bytes;
};

/// Undecodable relatives of `valid` (whose first field is a string, as in
/// every envelope), plus `oversized`, a valid record over the limit.
std::vector<hostile_payload> hostile_variants(const std::string& valid,
                                              const std::string& oversized) {
  EXPECT_GT(oversized.size(), max_payload);
  std::mt19937 rng(20240601);
  std::string garbage(300, '\0');
  for (auto& c : garbage)
    c = static_cast<char>(rng());
  return {
    {"empty", ""},
    {"one zero byte", std::string(1, '\0')},
    {"random bytes", garbage},
    {"all 0xff", std::string(64, '\xff')},
    {"truncated by one byte", valid.substr(0, valid.size() - 1)},
    {"truncated by half", valid.substr(0, valid.size() / 2)},
    {"one trailing byte", valid + '\0'},
    {"negative string length", avro_long(-5) + valid},
    {"string length of 2^40", avro_long(int64_t{1} << 40) + valid},
    {"over NATS_MAX_PAYLOAD_SIZE", oversized},
  };
}

class e2e_nats_hostile : public nats_e2e {
protected:
  env_overrides ecr_env() const override {
    return {{"NATS_MAX_PAYLOAD_SIZE", std::to_string(max_payload)}};
  }

  void publish_all(const std::string& subject, const std::vector<hostile_payload>& payloads,
                   const std::string& reply = {}) {
    for (const auto& p : payloads)
      client_->publish(subject, p.bytes, reply);
    client_->flush();
  }

  /// An endpoint with a dispatched configuration.
  stored_config dispatched(const std::string& endpoint) {
    auto stored = put_config(http(), api, endpoint_key(endpoint, "av-1"), "{}");
    expect_config_sent(cdtp(*client_, make_config_request(endpoint, "av-1")), stored.config_id,
                       "{}");
    wait_for_status(http(), endpoint, stored.config_id, "DISPATCHED");
    return stored;
  }

  void expect_still_dispatched(const std::string& endpoint, const stored_config& stored) {
    SCOPED_TRACE(endpoint + " must be untouched");
    EXPECT_EQ(http().get(endpoint_key(endpoint, "av-1").url(api)).status, 200);
    auto r = get_statuses(http(), "endpointId=" + endpoint).find(stored.config_id);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, "DISPATCHED");
  }

  void unregister_and_wait(const std::string& endpoint) {
    client_->publish(endpoint_unregistered_subject(),
                     endpoint_unregistered_payload(endpoint, "av-1"));
    EXPECT_TRUE(poll_until([&] {
      return get_statuses(http(), "endpointId=" + endpoint).empty;
    })) << endpoint << " not purged";
  }
};

TEST_F(e2e_nats_hostile, undecodable_config_requests_get_no_reply) {
  auto stored = put_config(http(), api, endpoint_key("ep-1", "av-1"), R"({"k":1})");
  auto valid = avro::encode(make_config_request("ep-1", "av-1"));
  auto big = make_config_request("ep-1", "av-1");
  big.correlation_id = std::string(max_payload, 'c');
  auto payloads = hostile_variants(valid, avro::encode(big));
  auto not_utf8 = make_config_request("ep-\xff\xfe", "av-1");
  payloads.push_back({"invalid UTF-8 in endpointId", avro::encode(not_utf8)});

  auto inbox = client_->new_inbox();
  auto replies = client_->subscribe(inbox);
  publish_all(cdtp_request_subject(), payloads, inbox);
  // Just under the limit is still served.
  auto near_limit = make_config_request("ep-1", "av-1");
  near_limit.correlation_id = std::string(max_payload - 200, 'n');
  client_->publish(cdtp_request_subject(), avro::encode(near_limit), inbox);

  auto reply = replies->next(nats_wait);
  ASSERT_TRUE(reply) << "the valid request after the hostile ones got no reply";
  auto response = decode_config_response(reply->payload);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->correlation_id, near_limit.correlation_id);
  expect_config_sent(response, stored.config_id, R"({"k":1})");
  EXPECT_TRUE(replies->take_for(300ms).empty()) << "a hostile request was answered";
  EXPECT_TRUE(ecr_->proc().running());
  expect_config_sent(cdtp(*client_, make_config_request("ep-1", "av-1")), stored.config_id,
                     R"({"k":1})");
}

TEST_F(e2e_nats_hostile, undecodable_config_applied_changes_nothing) {
  auto target = dispatched("ep-target");
  auto witness = dispatched("ep-witness");
  auto valid = config_applied_payload("ep-target", "av-1", target.config_id, 500, "no");
  auto oversized = config_applied_payload("ep-target", "av-1", target.config_id, 500,
                                          std::string(max_payload, 'r'));
  publish_all(config_applied_subject(), hostile_variants(valid, oversized));
  // Handled in order: once this confirmation shows, the hostile ones are done.
  client_->publish(config_applied_subject(),
                   config_applied_payload("ep-witness", "av-1", witness.config_id, 200, "ok"));
  wait_for_status(http(), "ep-witness", witness.config_id, "CONFIRMED");
  expect_still_dispatched("ep-target", target);
}

TEST_F(e2e_nats_hostile, undecodable_endpoint_unregistered_changes_nothing) {
  auto target = dispatched("ep-target");
  dispatched("ep-witness");
  auto valid = endpoint_unregistered_payload("ep-target", "av-1");
  avro::endpoint_unregistered_event big;
  big.correlation_id = new_correlation_id();
  big.timestamp = now_millis();
  big.app_version_name = "av-1";
  big.endpoint_id = "ep-target";
  big.originator_replica_id = std::string(max_payload, 'o');
  publish_all(endpoint_unregistered_subject(), hostile_variants(valid, avro::encode(big)));
  unregister_and_wait("ep-witness");
  expect_still_dispatched("ep-target", target);
}

TEST_F(e2e_nats_hostile, undecodable_tenant_unregistered_changes_nothing) {
  auto target = dispatched("ep-target");
  dispatched("ep-witness");
  auto valid = tenant_unregistered_payload(default_tenant);
  avro::tenant_unregistered_event big;
  big.correlation_id = new_correlation_id();
  big.timestamp = now_millis();
  big.tenant_id = default_tenant;
  big.originator_replica_id = std::string(max_payload, 'o');
  publish_all(tenant_unregistered_subject("tm"), hostile_variants(valid, avro::encode(big)));
  // Tenant events have no harmless valid form to wait for; an endpoint
  // purge handled after them is the best available sign they were handled.
  unregister_and_wait("ep-witness");
  expect_still_dispatched("ep-target", target);
  // The subscription still works.
  client_->publish(tenant_unregistered_subject("tm"), valid);
  EXPECT_TRUE(poll_until([&] {
    return http().get(endpoint_key("ep-target", "av-1").url(api)).status == 404;
  })) << "a valid tenant event after hostile ones was not handled";
}

} // namespace
} // namespace ecr::test
