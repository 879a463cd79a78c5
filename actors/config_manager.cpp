#include "actors/config_manager.hpp"

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"

#include <caf/typed_event_based_actor.hpp>

#include <optional>

namespace ecr {

namespace {

using manager_pointer
  = config_manager_actor::stateful_pointer<config_manager_state>;

/// Answers a read from the cache when it knows the answer; else a reader
/// answers the client directly (and fills the cache).
template <class Atom>
caf::result<config_record> read(manager_pointer self, Atom op,
                                const config_cache::lookup& cached,
                                const config_key& key, const char* absent) {
  if (!cached)
    return self->delegate(self->state.reader(), op, key);
  if (!*cached)
    return make_error(ec::not_found, absent);
  return (*cached)->record;
}

/// Tells the other replicas that `key` changed here (every key, without
/// one), so that they forget what they cached.
void tell_replicas(manager_pointer self, std::optional<config_key> key = {}) {
  const auto& events = self->state.cfg.events;
  if (!events)
    return;
  if (key)
    self->send(events, atom::changed_v, std::move(*key));
  else
    self->send(events, atom::changed_v);
}

/// Announces `effective` to `endpoints`, if anybody listens.
void announce(manager_pointer self, const config_record& effective,
              std::vector<std::string> endpoints) {
  const auto& events = self->state.cfg.events;
  if (events && !endpoints.empty())
    self->send(events, atom::publish_v, effective, std::move(endpoints));
}

/// A14: after an upsert changed content, every endpoint whose effective
/// configuration it is hears about it (the writer listed a default's
/// followers in the same transaction, so events follow the commit order).
void announce_upsert(manager_pointer self, const put_result& result) {
  const auto& key = result.record.key;
  announce(self, result.record,
           key.is_default() ? result.followers
                            : std::vector<std::string>{key.endpoint_id});
}

/// After an upsert committed: a change goes into the cache, to the other
/// replicas and to whoever listens.
void committed(manager_pointer self, const put_result& result) {
  if (!result.changed)
    return;
  self->state.cfg.cache->put(result.record);
  tell_replicas(self, result.record.key);
  announce_upsert(self, result);
}

} // namespace

caf::error validate(const config_manager_config& cfg) {
  if (!cfg.writer || cfg.readers.empty() || !cfg.cache)
    return make_error(ec::invalid_configuration,
                      "config manager needs a store writer, readers and a cache");
  return {};
}

const store_reader_actor& config_manager_state::reader() {
  return cfg.readers[next_reader++ % cfg.readers.size()];
}

config_manager_actor::behavior_type
config_manager(manager_pointer self, config_manager_config cfg) {
  if (auto err = validate(cfg)) {
    self->quit(err);
    return config_manager_actor::behavior_type::make_empty_behavior();
  }
  self->state.cfg = std::move(cfg);
  auto& st = self->state;
  return {
    [self, &st](atom::put, const config_key& key, const std::string& content,
                const precondition& pre,
                const change_source& source) -> caf::result<put_result> {
      auto promise = self->make_response_promise<put_result>();
      self
        ->request(st.cfg.writer, caf::infinite, atom::put_v, key, content, pre,
                  make_uuid_v4(), now_ms(), source)
        .then(
          [self, promise](put_result& result) mutable {
            committed(self, result);
            promise.deliver(std::move(result));
          },
          [promise](caf::error& err) mutable { promise.deliver(err); });
      return promise;
    },
    [self, &st](atom::put, const std::vector<config_key>& keys,
                const std::string& content,
                const change_source& source) -> caf::result<uint64_t> {
      auto promise = self->make_response_promise<uint64_t>();
      self
        ->request(st.cfg.writer, caf::infinite, atom::put_v, keys, content,
                  now_ms(), source)
        .then(
          [self, promise](std::vector<put_result>& results) mutable {
            uint64_t changed = 0;
            for (const auto& result : results) {
              changed += result.changed ? 1 : 0;
              committed(self, result);
            }
            promise.deliver(changed);
          },
          [promise](caf::error& err) mutable { promise.deliver(err); });
      return promise;
    },
    [self, &st](atom::patch, const config_key& key, const config_change& change,
                const precondition& pre,
                const change_source& source) -> caf::result<put_result> {
      auto promise = self->make_response_promise<put_result>();
      self
        ->request(st.cfg.writer, caf::infinite, atom::patch_v, key, change,
                  pre, make_uuid_v4(), now_ms(), source)
        .then(
          [self, promise](put_result& result) mutable {
            committed(self, result);
            promise.deliver(std::move(result));
          },
          [promise](caf::error& err) mutable { promise.deliver(err); });
      return promise;
    },
    [self, &st](atom::patch, const std::vector<config_key>& keys,
                const config_change& change,
                const change_source& source) -> caf::result<bulk_patch_result> {
      auto promise = self->make_response_promise<bulk_patch_result>();
      self
        ->request(st.cfg.writer, caf::infinite, atom::patch_v, keys, change,
                  now_ms(), source)
        .then(
          [self, promise](bulk_patch_result& outcome) mutable {
            for (const auto& result : outcome.results)
              committed(self, result);
            promise.deliver(std::move(outcome));
          },
          [promise](caf::error& err) mutable { promise.deliver(err); });
      return promise;
    },
    [self, &st](atom::get, const config_key& key) {
      return read(self, atom::get_v, st.cfg.cache->find(key), key,
                  "configuration not found");
    },
    [self, &st](atom::erase, const config_key& key, const precondition& pre,
                const change_source& source) -> caf::result<config_record> {
      auto promise = self->make_response_promise<config_record>();
      self
        ->request(st.cfg.writer, caf::infinite, atom::erase_v, key, pre,
                  now_ms(), source)
        .then(
          [self, &st, promise](erase_result& result) mutable {
            st.cfg.cache->erase(result.removed.key);
            tell_replicas(self, result.removed.key);
            // A14: the default of the same name is in force again.
            if (result.has_fallback)
              announce(self, result.fallback, {result.removed.key.endpoint_id});
            promise.deliver(std::move(result.removed));
          },
          [promise](caf::error& err) mutable { promise.deliver(err); });
      return promise;
    },
    [self, &st](atom::list, const config_key& scope) {
      return self->delegate(st.reader(), atom::list_v, scope);
    },
    [self, &st](atom::resolve, const config_key& key) {
      return read(self, atom::resolve_v, st.cfg.cache->find_effective(key),
                  key, "no configuration is in force");
    },
    [self, &st](atom::confirm, const status_record& confirmation) {
      return self->delegate(st.cfg.writer, atom::confirm_v, confirmation, false,
                            now_ms());
    },
    [self, &st](atom::purge, const std::string& tenant_id,
                const std::string& endpoint_id) -> caf::result<uint64_t> {
      auto promise = self->make_response_promise<uint64_t>();
      self
        ->request(st.cfg.writer, caf::infinite, atom::purge_v, tenant_id,
                  endpoint_id)
        .then(
          [self, &st, promise](uint64_t removed) mutable {
            // Purges are rare; forgetting everything is simplest and safe.
            st.cfg.cache->clear();
            tell_replicas(self);
            promise.deliver(removed);
          },
          [promise](caf::error& err) mutable { promise.deliver(err); });
      return promise;
    },
    [self, &st](atom::list, const status_query& query) {
      return self->delegate(st.reader(), atom::list_v, query);
    },
    [self, &st](atom::history, const config_key& key, int64_t page,
                int64_t size) {
      return self->delegate(st.reader(), atom::history_v, key, page, size);
    },
    [self, &st](atom::get, const config_key& key,
                const std::string& config_id) {
      return self->delegate(st.reader(), atom::get_v, key, config_id);
    },
  };
}

} // namespace ecr
