#include "storage/mongo_store.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "settings/settings.hpp"
#include "storage/mongo_client.hpp"
#include "storage/mongo_documents.hpp"
#include "storage/mongo_versions.hpp"

#include <mongoc/mongoc.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <variant>

namespace ecr {

namespace {

using namespace mongo;

// -- the store --------------------------------------------------------------------

class mongo_store final : public store {
public:
  mongo_store(std::shared_ptr<connection> conn, store_role role,
              history_policy policy)
    : client_(std::move(conn)), writer_(role == store_role::writer),
      policy_(policy) {
    for (auto name : mongo::all_collections())
      collections_.emplace(name, collection_ptr{mongoc_client_get_collection(
                                   client_.get(), client_.database().c_str(),
                                   name)});
  }

  /// Creates the indexes; until that worked once, writes try again first.
  caf::error ensure_indexes() {
    if (indexes_ready_)
      return {};
    auto db = database();
    for (auto name : mongo::all_collections()) {
      auto command = mongo::create_indexes_command(name);
      reply_doc reply;
      bson_error_t error;
      if (!mongoc_database_write_command_with_opts(db.get(), command.get(),
                                                   nullptr, &reply.doc, &error))
        return failure("cannot create the indexes", error);
    }
    indexes_ready_ = true;
    return {};
  }

  // -- group commit: every write is durable on its own -----------------------

  caf::error begin_batch() override {
    return {};
  }

  caf::error commit_batch() override {
    return {};
  }

  // -- read snapshots: every read sees the latest writes ----------------------

  caf::error begin_snapshot() override {
    return {};
  }

  void end_snapshot() override {
    // nop
  }

  // -- configurations ----------------------------------------------------------

  caf::expected<put_result> put_config(const config_key& key,
                                       const std::string& content,
                                       const precondition& pre,
                                       const std::string& new_config_id,
                                       int64_t now_ms,
                                       const change_source& source) override {
    return change_key(key, [&](const key_state& state) {
      return plan_put(state.current ? &*state.current : nullptr, key, content,
                      pre, new_config_id, now_ms);
    }, source);
  }

  caf::expected<put_result>
  modify_config(const config_key& key, const config_modifier& change,
                const precondition& pre, const std::string& new_config_id,
                int64_t now_ms, const change_source& source) override {
    // Each attempt applies `change` to what is there then: a concurrent
    // write is never lost under a partial update.
    return change_key(
      key,
      [&](const key_state& state) -> caf::expected<put_result> {
        const auto* current = state.current ? &*state.current : nullptr;
        if (auto err = check_existing(current, pre))
          return err;
        auto content = change(*current);
        if (!content)
          return content.error();
        return plan_put(current, key, *content, {}, new_config_id, now_ms);
      },
      source);
  }

  caf::expected<config_record> get_config(const config_key& key) override {
    auto found = find_config(key);
    if (!found)
      return found.error();
    if (!*found)
      return make_error(ec::not_found, "configuration not found");
    return std::move(**found);
  }

  caf::expected<std::vector<config_record>>
  list_configs(const config_key& scope) override {
    auto filter = strings({{field::tenant, scope.tenant_id},
                           {field::app_version, scope.app_version}});
    if (!scope.is_default())
      BSON_APPEND_UTF8(filter.get(), field::endpoint, scope.endpoint_id.c_str());
    auto opts = find_options({{field::name, 1}});
    return find_all(of(mongo::collection_of(scope)), *live(std::move(filter)),
                    opts.get(),
                    [&](const bson_t& doc) {
                      return mongo::read_config(doc, scope.is_default());
                    });
  }

  caf::expected<config_record>
  delete_config(const config_key& key, const precondition& pre, int64_t now_ms,
                const change_source& source) override {
    if (auto err = writable())
      return err;
    for (int attempt = 0; attempt < max_attempts; ++attempt) {
      auto state = key_state_of(key);
      if (!state)
        return state.error();
      const auto* current = state->current ? &*state->current : nullptr;
      if (auto err = check_existing(current, pre))
        return err;
      auto written = record_change(
        of(mongo::collection_of(key)), of(collection::version_contents), key,
        *state, nullptr,
        tombstone_of(*current, state->history.revision + 1, now_ms, source),
        policy_);
      if (!written)
        return written.error();
      if (*written)
        return std::move(*state->current);
    }
    return too_contended("deleting a configuration");
  }

