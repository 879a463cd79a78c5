#include "actors/memory_keeper.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/memory.hpp"

#include <caf/typed_event_based_actor.hpp>

namespace ecr {

caf::error validate(const memory_keeper_config& cfg) {
  if (cfg.interval.count() <= 0)
    return make_error(ec::invalid_configuration,
                      "memory keeper needs a positive interval");
  return {};
}

void memory_keeper_state::look() {
  // The resident size first: reading it is cheaper than the heap's free
  // bytes, which takes every arena's lock and walks its free lists.
  auto resident_before = resident_bytes();
  if (resident_before < resident_after_release + cfg.release_above)
    return;
  auto free_bytes = free_heap_bytes();
  if (free_bytes < cfg.release_above)
    return;
  auto started = std::chrono::steady_clock::now();
  release_free_heap();
  auto took = std::chrono::duration<double, std::milli>(
                std::chrono::steady_clock::now() - started)
                .count();
  resident_after_release = resident_bytes();
  ECR_DEBUG("{}: gave back free heap ({} KiB free): resident {} KiB -> {} "
            "KiB in {:.2f} ms",
            name, free_bytes / 1024, resident_before / 1024,
            resident_after_release / 1024, took);
}

memory_keeper_actor::behavior_type
memory_keeper(memory_keeper_actor::stateful_pointer<memory_keeper_state> self,
              memory_keeper_config cfg) {
  if (auto err = validate(cfg)) {
    self->quit(err);
    return memory_keeper_actor::behavior_type::make_empty_behavior();
  }
  self->state.cfg = cfg;
  self->delayed_send(self, cfg.interval, atom::internal_v, atom::check_v);
  return {
    [self](atom::internal, atom::check) {
      self->state.look();
      self->delayed_send(self, self->state.cfg.interval, atom::internal_v,
                         atom::check_v);
    },
  };
}

} // namespace ecr
