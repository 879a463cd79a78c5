// The line format of `ecr export`: the header, each record kind written and
// read back identical, and every kind of malformed line refused with a
// message saying what is wrong.

#include "storage/record_lines.hpp"

#include "tests/unit/store_contract.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ecr::test {
namespace {

// Quotes, backslashes, non-ASCII text and an escaped NUL inside JSON text.
const std::string tricky_content
  = R"({"q":"say \"hi\"","path":"C:\\dir","text":"café ☃ 𝄞","nul":"\u0000"})";

config_record endpoint_config() {
  return {endpoint_key("ep-1", "v1", "net"), "8d3c9a6e-7f1b-4c2d-9e0a-1b2c3d4e5f60",
          tricky_content, 1700000000123, 1700000555999};
}

config_record default_config() {
  auto x = endpoint_config();
  x.key = default_key("v2", default_config_name, tenant_2);
  x.content = "[1,2.50,1e400,null]";
  return x;
}

status_record failed_status() {
  auto x = confirmation(status_of("ep-ü", "id-1", "v1", tenant_2), 422,
                        "schema \"mismatch\"\nline two");
  x.status = delivery_status::failed;
  x.content = tricky_content;
  x.last_dispatched_ms = 1700000000000;
  x.last_confirmed_ms = 1700000001000;
  return x;
}

status_record dispatched_status() {
  auto x = status_of("ep-1", "id-2");
  x.last_dispatched_ms = 5;
  return x;
}

system_config_record endpoint_system_config() {
  auto x = system_config(system_level::endpoint, "ep-1", "logging", "sys-1",
                         1700000000000);
  x.content = tricky_content;
  x.display_name = "Journalisation «détaillée»";
  x.updated_ms = 1700000009999;
  return x;
}

config_version patched_version() {
  return {endpoint_key("ep-1", "v1", "net"), 3, "id-3", tricky_content,
          1700000000123, 1700000555999, 1700000999000, false,
          change_origin::patch, "ops@example"};
}

config_version tombstone() {
  return {default_key("v2"), 4, "", "", 1, 9, 0, true, change_origin::remove,
          ""};
}

/// The record read back from its line; the test fails if it is refused.
stored_record round_trip(const stored_record& record) {
  auto line = to_line(record);
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  return ok(parse_line(line));
}

/// Holds when `line` is refused as invalid with a message containing `what`.
::testing::AssertionResult refused(const std::string& line,
                                   const std::string& what) {
  auto result = parse_line(line);
  if (auto verdict = fails_with(ec::invalid_argument, result); !verdict)
    return verdict << " for " << line;
  auto message = error_message(result.error());
  if (message.find(what) == std::string::npos)
    return ::testing::AssertionFailure()
           << "message \"" << message << "\" does not mention \"" << what
           << "\" for " << line;
  return ::testing::AssertionSuccess();
}

// -- header ---------------------------------------------------------------------

TEST(store_record_lines, the_header_names_the_format_and_version) {
  EXPECT_EQ(header_line(), R"({"format":"ecr-export","version":2})");
  EXPECT_EQ(ok(read_header(header_line())), 2);
  // Exports from before history began still read.
  EXPECT_EQ(ok(read_header(R"( {"version":1, "format":"ecr-export"} )")), 1);
}

TEST(store_record_lines, other_first_lines_are_not_an_export) {
  for (const auto& line : std::vector<std::string>{
         "", "not json", "[]", R"({"format":"other","version":1})",
        R"({"version":1})", R"({"format":"ecr-export"})",
        R"({"format":"ecr-export","version":"1"})",
        R"({"format":"ecr-export","version":1,"extra":true})",
        to_line(endpoint_config())}) {
    auto header = read_header(line);
    ASSERT_TRUE(fails_with(ec::invalid_argument, header)) << line;
    EXPECT_NE(error_message(header.error()).find("not an ecr export"),
              std::string::npos)
      << error_message(header.error());
  }
}

TEST(store_record_lines, other_format_versions_are_refused_by_name) {
  for (auto version : {0, 3}) {
    auto header = read_header(R"({"format":"ecr-export","version":)"
                              + std::to_string(version) + "}");
    ASSERT_TRUE(fails_with(ec::invalid_argument, header));
    EXPECT_NE(error_message(header.error())
                .find("version " + std::to_string(version)
                      + " is not supported"),
              std::string::npos)
      << error_message(header.error());
  }
}

// -- records --------------------------------------------------------------------

TEST(store_record_lines, a_config_line_has_every_field_in_camel_case) {
  config_record x{endpoint_key("ep-1"), "id-1", R"({"a":"b"})", 1, 2};
  EXPECT_EQ(to_line(x),
            R"({"kind":"config","tenantId":"tenant-1","endpointId":"ep-1",)"
            R"("appVersionName":"v1","name":"default","configId":"id-1",)"
            R"("content":"{\"a\":\"b\"}","createdMs":1,"updatedMs":2})");
}