  // -- revision history ----------------------------------------------------------

  caf::expected<int64_t> revision_of(const config_key& key) override {
    auto state = key_state_of(key);
    if (!state)
      return state.error();
    return state->history.revision;
  }

  caf::expected<version_page> list_versions(const config_key& key,
                                            int64_t page,
                                            int64_t size) override {
    auto state = key_state_of(key);
    if (!state)
      return state.error();
    return versions_page(of(collection::version_contents), *state, page, size);
  }

  caf::expected<config_version>
  get_version(const config_key& key, const std::string& config_id) override {
    auto state = key_state_of(key);
    if (!state)
      return state.error();
    return version_with(of(collection::version_contents), *state, config_id);
  }

  caf::expected<std::vector<std::string>>
  endpoints_following_default(const std::string& tenant_id,
                              const std::string& app_version,
                              const std::string& name) override {
    auto filter = strings({{field::tenant, tenant_id},
                           {field::app_version, app_version}});
    std::set<std::string> known;
    std::set<std::string> own;
    auto configs = each(of(collection::endpoint_configs),
                        *live(strings({{field::tenant, tenant_id},
                                       {field::app_version, app_version}})),
                        nullptr,
                        [&](const bson_t& doc) -> caf::error {
                          auto endpoint = mongo::text_field(doc, field::endpoint);
                          if (mongo::text_field(doc, field::name) == name)
                            own.insert(endpoint);
                          known.insert(std::move(endpoint));
                          return {};
                        });
    if (configs)
      return configs;
    auto statuses = each(of(collection::statuses), *filter, nullptr,
                         [&](const bson_t& doc) -> caf::error {
                           known.insert(mongo::text_field(doc, field::endpoint));
                           return {};
                         });
    if (statuses)
      return statuses;
    std::vector<std::string> result;
    for (auto& endpoint : known)
      if (!own.count(endpoint))
        result.push_back(endpoint);
    return result;
  }

  // -- statuses ----------------------------------------------------------------

  caf::expected<status_record> record_dispatch(const status_record& dispatch,
                                               int64_t now_ms) override {
    if (auto err = record_dispatches_at({dispatch}, now_ms))
      return err;
    return get_status(dispatch);
  }

  caf::expected<uint64_t>
  record_dispatches(const std::vector<status_record>& dispatches) override {
    if (auto err = record_dispatches_at(dispatches, 0))
      return err;
    return static_cast<uint64_t>(dispatches.size());
  }

  caf::expected<status_record>
  record_confirmation(const status_record& confirmation, bool implicit,
                      int64_t now_ms) override {
    if (auto err = writable())
      return err;
    for (int attempt = 0; attempt < max_attempts; ++attempt) {
      auto existing = find_status(confirmation);
      if (!existing)
        return existing.error();
      if (implicit) {
        if (*existing && (*existing)->status == delivery_status::failed)
          return std::move(**existing);
        auto known = config_id_known(confirmation);
        if (!known)
          return known.error();
        if (!*known)
          return make_error(ec::not_found,
                            "configId is not known for this endpoint");
      }
      std::string content;
      if (!*existing) {
        auto stored = content_of(confirmation);
        if (!stored)
          return stored.error();
        content = std::move(*stored);
      }
      auto filter = mongo::status_filter(confirmation);
      // An implicit confirmation must not overwrite a FAILED record that
      // appeared since it was read: such a record matches nothing here, and
      // the upsert's insert then hits the unique key.
      if (implicit) {
        bson_t not_failed;
        bson_append_document_begin(filter.get(), field::status, -1,
                                   &not_failed);
        BSON_APPEND_UTF8(&not_failed, "$ne", "FAILED");
        bson_append_document_end(filter.get(), &not_failed);
      }
      auto update = mongo::confirmation_update(confirmation, content, now_ms);
      auto upsert = BCON_NEW("upsert", BCON_BOOL(true));
      bson_ptr upsert_opts{upsert};
      bson_error_t error;
      reply_doc reply;
      if (mongoc_collection_update_one(&of(collection::statuses), filter.get(),
                                       update.get(), upsert_opts.get(),
                                       &reply.doc, &error))
        return get_status(confirmation);
      if (!is_duplicate_key(error))
        return failure("cannot record a confirmation", error);
    }
    return too_contended("recording a confirmation");
  }

