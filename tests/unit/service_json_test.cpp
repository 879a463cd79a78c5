#include "gateway/json.hpp"

#include "actors/type_ids.hpp"
#include "core/error.hpp"

#include <gtest/gtest.h>

namespace ecr {
namespace {

TEST(minify_json, removes_only_insignificant_whitespace) {
  auto out = minify_json(" { \"a\" : [1, 2.50, \"x  y\"],\n\t\"b\": {\"c\": null} } ");
  ASSERT_TRUE(out) << error_message(out.error());
  EXPECT_EQ(*out, R"({"a":[1,2.50,"x  y"],"b":{"c":null}})");
}

TEST(minify_json, keeps_number_spelling) {
  for (auto text : {"1e2", "-0.0", "123456789012345678", "1.10"}) {
    auto out = minify_json(text);
    ASSERT_TRUE(out) << text;
    EXPECT_EQ(*out, text);
  }
}

TEST(minify_json, accepts_integers_beyond_64_bits) {
  for (auto text : {"123456789012345678901234567890",
                    "{\"big\": 18446744073709551616}", "-1e-400"}) {
    auto out = minify_json(text);
    ASSERT_TRUE(out) << text;
  }
  EXPECT_EQ(*minify_json("[ 123456789012345678901234567890 , 2 ]"),
            "[123456789012345678901234567890,2]");
  EXPECT_FALSE(minify_json("[123456789012345678901234567890,]"));
  EXPECT_FALSE(minify_json("[01]"));
  EXPECT_FALSE(minify_json("[1.]"));
}

TEST(minify_json, refuses_exponents_beyond_double_range) {
  // RFC 8259 lets implementations limit the range of numbers; 1e400 is not
  // representable by any consumer that parses into doubles.
  auto out = minify_json("[1e400]");
  ASSERT_FALSE(out);
  EXPECT_EQ(error_code(out.error()), ec::invalid_argument);
}

TEST(minify_json, accepts_every_json_value_type) {
  for (auto text : {"null", "true", "\"text\"", "[]", "{}", "42"}) {
    auto out = minify_json(text);
    ASSERT_TRUE(out) << text;
    EXPECT_EQ(*out, text);
  }
}

TEST(minify_json, rejects_malformed_documents) {
  for (auto text : {"", "   ", "{\"a\":1,}", "{\"a\":tru}", "{} x", "[1,2",
                    "{\"a\" 1}", "'single'", "\"unterminated"}) {
    auto out = minify_json(text);
    ASSERT_FALSE(out) << "accepted: " << text;
    EXPECT_EQ(error_code(out.error()), ec::invalid_argument);
    EXPECT_FALSE(error_message(out.error()).empty());
  }
}

TEST(minify_json, rejects_invalid_utf8) {
  std::string text = "\"\xff\xfe\"";
  EXPECT_FALSE(minify_json(text));
}

TEST(is_json_media_type, accepts_json_types_with_parameters) {
  EXPECT_TRUE(is_json_media_type("application/json"));
  EXPECT_TRUE(is_json_media_type("Application/JSON; charset=utf-8"));
  EXPECT_TRUE(is_json_media_type("application/merge-patch+json"));
  EXPECT_FALSE(is_json_media_type("text/plain"));
  EXPECT_FALSE(is_json_media_type("application/x-www-form-urlencoded"));
  EXPECT_FALSE(is_json_media_type(""));
  EXPECT_FALSE(is_json_media_type("application/+json"));
}

TEST(render_config, has_the_endpoint_configuration_shape) {
  config_record record{{"kaa", "ep", "v1", "night-mode"},
                       "231f1aae-a4be-11ea-bb37-0242ac130002",
                       R"({"active":true,"note":"a \"quote\""})",
                       1489750202643,
                       1489750202644};
  EXPECT_EQ(render_config(record),
            R"({"configId":"231f1aae-a4be-11ea-bb37-0242ac130002",)"
            R"("name":"night-mode",)"
            R"("config":"{\"active\":true,\"note\":\"a \\\"quote\\\"\"}",)"
            R"("createdDate":"2017-03-17T11:30:02.643Z",)"
            R"("updatedDate":"2017-03-17T11:30:02.644Z"})");
  EXPECT_EQ(render_config_list({}), "[]");
  EXPECT_EQ(render_config_list({record, record}).front(), '[');
}

TEST(render_message, escapes_the_message) {
  EXPECT_EQ(render_message("bad \"x\"\n"), R"({"message":"bad \"x\"\n"})");
}

TEST(render_health, lists_components_and_details_when_down) {
  EXPECT_EQ(render_health(true, {}), R"({"status":"UP"})");
  EXPECT_EQ(render_health(false, {{"storage", false, "disk gone"}}),
            R"({"status":"DOWN","components":{"storage":{"status":"DOWN",)"
            R"("details":"disk gone"}}})");
}

} // namespace
} // namespace ecr

namespace ecr {
namespace {

TEST(parse_batch, keeps_the_payload_text_and_lists_targets_in_order) {
  auto batch = parse_batch(R"({ "endpoints": {"v1": ["a", "b"], "v2": ["c"]},
                               "configPayload": {"x": [1.50, "}"], "y": null} })");
  ASSERT_TRUE(batch) << error_message(batch.error());
  EXPECT_EQ(batch->payload, R"({"x":[1.50,"}"],"y":null})");
  using target = std::pair<std::string, std::string>;
  EXPECT_EQ(batch->targets,
            (std::vector<target>{{"v1", "a"}, {"v1", "b"}, {"v2", "c"}}));
}

TEST(parse_batch, accepts_any_json_value_as_payload) {
  for (auto [payload, stored] :
       std::vector<std::pair<std::string, std::string>>{
         {"42", "42"}, {"\"s, }\"", "\"s, }\""}, {"[ 1 , 2 ]", "[1,2]"},
         {"null", "null"}, {"true", "true"}}) {
    auto batch = parse_batch(R"({"configPayload": )" + payload
                             + R"(, "endpoints": {"v1": ["a"]}})");
    ASSERT_TRUE(batch) << payload;
    EXPECT_EQ(batch->payload, stored);
  }
}

TEST(parse_batch, rejects_every_malformed_shape) {
  for (auto body :
       {R"([])", R"({"endpoints": {"v1": ["a"]}})", R"({"configPayload": 1})",
        R"({"configPayload": 1, "endpoints": {}})",
        R"({"configPayload": 1, "endpoints": []})",
        R"({"configPayload": 1, "endpoints": {"v1": []}})",
        R"({"configPayload": 1, "endpoints": {"v1": "a"}})",
        R"({"configPayload": 1, "endpoints": {"v1": [1]}})",
        R"({"configPayload": 1, "endpoints": {"v1": ["a"]}} trailing)",
        R"({"nested": {"configPayload": 1}, "endpoints": {"v1": ["a"]}})"}) {
    auto batch = parse_batch(body);
    ASSERT_FALSE(batch) << body;
    EXPECT_EQ(error_code(batch.error()), ec::invalid_argument);
  }
}

} // namespace
} // namespace ecr
