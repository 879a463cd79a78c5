#include "applications/json_schema.hpp"
#include "core/error.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace ecr::test {

namespace {

using list = std::vector<std::string>;

std::shared_ptr<const json_schema> compiled(std::string_view text) {
  auto schema = json_schema::compile(text);
  if (!schema)
    throw std::runtime_error("unexpected error: " + render(schema.error()));
  return std::move(*schema);
}

/// Holds when compiling `text` fails as invalid_argument naming `subject`.
::testing::AssertionResult refused(std::string_view text,
                                   const std::string& subject) {
  auto schema = json_schema::compile(text);
  if (schema)
    return ::testing::AssertionFailure() << "compiled without error";
  if (error_code(schema.error()) != ec::invalid_argument)
    return ::testing::AssertionFailure()
           << "wrong error: " << render(schema.error());
  if (error_message(schema.error()).find(subject) == std::string::npos)
    return ::testing::AssertionFailure()
           << "message does not name " << subject << ": "
           << error_message(schema.error());
  return ::testing::AssertionSuccess();
}

/// A device configuration schema in the shape Kaa's tutorials use.
constexpr const char* thermostat_schema = R"({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "required": ["mode", "pushInterval"],
  "properties": {
    "mode": {"enum": ["heat", "cool", "off"]},
    "pushInterval": {"type": "integer", "minimum": 1, "maximum": 3600},
    "label": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$", "maxLength": 16},
    "display": {
      "type": "object",
      "required": ["brightness"],
      "properties": {
        "brightness": {"type": "number", "minimum": 0.5},
        "units": {"type": ["string", "null"]}
      },
      "additionalProperties": false
    },
    "schedule": {
      "type": "array",
      "maxItems": 3,
      "items": {
        "type": "object",
        "required": ["at"],
        "properties": {
          "at": {"type": "string"},
          "temperature": {"type": "number"}
        }
      }
    }
  }
})";

// -- validating ---------------------------------------------------------------

TEST(core_json_schema, a_valid_document_has_no_violations) {
  auto schema = compiled(thermostat_schema);
  EXPECT_EQ(schema->violations(R"({"mode": "heat", "pushInterval": 60,
    "label": "hall-2", "display": {"brightness": 0.75, "units": null},
    "schedule": [{"at": "07:00", "temperature": 21.5}, {"at": "22:00"}]})"),
            list{});
}

TEST(core_json_schema, every_violation_is_named_by_its_pointer) {
  auto schema = compiled(thermostat_schema);
  EXPECT_EQ(schema->violations(R"({"mode": "auto", "pushInterval": "5",
    "label": "Hall", "display": {"brightness": 0.25, "units": 7, "glow": 1}})"),
            (list{
              "/display/brightness: expected number greater than or equal to 0.5",
              "/display/units: expected string or null, got integer",
              "/display/glow: property is not allowed (additionalProperties)",
              "/label: does not match the pattern \"^[a-z][a-z0-9-]*$\"",
              "/mode: must be one of \"heat\", \"cool\", \"off\"",
              "/pushInterval: expected integer, got string",
            }));
}

TEST(core_json_schema, missing_required_properties_are_named_where_they_belong) {
  auto schema = compiled(thermostat_schema);
  EXPECT_EQ(schema->violations(R"({"display": {}})"),
            (list{"/display/brightness: required property is missing",
                  "/mode: required property is missing",
                  "/pushInterval: required property is missing"}));
}

TEST(core_json_schema, array_items_are_named_by_index) {
  auto schema = compiled(thermostat_schema);
  EXPECT_EQ(schema->violations(R"({"mode": "off", "pushInterval": 3601,
    "schedule": [{"at": "07:00", "temperature": "warm"}, {"temperature": 18},
                 {"at": 9}, {"at": "23:00"}]})"),
            (list{"/pushInterval: expected number less than or equal to 3600",
                  "/schedule/0/temperature: expected number, got string",
                  "/schedule/1/at: required property is missing",
                  "/schedule/2/at: expected string, got integer",
                  "/schedule: array should contain no more than 3 elements"}));
}

TEST(core_json_schema, the_document_itself_is_named_slash) {
  auto schema = compiled(thermostat_schema);
  EXPECT_EQ(schema->violations("[1, 2]"), list{"/: expected object, got array"});
  EXPECT_EQ(schema->violations("1.5"), list{"/: expected object, got number"});
}

TEST(core_json_schema, pointer_tokens_are_escaped) {
  auto schema = compiled(R"({"properties": {"a/b": {"type": "string"},
                                            "m~n": {"type": "string"}}})");
  EXPECT_EQ(schema->violations(R"({"a/b": 1, "m~n": true})"),
            (list{"/a~1b: expected string, got integer",
                  "/m~0n: expected string, got boolean"}));
  EXPECT_EQ(compiled(R"({"required": ["it's"]})")->violations("{}"),
            list{"/it's: required property is missing"});
}

