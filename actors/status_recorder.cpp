#include "actors/status_recorder.hpp"

#include "core/error.hpp"
#include "core/log.hpp"

#include <caf/exit_reason.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace ecr {

namespace {

using recorder_pointer
  = status_recorder_actor::stateful_pointer<status_recorder_state>;

std::string key_of(const status_record& x) {
  std::string key;
  key.reserve(x.tenant_id.size() + x.endpoint_id.size() + x.app_version.size()
              + x.config_id.size() + 3);
  for (const auto* part :
       {&x.tenant_id, &x.endpoint_id, &x.app_version, &x.config_id}) {
    key += *part;
    key.push_back('\0');
  }
  return key;
}

std::vector<status_record>
drain(std::unordered_map<std::string, status_record>& pending) {
  std::vector<status_record> records;
  records.reserve(pending.size());
  for (auto& [key, record] : pending)
    records.push_back(std::move(record));
  pending.clear();
  return records;
}

void flush(recorder_pointer self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.dispatches.empty() && st.confirmations.empty())
    return;
  self
    ->request(st.cfg.writer, caf::infinite, atom::dispatch_v,
              drain(st.dispatches), drain(st.confirmations))
    .then([](uint64_t) {},
          [](caf::error& err) {
            ECR_WARN("{}: delivery history not written: {}",
                     status_recorder_state::name, render(err));
          });
}

/// Writes at once when much is pending, else within the flush interval.
void schedule(recorder_pointer self) {
  auto& st = self->state;
  if (st.dispatches.size() + st.confirmations.size() >= st.cfg.max_pending) {
    flush(self);
  } else if (!st.flush_scheduled) {
    st.flush_scheduled = true;
    self->delayed_send(self, st.cfg.flush_interval, atom::internal_v,
                       atom::flush_v);
  }
}

} // namespace

caf::error validate(const status_recorder_config& cfg) {
  if (!cfg.writer || cfg.max_pending == 0)
    return make_error(ec::invalid_configuration,
                      "status recorder needs a writer and max_pending > 0");
  return {};
}

status_recorder_actor::behavior_type
status_recorder(recorder_pointer self, status_recorder_config cfg) {
  if (auto err = validate(cfg)) {
    self->quit(err);
    return status_recorder_actor::behavior_type::make_empty_behavior();
  }
  self->state.cfg = std::move(cfg);
  self->set_exit_handler([self](caf::exit_msg& msg) {
    flush(self);
    self->quit(msg.reason);
  });
  return {
    [self](atom::dispatch, status_record& record) {
      auto [slot, added] = self->state.dispatches.try_emplace(key_of(record),
                                                              record);
      if (!added)
        slot->second.last_dispatched_ms = std::max(
          slot->second.last_dispatched_ms, record.last_dispatched_ms);
      schedule(self);
    },
    [self](atom::confirm, status_record& record) {
      self->state.confirmations[key_of(record)] = std::move(record);
      schedule(self);
    },
    [self](atom::internal, atom::flush) { flush(self); },
  };
}

} // namespace ecr
