#pragma once

// Every typed actor interface of the service, in one place.

#include "actors/type_ids.hpp"
#include "applications/app_catalog.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/send.hpp>
#include <caf/typed_actor.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace ecr {

/// A partial update (B2) on its way to the store writer: what it makes of a
/// configuration's current content (its new content, minified, or why it
/// cannot apply). Carries a closure, so it never leaves the process.
struct config_change {
  std::function<caf::expected<std::string>(const config_record& current)>
    apply;
};

/// The STORE WRITER: the single writer of the store. Writes are grouped into
/// one durable commit per batch; each is answered only after that commit.
using store_writer_actor = caf::typed_actor<
  // Upserts a configuration: key, minified content, If-Match, the configId to
  // use if the content changes, the time of the write and who made it.
  caf::replies_to<atom::put, config_key, std::string, precondition, std::string,
                  int64_t, change_source>::with<put_result>,
  // Deletes a configuration under an If-Match at a time; answers the
  // removed record and the default now in force instead.
  caf::replies_to<atom::erase, config_key, precondition, int64_t,
                  change_source>::with<erase_result>,
  // Upserts one content at many keys (batch), each with a fresh configId if
  // it changes, at one time.
  caf::replies_to<atom::put, std::vector<config_key>, std::string, int64_t,
                  change_source>::with<std::vector<put_result>>,
  // Patches a configuration under an If-Match, with the configId to use if
  // its content changes, at a time.
  caf::replies_to<atom::patch, config_key, config_change, precondition,
                  std::string, int64_t, change_source>::with<put_result>,
  // Patches the configurations at many keys, all or nothing: every result
  // is computed before any is written; keys without one are reported.
  caf::replies_to<atom::patch, std::vector<config_key>, config_change,
                  int64_t, change_source>::with<bulk_patch_result>,
  // Records a delivery confirmation (implicit or explicit) at a time.
  caf::replies_to<atom::confirm, status_record, bool, int64_t>::with<
    status_record>,
  // Records dispatches and implicit confirmations, each at its own time
  // (last_dispatched_ms / last_confirmed_ms); answers how many were applied.
  caf::replies_to<atom::dispatch, std::vector<status_record>,
                  std::vector<status_record>>::with<uint64_t>,
  // Purges an endpoint of a tenant, or the whole tenant for an empty
  // endpoint; answers the records removed.
  caf::replies_to<atom::purge, std::string, std::string>::with<uint64_t>,
  // Creates a system configuration (A17; `ec::conflict` for a taken name).
  caf::replies_to<atom::create, system_config_record>::with<
    system_config_record>,
  // Updates the system configuration with that configId at that level, at a
  // time (`ec::not_found` when it is at another level).
  caf::replies_to<atom::put, system_config_record, int64_t>::with<
    system_config_record>,
  // Deletes the system configuration with that configId at that level;
  // answers the removed record.
  caf::replies_to<atom::erase, system_config_record>::with<
    system_config_record>,
  // Commits the pending batch (sent by the writer to itself).
  caf::reacts_to<atom::internal, atom::flush>>;

struct config_reads;
class read_batcher;


/// A STORE READER: answers reads on its own store handle and offers the read
/// cache what single-configuration reads find. Callers outside the actor
/// system (HTTP io threads, NATS delivery threads) send their cache misses
/// straight to a reader as `config_reads`, batched by a `read_batcher`, which
/// costs one hop there per batch; the answers go back together.
using store_reader_actor = caf::typed_actor<
  // One configuration; `ec::not_found` if absent.
  caf::replies_to<atom::get, config_key>::with<config_record>,
  // The configuration in force at an endpoint key: its own, else the app
  // version's default of that name (`ec::not_found` for neither).
  caf::replies_to<atom::resolve, config_key>::with<config_record>,
  // Reads for callers outside the actor system, each handed to its delivery.
  caf::reacts_to<atom::get, config_reads>,
  // All names of (tenant, endpoint or default, app version).
  caf::replies_to<atom::list, config_key>::with<std::vector<config_record>>,
  // One page of an endpoint's delivery statuses.
  caf::replies_to<atom::list, status_query>::with<status_page>,
  // One page (number, size) of a key's versions, newest first (B1).
  caf::replies_to<atom::history, config_key, int64_t, int64_t>::with<
    version_page>,
  // The version of a key with that configId.
  caf::replies_to<atom::get, config_key, std::string>::with<config_version>,
  // The system configuration with that configId at that level.
  caf::replies_to<atom::get, system_config_record>::with<system_config_record>,
  // The system configuration of that name at that level.
  caf::replies_to<atom::find, system_config_record>::with<system_config_record>,
  // All system configurations at a level, oldest first.
  caf::replies_to<atom::list, system_config_record>::with<
    std::vector<system_config_record>>,
  // The app version of an endpoint (tenant, endpoint), for A17's tree walk.
  caf::replies_to<atom::parent, std::string, std::string>::with<std::string>,
  // Checks that the store answers.
  caf::replies_to<atom::ping>::with<component_health>>;