  caf::expected<status_page> list_statuses(const status_query& query) override {
    auto filter = strings({{field::tenant, query.tenant_id},
                           {field::endpoint, query.endpoint_id}});
    if (!query.app_version.empty())
      BSON_APPEND_UTF8(filter.get(), field::app_version,
                       query.app_version.c_str());
    if (!query.config_id.empty())
      BSON_APPEND_UTF8(filter.get(), field::config_id, query.config_id.c_str());
    bson_error_t error;
    auto total = mongoc_collection_count_documents(&of(collection::statuses),
                                                   filter.get(), nullptr,
                                                   nullptr, nullptr, &error);
    if (total < 0)
      return failure("cannot count status records", error);
    auto opts = find_options({{field::dispatched, query.ascending ? 1 : -1},
                              {field::config_id, 1}},
                             query.size, query.page * query.size);
    auto items = find_all(of(collection::statuses), *filter, opts.get(),
                          mongo::read_status);
    if (!items)
      return items.error();
    return status_page{std::move(*items), total};
  }

  // -- system configurations ---------------------------------------------------

  caf::expected<system_config_record>
  create_system_config(const system_config_record& record) override {
    if (auto err = writable())
      return err;
    auto doc = mongo::system_config_document(record);
    bson_error_t error;
    if (mongoc_collection_insert_one(&of(collection::system_configs), doc.get(),
                                     nullptr, nullptr, &error))
      return record;
    if (is_duplicate_key(error))
      return make_error(ec::conflict, "a system configuration named '"
                                        + record.name
                                        + "' already exists at this level");
    return failure("cannot store a system configuration", error);
  }

  caf::expected<system_config_record>
  get_system_config(const std::string& tenant_id,
                    const std::string& config_id) override {
    auto filter = strings({{field::tenant, tenant_id},
                           {field::config_id, config_id}});
    return find_one(of(collection::system_configs), *filter,
                    mongo::read_system_config, "system configuration");
  }

  caf::expected<std::string>
  app_version_of_endpoint(const std::string& tenant_id,
                          const std::string& endpoint_id) override {
    auto filter = strings({{field::tenant, tenant_id},
                           {field::endpoint, endpoint_id}});
    auto app_version = [](const bson_t& doc) -> caf::expected<std::string> {
      return mongo::text_field(doc, field::app_version);
    };
    auto by_config = find_all(of(collection::endpoint_configs),
                              *live(strings({{field::tenant, tenant_id},
                                             {field::endpoint, endpoint_id}})),
                              find_options({{field::updated, -1},
                                            {field::app_version, 1}},
                                           1)
                                .get(),
                              app_version);
    if (!by_config)
      return by_config.error();
    if (!by_config->empty())
      return by_config->front();
    return find_one(of(collection::statuses), *filter, app_version, "endpoint",
                    find_options({{field::dispatched, -1},
                                  {field::app_version, 1}},
                                 1)
                      .get());
  }

  caf::expected<system_config_record>
  find_system_config(const std::string& tenant_id, const std::string& level,
                     const std::string& level_id,
                     const std::string& name) override {
    auto filter = strings({{field::tenant, tenant_id},
                           {field::level, level},
                           {field::level_id, level_id},
                           {field::name, name}});
    return find_one(of(collection::system_configs), *filter,
                    mongo::read_system_config, "system configuration");
  }

  caf::expected<std::vector<system_config_record>>
  list_system_configs(const std::string& tenant_id, const std::string& level,
                      const std::string& level_id) override {
    auto filter = strings({{field::tenant, tenant_id},
                           {field::level, level},
                           {field::level_id, level_id}});
    auto opts = find_options({{field::created, 1}, {field::name, 1}});
    return find_all(of(collection::system_configs), *filter, opts.get(),
                    mongo::read_system_config);
  }

