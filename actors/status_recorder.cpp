#include "actors/status_recorder.hpp"

#include "core/error.hpp"
#include "core/log.hpp"

#include <caf/exit_reason.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace ecr {

namespace {

using recorder_pointer
  = status_recorder_actor::stateful_pointer<status_recorder_state>;

void flush(recorder_pointer self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  auto pending = st.cfg.log->take();
  if (pending.dispatches.empty() && pending.confirmations.empty())
    return;
  self
    ->request(st.cfg.writer, caf::infinite, atom::dispatch_v,
              std::move(pending.dispatches), std::move(pending.confirmations))
    .then([](uint64_t) {},
          [](caf::error& err) {
            ECR_WARN("{}: delivery history not written: {}",
                     status_recorder_state::name, render(err));
          });
}

} // namespace

caf::error validate(const status_recorder_config& cfg) {
  if (!cfg.writer || !cfg.log)
    return make_error(ec::invalid_configuration,
                      "status recorder needs a writer and a delivery log");
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
    [self](atom::dispatch) {
      auto& st = self->state;
      if (st.cfg.log->size() >= st.cfg.log->high_water()) {
        flush(self);
      } else if (!st.flush_scheduled) {
        st.flush_scheduled = true;
        self->delayed_send(self, st.cfg.flush_interval, atom::internal_v,
                           atom::flush_v);
      }
    },
    [self](atom::internal, atom::flush) { flush(self); },
  };
}

} // namespace ecr
