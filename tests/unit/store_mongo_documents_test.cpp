// The MongoDB mapping without a server: documents, key filters, updates and
// index specifications (spec 3.8), as the MongoDB store sends them, and how
// the server's errors map to the store's.

#include "storage/mongo_client.hpp"
#include "storage/mongo_documents.hpp"
#include "tests/unit/store_contract.hpp"

#include <gtest/gtest.h>

namespace ecr::test {
namespace {

using namespace ecr::mongo;

// 2024-05-01T10:00:00Z and a second later, in ms.
constexpr int64_t t0 = 1714557600000;
constexpr int64_t t1 = t0 + 1000;

std::string json(const bson_ptr& doc) {
  return to_json(*doc);
}

/// A document from relaxed extended JSON, as a server would hand it back.
bson_ptr from_json(const std::string& text) {
  bson_error_t error;
  bson_ptr doc{bson_new_from_json(reinterpret_cast<const uint8_t*>(text.data()),
                                  static_cast<ssize_t>(text.size()), &error)};
  if (!doc.get())
    throw std::invalid_argument(error.message);
  return doc;
}

TEST(store_mongo_documents, configurations_go_to_their_collection) {
  EXPECT_STREQ(collection_of(endpoint_key("ep-1")), "endpoint_configs");
  EXPECT_STREQ(collection_of(default_key()), "default_configs");
}

TEST(store_mongo_documents, endpoint_configuration_document) {
  config_record x{endpoint_key("ep-1", "v1", "alerts"), "id-1",
                  R"({"a":"é\"q"})", t0, t1};
  EXPECT_EQ(json(config_document(x)),
            R"({ "tenantId" : "tenant-1", "endpointId" : "ep-1", )"
            R"("appVersionName" : "v1", "name" : "alerts", "configId" : "id-1", )"
            R"("config" : "{\"a\":\"é\\\"q\"}", )"
            R"("createdDate" : { "$date" : "2024-05-01T10:00:00Z" }, )"
            R"("updatedDate" : { "$date" : "2024-05-01T10:00:01Z" } })");
  EXPECT_EQ(ok(read_config(*config_document(x), false)), x);
}

TEST(store_mongo_documents, default_configuration_has_no_endpoint_field) {
  config_record x{default_key("v2"), "id-2", "[1,2]", t0, t0};
  auto doc = config_document(x);
  EXPECT_EQ(json(doc).find("endpointId"), std::string::npos) << json(doc);
  EXPECT_EQ(ok(read_config(*doc, true)), x);
}

TEST(store_mongo_documents, key_filters_name_the_unique_key) {
  EXPECT_EQ(json(config_filter(endpoint_key("ep-1"))),
            R"({ "tenantId" : "tenant-1", "endpointId" : "ep-1", )"
            R"("appVersionName" : "v1", "name" : "default" })");
  EXPECT_EQ(json(config_filter(default_key(), "id-9")),
            R"({ "tenantId" : "tenant-1", "appVersionName" : "v1", )"
            R"("name" : "default", "configId" : "id-9" })");
  EXPECT_EQ(json(status_filter(status_of("ep-1", "id-1"))),
            R"({ "tenantId" : "tenant-1", "endpointId" : "ep-1", )"
            R"("appVersionName" : "v1", "configId" : "id-1" })");
}

TEST(store_mongo_documents, status_document_round_trips) {
  auto x = confirmation(status_of("ep-1", "id-1"), 500, "no space");
  x.status = delivery_status::failed;
  x.content = "{}";
  x.last_dispatched_ms = t0;
  x.last_confirmed_ms = t1;
  auto doc = status_document(x);
  EXPECT_NE(json(doc).find(R"("status" : "FAILED")"), std::string::npos);
  EXPECT_NE(json(doc).find(R"("confirmationCode" : 500)"), std::string::npos);
  EXPECT_EQ(ok(read_status(*doc)), x);
}

TEST(store_mongo_documents, a_dispatch_never_sets_the_status_of_an_existing_record) {
  auto x = status_of("ep-1", "id-1");
  x.content = R"({"a":1})";
  // The status is only written on insert: an update leaves CONFIRMED and
  // FAILED alone (A9).
  EXPECT_EQ(json(dispatch_update(x, t0)),
            R"({ "$set" : { "lastDispatchedDate" : { "$date" : "2024-05-01T10:00:00Z" } }, )"
            R"("$setOnInsert" : { "status" : "DISPATCHED", "config" : "{\"a\":1}", )"
            R"("lastConfirmedDate" : { "$date" : "1970-01-01T00:00:00Z" }, )"
            R"("confirmationCode" : 0, "confirmationReason" : "" } })");
}

TEST(store_mongo_documents, confirmations_overwrite_by_their_code) {
  auto ok_update = json(
    confirmation_update(confirmation(status_of("ep-1", "id-1"), 204, "OK"),
                        "{}", t1));
  EXPECT_EQ(ok_update,
            R"({ "$set" : { "status" : "CONFIRMED", )"
            R"("lastConfirmedDate" : { "$date" : "2024-05-01T10:00:01Z" }, )"
            R"("confirmationCode" : 204, "confirmationReason" : "OK" }, )"
            R"("$setOnInsert" : { "config" : "{}", )"
            R"("lastDispatchedDate" : { "$date" : "1970-01-01T00:00:00Z" } } })");
  auto failed = json(confirmation_update(
    confirmation(status_of("ep-1", "id-1"), 302, "moved"), "", t1));
  EXPECT_NE(failed.find(R"("status" : "FAILED")"), std::string::npos) << failed;
}

TEST(store_mongo_documents, system_configuration_round_trips) {
  auto x = system_config("ENDPOINT", "ep-1", "logging", "sc-1", t0);
  auto doc = system_config_document(x);
  EXPECT_EQ(json(doc),
            R"({ "tenantId" : "tenant-1", "configId" : "sc-1", "level" : "ENDPOINT", )"
            R"("levelId" : "ep-1", "name" : "logging", "displayName" : "Display logging", )"
            R"("config" : "{\"name\":\"logging\"}", )"
            R"("createdDate" : { "$date" : "2024-05-01T10:00:00Z" }, )"
            R"("updatedDate" : { "$date" : "2024-05-01T10:00:00Z" } })");
  EXPECT_EQ(ok(read_system_config(*doc)), x);
}

TEST(store_mongo_documents, malformed_documents_are_storage_failures) {
  auto missing = from_json(R"({"tenantId":"t","appVersionName":"v1","name":"default"})");
  auto err = read_config(*missing, true).error();
  EXPECT_EQ(error_code(err), ec::storage_failure);
  EXPECT_NE(error_message(err).find("no configId"), std::string::npos)
    << error_message(err);
  auto wrong_type = from_json(
    R"({"tenantId":"t","appVersionName":"v1","name":"default","configId":"i",)"
    R"("config":"{}","createdDate":5,"updatedDate":{"$date":0}})");
  EXPECT_NE(error_message(read_config(*wrong_type, true).error())
              .find("wrong type of createdDate"),
            std::string::npos);
  auto no_endpoint = from_json(
    R"({"tenantId":"t","appVersionName":"v1","name":"default","configId":"i",)"
    R"("config":"{}","createdDate":{"$date":0},"updatedDate":{"$date":0}})");
  EXPECT_FALSE(read_config(*no_endpoint, false));
  auto bad_status = from_json(
    R"({"tenantId":"t","endpointId":"e","appVersionName":"v","configId":"i",)"
    R"("status":"LOST","config":"","lastDispatchedDate":{"$date":0},)"
    R"("lastConfirmedDate":{"$date":0},"confirmationCode":0,"confirmationReason":""})");
  EXPECT_NE(error_message(read_status(*bad_status).error())
              .find("unknown status 'LOST'"),
            std::string::npos);
}

TEST(store_mongo_documents, indexes_follow_the_unique_keys_of_spec_3_8) {
  EXPECT_EQ(all_collections().size(), 5u);
  EXPECT_EQ(json(create_indexes_command("endpoint_configs")),
            R"({ "createIndexes" : "endpoint_configs", "indexes" : [ )"
            R"({ "key" : { "tenantId" : 1, "endpointId" : 1, "appVersionName" : 1, "name" : 1 }, )"
            R"("name" : "config_key", "unique" : true }, )"
            R"({ "key" : { "tenantId" : 1, "appVersionName" : 1 }, "name" : "by_app_version" }, )"
            R"({ "key" : { "configId" : 1 }, "name" : "by_config_id" } ] })");
  EXPECT_EQ(json(create_indexes_command("default_configs")),
            R"({ "createIndexes" : "default_configs", "indexes" : [ )"
            R"({ "key" : { "tenantId" : 1, "appVersionName" : 1, "name" : 1 }, )"
            R"("name" : "config_key", "unique" : true }, )"
            R"({ "key" : { "configId" : 1 }, "name" : "by_config_id" } ] })");
  EXPECT_EQ(json(create_indexes_command("config_statuses")),
            R"({ "createIndexes" : "config_statuses", "indexes" : [ )"
            R"({ "key" : { "tenantId" : 1, "endpointId" : 1, "appVersionName" : 1, "configId" : 1 }, )"
            R"("name" : "status_key", "unique" : true }, )"
            R"({ "key" : { "tenantId" : 1, "endpointId" : 1, "lastDispatchedDate" : -1 }, )"
            R"("name" : "by_dispatch" }, )"
            R"({ "key" : { "tenantId" : 1, "appVersionName" : 1 }, "name" : "by_app_version" } ] })");
  EXPECT_EQ(json(create_indexes_command("system_configs")),
            R"({ "createIndexes" : "system_configs", "indexes" : [ )"
            R"({ "key" : { "tenantId" : 1, "level" : 1, "levelId" : 1, "name" : 1 }, )"
            R"("name" : "system_config_key", "unique" : true }, )"
            R"({ "key" : { "configId" : 1 }, "name" : "by_config_id", "unique" : true } ] })");
  EXPECT_EQ(json(create_indexes_command("config_version_contents")),
            R"({ "createIndexes" : "config_version_contents", "indexes" : [ )"
            R"({ "key" : { "tenantId" : 1, "configId" : 1 }, )"
            R"("name" : "version_key", "unique" : true }, )"
            R"({ "key" : { "tenantId" : 1, "endpointId" : 1 }, "name" : "by_endpoint" } ] })");
}

TEST(store_mongo_documents, a_document_carries_its_history) {
  config_record record{endpoint_key("ep-1"), "id-2", R"({"v":2})", 1000, 2000};
  key_history history{2,
                      {{record.key, 1, "id-1", "", 1000, 1000, 2000, false,
                        change_origin::put, "alice"},
                       {record.key, 2, "id-2", "", 1000, 2000, 0, false,
                        change_origin::rollback, ""}}};
  auto doc = config_document(record, history);
  EXPECT_FALSE(is_tombstone(*doc));
  EXPECT_EQ(ok(read_history(*doc, false)).versions, history.versions);
  EXPECT_EQ(ok(read_history(*doc, false)).revision, 2);
  auto gone = tombstone_document(record.key, history);
  EXPECT_TRUE(is_tombstone(*gone));
  EXPECT_EQ(ok(read_history(*gone, false)).versions, history.versions);
}

TEST(store_mongo_documents, a_document_from_before_history_is_its_first_version) {
  config_record record{default_key(), "id-1", R"({"v":1})", 1000, 2000};
  auto history = ok(read_history(*config_document(record), true));
  EXPECT_EQ(history.revision, 1);
  ASSERT_EQ(history.versions.size(), 1u);
  EXPECT_EQ(history.versions[0], version_of(record, 1, {}));
}

/// A failure as the driver reports a server's answer.
bson_error_t server_error(uint32_t code, const char* message) {
  bson_error_t error{};
  bson_set_error(&error, MONGOC_ERROR_SERVER, code, "%s", message);
  return error;
}

TEST(store_mongo_errors, a_server_out_of_disk_space_is_storage_full) {
  auto full = failure("cannot store a configuration",
                      server_error(14031, "Can't take a write lock while out "
                                          "of disk space"));
  EXPECT_TRUE(fails_with(ec::storage_full, full));
  EXPECT_NE(error_message(full).find("out of disk space"), std::string::npos)
    << render(full);
  for (uint32_t other : {11000u, 13u, 91u})
    EXPECT_TRUE(fails_with(ec::storage_failure,
                           failure("cannot store", server_error(other, "no"))))
      << other;
}

} // namespace
} // namespace ecr::test
