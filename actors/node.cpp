#include "actors/node.hpp"

#include "actors/add_message_types.hpp"
#include "actors/app_settings_refresher.hpp"
#include "actors/config_manager.hpp"
#include "actors/actors.hpp"
#include "actors/status_recorder.hpp"
#include "actors/stop_control.hpp"
#include "actors/store_actors.hpp"
#include "applications/app_catalog.hpp"
#include "core/error.hpp"
#include "core/http_client.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "gateway/http_server.hpp"
#include "gateway/json.hpp"
#include "gateway/rest_api.hpp"
#include "messaging/event_publisher.hpp"
#include "messaging/filter_resolver.hpp"
#include "messaging/nats_client.hpp"
#include "messaging/replica_sync.hpp"
#include "messaging/scmp_events.hpp"
#include "storage/config_cache.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <atomic>
#include <csignal>
#include <unistd.h>

namespace ecr {

namespace {

/// Set when a component died on its own; the process then exits non-zero.
std::atomic<bool> component_failed{false};

/// Wakes the main thread's sigwait as if an operator asked to stop.
void request_stop_after_failure() {
  component_failed = true;
  kill(getpid(), SIGTERM);
}

using node_pointer = node_actor::stateful_pointer<node_state>;

/// Asks `target` for its health within 5 s (reporting `name` as down when it
/// does not answer), then hands the answer to `next`.
template <class Handle>
void ping(node_pointer self, const Handle& target, const char* name,
          std::function<void(component_health)> next) {
  self->request(target, std::chrono::seconds{5}, atom::ping_v)
    .then([next](component_health& health) { next(std::move(health)); },
          [name, next](caf::error& err) {
            next({name, false, to_string(err)});
          });
}

/// Asks for the health of a component, handing the answer on.
using health_probe
  = std::function<void(std::function<void(component_health)> next)>;

/// Runs `probes` one after another from `index`, appending each answer to
/// `parts`, then delivers them all.
void probe_all(std::shared_ptr<std::vector<health_probe>> probes, size_t index,
               std::vector<component_health> parts,
               caf::typed_response_promise<std::vector<component_health>>
                 promise) {
  if (index == probes->size()) {
    promise.deliver(std::move(parts));
    return;
  }
  (*probes)[index]([probes, index, parts = std::move(parts),
                    promise](component_health health) mutable {
    parts.push_back(std::move(health));
    probe_all(probes, index + 1, std::move(parts), promise);
  });
}

/// The REST listener as the settings describe it.
http_server_options http_options(const settings::server_settings& cfg) {
  http_server_options result;
  result.address = cfg.address;
  result.port = cfg.port;
  result.io_threads = cfg.io_threads;
  result.max_body_bytes = cfg.max_body_bytes;
  result.request_timeout = std::chrono::seconds{cfg.request_timeout_seconds};
  result.read_timeout = std::chrono::seconds{cfg.read_timeout_seconds};
  result.idle_timeout = std::chrono::seconds{cfg.idle_timeout_seconds};
  result.write_timeout = std::chrono::seconds{cfg.write_timeout_seconds};
  result.max_connections = static_cast<size_t>(cfg.max_connections);
  return result;
}

/// NATS readiness; "disabled" counts as up when the node runs without it.
component_health messaging_health(const node_state& st) {
  if (!st.nats)
    return {"nats", true, "disabled"};
  auto up = st.nats->connected();
  return {"nats", up, up ? "UP" : "not connected"};
}

} // namespace

caf::error validate(const node_config& cfg) {
  if (!cfg.writer_store || cfg.reader_stores.empty() || !cfg.applications)
    return make_error(ec::invalid_configuration,
                      "the node needs a writer store, reader stores and the "
                      "application settings");
  if (auto err = validate(store_reader_config{cfg.cache, cfg.metrics}))
    return err;
  return validate(store_writer_config{cfg.group_commit_max, cfg.metrics});
}

node_actor::behavior_type node(node_pointer self,
                               std::shared_ptr<node_config> cfg) {
  if (auto err = validate(*cfg)) {
    self->quit(err);
    return node_actor::behavior_type::make_empty_behavior();
  }
  auto& st = self->state;
  cfg->license.metrics = cfg->metrics;
  st.license = self->spawn<caf::detached>(license_checker, cfg->license);
  if (cfg->memory)
    st.memory = self->spawn<caf::detached>(memory_keeper, *cfg->memory);
  st.space = std::make_shared<store_space>();
  st.writer = self->spawn<caf::detached>(store_writer,
                                         std::move(cfg->writer_store),
                                         store_writer_config{
                                           cfg->group_commit_max,
                                           cfg->metrics, st.space});
  for (auto& reader_store : cfg->reader_stores)
    st.readers.push_back(
      self->spawn<caf::detached>(store_reader, std::move(reader_store),
                                 store_reader_config{cfg->cache,
                                                     cfg->metrics}));
  st.reads = std::make_shared<read_batcher>(st.readers);
  if (cfg->tekton) {
    st.tekton_fetcher = self->spawn<caf::detached>(tekton_fetcher,
                                                   cfg->tekton->fetcher);
    st.app_settings = self->spawn(
      app_settings_refresher,
      app_settings_refresher_config{st.tekton_fetcher, cfg->applications,
                                    cfg->tekton->retry_min,
                                    cfg->tekton->retry_max});
  }
  auto deliveries = std::make_shared<delivery_log>();
  st.recorder = self->spawn(status_recorder,
                            status_recorder_config{st.writer, deliveries});
  st.nats = cfg->nats;
  if (st.nats)
    st.events = self->spawn(event_publisher,
                            event_publisher_config{st.nats,
                                                   cfg->messaging.instance_name,
                                                   cfg->replica_id,
                                                   cfg->metrics});
  st.config_manager = self->spawn(config_manager,
                                  config_manager_config{st.writer, st.readers,
                                                        cfg->cache, st.events});
  st.system_configs = self->spawn(
    system_config_manager,
    system_config_manager_config{
      st.writer, st.readers, st.events,
      [applications = cfg->applications](const std::string& app_version) {
        return applications->current()->application_of(app_version);
      }});
  if (cfg->security)
    for (int i = 0; i < 2; ++i)
      st.guards.push_back(self->spawn<caf::detached>(access_guard,
                                                     cfg->security));
  if (st.nats) {
    auto messaging = cfg->messaging;
    messaging.nats = st.nats;
    messaging.cache = cfg->cache;
    messaging.reads = st.reads;
    messaging.metrics = cfg->metrics;
    messaging.config_manager = st.config_manager;
    messaging.deliveries = deliveries;
    messaging.recorder = st.recorder;
    // The guards share one checker, so telling one of them is enough.
    if (!st.guards.empty())
      messaging.tenant_listener = st.guards.front();
    auto cdtp = std::make_shared<cdtp_service>(std::move(messaging));
    st.inbound = self->spawn(inbound, cdtp);
    if (auto err = subscribe_inbound(cdtp, st.inbound))
      ECR_ERROR("{}: cannot subscribe: {}", node_state::name, render(err));
    if (auto err = replica_sync::subscribe(*st.nats,
                                           cfg->messaging.instance_name,
                                           cfg->replica_id, cfg->cache,
                                           cfg->metrics))
      ECR_ERROR("{}: cannot hear other replicas: {}", node_state::name,
                render(err));
    if (st.app_settings)
      if (auto err = subscribe_scmp(scmp_subscription_config{
            st.nats, cfg->messaging.instance_name, cfg->tekton->provider,
            cfg->messaging.max_payload_bytes, cfg->metrics, st.app_settings}))
        ECR_ERROR("{}: cannot subscribe to 17/SCMP: {}", node_state::name,
                  render(err));
    st.filters = self->spawn(
      filter_resolver,
      filter_resolver_config{st.nats, cfg->messaging.endpoint_register,
                             cfg->replica_id, cfg->filter_timeout,
                             cfg->messaging.max_payload_bytes, cfg->metrics});
  }
  if (cfg->service_token)
    st.token_refresher = self->spawn<caf::detached>(token_refresher,
                                                    *cfg->service_token);
  st.gateway = self->spawn(gateway_bridge);
  for (const auto& component :
       std::vector<caf::actor_addr>{st.writer.address(), st.recorder.address(),
                                    st.config_manager.address(),
                                    st.license.address(),
                                    st.system_configs.address(),
                                    st.gateway.address()})
    self->monitor(component);
  for (const auto& reader : st.readers)
    self->monitor(reader);
  for (const auto& guard : st.guards)
    self->monitor(guard);
  if (st.token_refresher)
    self->monitor(st.token_refresher);
  if (st.memory)
    self->monitor(st.memory);
  if (st.nats) {
    self->monitor(st.events);
    self->monitor(st.inbound);
    self->monitor(st.filters);
  }
  if (st.app_settings) {
    self->monitor(st.tekton_fetcher);
    self->monitor(st.app_settings);
  }
  self->set_down_handler([self](const caf::down_msg& msg) {
    if (self->state.stopping)
      return;
    ECR_ERROR("{}: a component terminated unexpectedly: {}", node_state::name,
              to_string(msg.reason));
    request_stop_after_failure();
  });
  // Stop in reverse order of start: callers first, storage last, so that
  // the writer answers what it accepted before the store closes.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    auto& st = self->state;
    st.stopping = true;
    self->send_exit(st.gateway, msg.reason);
    for (const auto& guard : st.guards)
      self->send_exit(guard, msg.reason);
    if (st.token_refresher)
      self->send_exit(st.token_refresher, msg.reason);
    if (st.filters)
      self->send_exit(st.filters, msg.reason);
    if (st.inbound)
      self->send_exit(st.inbound, msg.reason);
    self->send_exit(st.system_configs, msg.reason);
    self->send_exit(st.config_manager, msg.reason);
    if (st.events)
      self->send_exit(st.events, msg.reason);
    self->send_exit(st.recorder, msg.reason);
    if (st.app_settings) {
      self->send_exit(st.app_settings, msg.reason);
      self->send_exit(st.tekton_fetcher, msg.reason);
    }
    for (const auto& reader : st.readers)
      self->send_exit(reader, msg.reason);
    self->send_exit(st.writer, msg.reason);
    self->send_exit(st.license, msg.reason);
    if (st.memory)
      self->send_exit(st.memory, msg.reason);
    self->quit(msg.reason);
  });
  return {
    [self](atom::status) -> caf::result<std::vector<component_health>> {
      const auto& st = self->state;
      auto probes = std::make_shared<std::vector<health_probe>>();
      auto add = [&](const auto& target, const char* name) {
        probes->push_back([self, target, name](auto next) {
          ping(self, target, name, std::move(next));
        });
      };
      // Reachable, yet writes may find no space: reads go on, so readiness
      // holds, and the next write that succeeds shows that space is back.
      probes->push_back([self, space = st.space](auto next) {
        ping(self, self->state.readers.front(), "storage",
             [space, next](component_health health) {
               if (health.up && space->exhausted) {
                 health.degraded = true;
                 health.detail = "out of space: writes are refused (507) "
                                 "until space is freed; reads are served";
               }
               next(std::move(health));
             });
      });
      probes->push_back([self](auto next) { next(messaging_health(self->state)); });
      add(st.license, "license");
      if (st.app_settings)
        add(st.app_settings, "tekton");
      // Without its own token ECR cannot call out (Tekton, Tenant Manager).
      if (st.token_refresher)
        add(st.token_refresher, "service-token");
      auto promise
        = self->make_response_promise<std::vector<component_health>>();
      probe_all(std::move(probes), 0, {}, promise);
      return promise;
    },
    [self](atom::components)
      -> caf::result<config_manager_actor, gateway_actor,
                     filter_resolver_actor, std::shared_ptr<read_batcher>,
                     system_config_manager_actor,
                     std::vector<access_guard_actor>> {
      const auto& st = self->state;
      return {st.config_manager, st.gateway, st.filters, st.reads,
              st.system_configs, st.guards};
    },
  };
}

