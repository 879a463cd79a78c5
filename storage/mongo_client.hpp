#pragma once

// The MongoDB driver as the store uses it (private to storage/): owned
// handles, one client pool per deployment, errors, and the generic reads,
// deletes and replacements every collection shares.

#include "core/error.hpp"
#include "storage/mongo_documents.hpp"

#include <mongoc/mongoc.h>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ecr {

struct settings;

namespace mongo {

// -- owned handles ------------------------------------------------------------

template <class T, void (*Destroy)(T*)>
struct destroyer {
  void operator()(T* x) const noexcept {
    Destroy(x);
  }
};

/// An owned driver handle, destroyed by `Destroy`.
template <class T, void (*Destroy)(T*)>
using owned = std::unique_ptr<T, destroyer<T, Destroy>>;

using uri_ptr = owned<mongoc_uri_t, mongoc_uri_destroy>;
using pool_ptr = owned<mongoc_client_pool_t, mongoc_client_pool_destroy>;
using collection_ptr = owned<mongoc_collection_t, mongoc_collection_destroy>;
using database_ptr = owned<mongoc_database_t, mongoc_database_destroy>;
using cursor_ptr = owned<mongoc_cursor_t, mongoc_cursor_destroy>;
using write_concern_ptr
  = owned<mongoc_write_concern_t, mongoc_write_concern_destroy>;
using bulk_ptr = owned<mongoc_bulk_operation_t, mongoc_bulk_operation_destroy>;

/// A reply document on the stack, always destroyed (the driver initializes
/// it even on failure).
struct reply_doc {
  bson_t doc = BSON_INITIALIZER;

  reply_doc() = default;
  reply_doc(const reply_doc&) = delete;
  reply_doc& operator=(const reply_doc&) = delete;

  ~reply_doc() {
    bson_destroy(&doc);
  }

  int64_t count(const char* name) const {
    bson_iter_t it;
    if (bson_iter_init_find(&it, &doc, name) && BSON_ITER_HOLDS_NUMBER(&it))
      return bson_iter_as_int64(&it);
    return 0;
  }
};

// -- errors -------------------------------------------------------------------

bool is_duplicate_key(const bson_error_t& error);

/// The store's error for a failed command: `ec::storage_full` when the
/// server had no disk space for a write (code 14031, OutOfDiskSpace), else
/// `ec::storage_failure`.
caf::error failure(const char* what, const bson_error_t& error);

/// Compare-and-swap loops retry this often before they give up: each retry
/// means another writer changed the same key in between.
constexpr int max_attempts = 16;

caf::error too_contended(const char* what);

// -- the connection -----------------------------------------------------------

/// One client pool per deployment and process, shared by its handles.
class connection {
public:
  connection(pool_ptr pool, std::string database)
    : pool_(std::move(pool)), database_(std::move(database)) {
    // nop
  }

  mongoc_client_t* pop() {
    return mongoc_client_pool_pop(pool_.get());
  }

  void push(mongoc_client_t* client) {
    mongoc_client_pool_push(pool_.get(), client);
  }

  const std::string& database() const {
    return database_;
  }

private:
  pool_ptr pool_;
  std::string database_;
};

/// The connection for `cfg`, made once while any handle on it lives.
caf::expected<std::shared_ptr<connection>> shared_connection(const settings& cfg);

/// A client of the pool, returned when the handle goes.
class client_lease {
public:
  explicit client_lease(std::shared_ptr<connection> conn)
    : conn_(std::move(conn)), client_(conn_->pop()) {
    // nop
  }

  client_lease(const client_lease&) = delete;
  client_lease& operator=(const client_lease&) = delete;

  ~client_lease() {
    conn_->push(client_);
  }

  mongoc_client_t* get() const {
    return client_;
  }

  const std::string& database() const {
    return conn_->database();
  }

private:
  std::shared_ptr<connection> conn_;
  mongoc_client_t* client_;
};

// -- queries ------------------------------------------------------------------

/// A filter or options document from key/value pairs: `doc({{"a", "x"}})`.
bson_ptr strings(std::initializer_list<std::pair<const char*, std::string>> xs);

/// Options of a find: `sort` (field, direction pairs), `limit`, `skip`.
bson_ptr find_options(std::initializer_list<std::pair<const char*, int>> sort,
                      int64_t limit = 0, int64_t skip = 0);

/// Calls `visit` for each document matching `filter`.
template <class Visit>
caf::error each(mongoc_collection_t& coll, const bson_t& filter,
                const bson_t* opts, Visit visit) {
  cursor_ptr cursor{
    mongoc_collection_find_with_opts(&coll, &filter, opts, nullptr)};
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc))
    if (auto err = visit(*doc))
      return err;
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error))
    return failure("cannot read", error);
  return {};
}

/// Every document matching `filter`, as `read` makes it.
template <class Read>
auto find_all(mongoc_collection_t& coll, const bson_t& filter,
              const bson_t* opts, Read read)
  -> caf::expected<std::vector<typename decltype(read(filter))::value_type>> {
  std::vector<typename decltype(read(filter))::value_type> result;
  auto err = each(coll, filter, opts, [&](const bson_t& doc) -> caf::error {
    auto record = read(doc);
    if (!record)
      return record.error();
    result.push_back(std::move(*record));
    return {};
  });
  if (err)
    return err;
  return result;
}

/// The first document matching `filter`; `ec::not_found` naming `what`.
template <class Read>
auto find_one(mongoc_collection_t& coll, const bson_t& filter, Read read,
              const std::string& what, const bson_t* opts = nullptr)
  -> decltype(read(filter)) {
  auto found = find_all(coll, filter, opts, read);
  if (!found)
    return found.error();
  if (found->empty())
    return make_error(ec::not_found, what + " not found");
  return std::move(found->front());
}

/// Whether any document matches `filter`.
caf::expected<bool> exists(mongoc_collection_t& coll, const bson_t& filter);

/// Deletes what matches `filter` (all of it, or the first); answers how many.
caf::expected<int64_t> delete_matching(mongoc_collection_t& coll,
                                       const bson_t& filter, bool many);

/// Replaces the document matching `filter` with `doc`, or inserts it.
caf::error replace_at(mongoc_collection_t& coll, const bson_t& filter,
                      const bson_t& doc);

} // namespace mongo

} // namespace ecr