/// The CONFIG MANAGER: the domain logic of endpoint and default
/// configurations. Assigns configIds and keeps the read cache coherent.
using config_manager_actor = caf::typed_actor<
  // Upserts a configuration (minified content) under an If-Match.
  caf::replies_to<atom::put, config_key, std::string, precondition,
                  change_source>::with<put_result>,
  // Upserts one content at many keys (E5, E6); answers how many changed.
  caf::replies_to<atom::put, std::vector<config_key>, std::string,
                  change_source>::with<uint64_t>,
  // Patches one configuration under an If-Match (B2).
  caf::replies_to<atom::patch, config_key, config_change, precondition,
                  change_source>::with<put_result>,
  // Patches many configurations, all or nothing (B2).
  caf::replies_to<atom::patch, std::vector<config_key>, config_change,
                  change_source>::with<bulk_patch_result>,
  // Reads one configuration.
  caf::replies_to<atom::get, config_key>::with<config_record>,
  // Deletes one configuration under an If-Match.
  caf::replies_to<atom::erase, config_key, precondition,
                  change_source>::with<config_record>,
  // One page (number, size) of a key's versions, newest first (B1).
  caf::replies_to<atom::history, config_key, int64_t, int64_t>::with<
    version_page>,
  // The version of a key with that configId.
  caf::replies_to<atom::get, config_key, std::string>::with<config_version>,
  // Lists all names of (tenant, endpoint or default, app version).
  caf::replies_to<atom::list, config_key>::with<std::vector<config_record>>,
  // The effective configuration of an endpoint: its own, else the app
  // version's default (`ec::not_found` for neither).
  caf::replies_to<atom::resolve, config_key>::with<config_record>,
  // Records an explicit delivery confirmation (config.applied).
  caf::replies_to<atom::confirm, status_record>::with<status_record>,
  // Purges an endpoint (or a whole tenant, for an empty endpoint) and
  // forgets what the cache knew.
  caf::replies_to<atom::purge, std::string, std::string>::with<uint64_t>,
  // One page of an endpoint's delivery statuses.
  caf::replies_to<atom::list, status_query>::with<status_page>>;

/// The SYSTEM CONFIG MANAGER: system configurations at the TENANT,
/// APPLICATION, APP_VERSION and ENDPOINT levels (A17), announced over 27/SCMP.
/// A message's record names the level (tenant, level, levelId) and, as each
/// operation needs, the configId, name and content.
using system_config_manager_actor = caf::typed_actor<
  // Creates a record (configId and dates are assigned).
  caf::replies_to<atom::create, system_config_record>::with<
    system_config_record>,
  // Replaces display name and content of the record with that configId.
  caf::replies_to<atom::put, system_config_record>::with<system_config_record>,
  caf::replies_to<atom::erase, system_config_record>::with<
    system_config_record>,
  caf::replies_to<atom::get, system_config_record>::with<system_config_record>,
  caf::replies_to<atom::list, system_config_record>::with<
    std::vector<system_config_record>>,
  // The record of that name at the level, or (when the flag is set) at the
  // nearest level above that has one: ENDPOINT, APP_VERSION, APPLICATION,
  // TENANT.
  caf::replies_to<atom::resolve, system_config_record, bool>::with<
    system_config_record>>;

/// The LICENSE CHECKER: looks at the license file at start and then
/// periodically (A23).
using license_checker_actor = caf::typed_actor<
  // The license state, as a readiness component.
  caf::replies_to<atom::ping>::with<component_health>,
  // Checks again (sent by the checker to itself).
  caf::reacts_to<atom::internal, atom::check>>;

/// The MEMORY KEEPER: looks periodically at the memory the heap holds free
/// and gives it back to the system once there is enough of it.
using memory_keeper_actor = caf::typed_actor<
  // Looks again (sent by the keeper to itself).
  caf::reacts_to<atom::internal, atom::check>>;

/// The TEKTON FETCHER: GETs this instance's application settings from
/// Tekton (spec 7.2). Its HTTP calls block, so it runs detached.
using tekton_fetcher_actor = caf::typed_actor<
  // The settings, parsed and with their schemas compiled.
  caf::replies_to<atom::get>::with<app_catalog>>;

