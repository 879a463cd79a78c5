#include "actors/config_manager.hpp"

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"

#include <caf/typed_event_based_actor.hpp>

namespace ecr {

caf::error validate(const config_manager_config& cfg) {
  if (!cfg.writer || cfg.readers.empty() || !cfg.cache)
    return make_error(ec::invalid_configuration,
                      "config manager needs a store writer, readers and a cache");
  return {};
}

const store_reader_actor& config_manager_state::reader() {
  return cfg.readers[next_reader++ % cfg.readers.size()];
}

config_manager_actor::behavior_type config_manager(
  config_manager_actor::stateful_pointer<config_manager_state> self,
  config_manager_config cfg) {
  if (auto err = validate(cfg)) {
    self->quit(err);
    return config_manager_actor::behavior_type::make_empty_behavior();
  }
  self->state.cfg = std::move(cfg);
  auto& st = self->state;
  return {
    [self, &st](atom::put, const config_key& key, const std::string& content,
                const precondition& pre) -> caf::result<put_result> {
      auto promise = self->make_response_promise<put_result>();
      self
        ->request(st.cfg.writer, caf::infinite, atom::put_v, key,
                  content, pre, make_uuid_v4(), now_ms())
        .then(
          [&st, promise](put_result& result) mutable {
            if (result.changed)
              st.cfg.cache->put(result.record);
            promise.deliver(std::move(result));
          },
          [promise](caf::error& err) mutable { promise.deliver(err); });
      return promise;
    },
    [self, &st](atom::get, const config_key& key) -> caf::result<config_record> {
      auto promise = self->make_response_promise<config_record>();
      auto generation = st.cfg.cache->generation();
      self->request(st.reader(), caf::infinite, atom::get_v, key)
        .then(
          [&st, promise, generation](config_record& record) mutable {
            st.cfg.cache->fill(record, generation);
            promise.deliver(std::move(record));
          },
          [promise](caf::error& err) mutable { promise.deliver(err); });
      return promise;
    },
    [self, &st](atom::erase, const config_key& key,
                const precondition& pre) -> caf::result<config_record> {
      auto promise = self->make_response_promise<config_record>();
      self
        ->request(st.cfg.writer, caf::infinite, atom::erase_v, key, pre)
        .then(
          [&st, promise](config_record& removed) mutable {
            st.cfg.cache->erase(removed.key);
            promise.deliver(std::move(removed));
          },
          [promise](caf::error& err) mutable { promise.deliver(err); });
      return promise;
    },
    [self, &st](atom::list, const config_key& scope) {
      return self->delegate(st.reader(), atom::list_v, scope);
    },
  };
}

} // namespace ecr