caf::expected<std::shared_ptr<nats_client>>
connect_messaging(const settings& cfg, node_config& ncfg) {
  nats_settings connection{cfg.nats.urls, cfg.nats.username,
                           cfg.nats.password, cfg.service.replica_id,
                           cfg.nats.reconnect_buffer_bytes};
  auto urls = cfg.nats.urls;
  auto metrics = ncfg.metrics;
  // On a shared store, other replicas' changes are heard only while
  // connected (replica_sync): the cache serves only then. The SQLite file
  // has one process, whose cache is always right.
  auto shared_cache = selected_backend(cfg) == "mongodb"
                        ? ncfg.cache
                        : std::shared_ptr<config_cache>{};
  if (shared_cache)
    shared_cache->set_enabled(false);
  auto client = nats_client::connect(connection, [urls, metrics,
                                                  shared_cache](bool connected) {
    metrics->nats_state(connected);
    if (shared_cache)
      shared_cache->set_enabled(connected);
    if (connected)
      ECR_INFO("nats: connected");
    else
      ECR_WARN("nats: disconnected from {}; reconnecting",
               redact_url(urls.front()));
  });
  if (!client)
    return client.error();
  ncfg.nats = *client;
  ncfg.replica_id = cfg.service.replica_id;
  ncfg.filter_timeout
    = std::chrono::milliseconds{cfg.peers.endpoint_register_timeout_ms};
  auto& messaging = ncfg.messaging;
  messaging.tenant_id = cfg.service.default_tenant;
  messaging.tenant_scoped = cfg.security.tenant_scoped();
  messaging.applications = ncfg.applications;
  messaging.instance_name = cfg.service.instance_name;
  messaging.configuration_consumer = cfg.peers.configuration_consumer;
  messaging.endpoint_register = cfg.peers.endpoint_register;
  messaging.tenant_manager = cfg.peers.tenant_manager;
  messaging.max_payload_bytes = cfg.nats.max_payload_bytes;
  return client;
}

