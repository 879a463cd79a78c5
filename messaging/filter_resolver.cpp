#include "messaging/filter_resolver.hpp"

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "messaging/avro.hpp"
#include "messaging/decode.hpp"
#include "messaging/nats_client.hpp"
#include "messaging/subjects.hpp"

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace ecr {

namespace {

filter_answer to_answer(avro::endpoint_list_by_filter_response&& response) {
  filter_answer answer;
  answer.correlation_id = std::move(response.correlation_id);
  answer.status_code = response.status_code;
  answer.reason = response.reason_phrase.value_or("");
  for (auto& [app_version, endpoints] : response.app_versions_to_endpoints)
    for (auto& endpoint : endpoints)
      answer.endpoints.push_back({{}, std::move(endpoint), app_version, {}});
  return answer;
}

caf::error failure_of(const filter_answer& answer) {
  auto detail = "EPR answered " + std::to_string(answer.status_code)
                + (answer.reason.empty() ? "" : " " + answer.reason);
  if (answer.status_code == 404)
    return make_error(ec::not_found, "unknown filter: " + detail);
  return make_error(ec::upstream_failure, "filter lookup failed: " + detail);
}

} // namespace

caf::error validate(const filter_resolver_config& cfg) {
  if (!cfg.nats || cfg.replica_id.empty() || cfg.timeout.count() <= 0
      || !cfg.metrics)
    return make_error(ec::invalid_configuration,
                      "filter resolver needs NATS, a replica id, a timeout "
                      "and metrics");
  return {};
}

filter_resolver_actor::behavior_type filter_resolver(
  filter_resolver_actor::stateful_pointer<filter_resolver_state> self,
  filter_resolver_config cfg) {
  if (auto err = validate(cfg)) {
    self->quit(err);
    return filter_resolver_actor::behavior_type::make_empty_behavior();
  }
  self->state.cfg = std::move(cfg);
  const auto& st_cfg = self->state.cfg;
  auto reply_to = subjects::filter_response(st_cfg.replica_id);
  filter_resolver_actor handle = caf::actor_cast<filter_resolver_actor>(self);
  auto max = st_cfg.max_payload_bytes;
  auto metrics = st_cfg.metrics;
  auto subscribed = st_cfg.nats->subscribe(
    reply_to, {}, [handle, max, metrics](nats_message&& msg) {
      auto response = decode_or_drop<avro::endpoint_list_by_filter_response>(
        msg, max, *metrics, "efmp.response");
      if (response)
        caf::anon_send(handle, to_answer(std::move(*response)));
    });
  if (subscribed)
    ECR_ERROR("{}: cannot subscribe {}: {}", filter_resolver_state::name,
              reply_to, render(subscribed));
  return {
    [self, reply_to](atom::resolve, const std::string& filter_id)
      -> caf::result<std::vector<config_key>> {
      auto& st = self->state;
      auto promise = self->make_response_promise<std::vector<config_key>>();
      avro::endpoint_list_by_filter_request request;
      request.correlation_id = make_uuid_v4();
      request.timestamp = now_ms();
      request.timeout = st.cfg.timeout.count();
      request.filter_id = filter_id;
      if (auto err = st.cfg.nats->publish(
            subjects::filter_request(st.cfg.endpoint_register),
            avro::encode(request), reply_to))
        return make_error(ec::upstream_failure, error_message(err));
      st.pending.emplace(request.correlation_id, promise);
      self->delayed_send(self, st.cfg.timeout, atom::internal_v,
                         atom::expire_v, request.correlation_id);
      return promise;
    },
    [self](filter_answer& answer) {
      auto& pending = self->state.pending;
      auto i = pending.find(answer.correlation_id);
      if (i == pending.end())
        return; // late or unknown: the request already timed out
      if (answer.status_code >= 200 && answer.status_code < 300)
        i->second.deliver(std::move(answer.endpoints));
      else
        i->second.deliver(failure_of(answer));
      pending.erase(i);
    },
    [self](atom::internal, atom::expire, const std::string& correlation_id) {
      auto& pending = self->state.pending;
      auto i = pending.find(correlation_id);
      if (i == pending.end())
        return;
      i->second.deliver(
        make_error(ec::timeout, "EPR did not answer the filter lookup in time"));
      pending.erase(i);
    },
  };
}

} // namespace ecr
