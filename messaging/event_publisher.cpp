#include "messaging/event_publisher.hpp"

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "messaging/avro.hpp"
#include "messaging/nats_client.hpp"
#include "messaging/replica_sync.hpp"
#include "messaging/subjects.hpp"

#include <caf/typed_event_based_actor.hpp>

namespace ecr {

caf::error validate(const event_publisher_config& cfg) {
  if (!cfg.nats || cfg.instance_name.empty() || !cfg.metrics)
    return make_error(ec::invalid_configuration,
                      "event publisher needs a NATS client, an instance and "
                      "metrics");
  return {};
}

void event_publisher_state::tell_replicas(std::optional<config_key> key) {
  auto notice = replica_sync::encode({cfg.replica_id, std::move(key)});
  if (auto err = cfg.nats->publish(replica_sync::subject(cfg.instance_name),
                                   notice))
    ECR_WARN("{}: other replicas not told of a change: {}", name, render(err));
}

event_publisher_actor::behavior_type event_publisher(
  event_publisher_actor::stateful_pointer<event_publisher_state> self,
  event_publisher_config cfg) {
  if (auto err = validate(cfg)) {
    self->quit(err);
    return event_publisher_actor::behavior_type::make_empty_behavior();
  }
  self->state.cfg = std::move(cfg);
  return {
    [self](atom::publish, const config_record& effective,
           const std::vector<std::string>& endpoints) {
      const auto& cfg = self->state.cfg;
      auto subject = subjects::config_updated(cfg.instance_name,
                                              effective.key.name);
      avro::config_updated event;
      event.app_version_name = effective.key.app_version;
      event.config_id = effective.config_id;
      event.content = effective.content;
      event.originator_replica_id = cfg.replica_id;
      for (const auto& endpoint : endpoints) {
        event.correlation_id = make_uuid_v4();
        event.timestamp = now_ms();
        event.endpoint_id = endpoint;
        log_correlation scope{event.correlation_id};
        if (auto err = cfg.nats->publish(subject, avro::encode(event))) {
          ECR_WARN("{}: config.updated for endpoint {} lost: {}",
                   event_publisher_state::name, endpoint, render(err));
        } else {
          cfg.metrics->event_published("config.updated");
          ECR_DEBUG("{}: config.updated {} for endpoint {}",
                    event_publisher_state::name, effective.config_id, endpoint);
        }
      }
    },
    [self](atom::publish, const system_config_record& record) {
      const auto& cfg = self->state.cfg;
      avro::system_config_updated event;
      event.correlation_id = make_uuid_v4();
      event.timestamp = now_ms();
      event.tenant_id = record.tenant_id;
      event.config_name = record.name;
      event.config_level = record.level;
      event.config_level_id = record.level_id;
      event.content = record.content;
      event.originator_replica_id = cfg.replica_id;
      auto subject = subjects::system_config_updated(cfg.instance_name);
      log_correlation scope{event.correlation_id};
      if (auto err = cfg.nats->publish(subject, avro::encode(event))) {
        ECR_WARN("{}: system.config.updated of {} lost: {}",
                 event_publisher_state::name, record.config_id, render(err));
        return;
      }
      cfg.metrics->event_published("system.config.updated");
    },
    [self](atom::changed, const config_key& key) {
      self->state.tell_replicas(key);
    },
    [self](atom::changed) { self->state.tell_replicas(std::nullopt); },
  };
}

} // namespace ecr