TEST(store_record_lines, status_and_system_config_lines_name_their_fields) {
  EXPECT_EQ(to_line(dispatched_status()),
            R"({"kind":"status","tenantId":"tenant-1","endpointId":"ep-1",)"
            R"("appVersionName":"v1","configId":"id-2","status":"DISPATCHED",)"
            R"("content":"","lastDispatchedMs":5,"lastConfirmedMs":0,)"
            R"("confirmationCode":0,"confirmationReason":""})");
  EXPECT_EQ(to_line(system_config(system_level::tenant, "t", "n", "s-1", 7)),
            R"({"kind":"systemConfig","tenantId":"tenant-1","configId":"s-1",)"
            R"("level":"TENANT","levelId":"t","name":"n","displayName":)"
            R"("Display n","content":"{\"name\":\"n\"}","createdMs":7,)"
            R"("updatedMs":7})");
}

TEST(store_record_lines, a_version_line_names_its_fields) {
  EXPECT_EQ(to_line(tombstone()),
            R"({"kind":"version","tenantId":"tenant-1","endpointId":"",)"
            R"("appVersionName":"v2","name":"default","revision":4,)"
            R"("configId":"","content":"","createdMs":1,"updatedMs":9,)"
            R"("supersededMs":0,"deleted":true,"origin":"DELETE","actor":""})");
}

TEST(store_record_lines, malformed_versions_are_refused) {
  auto line_of = [](auto change) {
    auto x = patched_version();
    change(x);
    return to_line(x);
  };
  EXPECT_TRUE(refused(line_of([](auto& x) { x.revision = 0; }),
                      "revision must be at least 1"));
  EXPECT_TRUE(refused(line_of([](auto& x) { x.config_id.clear(); }),
                      "configId exactly when it is not deleted"));
  EXPECT_TRUE(refused(line_of([](auto& x) { x.content.clear(); }),
                      "field content must not be empty"));
  EXPECT_TRUE(refused(line_of([](auto& x) {
                        x.deleted = true;
                        x.config_id.clear();
                      }),
                      "a deleted version has no content"));
  auto line = to_line(patched_version());
  auto at = line.find("PATCH");
  EXPECT_TRUE(refused(line.replace(at, 5, "MERGE"),
                      "field origin must be PUT, PATCH"));
  line = to_line(patched_version());
  at = line.find(R"("deleted":false)");
  EXPECT_TRUE(refused(line.replace(at, 15, R"("deleted":0)"),
                      "field deleted must be true or false"));
}

TEST(store_record_lines, every_kind_reads_back_identical) {
  std::vector<stored_record> records{endpoint_config(), default_config(),
                                     failed_status(), dispatched_status(),
                                     endpoint_system_config(),
                                     patched_version(), tombstone()};
  auto confirmed = failed_status();
  confirmed.status = delivery_status::confirmed;
  records.emplace_back(confirmed);
  for (const auto& level : {system_level::tenant, system_level::application,
                            system_level::app_version}) {
    auto x = endpoint_system_config();
    x.level = level;
    x.display_name.clear();
    records.emplace_back(x);
  }
  for (const auto& record : records)
    EXPECT_EQ(round_trip(record), record) << to_line(record);
}

TEST(store_record_lines, the_stored_text_is_kept_byte_for_byte) {
  auto x = endpoint_config();
  // Not minified, and bytes that are not UTF-8: whatever the store holds.
  x.content = "{ \"a\" :\t1 }";
  x.key.endpoint_id = "ep-\xff\xfe";
  EXPECT_EQ(round_trip(x), stored_record{x});
}

TEST(store_record_lines, the_largest_dates_and_codes_read_back) {
  auto x = failed_status();
  x.last_dispatched_ms = INT64_MAX;
  x.confirmation_code = INT32_MIN;
  EXPECT_EQ(round_trip(x), stored_record{x});
}

TEST(store_record_lines, a_trailing_carriage_return_is_accepted) {
  auto x = endpoint_config();
  EXPECT_EQ(ok(parse_line(to_line(x) + "\r")), stored_record{x});
}

// -- malformed lines --------------------------------------------------------------

/// A valid config line with `field` replaced by `json` (its raw JSON value).
std::string config_line_with(const std::string& field, const std::string& json) {
  auto line = to_line(config_record{endpoint_key("ep-1"), "id-1", "{}", 1, 2});
  auto key = "\"" + field + "\":";
  auto start = line.find(key);
  EXPECT_NE(start, std::string::npos) << field;
  start += key.size();
  auto end = line.find_first_of(",}", line[start] == '"'
                                        ? line.find('"', start + 1)
                                        : start);
  return line.substr(0, start) + json + line.substr(end);
}

/// A valid config line without `field`.
std::string config_line_without(const std::string& field) {
  auto line = config_line_with(field, "0");
  auto key = ",\"" + field + "\":0";
  return line.erase(line.find(key), key.size());
}

