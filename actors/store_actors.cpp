#include "actors/store_actors.hpp"

#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "storage/config_cache.hpp"

#include <caf/exit_reason.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <memory>
#include <optional>

namespace ecr {

namespace {

/// Queues `op` into the writer's batch and returns the promise its client
/// waits on; the first write of a batch schedules the flush behind the
/// messages already in the mailbox.
template <class T, class Self, class Op>
caf::typed_response_promise<T> enqueue(Self* self, Op op) {
  auto& st = self->state;
  auto promise = self->template make_response_promise<T>();
  auto outcome = std::make_shared<std::optional<caf::expected<T>>>();
  st.batch.push_back(pending_write{
    [op = std::move(op), outcome](store& db) {
      outcome->emplace(op(db));
      return **outcome ? caf::error{} : (*outcome)->error();
    },
    [promise, outcome](const caf::error& commit_error) mutable {
      if (commit_error)
        promise.deliver(commit_error);
      else if (**outcome)
        promise.deliver(std::move(***outcome));
      else
        promise.deliver((*outcome)->error());
    }});
  if (st.batch.size() >= st.cfg.max_batch)
    st.flush();
  else if (st.batch.size() == 1)
    self->send(self, atom::internal_v, atom::flush_v);
  return promise;
}

/// Runs the store operation `op`, recording its latency and failure ("not
/// found" is an answer, not a failure).
template <class Op>
auto timed(service_metrics& metrics, std::string_view operation, Op op) {
  auto started = std::chrono::steady_clock::now();
  auto result = op();
  caf::error failure;
  if constexpr (std::is_same_v<decltype(result), caf::error>)
    failure = result;
  else if (!result)
    failure = result.error();
  metrics.store_operation(operation, std::chrono::steady_clock::now() - started,
                          failure && error_code(failure) != ec::not_found);
  return result;
}

/// The system configuration `key.config_id`, if it lives at `key`'s level
/// (a configId seen under another level's path is not found there).
caf::expected<system_config_record>
system_config_at_level(store& db, const system_config_record& key) {
  auto stored = db.get_system_config(key.tenant_id, key.config_id);
  if (stored
      && (stored->level != key.level || stored->level_id != key.level_id))
    return make_error(ec::not_found, "system configuration not found");
  return stored;
}

} // namespace

/// Adds, for a changed default, the endpoints now following it (A14).
caf::expected<put_result> with_followers(store& db,
                                         caf::expected<put_result> result) {
  if (!result || !result->changed || !result->record.key.is_default())
    return result;
  const auto& key = result->record.key;
  auto followers = db.endpoints_following_default(key.tenant_id,
                                                  key.app_version, key.name);
  if (!followers)
    return followers.error();
  result->followers = std::move(*followers);
  return result;
}

/// `err`, its message naming the endpoint of `key` it happened at.
caf::error at_endpoint(const config_key& key, const caf::error& err) {
  return make_error(error_code(err), "endpoint " + key.app_version + "/"
                                      + key.endpoint_id + ": "
                                      + error_message(err));
}

caf::expected<bulk_patch_result>
patch_all(store& db, const std::vector<config_key>& keys,
          const config_change& change, int64_t now_ms,
          const change_source& source) {
  bulk_patch_result outcome;
  // Every result is computed first: one refusal refuses the call before
  // anything is written.
  std::vector<const config_key*> present;
  for (const auto& key : keys) {
    auto current = db.get_config(key);
    if (!current) {
      if (error_code(current.error()) != ec::not_found)
        return current.error();
      outcome.missing.push_back(key);
      continue;
    }
    if (auto content = change.apply(*current); !content)
      return at_endpoint(key, content.error());
    present.push_back(&key);
  }
  for (const auto* key : present) {
    auto result = db.modify_config(*key, change.apply, {}, make_uuid_v4(),
                                   now_ms, source);
    if (!result)
      return at_endpoint(*key, result.error());
    outcome.results.push_back(std::move(*result));
  }
  return outcome;
}

caf::error validate(const store_writer_config& cfg) {
  if (cfg.max_batch == 0)
    return make_error(ec::invalid_configuration,
                      "storage.group-commit-max: must be at least 1");
  if (!cfg.metrics || !cfg.space)
    return make_error(ec::invalid_configuration,
                      "store writer needs metrics and a space record");
  return {};
}

caf::error validate(const store_reader_config& cfg) {
  if (!cfg.cache || !cfg.metrics)
    return make_error(ec::invalid_configuration,
                      "store reader needs the cache and metrics");
  return {};
}

void store_writer_state::flush() {
  if (batch.empty())
    return;
  auto writes = std::move(batch);
  batch.clear();
  std::vector<caf::error> outcomes;
  outcomes.reserve(writes.size());
  auto err = timed(*cfg.metrics, "commit", [&] {
    if (auto failed = db->begin_batch())
      return failed;
    for (auto& write : writes)
      outcomes.push_back(write.apply(*db));
    return db->commit_batch();
  });
  // Running out of space is logged once, by note_space.
  if (err && error_code(err) != ec::storage_full)
    ECR_ERROR("{}: commit of {} writes failed: {}", name, writes.size(),
              render(err));
  note_space(writes.size(), err, outcomes);
  for (auto& write : writes)
    write.finish(err);
}

void store_writer_state::note_space(size_t writes,
                                    const caf::error& commit_error,
                                    const std::vector<caf::error>& outcomes) {
  uint64_t refused = 0;
  const caf::error* refusal = nullptr;
  bool stored = false;
  for (size_t i = 0; i < writes; ++i) {
    // A commit error is every write's outcome; without one, each ran.
    const auto& outcome = commit_error ? commit_error : outcomes[i];
    if (error_code(outcome) == ec::storage_full) {
      ++refused;
      refusal = &outcome;
    } else if (!outcome) {
      stored = true;
    }
  }
  if (refusal) {
    cfg.metrics->store_writes_refused("no_space", refused);
    if (!cfg.space->exhausted.exchange(true))
      ECR_ERROR("{}: the store is out of space: writes are refused until "
                "space is freed ({})",
                name, render(*refusal));
  } else if (stored && cfg.space->exhausted.exchange(false)) {
    ECR_INFO("{}: the store has space again: writes succeed", name);
  }
}

store_writer_actor::behavior_type
store_writer(store_writer_actor::stateful_pointer<store_writer_state> self,
             store_ptr db, store_writer_config cfg) {
  if (auto err = validate(cfg)) {
    self->quit(err);
    return store_writer_actor::behavior_type::make_empty_behavior();
  }
  self->state.db = std::move(db);
  self->state.cfg = std::move(cfg);
  // Answer what was accepted before leaving; the store closes with the state.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    self->state.flush();
    self->quit(msg.reason);
  });
  return {
    [self](atom::put, const config_key& key, const std::string& content,
           const precondition& pre, const std::string& new_config_id,
           int64_t now_ms,
           const change_source& source) -> caf::result<put_result> {
      return enqueue<put_result>(self, [=](store& db) {
        return with_followers(db,
                              db.put_config(key, content, pre, new_config_id,
                                            now_ms, source));
      });
    },
    [self](atom::erase, const config_key& key, const precondition& pre,
           int64_t now_ms,
           const change_source& source) -> caf::result<erase_result> {
      return enqueue<erase_result>(
        self, [=](store& db) -> caf::expected<erase_result> {
          auto removed = db.delete_config(key, pre, now_ms, source);
          if (!removed)
            return removed.error();
          auto revision = db.revision_of(key);
          if (!revision)
            return revision.error();
          erase_result result{std::move(*removed), false, {}, *revision};
          if (key.is_default())
            return result;
          auto fallback = db.get_config(key.default_key());
          if (fallback) {
            result.has_fallback = true;
            result.fallback = std::move(*fallback);
          } else if (error_code(fallback.error()) != ec::not_found) {
            return fallback.error();
          }
          return result;
        });
    },
    [self](atom::put, const std::vector<config_key>& keys,
           const std::string& content, int64_t now_ms,
           const change_source& source)
      -> caf::result<std::vector<put_result>> {
      return enqueue<std::vector<put_result>>(
        self, [=](store& db) -> caf::expected<std::vector<put_result>> {
          std::vector<put_result> results;
          results.reserve(keys.size());
          for (const auto& key : keys) {
            auto result = db.put_config(key, content, precondition{},
                                        make_uuid_v4(), now_ms, source);
            if (!result)
              return result.error();
            results.push_back(std::move(*result));
          }
          return results;
        });
    },
    [self](atom::patch, const config_key& key, const config_change& change,
           const precondition& pre, const std::string& new_config_id,
           int64_t now_ms,
           const change_source& source) -> caf::result<put_result> {
      return enqueue<put_result>(self, [=](store& db) {
        return with_followers(db, db.modify_config(key, change.apply, pre,
                                                   new_config_id, now_ms,
                                                   source));
      });
    },
    [self](atom::patch, const std::vector<config_key>& keys,
           const config_change& change, int64_t now_ms,
           const change_source& source) -> caf::result<bulk_patch_result> {
      return enqueue<bulk_patch_result>(self, [=](store& db) {
        return patch_all(db, keys, change, now_ms, source);
      });
    },
    [self](atom::confirm, const status_record& confirmation, bool implicit,
           int64_t now_ms) -> caf::result<status_record> {
      return enqueue<status_record>(self, [=](store& db) {
        return db.record_confirmation(confirmation, implicit, now_ms);
      });
    },
    [self](atom::dispatch, std::vector<status_record>& dispatches,
           std::vector<status_record>& implicit) -> caf::result<uint64_t> {
      // Moved, not copied: a batch may hold megabytes of content.
      return enqueue<uint64_t>(self, [dispatches = std::move(dispatches),
                                      implicit = std::move(implicit)](
                                       store& db) -> caf::expected<uint64_t> {
        auto recorded = db.record_dispatches(dispatches);
        if (!recorded)
          return recorded.error();
        auto applied = *recorded;
        // Unknown configIds are ignored (A13): not_found is no failure.
        for (const auto& x : implicit) {
          auto result = db.record_confirmation(x, true, x.last_confirmed_ms);
          if (result)
            ++applied;
          else if (error_code(result.error()) != ec::not_found)
            return result.error();
        }
        return applied;
      });
    },
    [self](atom::purge, const std::string& tenant_id,
           const std::string& endpoint_id) -> caf::result<uint64_t> {
      return enqueue<uint64_t>(self, [=](store& db) {
        return endpoint_id.empty() ? db.purge_tenant(tenant_id)
                                   : db.purge_endpoint(tenant_id, endpoint_id);
      });
    },
    [self](atom::create, const system_config_record& record)
      -> caf::result<system_config_record> {
      return enqueue<system_config_record>(
        self, [=](store& db) { return db.create_system_config(record); });
    },
    [self](atom::put, const system_config_record& update,
           int64_t now_ms) -> caf::result<system_config_record> {
      return enqueue<system_config_record>(
        self, [=](store& db) -> caf::expected<system_config_record> {
          if (auto stored = system_config_at_level(db, update); !stored)
            return stored.error();
          return db.update_system_config(update, now_ms);
        });
    },
    [self](atom::erase, const system_config_record& key)
      -> caf::result<system_config_record> {
      return enqueue<system_config_record>(
        self, [=](store& db) -> caf::expected<system_config_record> {
          auto stored = system_config_at_level(db, key);
          if (!stored)
            return stored.error();
          if (auto err = db.delete_system_config(key.tenant_id, key.config_id))
            return err;
          return stored;
        });
    },
    [self](atom::internal, atom::flush) { self->state.flush(); },
  };
}