TEST(core_json_schema, refs_to_definitions_apply) {
  auto schema = compiled(R"({
    "definitions": {
      "port": {"type": "integer", "minimum": 1, "maximum": 65535},
      "endpoint": {
        "type": "object",
        "required": ["host"],
        "properties": {"host": {"type": "string"}, "port": {"$ref": "#/definitions/port"}}
      }
    },
    "properties": {
      "primary": {"$ref": "#/definitions/endpoint"},
      "fallbacks": {"type": "array", "items": {"$ref": "#/definitions/endpoint"}}
    }
  })");
  EXPECT_EQ(schema->violations(R"({"primary": {"host": "a", "port": 80},
                                   "fallbacks": [{"host": "b", "port": 0}]})"),
            list{"/fallbacks/0/port: expected number greater than or equal to 1"});
  EXPECT_EQ(schema->violations(R"({"primary": {"port": "80"}})"),
            (list{"/primary/port: expected integer, got string",
                  "/primary/host: required property is missing"}));
}

TEST(core_json_schema, combinators_say_which_failed) {
  auto schema = compiled(R"({"properties": {
    "id": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
    "level": {"oneOf": [{"type": "integer"}, {"minimum": 0}]},
    "kind": {"const": "sensor"},
    "name": {"not": {"type": "null"}}
  }})");
  EXPECT_EQ(schema->violations(R"({"id": "x", "level": -1, "kind": "sensor", "name": "n"})"),
            list{});
  EXPECT_EQ(schema->violations(R"({"id": true, "level": 3, "kind": "hub", "name": null})"),
            (list{"/id: expected string or integer, got boolean",
                  "/id: matches none of the schemas in 'anyOf'",
                  "/kind: must be \"sensor\"",
                  "/level: matches more than one of the schemas in 'oneOf'",
                  "/name: must not match the schema in 'not'"}));
}

TEST(core_json_schema, boolean_schemas) {
  EXPECT_EQ(compiled("true")->violations(R"({"any": "thing"})"), list{});
  EXPECT_EQ(compiled("false")->violations("{}"),
            list{"/: is not allowed by the schema"});
  EXPECT_EQ(compiled(R"({"properties": {"legacy": false}})")
              ->violations(R"({"legacy": 1, "other": 2})"),
            list{"/legacy: is not allowed by the schema"});
}

TEST(core_json_schema, a_document_that_is_not_json_is_one_violation) {
  auto schema = compiled(thermostat_schema);
  for (auto text : {"", "{", "[1,]", "{\"mode\": heat}", "{} {}"}) {
    auto found = schema->violations(text);
    ASSERT_EQ(found.size(), 1u) << text;
    EXPECT_EQ(found[0].rfind("/: not valid JSON: ", 0), 0u) << found[0];
  }
}

TEST(core_json_schema, nesting_is_bounded) {
  auto nested = [](size_t depth, const std::string& inner) {
    return std::string(depth, '[') + inner + std::string(depth, ']');
  };
  // Every level must be an array of strings or arrays, all the way down.
  auto schema = compiled(R"({"type": ["array", "string"], "items": {"$ref": "#"}})");
  auto deepest = schema->violations(nested(json_schema::max_depth, "7"));
  ASSERT_EQ(deepest.size(), 1u);
  EXPECT_EQ(deepest[0].find(": expected array or string, got integer"),
            2 * json_schema::max_depth)
    << deepest[0].substr(deepest[0].size() - 60);
  EXPECT_EQ(schema->violations(nested(json_schema::max_depth + 1, "\"x\"")),
            list{"/: nested deeper than 512 levels"});
  EXPECT_TRUE(refused(nested(json_schema::max_depth + 1, ""), "nested deeper"));
}

TEST(core_json_schema, concurrent_validations_give_the_same_answers) {
  auto schema = compiled(thermostat_schema);
  const list documents = {
    R"({"mode": "heat", "pushInterval": 60, "label": "ok"})",
    R"({"mode": "auto", "pushInterval": "5", "label": "Not-OK"})",
    R"({"schedule": [{"at": 1}, {}], "label": "x!"})",
  };
  std::vector<list> expected;
  for (const auto& doc : documents)
    expected.push_back(schema->violations(doc));
  ASSERT_TRUE(expected[0].empty());
  ASSERT_FALSE(expected[1].empty());
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (size_t i = 0; i < 300; ++i) {
        auto which = (i + static_cast<size_t>(t)) % documents.size();
        if (schema->violations(documents[which]) != expected[which])
          ++mismatches;
      }
    });
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

// -- drafts -------------------------------------------------------------------

