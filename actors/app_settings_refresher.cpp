#include "actors/app_settings_refresher.hpp"

#include "actors/token_refresher.hpp"
#include "applications/tekton.hpp"
#include "core/error.hpp"
#include "core/http_client.hpp"
#include "core/log.hpp"

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>

namespace ecr {

namespace {

using refresher_pointer
  = app_settings_refresher_actor::stateful_pointer<app_settings_refresher_state>;

void fetch(refresher_pointer self);

/// Ends a fetch, starting the one asked for meanwhile.
void fetched(refresher_pointer self) {
  auto& st = self->state;
  st.fetching = false;
  if (st.again) {
    st.again = false;
    fetch(self);
  }
}

void schedule_retry(refresher_pointer self) {
  auto& st = self->state;
  if (st.retry_scheduled)
    return;
  st.retry_scheduled = true;
  self->delayed_send(self, st.backoff, atom::internal_v, atom::reload_v);
  st.backoff = std::min(st.backoff * 2, st.cfg.retry_max);
}

void fetch(refresher_pointer self) {
  auto& st = self->state;
  if (st.fetching) {
    st.again = true;
    return;
  }
  st.fetching = true;
  self->request(st.cfg.fetcher, caf::infinite, atom::get_v)
    .then(
      [self](app_catalog& catalog) {
        auto& st = self->state;
        auto count = catalog.applications().size();
        st.cfg.applications->replace(std::move(catalog));
        st.loaded = true;
        st.last_error.clear();
        st.backoff = st.cfg.retry_min;
        ECR_INFO("{}: application settings of {} applications loaded from "
                 "Tekton",
                 app_settings_refresher_state::name, count);
        fetched(self);
      },
      [self](caf::error& err) {
        auto& st = self->state;
        st.last_error = error_message(err);
        ECR_WARN("{}: cannot load the application settings from Tekton: {}; "
                 "{}; trying again in {} ms",
                 app_settings_refresher_state::name, st.last_error,
                 st.loaded ? "keeping the previous settings"
                           : "no application settings in force yet",
                 st.backoff.count());
        schedule_retry(self);
        fetched(self);
      });
}

} // namespace

caf::error validate(const tekton_fetcher_config& cfg) {
  if (!cfg.http || cfg.url.empty() || cfg.instance.empty())
    return make_error(ec::invalid_configuration,
                      "the Tekton fetcher needs an HTTP client, a URL and an "
                      "instance name");
  return {};
}

tekton_fetcher_actor::behavior_type
tekton_fetcher(tekton_fetcher_actor::pointer self, tekton_fetcher_config cfg) {
  if (auto err = validate(cfg)) {
    self->quit(err);
    return tekton_fetcher_actor::behavior_type::make_empty_behavior();
  }
  return {
    [cfg](atom::get) -> caf::result<app_catalog> {
      std::vector<std::string> headers;
      if (cfg.credentials) {
        // A call without the token would only be refused: wait for it (the
        // refresher retries with backoff).
        auto authorization = cfg.credentials->authorization_header();
        if (!authorization)
          return make_error(ec::unavailable,
                            "no service token yet to call Tekton with");
        headers.push_back(std::move(*authorization));
      }
      auto catalog = fetch_tekton_app_configs(*cfg.http, cfg.url, cfg.instance,
                                              std::move(headers));
      if (!catalog)
        return catalog.error();
      return std::move(*catalog);
    },
  };
}

caf::error validate(const app_settings_refresher_config& cfg) {
  if (!cfg.fetcher || !cfg.applications || cfg.retry_min.count() <= 0
      || cfg.retry_max < cfg.retry_min)
    return make_error(ec::invalid_configuration,
                      "the app settings refresher needs a fetcher, the live "
                      "settings and 0 < retry_min <= retry_max");
  return {};
}

app_settings_refresher_actor::behavior_type
app_settings_refresher(refresher_pointer self,
                       app_settings_refresher_config cfg) {
  if (auto err = validate(cfg)) {
    self->quit(err);
    return app_settings_refresher_actor::behavior_type::make_empty_behavior();
  }
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.backoff = st.cfg.retry_min;
  fetch(self);
  return {
    [self](atom::ping) {
      const auto& st = self->state;
      return component_health{"tekton", st.loaded,
                              st.loaded ? "UP"
                              : st.last_error.empty()
                                ? "application settings not loaded yet"
                                : st.last_error};
    },
    [self](atom::reload) { fetch(self); },
    [self](atom::internal, atom::reload) {
      self->state.retry_scheduled = false;
      fetch(self);
    },
  };
}

} // namespace ecr