  caf::expected<system_config_record>
  update_system_config(const system_config_record& update,
                       int64_t now_ms) override {
    if (auto err = writable())
      return err;
    auto current = get_system_config(update.tenant_id, update.config_id);
    if (!current)
      return current.error();
    if (!update.name.empty() && update.name != current->name)
      return make_error(ec::invalid_argument,
                        "name cannot change: the stored name is '"
                          + current->name + "'");
    current->display_name = update.display_name;
    current->content = update.content;
    current->updated_ms = std::max(now_ms, current->updated_ms);
    auto filter = strings({{field::tenant, update.tenant_id},
                           {field::config_id, update.config_id}});
    auto doc = mongo::system_config_document(*current);
    bson_error_t error;
    reply_doc reply;
    if (!mongoc_collection_replace_one(&of(collection::system_configs),
                                       filter.get(), doc.get(), nullptr,
                                       &reply.doc, &error))
      return failure("cannot update a system configuration", error);
    if (reply.count("matchedCount") == 0)
      return make_error(ec::not_found, "system configuration not found");
    return current;
  }

  caf::error delete_system_config(const std::string& tenant_id,
                                  const std::string& config_id) override {
    if (auto err = writable())
      return err;
    auto filter = strings({{field::tenant, tenant_id},
                           {field::config_id, config_id}});
    auto removed = delete_matching(of(collection::system_configs), *filter,
                                   false);
    if (!removed)
      return removed.error();
    if (*removed == 0)
      return make_error(ec::not_found, "system configuration not found");
    return {};
  }

  // -- lifecycle ---------------------------------------------------------------

  caf::expected<uint64_t> purge_endpoint(const std::string& tenant_id,
                                         const std::string& endpoint_id) override {
    auto of_endpoint = strings({{field::tenant, tenant_id},
                                {field::endpoint, endpoint_id}});
    auto endpoint_level = strings({{field::tenant, tenant_id},
                                   {field::level, system_level::endpoint},
                                   {field::level_id, endpoint_id}});
    auto live_of_endpoint = live(strings({{field::tenant, tenant_id},
                                          {field::endpoint, endpoint_id}}));
    return delete_all({{collection::endpoint_configs, &*live_of_endpoint},
                       // Tombstones and contents: history, uncounted.
                       {collection::endpoint_configs, &*of_endpoint, false},
                       {collection::version_contents, &*of_endpoint, false},
                       {collection::statuses, &*of_endpoint},
                       {collection::system_configs, &*endpoint_level}});
  }

  caf::expected<uint64_t> purge_tenant(const std::string& tenant_id) override {
    auto of_tenant = strings({{field::tenant, tenant_id}});
    auto live_of_tenant = live(strings({{field::tenant, tenant_id}}));
    std::vector<deletion> targets;
    for (auto name : mongo::all_collections()) {
      auto configs = name == collection::endpoint_configs
                     || name == collection::default_configs;
      // Live records count; tombstones and contents are history.
      if (configs)
        targets.push_back({name, live_of_tenant.get()});
      targets.push_back({name, of_tenant.get(),
                         !configs && name != collection::version_contents});
    }
    return delete_all(targets);
  }

  // -- moving data -------------------------------------------------------------

  caf::error export_records(
    const std::function<caf::error(const stored_record&)>& emit) override {
    // Each collection in the order of its unique index: MongoDB 3.6 sorts
    // without an index only within 32 MiB.
    using order = std::initializer_list<std::pair<const char*, int>>;
    auto all = [&](const char* name, order by, auto visit) {
      bson_ptr everything{bson_new()};
      return each(of(name), *everything, find_options(by).get(), visit);
    };
    auto as_record = [&](auto read) {
      return [&, read](const bson_t& doc) -> caf::error {
        auto record = read(doc);
        if (!record)
          return record.error();
        return emit(stored_record{std::move(*record)});
      };
    };
    const order default_order{{field::tenant, 1}, {field::app_version, 1},
                              {field::name, 1}};
    const order endpoint_order{{field::tenant, 1},
                               {field::endpoint, 1},
                               {field::app_version, 1},
                               {field::name, 1}};
    for (auto is_default : {true, false}) {
      auto name = is_default ? collection::default_configs
                             : collection::endpoint_configs;
      auto by = is_default ? default_order : endpoint_order;
      // Live configurations, then every key's versions (tombstones too).
      if (auto err = all(name, by, [&](const bson_t& doc) -> caf::error {
            if (is_tombstone(doc))
              return {};
            return as_record([&](const bson_t& x) {
              return mongo::read_config(x, is_default);
            })(doc);
          }))
        return err;
      if (auto err = all(name, by, [&](const bson_t& doc) -> caf::error {
            return emit_versions(doc, is_default, emit);
          }))
        return err;
    }
    if (auto err = all(collection::statuses,
                       {{field::tenant, 1},
                        {field::endpoint, 1},
                        {field::app_version, 1},
                        {field::config_id, 1}},
                       as_record(mongo::read_status)))
      return err;
    return all(collection::system_configs,
               {{field::tenant, 1},
                {field::level, 1},
                {field::level_id, 1},
                {field::name, 1}},
               as_record(mongo::read_system_config));
  }

