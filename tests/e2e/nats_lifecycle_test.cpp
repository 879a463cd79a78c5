// Lifecycle purges (A19, spec 6.5-6.6): an endpoint's UnregisteredEvent
// removes its configurations and statuses across app versions; a tenant's
// removes everything of that tenant. Both are idempotent and touch nothing
// else.

#include "tests/e2e/nats_helpers.hpp"

#include <gtest/gtest.h>

namespace ecr::test {
namespace {

class e2e_nats_lifecycle : public nats_e2e {
protected:
  /// What one endpoint has: configs under two app versions and two names,
  /// and a status record.
  struct endpoint_data {
    std::string endpoint;
    std::vector<std::pair<config_key, std::string>> configs;
    std::string dispatched_id;
  };

  endpoint_data seed(const std::string& endpoint) {
    endpoint_data d{endpoint, {}, {}};
    for (const auto& av : {"av-1", "av-2"})
      for (const auto& name : {"default", "night-mode"}) {
        auto key = endpoint_key(endpoint, av);
        put_config(http(), api, key, "{\"for\":\"" + endpoint + "\"}", name);
        d.configs.emplace_back(key, name);
      }
    auto r = cdtp(*client_, make_config_request(endpoint, "av-1"));
    EXPECT_TRUE(r && r->config_id) << "no dispatch for " << endpoint;
    if (r && r->config_id) {
      d.dispatched_id = *r->config_id;
      wait_for_status(http(), endpoint, d.dispatched_id, "DISPATCHED");
    }
    return d;
  }

  bool purged(const endpoint_data& d) {
    for (const auto& [key, name] : d.configs)
      if (http().get(key.url(api, name)).status != 404)
        return false;
    return get_statuses(http(), "endpointId=" + d.endpoint).empty;
  }

  void wait_purged(const endpoint_data& d) {
    EXPECT_TRUE(poll_until([&] { return purged(d); }))
      << d.endpoint << " still has data";
    for (const auto& [key, name] : d.configs)
      expect_absent(http(), api, key, name);
  }

  void expect_intact(const endpoint_data& d) {
    SCOPED_TRACE(d.endpoint + " must be untouched");
    for (const auto& [key, name] : d.configs)
      EXPECT_EQ(http().get(key.url(api, name)).status, 200) << key.url(api, name);
    auto page = get_statuses(http(), "endpointId=" + d.endpoint);
    EXPECT_TRUE(page.find(d.dispatched_id)) << "status record gone";
  }

  void unregister_endpoint(const std::string& endpoint, const std::string& app_version,
                           const std::string& epr = "epr") {
    client_->publish(endpoint_unregistered_subject(epr),
                     endpoint_unregistered_payload(endpoint, app_version));
    client_->flush();
  }

  void unregister_tenant(const std::string& tenant, const std::string& tenant_manager = "tm") {
    client_->publish(tenant_unregistered_subject(tenant_manager),
                     tenant_unregistered_payload(tenant));
    client_->flush();
  }

  /// Endpoint events are handled in order: once a later purge of a scratch
  /// endpoint is visible, earlier events on that subject were handled.
  void endpoint_barrier(const std::string& epr = "epr") {
    auto scratch = seed("barrier-" + std::to_string(++barriers_));
    unregister_endpoint(scratch.endpoint, "av-1", epr);
    wait_purged(scratch);
  }

