#include "messaging/inbound.hpp"

#include "actors/actors.hpp"
#include "applications/app_catalog.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/identifiers.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "messaging/avro.hpp"
#include "messaging/decode.hpp"
#include "messaging/nats_client.hpp"
#include "messaging/subjects.hpp"
#include "storage/config_cache.hpp"
#include "storage/delivery_log.hpp"

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace ecr {

namespace {

/// RFC 3: a message with a timeout expires `timeout` ms after `timestamp`.
bool expired(int64_t timestamp, int64_t timeout) {
  return timeout > 0 && timestamp + timeout < now_ms();
}

/// Decodes a message of type `T` (`kind` names it in metrics), dropping
/// what is too large, malformed or expired with a log line and a count
/// (A12).
template <class T>
std::optional<T> accept(const nats_message& msg, const inbound_config& cfg,
                        std::string_view kind) {
  auto decoded
    = decode_or_drop<T>(msg, cfg.max_payload_bytes, *cfg.metrics, kind);
  if (!decoded)
    return std::nullopt;
  if (expired(decoded->timestamp, decoded->timeout)) {
    log_correlation scope{decoded->correlation_id};
    ECR_INFO("inbound: dropped an expired message on {}", msg.subject);
    cfg.metrics->message_dropped(kind, "expired");
    return std::nullopt;
  }
  return std::move(*decoded);
}

constexpr std::string_view cdtp_request_kind = "cdtp.request";
constexpr std::string_view config_applied_kind = "config.applied";
constexpr std::string_view endpoint_unregistered_kind
  = "endpoint.unregistered";
constexpr std::string_view tenant_unregistered_kind = "tenant.unregistered";
constexpr std::string_view tenant_updated_kind = "tenant.updated";
/// The second, per-replica handling of an unregistered tenant, counted
/// apart so that the purge's counts stay one per event.
constexpr std::string_view tenant_forgotten_kind
  = "tenant.unregistered.context";

/// A12: what makes a CDTP request unanswerable; empty when it is fine.
std::string invalid_request(const avro::config_request& request) {
  if (auto err = check_identifier(request.endpoint_id, "endpointId"))
    return error_message(err);
  if (auto err = check_identifier(request.app_version_name, "appVersionName"))
    return error_message(err);
  if (request.config_name)
    if (auto err = check_config_name(*request.config_name))
      return error_message(err);
  return {};
}

/// Subscribes `subject` in `queue_group` (empty: every replica sees every
/// message): each message that decodes as a `T` goes to `on_event`, which
/// answers whether it handled it (handled events are counted as consumed
/// under `kind`).
template <class T, class OnEvent>
caf::error subscribe_event(const std::shared_ptr<cdtp_service>& cdtp,
                           const std::string& subject,
                           const std::string& queue_group,
                           std::string_view kind, OnEvent on_event) {
  const auto& cfg = cdtp->config();
  return cfg.nats->subscribe(
    subject, queue_group, [cdtp, kind, on_event](nats_message&& msg) {
      const auto& cfg = cdtp->config();
      auto event = accept<T>(msg, cfg, kind);
      if (event && on_event(*event, cfg))
        cfg.metrics->event_consumed(kind);
    });
}

/// Tells the tenant listener that the event's tenant changed or left.
template <class TenantEvent>
bool forget_tenant(const TenantEvent& event, const inbound_config& cfg) {
  if (event.tenant_id.empty())
    return false;
  caf::anon_send(cfg.tenant_listener, atom::forget_v, event.tenant_id);
  return true;
}

} // namespace

std::string inbound_config::tenant_for(std::string_view app_version) const {
  if (tenant_scoped && applications)
    if (auto owner = applications->current()->tenant_of(app_version))
      return std::move(*owner);
  return tenant_id;
}

caf::error validate(const inbound_config& cfg) {
  if (!cfg.nats || !cfg.cache || !cfg.reads || !cfg.reads->has_readers()
      || !cfg.config_manager
      || !cfg.deliveries || !cfg.recorder || !cfg.metrics)
    return make_error(ec::invalid_configuration,
                      "inbound messaging needs NATS, the cache, store readers, "
                      "the config manager, the delivery log, the status "
                      "recorder and metrics");
  return {};
}

cdtp_service::cdtp_service(inbound_config cfg) : cfg_(std::move(cfg)) {
  // nop
}

void cdtp_service::handle(const nats_message& msg) {
  {
    read_batcher::burst collecting{*cfg_.reads};
    serve(msg);
  }
  if (!msg.more_waiting)
    cfg_.reads->flush();
}

void cdtp_service::serve(const nats_message& msg) {
  auto received = std::chrono::steady_clock::now();
  auto request = accept<avro::config_request>(msg, cfg_, cdtp_request_kind);
  if (!request)
    return;
  log_correlation scope{request->correlation_id};
  if (msg.reply.empty()) {
    ECR_WARN("inbound: dropped a CDTP request without a reply subject");
    cfg_.metrics->message_dropped(cdtp_request_kind, "no_reply_subject");
    return;
  }
  config_pull pull{request->correlation_id,
                   {cfg_.tenant_for(request->app_version_name),
                    request->endpoint_id,
                    request->app_version_name,
                    request->config_name.value_or(default_config_name)},
                   request->config_id.value_or(""),
                   msg.reply,
                   received};
  if (auto problem = invalid_request(*request); !problem.empty()) {
    ECR_INFO("inbound: bad CDTP request: {}", problem);
    fail(pull, 400, "Bad Request");
    return;
  }
  if (!pull.known_config_id.empty()) {
    // Implicit application (A13); the store ignores unknown configIds.
    status_record applied;
    applied.tenant_id = pull.key.tenant_id;
    applied.endpoint_id = pull.key.endpoint_id;
    applied.app_version = pull.key.app_version;
    applied.config_id = pull.known_config_id;
    applied.last_confirmed_ms = now_ms();
    applied.confirmation_code = 200;
    applied.confirmation_reason = "Implicitly applied";
    if (cfg_.deliveries->confirmed(std::move(applied)))
      caf::anon_send(cfg_.recorder, atom::dispatch_v);
  }
  auto effective = cfg_.cache->find_effective(pull.key);
  if (!effective)
    return resolve_in_store(std::move(pull));
  answer(pull, *effective ? &(*effective)->record : nullptr);
}

void cdtp_service::resolve_in_store(config_pull pull) {
  auto key = pull.key;
  cfg_.reads->add(config_read{
    std::move(key), true,
    config_delivery{[self = shared_from_this(), pull = std::move(pull)](
                      caf::expected<config_record> effective) {
      log_correlation scope{pull.correlation_id};
      if (effective)
        return self->answer(pull, &*effective);
      if (error_code(effective.error()) == ec::not_found)
        return self->answer(pull, nullptr);
      ECR_ERROR("inbound: cannot resolve a configuration: {}",
                render(effective.error()));
      self->fail(pull, 500, "Internal Server Error");
    }}});
}

void cdtp_service::answer(const config_pull& pull,
                          const config_record* effective) {
  if (!effective)
    return reply(pull, 404,
                 "Not Found", nullptr);
  if (effective->config_id == pull.known_config_id)
    return reply(pull, 200,
                 "Not Modified", nullptr);
  reply(pull, 200, "OK", effective);
  status_record dispatched;
  dispatched.tenant_id = pull.key.tenant_id;
  dispatched.endpoint_id = pull.key.endpoint_id;
  dispatched.app_version = pull.key.app_version;
  dispatched.config_id = effective->config_id;
  dispatched.last_dispatched_ms = now_ms();
  if (cfg_.deliveries->dispatched(std::move(dispatched), effective->content))
    caf::anon_send(cfg_.recorder, atom::dispatch_v);
}

void cdtp_service::fail(const config_pull& pull, int32_t status,
                        const char* reason) {
  reply(pull, status, reason, nullptr);
}

void cdtp_service::reply(const config_pull& pull, int32_t status,
                         const char* reason, const config_record* content) {
  avro::config_response response;
  response.correlation_id = pull.correlation_id;
  response.timestamp = now_ms();
  response.app_version_name = pull.key.app_version;
  response.endpoint_id = pull.key.endpoint_id;
  if (content) {
    response.config_id = content->config_id;
    response.content = content->content;
  }
  response.status_code = status;
  response.reason_phrase = reason;
  auto bytes = avro::encode(response);
  // Counted before the reply leaves: whoever reads the answer then finds
  // it in /prometheus too.
  cfg_.metrics->cdtp_request(status,
                             std::chrono::steady_clock::now() - pull.received);
  if (auto err = cfg_.nats->publish(pull.reply_to, bytes))
    ECR_WARN("inbound: CDTP response lost: {}", render(err));
}

inbound_actor::behavior_type
inbound(inbound_actor::stateful_pointer<inbound_state> self,
        std::shared_ptr<cdtp_service> cdtp) {
  if (auto err = validate(cdtp->config())) {
    self->quit(err);
    return inbound_actor::behavior_type::make_empty_behavior();
  }
  self->state.cdtp = std::move(cdtp);
  const auto& manager = self->state.cdtp->config().config_manager;
  return {
    [self, manager](atom::confirm, status_record& confirmation,
                    const std::string& correlation_id) {
      self->request(manager, caf::infinite, atom::confirm_v, confirmation)
        .then([](status_record&) {},
              [confirmation, correlation_id](caf::error& err) {
                log_correlation scope{correlation_id};
                ECR_WARN("inbound: confirmation of {} for endpoint {} not "
                         "recorded: {}",
                         confirmation.config_id, confirmation.endpoint_id,
                         render(err));
              });
    },
    [self, manager](atom::purge, const std::string& tenant_id,
                    const std::string& endpoint_id,
                    const std::string& correlation_id) {
      self
        ->request(manager, caf::infinite, atom::purge_v, tenant_id,
                  endpoint_id)
        .then(
          [self, tenant_id, endpoint_id, correlation_id](uint64_t removed) {
            // The purged dispatch records must be written again next time.
            self->state.cdtp->config().deliveries->forget_taken();
            log_correlation scope{correlation_id};
            ECR_INFO("inbound: purged {} records of {} {}", removed,
                     endpoint_id.empty() ? "tenant" : "endpoint",
                     endpoint_id.empty() ? tenant_id : endpoint_id);
          },
          [tenant_id, endpoint_id, correlation_id](caf::error& err) {
            log_correlation scope{correlation_id};
            ECR_WARN("inbound: purge of {}/{} failed: {}", tenant_id,
                     endpoint_id, render(err));
          });
    },
  };
}

caf::error subscribe_inbound(std::shared_ptr<cdtp_service> cdtp,
                             inbound_actor target) {
  const auto& cfg = cdtp->config();
  auto& nats = *cfg.nats;
  const auto& group = cfg.instance_name;
  if (auto err = nats.subscribe(subjects::cdtp_request(cfg.instance_name),
                                group, [cdtp](nats_message&& msg) {
                                  cdtp->handle(msg);
                                }))
    return err;
  if (auto err = subscribe_event<avro::config_applied>(
        cdtp, subjects::config_applied(cfg.configuration_consumer), group,
        config_applied_kind,
        [target](const avro::config_applied& event, const inbound_config& cfg) {
          status_record confirmation;
          confirmation.tenant_id = cfg.tenant_for(event.app_version_name);
          confirmation.endpoint_id = event.endpoint_id;
          confirmation.app_version = event.app_version_name;
          confirmation.config_id = event.config_id;
          confirmation.confirmation_code = event.status_code;
          confirmation.confirmation_reason = event.reason_phrase.value_or("");
          caf::anon_send(target, atom::confirm_v, std::move(confirmation),
                         event.correlation_id);
          return true;
        }))
    return err;
  if (auto err = subscribe_event<avro::endpoint_unregistered_event>(
        cdtp, subjects::endpoint_unregistered(cfg.endpoint_register), group,
        endpoint_unregistered_kind,
        [target](const avro::endpoint_unregistered_event& event,
                 const inbound_config& cfg) {
          if (event.endpoint_id.empty())
            return false;
          caf::anon_send(target, atom::purge_v,
                         cfg.tenant_for(event.app_version_name),
                         event.endpoint_id, event.correlation_id);
          return true;
        }))
    return err;
  if (auto err = subscribe_event<avro::tenant_unregistered_event>(
        cdtp, subjects::tenant_unregistered(cfg.tenant_manager), group,
        tenant_unregistered_kind,
        [target](const avro::tenant_unregistered_event& event,
                 const inbound_config&) {
          if (event.tenant_id.empty())
            return false;
          caf::anon_send(target, atom::purge_v, event.tenant_id,
                         std::string{}, event.correlation_id);
          return true;
        }))
    return err;
  if (!cfg.tenant_listener)
    return {};
  // No queue group: each replica drops its own cached contexts.
  const std::string every_replica;
  if (auto err = subscribe_event<avro::tenant_updated_event>(
        cdtp, subjects::tenant_updated(cfg.tenant_manager), every_replica,
        tenant_updated_kind, forget_tenant<avro::tenant_updated_event>))
    return err;
  return subscribe_event<avro::tenant_unregistered_event>(
    cdtp, subjects::tenant_unregistered(cfg.tenant_manager), every_replica,
    tenant_forgotten_kind, forget_tenant<avro::tenant_unregistered_event>);
}

} // namespace ecr