TEST(core_json_schema, draft_07_is_the_default_with_numeric_exclusive_bounds) {
  for (auto header : {"", R"("$schema": "http://json-schema.org/draft-07/schema#",)",
                      R"("$schema": "https://json-schema.org/draft-07/schema",)"}) {
    auto schema = compiled(std::string{"{"} + header
                           + R"("properties": {"x": {"exclusiveMaximum": 5, "exclusiveMinimum": 0}}})");
    EXPECT_EQ(schema->violations(R"({"x": 4.5})"), list{}) << header;
    EXPECT_EQ(schema->violations(R"({"x": 5})"),
              list{"/x: expected number less than 5"}) << header;
    EXPECT_EQ(schema->violations(R"({"x": 0})"),
              list{"/x: expected number greater than 0"}) << header;
  }
  // Draft-04's boolean form is not draft-07.
  EXPECT_TRUE(refused(R"({"maximum": 5, "exclusiveMaximum": true})",
                      "exclusiveMaximum"));
}

TEST(core_json_schema, draft_04_takes_boolean_exclusive_bounds) {
  auto schema = compiled(R"({"$schema": "http://json-schema.org/draft-04/schema#",
    "properties": {"x": {"maximum": 5, "exclusiveMaximum": true},
                   "y": {"maximum": 5}}})");
  EXPECT_EQ(schema->violations(R"({"x": 4, "y": 5})"), list{});
  EXPECT_EQ(schema->violations(R"({"x": 5, "y": 6})"),
            (list{"/x: expected number less than 5",
                  "/y: expected number less than or equal to 5"}));
  // Draft-07's numeric form is not draft-04.
  EXPECT_TRUE(refused(R"({"$schema": "http://json-schema.org/draft-04/schema",
                          "exclusiveMaximum": 5})",
                      "exclusiveMaximum"));
}

TEST(core_json_schema, other_drafts_are_refused) {
  EXPECT_TRUE(refused(R"({"$schema": "http://json-schema.org/draft-06/schema#"})",
                      "unsupported $schema \"http://json-schema.org/draft-06/schema#\""));
  EXPECT_TRUE(refused(R"({"$schema": "https://json-schema.org/draft/2020-12/schema"})",
                      "unsupported $schema"));
  EXPECT_TRUE(refused(R"({"$schema": 7})", "unsupported $schema 7"));
}

// -- refusing schemas ---------------------------------------------------------

TEST(core_json_schema, refs_to_other_documents_are_refused) {
  EXPECT_TRUE(refused(R"({"$ref": "http://example.com/schema.json"})",
                      "/$ref names another document (\"http://example.com/schema.json\")"));
  EXPECT_TRUE(refused(R"({"properties": {"a": {"$ref": "common.json#/definitions/a"}}})",
                      "/properties/a/$ref names another document"));
  EXPECT_TRUE(refused(R"({"items": [{"$ref": "urn:example:thing"}]})",
                      "/items/0/$ref names another document"));
  EXPECT_TRUE(refused(R"({"properties": {"a": {"$ref": "#/definitions/missing"}}})",
                      "/properties/a/$ref points at nothing in the schema"));
  // Inside data, "$ref" is just a value.
  auto schema = compiled(R"({"enum": [{"$ref": "http://example.com/x"}]})");
  EXPECT_EQ(schema->violations(R"({"$ref": "http://example.com/x"})"), list{});
}

TEST(core_json_schema, text_that_is_not_json_is_refused) {
  for (auto text : {"", "{", "{\"type\": object}", "{} {}"})
    EXPECT_TRUE(refused(text, "schema is not valid JSON")) << text;
}

TEST(core_json_schema, json_that_is_not_a_schema_is_refused) {
  EXPECT_TRUE(refused(R"({"type": "strin"})", "invalid JSON schema"));
  EXPECT_TRUE(refused(R"({"minLength": "x"})", "minLength"));
  EXPECT_TRUE(refused(R"({"required": 5})", "invalid JSON schema"));
  EXPECT_TRUE(refused(R"({"properties": {"a": 5}})", "invalid JSON schema"));
  EXPECT_TRUE(refused("[1]", "invalid JSON schema"));
  EXPECT_TRUE(refused("5", "invalid JSON schema"));
  EXPECT_TRUE(refused(R"({"properties": {"a": {"pattern": "(["}}})",
                      "/properties/a/pattern is not a valid regular expression"));
  EXPECT_TRUE(refused(R"({"patternProperties": {"a(": {}}})",
                      "/patternProperties is not a valid regular expression: a("));
}

TEST(core_json_schema, text_is_the_schema_minified) {
  auto schema = compiled(R"( {
    "type" : "object",
    "properties" : { "big" : { "maximum" : 12345678901234567890 },
                     "step" : { "multipleOf" : 0.1 } }
  } )");
  EXPECT_EQ(schema->text(),
            R"({"type":"object","properties":{"big":{"maximum":12345678901234567890},)"
            R"("step":{"multipleOf":0.1}}})");
}

} // namespace

} // namespace ecr::test