/// The APP SETTINGS REFRESHER: loads the application settings from Tekton at
/// start (retrying with backoff while that fails) and again whenever Tekton
/// announces a change (17/SCMP), and replaces the live settings with them.
using app_settings_refresher_actor = caf::typed_actor<
  // Whether settings from Tekton are in force, as a readiness component.
  caf::replies_to<atom::ping>::with<component_health>,
  // Tekton announced a change (17/SCMP).
  caf::reacts_to<atom::reload>,
  // Tries again after a failure (sent by the refresher to itself).
  caf::reacts_to<atom::internal, atom::reload>>;

/// The STATUS RECORDER: writes the delivery bookkeeping that the CDTP path
/// collects in a delivery log, behind and in batches (it is history, not
/// acknowledged data).
using status_recorder_actor = caf::typed_actor<
  // The delivery log has records (it was empty, or is at its high water).
  caf::reacts_to<atom::dispatch>,
  // Writes what was collected (sent by the recorder to itself).
  caf::reacts_to<atom::internal, atom::flush>>;

/// The EVENT PUBLISHER: announces changed effective configurations
/// (6/CDTP config.updated), one event per endpoint.
using event_publisher_actor = caf::typed_actor<
  // The effective configuration now in force for these endpoints.
  caf::reacts_to<atom::publish, config_record, std::vector<std::string>>,
  // A system configuration was created or updated (27/SCMP).
  caf::reacts_to<atom::publish, system_config_record>,
  // This replica committed a change of the configuration at this key: the
  // other replicas must forget it (replica_sync).
  caf::reacts_to<atom::changed, config_key>,
  // ... or of many keys (a purge): they forget everything.
  caf::reacts_to<atom::changed>>;

/// An ACCESS GUARD: authenticates a REST caller's bearer token against the
/// issuer's keys and asks Keycloak (UMA) whether it holds each permission.
/// Errors: `ec::unauthenticated` (401), `ec::forbidden` (403),
/// `ec::unavailable` when the issuer cannot decide (503; never allow).
using access_guard_actor = caf::typed_actor<
  caf::replies_to<atom::check, access_request>::with<access_grant>,
  // A tenant changed or left (21/TLE): its security context, and the tokens
  // verified with it, are no longer trusted.
  caf::reacts_to<atom::forget, std::string>>;

/// The TOKEN REFRESHER: keeps ECR's own client-credentials token fresh for
/// outbound calls (spec 9.3).
using token_refresher_actor = caf::typed_actor<
  // Whether a token is in force (readiness detail).
  caf::replies_to<atom::ping>::with<component_health>,
  // Time to ask for a new token.
  caf::reacts_to<atom::internal, atom::reload>>;

/// The FILTER RESOLVER: asks EPR over 20/EFMP which endpoints match a
/// filter (A15).
using filter_resolver_actor = caf::typed_actor<
  // The matches of a filter; `ec::not_found` when EPR does not know it,
  // `ec::timeout` without an answer in time, `ec::upstream_failure` else.
  caf::replies_to<atom::resolve, std::string>::with<std::vector<config_key>>,
  // An EPR answer (from a NATS delivery thread).
  caf::reacts_to<filter_answer>,
  // Gives up waiting for an answer (sent by the resolver to itself).
  caf::reacts_to<atom::internal, atom::expire, std::string>>;

/// The INBOUND actor: carries out what NATS delivery threads decoded, so
/// that those threads never wait.
/// Each message carries the correlationId of the event it came from, for the
/// log lines about it.
using inbound_actor = caf::typed_actor<
  // A delivery confirmation (config.applied).
  caf::reacts_to<atom::confirm, status_record, std::string>,
  // An endpoint (or, for an empty endpoint, a tenant) was unregistered.
  caf::reacts_to<atom::purge, std::string, std::string, std::string>>;

struct gateway_job;

/// The GATEWAY BRIDGE: runs jobs posted by HTTP io threads inside the actor
/// world, so they can `request` domain actors and post replies back.
using gateway_actor = caf::typed_actor<caf::reacts_to<gateway_job>>;

/// The NODE: supervises the components and reports their health.
using node_actor = caf::typed_actor<
  // Readiness of every component.
  caf::replies_to<atom::status>::with<std::vector<component_health>>,
  // The components the HTTP gateway talks to (an invalid resolver when the
  // node runs without NATS), and the node's one read batcher, which CDTP
  // shares, so that it sees every batch its readers have to answer.
  caf::replies_to<atom::components>::with<config_manager_actor, gateway_actor,
                                          filter_resolver_actor,
                                          std::shared_ptr<read_batcher>,
                                          system_config_manager_actor,
                                          std::vector<access_guard_actor>>>;

