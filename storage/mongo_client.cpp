#include "storage/mongo_client.hpp"

#include "core/log.hpp"
#include "settings/settings.hpp"

#include <map>
#include <mutex>

namespace ecr::mongo {

namespace {

/// The driver logs through us: its DEBUG and TRACE lines are internals, its
/// INFO lines (topology changes) are ours at debug level.
void route_driver_log(mongoc_log_level_t level, const char* domain,
                      const char* message, void*) {
  switch (level) {
    case MONGOC_LOG_LEVEL_ERROR:
    case MONGOC_LOG_LEVEL_CRITICAL:
      ECR_ERROR("mongodb {}: {}", domain, message);
      break;
    case MONGOC_LOG_LEVEL_WARNING:
      ECR_WARN("mongodb {}: {}", domain, message);
      break;
    case MONGOC_LOG_LEVEL_MESSAGE:
    case MONGOC_LOG_LEVEL_INFO:
      ECR_DEBUG("mongodb {}: {}", domain, message);
      break;
    default:
      break;
  }
}

void init_driver() {
  static std::once_flag once;
  std::call_once(once, [] {
    mongoc_log_set_handler(route_driver_log, nullptr);
    mongoc_init();
  });
}

/// A URL with the settings' credentials, timeouts and write concern.
caf::expected<uri_ptr> make_uri(const settings::mongodb_settings& cfg) {
  bson_error_t error;
  uri_ptr uri{mongoc_uri_new_with_error(cfg.url.c_str(), &error)};
  if (!uri)
    return make_error(ec::invalid_configuration,
                      "mongodb.url: " + std::string{error.message});
  if (!cfg.username.empty())
    mongoc_uri_set_username(uri.get(), cfg.username.c_str());
  if (!cfg.password.empty())
    mongoc_uri_set_password(uri.get(), cfg.password.c_str());
  // Without them an unreachable deployment blocks a call for minutes.
  auto set_default = [&](const char* option, int value) {
    if (!mongoc_uri_has_option(uri.get(), option))
      mongoc_uri_set_option_as_int32(uri.get(), option, value);
  };
  set_default(MONGOC_URI_SERVERSELECTIONTIMEOUTMS,
              cfg.server_selection_timeout_ms);
  set_default(MONGOC_URI_CONNECTTIMEOUTMS, cfg.connect_timeout_ms);
  set_default(MONGOC_URI_SOCKETTIMEOUTMS, cfg.socket_timeout_ms);
  write_concern_ptr concern{mongoc_write_concern_new()};
  if (cfg.write_concern == "majority")
    mongoc_write_concern_set_w(concern.get(), MONGOC_WRITE_CONCERN_W_MAJORITY);
  else
    mongoc_write_concern_set_w(concern.get(), std::stoi(cfg.write_concern));
  mongoc_write_concern_set_journal(concern.get(), cfg.journal);
  mongoc_uri_set_write_concern(uri.get(), concern.get());
  return uri;
}

std::string database_name(const settings::mongodb_settings& cfg,
                          const mongoc_uri_t* uri) {
  if (!cfg.database.empty())
    return cfg.database;
  if (auto named = mongoc_uri_get_database(uri); named && *named)
    return named;
  return "ecr";
}

caf::expected<std::shared_ptr<connection>> make_connection(const settings& cfg) {
  init_driver();
  auto uri = make_uri(cfg.mongodb);
  if (!uri)
    return uri.error();
  bson_error_t error;
  pool_ptr pool{mongoc_client_pool_new_with_error(uri->get(), &error)};
  if (!pool)
    return make_error(ec::invalid_configuration,
                      "mongodb.url: " + std::string{error.message});
  mongoc_client_pool_set_error_api(pool.get(), MONGOC_ERROR_API_VERSION_2);
  mongoc_client_pool_set_appname(pool.get(), "ecr");
  return std::make_shared<connection>(std::move(pool),
                                      database_name(cfg.mongodb, uri->get()));
}

constexpr uint32_t duplicate_key_code = 11000;

/// "Can't take a write lock while out of disk space": the write did not
/// happen. (WiredTiger stops the server instead; that is unreachable.)
constexpr uint32_t out_of_disk_space_code = 14031;

} // namespace

bool is_duplicate_key(const bson_error_t& error) {
  return error.code == duplicate_key_code || error.code == 11001;
}

caf::error failure(const char* what, const bson_error_t& error) {
  return make_error(error.code == out_of_disk_space_code ? ec::storage_full
                                                         : ec::storage_failure,
                    std::string{"mongodb: "} + what + ": " + error.message);
}

caf::error too_contended(const char* what) {
  return make_error(ec::storage_failure,
                    std::string{"mongodb: "} + what
                      + " kept racing with other writers; try again");
}

caf::expected<std::shared_ptr<connection>> shared_connection(const settings& cfg) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<connection>> open;
  auto id = cfg.mongodb.url + '\n' + cfg.mongodb.username + '\n'
            + cfg.mongodb.database;
  std::lock_guard guard{mutex};
  if (auto existing = open[id].lock())
    return existing;
  auto made = make_connection(cfg);
  if (made)
    open[id] = *made;
  return made;
}

bson_ptr strings(std::initializer_list<std::pair<const char*, std::string>> xs) {
  bson_ptr doc{bson_new()};
  for (const auto& [key, value] : xs)
    bson_append_utf8(doc.get(), key, -1, value.data(),
                     static_cast<int>(value.size()));
  return doc;
}

bson_ptr find_options(std::initializer_list<std::pair<const char*, int>> sort,
                      int64_t limit, int64_t skip) {
  bson_ptr doc{bson_new()};
  if (sort.size() > 0) {
    bson_t order;
    bson_append_document_begin(doc.get(), "sort", -1, &order);
    for (const auto& [key, direction] : sort)
      bson_append_int32(&order, key, -1, direction);
    bson_append_document_end(doc.get(), &order);
  }
  if (limit > 0)
    bson_append_int64(doc.get(), "limit", -1, limit);
  if (skip > 0)
    bson_append_int64(doc.get(), "skip", -1, skip);
  return doc;
}

caf::expected<bool> exists(mongoc_collection_t& coll, const bson_t& filter) {
  bson_error_t error;
  auto opts = BCON_NEW("limit", BCON_INT64(1));
  bson_ptr owned{opts};
  auto n = mongoc_collection_count_documents(&coll, &filter, owned.get(),
                                             nullptr, nullptr, &error);
  if (n < 0)
    return failure("cannot count", error);
  return n > 0;
}

caf::expected<int64_t> delete_matching(mongoc_collection_t& coll,
                                       const bson_t& filter, bool many) {
  reply_doc reply;
  bson_error_t error;
  auto done = many ? mongoc_collection_delete_many(&coll, &filter, nullptr,
                                                   &reply.doc, &error)
                   : mongoc_collection_delete_one(&coll, &filter, nullptr,
                                                  &reply.doc, &error);
  if (!done)
    return failure("cannot delete", error);
  return reply.count("deletedCount");
}

caf::error replace_at(mongoc_collection_t& coll, const bson_t& filter,
                      const bson_t& doc) {
  auto upsert = BCON_NEW("upsert", BCON_BOOL(true));
  bson_ptr opts{upsert};
  reply_doc reply;
  bson_error_t error;
  if (!mongoc_collection_replace_one(&coll, &filter, &doc, opts.get(),
                                     &reply.doc, &error))
    return failure("cannot import a record", error);
  return {};
}

} // namespace ecr::mongo