  int barriers_ = 0;
};

TEST_F(e2e_nats_lifecycle, endpoint_unregistered_purges_that_endpoint_only) {
  auto gone = seed("ep-gone");
  auto kept = seed("ep-kept");
  auto app_default = put_config(http(), api, default_key("av-1"), R"({"d":1})");
  // The event names one app version; the purge covers all of them.
  unregister_endpoint("ep-gone", "av-2");
  wait_purged(gone);
  expect_intact(kept);
  // Defaults belong to the app version, not to the endpoint.
  expect_stored(http(), api, default_key("av-1"), std::nullopt, app_default);
  // With its own configuration gone, the endpoint falls back to the default.
  expect_config_sent(cdtp(*client_, make_config_request("ep-gone", "av-1")),
                     app_default.config_id, app_default.config);
}

TEST_F(e2e_nats_lifecycle, endpoint_unregistered_is_idempotent) {
  auto gone = seed("ep-gone");
  auto kept = seed("ep-kept");
  unregister_endpoint("ep-gone", "av-1");
  wait_purged(gone);
  unregister_endpoint("ep-gone", "av-1");
  unregister_endpoint("ep-never-existed", "av-1");
  endpoint_barrier();
  expect_intact(kept);
  // A new life for the endpoint starts clean.
  auto fresh = put_config(http(), api, endpoint_key("ep-gone", "av-1"), "[2]");
  expect_config_sent(cdtp(*client_, make_config_request("ep-gone", "av-1")), fresh.config_id,
                     "[2]");
}

TEST_F(e2e_nats_lifecycle, the_same_dispatch_after_a_purge_is_recorded_again) {
  // Identical dispatches are written at most once per refresh interval; a
  // purge must not leave the next one suppressed (and the endpoint without
  // a status record).
  auto app_default = put_config(http(), api, default_key("av-1"), R"({"d":1})");
  auto pull = [&] {
    auto r = cdtp(*client_, make_config_request("ep-again", "av-1"));
    expect_config_sent(r, app_default.config_id, app_default.config);
    wait_for_status(http(), "ep-again", app_default.config_id, "DISPATCHED");
  };
  pull();
  unregister_endpoint("ep-again", "av-1");
  wait_for_statuses(http(), "endpointId=ep-again",
                    [](const status_page& page) { return page.empty; });
  pull();
}

TEST_F(e2e_nats_lifecycle, tenant_unregistered_purges_the_tenant) {
  auto a = seed("ep-a");
  auto b = seed("ep-b");
  put_config(http(), api, default_key("av-1"), R"({"d":1})");
  put_config(http(), api, default_key("av-9"), R"({"d":9})", "night-mode");
  // Twice: the second finds nothing to do.
  unregister_tenant(default_tenant);
  unregister_tenant(default_tenant);
  EXPECT_TRUE(poll_until([&] {
    return (purged(a) && purged(b)
            && http().get(default_key("av-1").url(api)).status == 404
            && http().get(default_key("av-9").url(api, "night-mode")).status == 404);
  })) << "tenant data still there";
  wait_purged(a);
  wait_purged(b);
  expect_absent(http(), api, default_key("av-1"));
  expect_absent(http(), api, default_key("av-9"), "night-mode");
  expect_no_config(cdtp(*client_, make_config_request("ep-a", "av-1")), 404, "Not Found");
  // The service keeps working once the second event is handled too.
  endpoint_barrier();
  auto fresh = put_config(http(), api, endpoint_key("ep-a", "av-1"), "[1]");
  expect_config_sent(cdtp(*client_, make_config_request("ep-a", "av-1")), fresh.config_id,
                     "[1]");
}

TEST_F(e2e_nats_lifecycle, other_tenants_unregistering_changes_nothing) {
  auto a = seed("ep-a");
  auto app_default = put_config(http(), api, default_key("av-1"), R"({"d":1})");
  unregister_tenant("some-other-tenant");
  unregister_tenant("kaa2");
  endpoint_barrier();
  expect_intact(a);
  expect_stored(http(), api, default_key("av-1"), std::nullopt, app_default);
}

class e2e_nats_lifecycle_peers : public e2e_nats_lifecycle {
protected:
  env_overrides ecr_env() const override {
    return {{"KAA_ECR_EP_REGISTER_SERVICE_INSTANCE_NAME", "epr-blue"},
            {"KAA_ECR_TENANT_MANAGER_SERVICE_INSTANCE_NAME", "tm-blue"}};
  }

  ecr_names names() const override {
    ecr_names n;
    n.epr = "epr-blue";
    n.tenant_manager = "tm-blue";
    return n;
  }
};

TEST_F(e2e_nats_lifecycle_peers, events_come_from_the_configured_instances) {
  auto a = seed("ep-a");
  // Other instances' events are not for this ecr.
  unregister_endpoint("ep-a", "av-1", "epr");
  unregister_tenant(default_tenant, "tm-other");
  endpoint_barrier("epr-blue");
  expect_intact(a);
  unregister_endpoint("ep-a", "av-1", "epr-blue");
  wait_purged(a);
  auto b = seed("ep-b");
  unregister_tenant(default_tenant, "tm-blue");
  wait_purged(b);
}

} // namespace
} // namespace ecr::test