  caf::error import_record(const stored_record& record) override {
    if (auto err = writable())
      return err;
    return std::visit([this](const auto& x) { return replace(x); }, record);
  }

  caf::error import_config_as_version(const config_record& record) override {
    if (auto err = writable())
      return err;
    return with_key(record.key, [&](const key_state& state) -> caf::expected<bool> {
      if (state.current == record)
        return true;
      return record_change(of(mongo::collection_of(record.key)),
                           of(collection::version_contents), record.key, state,
                           &record,
                           version_of(record, state.history.revision + 1,
                                      {change_origin::import, {}}),
                           policy_);
    });
  }

  caf::error ping() override {
    auto command = BCON_NEW("ping", BCON_INT32(1));
    bson_ptr owned{command};
    reply_doc reply;
    bson_error_t error;
    if (!mongoc_client_command_simple(client_.get(), "admin", owned.get(),
                                      nullptr, &reply.doc, &error))
      return failure("the deployment does not answer", error);
    return {};
  }

private:
  mongoc_collection_t& of(const char* name) {
    return *collections_.at(name);
  }

  database_ptr database() {
    return database_ptr{mongoc_client_get_database(client_.get(),
                                                   client_.database().c_str())};
  }

  /// Readers refuse writes; the writer makes sure the unique indexes exist
  /// before its first, since they settle races between replicas.
  caf::error writable() {
    if (!writer_)
      return make_error(ec::storage_failure,
                        "mongodb: this store handle is read-only");
    return ensure_indexes();
  }

  caf::expected<std::optional<config_record>> find_config(const config_key& key) {
    auto found = get_one_config(key);
    if (found)
      return std::optional<config_record>{std::move(*found)};
    if (error_code(found.error()) == ec::not_found)
      return std::optional<config_record>{};
    return found.error();
  }

  caf::expected<config_record> get_one_config(const config_key& key) {
    auto filter = live(mongo::config_filter(key));
    return find_one(of(mongo::collection_of(key)), *filter,
                    [&](const bson_t& doc) {
                      return mongo::read_config(doc, key.is_default());
                    },
                    "configuration");
  }

  /// Emits the versions kept in one key's document, with their contents.
  caf::error
  emit_versions(const bson_t& doc, bool is_default,
                const std::function<caf::error(const stored_record&)>& emit) {
    auto state = state_of_document(doc, is_default);
    if (!state)
      return state.error();
    auto versions = state->history.versions;
    if (auto err = fill_contents(of(collection::version_contents), *state,
                                 versions))
      return err;
    for (auto& version : versions)
      if (auto err = emit(stored_record{std::move(version)}))
        return err;
    return {};
  }

  /// Writes what `plan(state)` decides over the key's document, with its
  /// version, until no other writer got in between.
  template <class Plan>
  caf::expected<put_result> change_key(const config_key& key, Plan plan,
                                       const change_source& source) {
    if (auto err = writable())
      return err;
    for (int attempt = 0; attempt < max_attempts; ++attempt) {
      auto state = key_state_of(key);
      if (!state)
        return state.error();
      auto planned = plan(*state);
      if (!planned)
        return planned;
      planned->revision = state->history.revision;
      if (!planned->changed)
        return planned;
      planned->revision += 1;
      auto written = record_change(
        of(mongo::collection_of(key)), of(collection::version_contents), key,
        *state, &planned->record,
        version_of(planned->record, planned->revision, source), policy_);
      if (!written)
        return written.error();
      if (*written)
        return planned;
    }
    return too_contended("storing a configuration");
  }

  caf::expected<key_state> key_state_of(const config_key& key) {
    return read_key_state(of(mongo::collection_of(key)), key);
  }

  caf::expected<status_record> get_status(const status_record& key) {
    auto filter = mongo::status_filter(key);
    return find_one(of(collection::statuses), *filter, mongo::read_status,
                    "status record");
  }