TEST(store_record_lines, lines_that_are_not_json_objects_are_refused) {
  EXPECT_TRUE(refused("", "empty"));
  EXPECT_TRUE(refused("{\"kind\":\"config\"", "not JSON"));
  EXPECT_TRUE(refused("{} trailing", "not JSON"));
  EXPECT_TRUE(refused("[1,2]", "not a JSON object"));
  EXPECT_TRUE(refused("\"config\"", "not a JSON object"));
  EXPECT_TRUE(refused(std::string(100000, '[') + std::string(100000, ']'),
                      "not a JSON object"));
}

TEST(store_record_lines, unknown_or_missing_kinds_are_refused) {
  EXPECT_TRUE(refused(R"({"tenantId":"t"})", "field kind is missing"));
  EXPECT_TRUE(refused(R"({"kind":1})", "field kind must be a string"));
  EXPECT_TRUE(refused(config_line_with("kind", R"("configuration")"),
                      "unknown kind 'configuration'"));
  EXPECT_TRUE(refused(config_line_with("kind", R"("Config")"),
                      "unknown kind 'Config'"));
}

TEST(store_record_lines, every_missing_field_is_named) {
  for (auto field : {"tenantId", "endpointId", "appVersionName", "name",
                     "configId", "content", "createdMs", "updatedMs"})
    EXPECT_TRUE(refused(config_line_without(field),
                        std::string{"field "} + field + " is missing"));
  auto status = to_line(dispatched_status());
  auto key = std::string{",\"confirmationReason\":\"\""};
  EXPECT_TRUE(refused(status.erase(status.find(key), key.size()),
                      "field confirmationReason is missing"));
}

TEST(store_record_lines, mistyped_fields_are_refused) {
  EXPECT_TRUE(refused(config_line_with("tenantId", "7"),
                      "field tenantId must be a string"));
  EXPECT_TRUE(refused(config_line_with("content", R"({"a":1})"),
                      "field content must be a string"));
  EXPECT_TRUE(refused(config_line_with("endpointId", "null"),
                      "field endpointId must be a string"));
  for (auto json : {R"("1")", "1.5", "1e3", "true", "-1",
                    "9223372036854775808"})
    EXPECT_TRUE(refused(config_line_with("createdMs", json),
                        "field createdMs must be a non-negative integer"))
      << json;
  auto status = to_line(dispatched_status());
  auto code = status.find("\"confirmationCode\":0");
  ASSERT_NE(code, std::string::npos);
  EXPECT_TRUE(refused(status.replace(code, 20, "\"confirmationCode\":2147483648"),
                      "field confirmationCode must be a 32-bit integer"));
}

TEST(store_record_lines, required_identifiers_must_not_be_empty) {
  for (auto field : {"tenantId", "appVersionName", "name", "configId"})
    EXPECT_TRUE(refused(config_line_with(field, R"("")"),
                        std::string{"field "} + field + " must not be empty"));
  // An empty endpointId is the default of the app version.
  auto x = ok(parse_line(config_line_with("endpointId", R"("")")));
  EXPECT_TRUE(std::get<config_record>(x).key.is_default());
  auto status = dispatched_status();
  status.endpoint_id.clear();
  EXPECT_TRUE(refused(to_line(status), "field endpointId must not be empty"));
}

TEST(store_record_lines, unknown_statuses_and_levels_are_refused) {
  auto line = to_line(dispatched_status());
  auto at = line.find("DISPATCHED");
  for (auto value : {"dispatched", "PENDING", ""}) {
    auto bad = line;
    EXPECT_TRUE(refused(bad.replace(at, 10, value),
                        "field status must be DISPATCHED, CONFIRMED or FAILED"))
      << value;
  }
  auto number = line;
  EXPECT_TRUE(refused(number.replace(at - 1, 12, "1"),
                      "field status must be DISPATCHED, CONFIRMED or FAILED"));
  auto x = endpoint_system_config();
  x.level = "endpoint";
  EXPECT_TRUE(refused(to_line(x), "unknown level 'endpoint'"));
}

TEST(store_record_lines, unknown_and_repeated_fields_are_refused) {
  auto line = to_line(dispatched_status());
  line.pop_back();
  EXPECT_TRUE(refused(line + R"(,"tenantID":"x"})", "unknown field 'tenantID'"));
  EXPECT_TRUE(refused(line + R"(,"configId":"other"})",
                      "field configId appears twice"));
  // Fields of another kind are unknown here.
  EXPECT_TRUE(refused(line + R"(,"createdMs":1})", "unknown field 'createdMs'"));
}

TEST(store_record_lines, lines_over_the_bound_are_refused) {
  auto line = to_line(endpoint_config());
  EXPECT_TRUE(parse_line(line, line.size()));
  auto err = parse_line(line, line.size() - 1);
  EXPECT_TRUE(fails_with(ec::invalid_argument, err));
  EXPECT_NE(error_message(err.error()).find("longer than"), std::string::npos);
  EXPECT_GE(max_line_bytes, size_t{2} << 30)
    << "the bound must admit any document the service stores, escaped";
}

} // namespace
} // namespace ecr::test
