#include "actors/system_config_manager.hpp"

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"

#include <caf/typed_event_based_actor.hpp>

namespace ecr {

namespace {

using manager_pointer
  = system_config_manager_actor::stateful_pointer<system_config_manager_state>;

using promise_type = caf::typed_response_promise<system_config_record>;

/// Hands `at`'s parent level (A17: ENDPOINT -> its app version -> its
/// application -> the tenant) to `next`, or nullopt above TENANT. A parent
/// that cannot be named (an endpoint ECR never saw, an app version the
/// application settings do not list) is skipped for the one above it.
void climb(manager_pointer self, const system_config_record& at,
           std::function<void(std::optional<system_config_record>)> next,
           promise_type promise) {
  auto up = at;
  up.level_id.clear();
  auto to_tenant = [up, next]() mutable {
    up.level = system_level::tenant;
    up.level_id = up.tenant_id;
    next(up);
  };
  if (at.level == system_level::endpoint) {
    self
      ->request(self->state.reader(), caf::infinite, atom::parent_v,
                at.tenant_id, at.level_id)
      .then(
        [up, next](std::string& app_version) mutable {
          up.level = system_level::app_version;
          up.level_id = std::move(app_version);
          next(up);
        },
        [to_tenant, promise](caf::error& err) mutable {
          if (error_code(err) == ec::not_found)
            to_tenant();
          else
            promise.deliver(err);
        });
  } else if (at.level == system_level::app_version) {
    if (auto application = self->state.cfg.application_of(at.level_id)) {
      up.level = system_level::application;
      up.level_id = std::move(*application);
      next(up);
    } else {
      to_tenant();
    }
  } else if (at.level == system_level::application) {
    to_tenant();
  } else {
    next(std::nullopt);
  }
}

/// Delivers the record named `at.name` at `at`'s level, or with `walk_up`
/// at the nearest level above that has one.
void resolve_from(manager_pointer self, system_config_record at, bool walk_up,
                  promise_type promise) {
  self->request(self->state.reader(), caf::infinite, atom::find_v, at)
    .then(
      [promise](system_config_record& found) mutable {
        promise.deliver(std::move(found));
      },
      [self, at, walk_up, promise](caf::error& err) mutable {
        if (error_code(err) != ec::not_found || !walk_up) {
          promise.deliver(err);
          return;
        }
        climb(
          self, at,
          [self, at, promise](std::optional<system_config_record> parent) mutable {
            if (parent) {
              resolve_from(self, std::move(*parent), true, promise);
              return;
            }
            promise.deliver(make_error(ec::not_found,
                                       "no system configuration named " + at.name
                                         + " at this level or above"));
          },
          promise);
      });
}

/// Sends `op` to the writer; a stored record is announced before the
/// client hears of it.
template <class... Ts>
caf::result<system_config_record> write_and_announce(manager_pointer self,
                                                     Ts&&... op) {
  auto promise = self->make_response_promise<system_config_record>();
  self
    ->request(self->state.cfg.writer, caf::infinite, std::forward<Ts>(op)...)
    .then(
      [self, promise](system_config_record& stored) mutable {
        if (const auto& events = self->state.cfg.events)
          self->send(events, atom::publish_v, stored);
        promise.deliver(std::move(stored));
      },
      [promise](caf::error& err) mutable { promise.deliver(err); });
  return promise;
}

} // namespace

caf::error validate(const system_config_manager_config& cfg) {
  if (!cfg.writer || cfg.readers.empty() || !cfg.application_of)
    return make_error(ec::invalid_configuration,
                      "system config manager needs a store writer, readers "
                      "and the application settings");
  return {};
}

const store_reader_actor& system_config_manager_state::reader() {
  return cfg.readers[next_reader++ % cfg.readers.size()];
}

system_config_manager_actor::behavior_type
system_config_manager(manager_pointer self, system_config_manager_config cfg) {
  if (auto err = validate(cfg)) {
    self->quit(err);
    return system_config_manager_actor::behavior_type::make_empty_behavior();
  }
  self->state.cfg = std::move(cfg);
  return {
    [self](atom::create, system_config_record& record) {
      record.config_id = make_uuid_v4();
      record.created_ms = record.updated_ms = now_ms();
      return write_and_announce(self, atom::create_v, std::move(record));
    },
    [self](atom::put, const system_config_record& update) {
      return write_and_announce(self, atom::put_v, update, now_ms());
    },
    [self](atom::erase, const system_config_record& key) {
      return self->delegate(self->state.cfg.writer, atom::erase_v, key);
    },
    [self](atom::get, const system_config_record& key) {
      return self->delegate(self->state.reader(), atom::get_v, key);
    },
    [self](atom::list, const system_config_record& scope) {
      return self->delegate(self->state.reader(), atom::list_v, scope);
    },
    [self](atom::resolve, const system_config_record& at,
           bool walk_up) -> caf::result<system_config_record> {
      auto promise = self->make_response_promise<system_config_record>();
      resolve_from(self, at, walk_up, promise);
      return promise;
    },
  };
}

} // namespace ecr