void configure_actor_system(caf::actor_system_config& sys_cfg,
                            const settings& cfg) {
  sys_cfg.set("scheduler.max-threads", cfg.scheduler_threads);
  // Work stealing polls idle workers awake every 50 us; on 2 cores that
  // steals the time the NATS and HTTP threads need (CDTP +20 % with
  // sharing, whose idle workers sleep on a condition variable).
  sys_cfg.set("scheduler.policy", caf::atom("sharing"));
  add_message_types(sys_cfg);
}

caf::expected<std::shared_ptr<node_config>>
make_node_config(const settings& cfg, std::shared_ptr<config_cache> cache,
                 std::shared_ptr<service_metrics> metrics) {
  auto result = std::make_shared<node_config>();
  auto writer_store = open_store(cfg, store_role::writer);
  if (!writer_store)
    return writer_store.error();
  result->writer_store = std::move(*writer_store);
  for (int i = 0; i < cfg.storage.sqlite_readers; ++i) {
    auto reader_store = open_store(cfg, store_role::reader);
    if (!reader_store)
      return reader_store.error();
    result->reader_stores.push_back(std::move(*reader_store));
  }
  result->cache = std::move(cache);
  result->metrics = std::move(metrics);
  result->group_commit_max = static_cast<size_t>(cfg.storage.group_commit_max);
  result->applications = std::make_shared<live_app_catalog>(
    cfg.tekton.enabled ? app_catalog{} : cfg.applications);
  // One pool for every outbound call, exported as the Kaa chart's alert
  // rules expect even while nothing uses it.
  outbound_http_options http;
  http.timeout = std::chrono::milliseconds{cfg.tekton.timeout_ms};
  http.connect_timeout = std::min(http.connect_timeout, http.timeout);
  auto outbound = std::make_shared<outbound_http_client>(http);
  result->metrics->watch_outbound_pool(
    cfg.metrics.service_label.empty() ? cfg.service.instance_name
                                      : cfg.metrics.service_label,
    [outbound] {
      auto now = outbound->stats();
      return service_metrics::pool_snapshot{now.leased, now.available,
                                            now.max, now.pending};
    });
  if (cfg.tekton.enabled) {
    if (!cfg.applications.applications().empty())
      ECR_WARN("kaa.applications is ignored: the application settings come "
               "from Tekton");
    tekton_config tekton;
    tekton.fetcher = {outbound, cfg.tekton.url, cfg.service.instance_name,
                      nullptr};
    tekton.provider = cfg.tekton.instance_name;
    tekton.retry_max = std::chrono::milliseconds{cfg.tekton.retry_max_ms};
    tekton.retry_min = std::min(tekton.retry_min, tekton.retry_max);
    result->tekton = std::move(tekton);
  }
  if (cfg.security.iamcore.enabled) {
    // iamcore's services take ECR's API key where Keycloak's take a token.
    auto credentials = std::make_shared<service_credentials>();
    credentials->use_api_key(cfg.security.iamcore.api_key);
    if (result->tekton)
      result->tekton->fetcher.credentials = credentials;
  } else if (cfg.security.enabled && !cfg.security.client_secret.empty()) {
    token_refresher_config token;
    token.http = outbound;
    token.issuer_url = cfg.security.issuer_private_url;
    token.client_id = cfg.security.client_id;
    token.client_secret = cfg.security.client_secret;
    token.credentials = std::make_shared<service_credentials>();
    if (result->tekton)
      result->tekton->fetcher.credentials = token.credentials;
    result->service_token = std::move(token);
  }
  if (cfg.security.active()) {
    access_checker_settings guard;
    guard.http = outbound;
    guard.issuer_public_url = cfg.security.issuer_public_url;
    guard.issuer_private_url = cfg.security.issuer_private_url;
    guard.client_id = cfg.security.client_id;
    guard.tenant_id = cfg.service.default_tenant;
    guard.decision_ttl_s = cfg.security.decision_cache_seconds;
    if (result->service_token)
      guard.authorization_header = [credentials = result->service_token->credentials] {
        return credentials->authorization_header();
      };
    if (cfg.security.iamcore.enabled)
      guard.iamcore = access_checker_settings::iamcore_settings{
        cfg.security.iamcore.url, cfg.security.iamcore.application};
    else if (cfg.security.multitenancy.enabled)
      guard.multitenancy = access_checker_settings::multitenancy_settings{
        cfg.security.multitenancy.tenant_manager_url,
        cfg.security.multitenancy.context_cache_seconds};
    if (auto err = validate(guard))
      return err;
    result->security = make_access_checker(guard);
  }
  result->license.path = cfg.license.cert_path;
  result->license.password = cfg.license.cert_password;
  result->license.enforce = cfg.license.enforce;
  result->license.gate = std::make_shared<license_gate>();
  if (cfg.memory.release_interval_seconds > 0)
    result->memory = memory_keeper_config{
      std::chrono::seconds{cfg.memory.release_interval_seconds},
      cfg.memory.release_above_bytes};
  return result;
}