caf::expected<config_record>
store_reader_state::read_through(const config_key& key, uint64_t generation) {
  auto record = timed(*cfg.metrics, "get_config",
                      [&] { return db->get_config(key); });
  if (record)
    cfg.cache->fill(*record, generation);
  else if (error_code(record.error()) == ec::not_found)
    cfg.cache->fill_absent(key, generation);
  return record;
}

caf::expected<config_record>
store_reader_state::resolve(const config_key& key, uint64_t generation) {
  auto own = read_through(key, generation);
  if (own || error_code(own.error()) != ec::not_found || key.is_default())
    return own;
  auto fallback = read_through(key.default_key(), generation);
  if (!fallback && error_code(fallback.error()) == ec::not_found)
    return make_error(ec::not_found, "no configuration is in force");
  return fallback;
}

void store_reader_state::serve(config_reads& batch) {
  // Taken before the snapshot opens, so that a write committing after it
  // keeps every read of the batch out of the cache.
  auto generation = cfg.cache->generation();
  auto snapshot = db->begin_snapshot();
  if (snapshot)
    ECR_WARN("{}: reading without a snapshot: {}", name, render(snapshot));
  std::vector<caf::expected<config_record>> results;
  results.reserve(batch.reads.size());
  for (auto& read : batch.reads)
    results.push_back(read.resolve ? resolve(read.key, generation)
                                   : read_through(read.key, generation));
  if (!snapshot)
    db->end_snapshot();
  for (size_t i = 0; i < batch.reads.size(); ++i)
    batch.reads[i].to.deliver(std::move(results[i]));
  if (batch.done)
    batch.done();
}

