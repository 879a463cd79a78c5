#include "messaging/scmp_events.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "messaging/avro.hpp"
#include "messaging/decode.hpp"
#include "messaging/nats_client.hpp"
#include "messaging/subjects.hpp"

#include <caf/send.hpp>

#include <optional>
#include <string_view>

namespace ecr {

namespace {

/// A field of an SCMP event for the log; null means "all".
std::string or_any(const std::optional<std::string>& field) {
  return field.value_or("*");
}

std::string or_any(const std::string& field) {
  return field;
}

/// Subscribes one SCMP subject whose events are `Event`s; `kind` names them
/// in metrics.
template <class Event>
caf::error subscribe_event(const scmp_subscription_config& cfg,
                           const std::string& subject, std::string_view kind) {
  return cfg.nats->subscribe(subject, "", [cfg, subject, kind](nats_message&& msg) {
    auto event
      = decode_or_drop<Event>(msg, cfg.max_payload_bytes, *cfg.metrics, kind);
    if (!event)
      return;
    cfg.metrics->event_consumed(kind);
    log_correlation scope{event->correlation_id};
    ECR_INFO("{}: {} (tenant {}, application {}, version {}): reloading the "
             "application settings",
             "app-settings-refresher", subject,
             or_any(event->tenant_id), or_any(event->app_name),
             or_any(event->app_version_name));
    caf::anon_send(cfg.refresher, atom::reload_v);
  });
}

} // namespace

caf::error subscribe_scmp(const scmp_subscription_config& cfg) {
  if (!cfg.nats || !cfg.metrics || !cfg.refresher)
    return make_error(ec::invalid_configuration,
                      "SCMP subscriptions need NATS, metrics and the refresher");
  for (const auto* action : {"upsert", "delete"}) {
    if (auto err = subscribe_event<avro::broadcast_configuration_update_event>(
          cfg, subjects::scmp_broadcast(cfg.provider, action),
          "scmp.broadcast"))
      return err;
    if (auto err
        = subscribe_event<avro::service_specific_configuration_update_event>(
          cfg, subjects::scmp_service_specific(cfg.instance, action),
          "scmp.service-specific"))
      return err;
  }
  return {};
}

} // namespace ecr