caf::expected<rest_api_config>
connect_gateway(caf::scoped_actor& self, const node_actor& supervisor,
                const settings& cfg, const node_config& ncfg) {
  rest_api_config rest;
  rest.tenant_id = cfg.service.default_tenant;
  rest.tenant_scoped = cfg.security.tenant_scoped();
  rest.checker = ncfg.security;
  rest.cache = ncfg.cache;
  rest.metrics = ncfg.metrics;
  rest.applications = ncfg.applications;
  rest.license = ncfg.license.gate;
  rest.metrics_path = cfg.metrics.path;
  rest.node = supervisor;
  caf::error err;
  self->request(supervisor, std::chrono::seconds{10}, atom::components_v)
    .receive(
      [&](config_manager_actor& manager, gateway_actor& bridge,
          filter_resolver_actor& filters,
          std::shared_ptr<read_batcher>& reads,
          system_config_manager_actor& system_configs,
          std::vector<access_guard_actor>& guards) {
        rest.guards = std::move(guards);
        rest.config_manager = std::move(manager);
        rest.bridge = std::move(bridge);
        rest.filters = std::move(filters);
        rest.reads = std::move(reads);
        rest.system_configs = std::move(system_configs);
      },
      [&](caf::error& failure) { err = std::move(failure); });
  if (err)
    return err;
  if (auto invalid = validate(rest))
    return invalid;
  return rest;
}

