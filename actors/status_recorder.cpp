#include "actors/status_recorder.hpp"

#include "core/error.hpp"
#include "core/log.hpp"

#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace ecr {

namespace {

using recorder_pointer
  = status_recorder_actor::stateful_pointer<status_recorder_state>;

void schedule_flush(recorder_pointer self) {
  auto& st = self->state;
  if (st.flush_scheduled)
    return;
  st.flush_scheduled = true;
  self->delayed_send(self, st.cfg.flush_interval, atom::internal_v,
                     atom::flush_v);
}

/// Sends the writer the next batch, one at a time: while one is being
/// written the log keeps collecting (and collapsing) records, so memory
/// holds at most one batch beyond the log. A full log is drained batch by
/// batch; a smaller rest waits for the interval.
void flush(recorder_pointer self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  if (st.writing) {
    st.flush_when_written = true;
    return;
  }
  auto pending = st.cfg.log->take();
  if (pending.dispatches.empty() && pending.confirmations.empty())
    return;
  st.writing = true;
  st.flush_when_written = false;
  auto written = [self] {
    auto& st = self->state;
    st.writing = false;
    if (st.flush_when_written || st.cfg.log->full())
      flush(self);
    else if (st.cfg.log->size() > 0)
      schedule_flush(self);
  };
  self
    ->request(st.cfg.writer, caf::infinite, atom::dispatch_v,
              std::move(pending.dispatches), std::move(pending.confirmations))
    .then([written](uint64_t) { written(); },
          [written](caf::error& err) {
            ECR_WARN("{}: delivery history not written: {}",
                     status_recorder_state::name, render(err));
            written();
          });
}

/// At exit every batch goes at once: the writer answers them before it
/// stops.
void drain(recorder_pointer self) {
  auto& st = self->state;
  for (auto pending = st.cfg.log->take();
       !pending.dispatches.empty() || !pending.confirmations.empty();
       pending = st.cfg.log->take())
    caf::anon_send(st.cfg.writer, atom::dispatch_v,
                   std::move(pending.dispatches),
                   std::move(pending.confirmations));
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
    drain(self);
    self->quit(msg.reason);
  });
  return {
    [self](atom::dispatch) {
      if (self->state.cfg.log->full())
        flush(self);
      else
        schedule_flush(self);
    },
    [self](atom::internal, atom::flush) { flush(self); },
  };
}

} // namespace ecr