  caf::expected<std::optional<status_record>>
  find_status(const status_record& key) {
    auto found = get_status(key);
    if (found)
      return std::optional<status_record>{std::move(*found)};
    if (error_code(found.error()) == ec::not_found)
      return std::optional<status_record>{};
    return found.error();
  }

  /// Where `key.config_id` may be found for its endpoint: among the
  /// endpoint's own documents (any app version), and as its app version's
  /// default.
  static std::pair<bson_ptr, bson_ptr>
  config_id_filters(const status_record& key) {
    return {strings({{field::tenant, key.tenant_id},
                     {field::endpoint, key.endpoint_id},
                     {field::config_id, key.config_id}}),
            strings({{field::tenant, key.tenant_id},
                     {field::app_version, key.app_version},
                     {field::config_id, key.config_id}})};
  }

  /// The configuration a confirmed configId stands for, for a new status
  /// record: the endpoint's own or its app version's default; empty when
  /// neither holds it any more.
  caf::expected<std::string> content_of(const status_record& key) {
    auto [own, fallback] = config_id_filters(key);
    for (auto [name, filter] :
         {std::pair{collection::endpoint_configs, own.get()},
          std::pair{collection::default_configs, fallback.get()}}) {
      auto found = find_all(of(name), *filter, find_options({}, 1).get(),
                            [](const bson_t& doc) -> caf::expected<std::string> {
                              return mongo::text_field(doc, field::content);
                            });
      if (!found)
        return found.error();
      if (!found->empty())
        return found->front();
    }
    return std::string{};
  }

  /// A13: the configId is current for the endpoint (its own or its app
  /// version's default) or appears in its history.
  caf::expected<bool> config_id_known(const status_record& key) {
    auto [of_endpoint, fallback] = config_id_filters(key);
    for (auto [name, filter] :
         {std::pair{collection::statuses, of_endpoint.get()},
          std::pair{collection::endpoint_configs, of_endpoint.get()},
          std::pair{collection::default_configs, fallback.get()}}) {
      auto found = exists(of(name), *filter);
      if (!found || *found)
        return found;
    }
    return false;
  }

  /// Every dispatch as one ordered bulk of upserts: one round trip. A
  /// `now_ms` of 0 takes each dispatch's own date.
  caf::error record_dispatches_at(const std::vector<status_record>& dispatches,
                                  int64_t now_ms) {
    if (auto err = writable())
      return err;
    if (dispatches.empty())
      return {};
    // A race between replicas creating the same record fails one insert
    // with a duplicate key; the bulk is idempotent, so running it again
    // settles it.
    bson_error_t error;
    for (int attempt = 0; attempt < max_attempts; ++attempt) {
      auto ordered = BCON_NEW("ordered", BCON_BOOL(true));
      bson_ptr bulk_opts{ordered};
      bulk_ptr bulk{mongoc_collection_create_bulk_operation_with_opts(
        &of(collection::statuses), bulk_opts.get())};
      auto upsert = BCON_NEW("upsert", BCON_BOOL(true));
      bson_ptr upsert_opts{upsert};
      for (const auto& dispatch : dispatches) {
        auto filter = mongo::status_filter(dispatch);
        auto update = mongo::dispatch_update(
          dispatch, now_ms != 0 ? now_ms : dispatch.last_dispatched_ms);
        if (!mongoc_bulk_operation_update_one_with_opts(
              bulk.get(), filter.get(), update.get(), upsert_opts.get(), &error))
          return failure("cannot record a dispatch", error);
        // A record made by a confirmation without content takes the first
        // dispatched content (as the SQLite store does).
        if (dispatch.content.empty())
          continue;
        auto empty = mongo::status_filter(dispatch);
        BSON_APPEND_UTF8(empty.get(), field::content, "");
        auto fill = BCON_NEW("$set", "{", field::content,
                             BCON_UTF8(dispatch.content.c_str()), "}");
        bson_ptr fill_owned{fill};
        if (!mongoc_bulk_operation_update_one_with_opts(
              bulk.get(), empty.get(), fill_owned.get(), nullptr, &error))
          return failure("cannot record a dispatch", error);
      }
      reply_doc reply;
      if (mongoc_bulk_operation_execute(bulk.get(), &reply.doc, &error))
        return {};
      if (!is_duplicate_key(error))
        return failure("cannot record dispatches", error);
    }
    return too_contended("recording dispatches");
  }