int run_service(const settings& cfg) {
  auto started = std::chrono::steady_clock::now();
  auto grace = std::chrono::seconds{cfg.service.graceful_shutdown_seconds};
  // First: it must exist before any other thread. Destroyed last, it bounds
  // every stop, up to the end of the actor system.
  auto stop = stop_control::start(grace);
  if (!stop) {
    ECR_ERROR("cannot start: {}", error_message(stop.error()));
    return 1;
  }
  std::signal(SIGPIPE, SIG_IGN);
  if (cfg.tekton.enabled || cfg.security.active())
    outbound_http_client::global_init();

  auto cache = std::make_shared<config_cache>(cfg.cache.max_bytes,
                                              render_config);
  auto metrics = std::make_shared<service_metrics>(ECR_VERSION);
  auto ncfg = make_node_config(cfg, cache, metrics);
  if (!ncfg) {
    ECR_ERROR("cannot open the store: {}", error_message(ncfg.error()));
    return 1;
  }
  auto nats = connect_messaging(cfg, **ncfg);
  if (!nats) {
    ECR_ERROR("cannot set up NATS: {}", error_message(nats.error()));
    return 2;
  }

  caf::actor_system_config sys_cfg;
  configure_actor_system(sys_cfg, cfg);
  caf::actor_system sys{sys_cfg};
  auto supervisor = sys.spawn(node, *ncfg);

  int exit_code = 0;
  std::unique_ptr<http_server> server;
  {
    caf::scoped_actor self{sys};
    caf::error start_error;
    auto rest = connect_gateway(self, supervisor, cfg, **ncfg);
    if (!rest)
      start_error = rest.error();
    if (!start_error) {
      auto started_server = http_server::start(http_options(cfg.server),
                                               make_rest_handler(*rest));
      if (started_server)
        server = std::move(*started_server);
      else
        start_error = started_server.error();
    }
    if (start_error) {
      (*stop)->stop_without_drain();
      ECR_ERROR("cannot start: {}", error_message(start_error));
      exit_code = error_code(start_error) == ec::invalid_configuration ? 2 : 1;
    } else {
      auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
      ECR_INFO("ecr ready: listening on {}:{} (instance {}, replica {}, "
               "store {}, started in {} ms)",
               cfg.server.address, server->port(), cfg.service.instance_name,
               cfg.service.replica_id, cfg.storage.backend, elapsed.count());
      auto signal_number = (*stop)->wait();
      ECR_INFO("{}; stopping: draining requests for up to {} s",
               component_failed ? "a component failed"
                                : std::string{"received "}
                                    + strsignal(signal_number),
               grace.count());
      if (!server->shutdown(grace))
        ECR_WARN("{} requests were still in flight after the grace period",
                 server->in_flight());
      if (component_failed)
        exit_code = 1;
    }
    // Whether or not the start went through: no new NATS deliveries once
    // the actors begin to stop, and the subscriptions' handlers hold actors
    // that the actor system would wait for forever.
    (*nats)->close();
    self->send_exit(supervisor, caf::exit_reason::user_shutdown);
    self->wait_for(supervisor);
  }
  sys.await_all_actors_done();
  // A failed start said so in its one line.
  if (server)
    ECR_INFO("stopped");
  // Destroyed only now: late replies from actors post to its io_context.
  server.reset();
  return exit_code;
}

} // namespace ecr