store_reader_actor::behavior_type
store_reader(store_reader_actor::stateful_pointer<store_reader_state> self,
             store_ptr db, store_reader_config cfg) {
  if (auto err = validate(cfg)) {
    self->quit(err);
    return store_reader_actor::behavior_type::make_empty_behavior();
  }
  self->state.db = std::move(db);
  self->state.cfg = std::move(cfg);
  return {
    [self](atom::get, const config_key& key) -> caf::result<config_record> {
      auto& st = self->state;
      return st.read_through(key, st.cfg.cache->generation());
    },
    [self](atom::resolve, const config_key& key) -> caf::result<config_record> {
      auto& st = self->state;
      return st.resolve(key, st.cfg.cache->generation());
    },
    [self](atom::get, config_reads& reads) { self->state.serve(reads); },
    [self](atom::list,
           const config_key& scope) -> caf::result<std::vector<config_record>> {
      auto& st = self->state;
      return timed(*st.cfg.metrics, "list_configs",
                   [&] { return st.db->list_configs(scope); });
    },
    [self](atom::list, const status_query& query) -> caf::result<status_page> {
      auto& st = self->state;
      return timed(*st.cfg.metrics, "list_statuses",
                   [&] { return st.db->list_statuses(query); });
    },
    [self](atom::history, const config_key& key, int64_t page,
           int64_t size) -> caf::result<version_page> {
      auto& st = self->state;
      return timed(*st.cfg.metrics, "list_versions",
                   [&] { return st.db->list_versions(key, page, size); });
    },
    [self](atom::get, const config_key& key,
           const std::string& config_id) -> caf::result<config_version> {
      auto& st = self->state;
      return timed(*st.cfg.metrics, "get_version",
                   [&] { return st.db->get_version(key, config_id); });
    },
    [self](atom::get, const system_config_record& key)
      -> caf::result<system_config_record> {
      auto& st = self->state;
      return timed(*st.cfg.metrics, "get_system_config",
                   [&] { return system_config_at_level(*st.db, key); });
    },
    [self](atom::find, const system_config_record& key)
      -> caf::result<system_config_record> {
      auto& st = self->state;
      return timed(*st.cfg.metrics, "find_system_config", [&] {
        return st.db->find_system_config(key.tenant_id, key.level,
                                         key.level_id, key.name);
      });
    },
    [self](atom::list, const system_config_record& scope)
      -> caf::result<std::vector<system_config_record>> {
      auto& st = self->state;
      return timed(*st.cfg.metrics, "list_system_configs", [&] {
        return st.db->list_system_configs(scope.tenant_id, scope.level,
                                          scope.level_id);
      });
    },
    [self](atom::parent, const std::string& tenant_id,
           const std::string& endpoint_id) -> caf::result<std::string> {
      auto& st = self->state;
      return timed(*st.cfg.metrics, "app_version_of_endpoint", [&] {
        return st.db->app_version_of_endpoint(tenant_id, endpoint_id);
      });
    },
    [self](atom::ping) {
      auto err = self->state.db->ping();
      return component_health{"storage", !err, err ? render(err) : "UP"};
    },
  };
}

} // namespace ecr