  /// Documents of `collection` that match `filter` go.
  struct deletion {
    const char* collection;
    const bson_t* filter;
    /// Whether what goes counts as records removed.
    bool counted = true;
  };

  caf::expected<uint64_t> delete_all(const std::vector<deletion>& targets) {
    if (auto err = writable())
      return err;
    uint64_t removed = 0;
    for (const auto& target : targets) {
      auto n = delete_matching(of(target.collection), *target.filter, true);
      if (!n)
        return n.error();
      if (target.counted)
        removed += static_cast<uint64_t>(*n);
    }
    return removed;
  }

  /// An imported configuration keeps the history its key has.
  caf::error replace(const config_record& x) {
    return with_key(x.key, [&](const key_state& state) {
      return replace_key(of(mongo::collection_of(x.key)), x.key, state, &x,
                         state.history);
    });
  }

  /// An imported version joins its key's history (replacing the one of its
  /// revision); its content is filed apart in case it is superseded later.
  caf::error replace(const config_version& x) {
    if (!x.deleted)
      if (auto err = store_content(of(collection::version_contents), x))
        return err;
    return with_key(x.key, [&](const key_state& state) {
      auto history = state.history;
      std::erase_if(history.versions, [&](const config_version& kept) {
        return kept.revision == x.revision;
      });
      auto stored = x;
      stored.content.clear();
      history.versions.insert(
        std::upper_bound(history.versions.begin(), history.versions.end(),
                         stored,
                         [](const config_version& a, const config_version& b) {
                           return a.revision < b.revision;
                         }),
        std::move(stored));
      history.revision = std::max(history.revision, x.revision);
      const auto* current = state.current ? &*state.current : nullptr;
      return replace_key(of(mongo::collection_of(x.key)), x.key, state,
                         current, history);
    });
  }

  /// Runs `write(state)` on the key's document until no other writer got
  /// in between.
  template <class Write>
  caf::error with_key(const config_key& key, Write write) {
    for (int attempt = 0; attempt < max_attempts; ++attempt) {
      auto state = key_state_of(key);
      if (!state)
        return state.error();
      auto written = write(*state);
      if (!written)
        return written.error();
      if (*written)
        return {};
    }
    return too_contended("importing a configuration");
  }

  caf::error replace(const status_record& x) {
    return replace_at(of(collection::statuses), *mongo::status_filter(x),
                      *mongo::status_document(x));
  }

  /// The imported record wins over whatever holds its configId or its
  /// (tenant, level, levelId, name).
  caf::error replace(const system_config_record& x) {
    auto same_id = strings({{field::config_id, x.config_id}});
    auto removed = delete_matching(of(collection::system_configs), *same_id,
                                   true);
    if (!removed)
      return removed.error();
    auto same_key = strings({{field::tenant, x.tenant_id},
                             {field::level, x.level},
                             {field::level_id, x.level_id},
                             {field::name, x.name}});
    return replace_at(of(collection::system_configs), *same_key,
                      *mongo::system_config_document(x));
  }

  client_lease client_;
  std::map<std::string, collection_ptr, std::less<>> collections_;
  bool writer_;
  history_policy policy_;
  bool indexes_ready_ = false;
};

} // namespace

caf::expected<store_ptr> open_mongo_store(const settings& cfg,
                                          store_role role) {
  auto conn = shared_connection(cfg);
  if (!conn)
    return conn.error();
  auto result = std::make_unique<mongo_store>(std::move(*conn), role,
                                              cfg.history);
  if (role == store_role::writer)
    if (auto err = result->ensure_indexes())
      ECR_WARN("store: {}; trying again before the first write",
               error_message(err));
  return store_ptr{std::move(result)};
}

caf::error drop_mongo_database(const settings& cfg) {
  auto conn = shared_connection(cfg);
  if (!conn)
    return conn.error();
  client_lease client{*conn};
  database_ptr db{
    mongoc_client_get_database(client.get(), client.database().c_str())};
  bson_error_t error;
  if (!mongoc_database_drop_with_opts(db.get(), nullptr, &error))
    return failure("cannot drop the database", error);
  return {};
}

} // namespace ecr