/// Work for the gateway bridge. Carries a closure, so it never leaves the
/// process.
struct gateway_job {
  std::function<void(gateway_actor::pointer)> run;
};

/// Where a store reader hands a read made for a caller outside the actor
/// system. `deliver` runs on the reader's thread, so it must only pass the
/// outcome on (post it to an io thread, publish it), never block.
struct config_delivery {
  std::function<void(caf::expected<config_record>)> deliver;
};

/// A read for a caller outside the actor system: the configuration at `key`,
/// or with `resolve` the one in force there, handed to `to`.
struct config_read {
  config_key key;
  bool resolve = false;
  config_delivery to;
};

/// Reads sent to one reader together; `done` runs on the reader's thread
/// once every one of them has been handed to its delivery.
struct config_reads {
  std::vector<config_read> reads;
  std::function<void()> done;
};

/// Collects the cache misses of callers outside the actor system (HTTP io
/// threads, NATS delivery threads) and sends them to the store readers in
/// batches: the caller flushes when the burst of requests that arrived
/// together has been handled, so a burst wakes a reader once rather than
/// once per miss (waking a thread costs more than the read itself).
/// Only reads added inside a `burst` scope wait for that flush; any other
/// (a request continued on an actor's thread) leaves at once, and so does a
/// full batch, which bounds the wait of its first read.
///
/// A batch goes to the first reader that is not behind (fewer than
/// `max_waiting` of its batches unanswered): a reader that finds the next
/// batch already queued reads on without sleeping, so the readers after the
/// first take batches only when it cannot keep up. Thread-safe.
class read_batcher {
public:
  /// Marks the current thread, while alive, as handling requests whose
  /// reads `flush` will send.
  class burst {
  public:
    explicit burst(const read_batcher& batcher) : previous_(collecting_) {
      collecting_ = &batcher;
    }

    ~burst() {
      collecting_ = previous_;
    }

    burst(const burst&) = delete;
    burst& operator=(const burst&) = delete;

  private:
    const read_batcher* previous_;
  };

  explicit read_batcher(std::vector<store_reader_actor> readers,
                        size_t max_batch = 64, size_t max_waiting = 4)
    : readers_(std::move(readers)),
      max_batch_(max_batch),
      max_waiting_(max_waiting),
      unanswered_(std::make_shared<std::vector<std::atomic<size_t>>>(
        readers_.size())) {
    // nop
  }

  bool has_readers() const noexcept {
    return !readers_.empty();
  }

  /// Queues a read inside a burst, else sends it; sends the batch when it
  /// is full.
  void add(config_read read) {
    std::vector<config_read> full;
    if (collecting_ != this) {
      full.push_back(std::move(read));
      return send(std::move(full));
    }
    {
      std::lock_guard<std::mutex> guard{mutex_};
      pending_.push_back(std::move(read));
      if (pending_.size() < max_batch_)
        return;
      full.swap(pending_);
    }
    send(std::move(full));
  }

  /// Sends what is queued: the burst it belongs to has been handled.
  void flush() {
    std::vector<config_read> batch;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      if (pending_.empty())
        return;
      batch.swap(pending_);
    }
    send(std::move(batch));
  }

private:
  void send(std::vector<config_read> batch) {
    auto index = pick();
    auto& unanswered = *unanswered_;
    unanswered[index].fetch_add(1, std::memory_order_relaxed);
    // The counters are shared: a reader may answer after the batcher is gone.
    auto done = [counters = unanswered_, index] {
      (*counters)[index].fetch_sub(1, std::memory_order_relaxed);
    };
    caf::anon_send(readers_[index], atom::get_v,
                   config_reads{std::move(batch), std::move(done)});
  }

  /// The first reader not behind, else the one least behind.
  size_t pick() const {
    const auto& unanswered = *unanswered_;
    size_t least = 0;
    for (size_t index = 0; index < unanswered.size(); ++index) {
      auto waiting = unanswered[index].load(std::memory_order_relaxed);
      if (waiting < max_waiting_)
        return index;
      if (waiting < unanswered[least].load(std::memory_order_relaxed))
        least = index;
    }
    return least;
  }

  static inline thread_local const read_batcher* collecting_ = nullptr;

  const std::vector<store_reader_actor> readers_;
  const size_t max_batch_;
  const size_t max_waiting_;
  /// Per reader, batches sent and not yet answered.
  const std::shared_ptr<std::vector<std::atomic<size_t>>> unanswered_;
  std::mutex mutex_;
  std::vector<config_read> pending_;
};

} // namespace ecr

// Closures, actor handles and compiled schemas: these messages never leave
// the process.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ecr::gateway_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ecr::config_reads)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ecr::config_change)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ecr::app_catalog)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<ecr::read_batcher>)
