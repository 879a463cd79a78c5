// REST contract for endpoint configurations (E1-E4) and default
// configurations (D1-D4): both kinds share one contract, so every test here
// runs for each kind under each base path.

#include "tests/e2e/e2e_helpers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace ecr::test {
namespace {

using rest_configs = rest_test;

TEST_P(rest_configs, put_returns_the_minified_configuration) {
  auto k = key("minify");
  auto r = http().put_json(k.url(base()), R"({ "a" : [1, 2.50, "x y"] })");
  auto c = expect_config(r);
  EXPECT_EQ(c.name, "default");
  EXPECT_EQ(c.config, R"({"a":[1,2.50,"x y"]})");
}

TEST_P(rest_configs, get_returns_what_put_stored) {
  auto k = key("get");
  auto put = put_config(http(), base(), k, R"({"active": true, "pushInterval": 5})");
  auto got = expect_config(http().get(k.url(base())));
  EXPECT_EQ(got, put);
  EXPECT_EQ(got.config, R"({"active":true,"pushInterval":5})");
}

TEST_P(rest_configs, any_json_value_is_stored_minified_and_byte_identical) {
  // Only whitespace outside strings goes; number spellings, escapes and
  // raw UTF-8 stay exactly as sent.
  const std::vector<std::pair<std::string, std::string>> cases{
    {"[1, 2 ,\n 3]", "[1,2,3]"},
    {" 42 ", "42"},
    {"-1.50E+10", "-1.50E+10"},
    {R"( "a b" )", R"("a b")"},
    {"null", "null"},
    {"true", "true"},
    {"{}", "{}"},
    {"[ ]", "[]"},
    {"{\r\n\t\"k\" :\t\"a \\\" b \\\\ \\u00e9 \\n\" }", R"({"k":"a \" b \\ \u00e9 \n"})"},
    {"{ \"caf\xc3\xa9\" : \"\xe2\x82\xac  \xf0\x9f\x98\x80\" }",
     "{\"caf\xc3\xa9\":\"\xe2\x82\xac  \xf0\x9f\x98\x80\"}"},
    {R"({"nested": {"x": [ {"y": [ ]} , 0.0 , -0 ]}})",
     R"({"nested":{"x":[{"y":[]},0.0,-0]}})"},
  };
  int i = 0;
  for (const auto& [body, minified] : cases) {
    SCOPED_TRACE(body);
    auto k = key("value-" + std::to_string(i++));
    auto put = put_config(http(), base(), k, body);
    EXPECT_EQ(put.config, minified);
    EXPECT_EQ(expect_config(http().get(k.url(base()))).config, minified);
  }
}

TEST_P(rest_configs, charset_parameter_in_content_type_is_accepted) {
  auto k = key("charset");
  auto r = http().put_json(k.url(base()), R"({"x":1})",
                           {{"Content-Type", "application/json; charset=utf-8"}});
  EXPECT_EQ(expect_config(r).config, R"({"x":1})");
}

TEST_P(rest_configs, same_content_keeps_config_id_and_updated_date) {
  auto k = key("idempotent");
  auto first = put_config(http(), base(), k, R"({"a": 1, "b": [true, null]})");
  auto again = put_config(http(), base(), k, "{\n  \"a\":1,\"b\" : [ true,null ]\n}\n");
  EXPECT_EQ(again, first);
  expect_stored(http(), base(), k, std::nullopt, first);
}

TEST_P(rest_configs, changed_content_gets_a_new_config_id_and_keeps_created_date) {
  auto k = key("update");
  auto v1 = put_config(http(), base(), k, R"({"v":1})");
  auto v2 = put_config(http(), base(), k, R"({"v":2})");
  EXPECT_NE(v2.config_id, v1.config_id);
  EXPECT_EQ(v2.created_date, v1.created_date);
  EXPECT_GE(v2.updated_date, v1.updated_date);
  EXPECT_EQ(v2.config, R"({"v":2})");
  // Going back to earlier content is a change too.
  auto v3 = put_config(http(), base(), k, R"({"v":1})");
  EXPECT_NE(v3.config_id, v1.config_id);
  EXPECT_NE(v3.config_id, v2.config_id);
  EXPECT_EQ(v3.created_date, v1.created_date);
  expect_stored(http(), base(), k, std::nullopt, v3);
}

TEST_P(rest_configs, missing_or_empty_name_means_default) {
  auto k = key("names-default");
  auto plain = put_config(http(), base(), k, "[1]");
  EXPECT_EQ(plain.name, "default");
  expect_stored(http(), base(), k, "", plain);
  expect_stored(http(), base(), k, "default", plain);
  // Writing through `?name=default` addresses the same document.
  auto explicit_default = put_config(http(), base(), k, "[2]", "default");
  EXPECT_EQ(explicit_default.created_date, plain.created_date);
  expect_stored(http(), base(), k, std::nullopt, explicit_default);
}

TEST_P(rest_configs, named_configurations_are_independent) {
  auto k = key("names");
  const std::vector<std::string> names{"default", "night-mode", "a_B-9",
                                       std::string(64, 'n')};
  std::vector<stored_config> stored;
  for (const auto& name : names) {
    stored.push_back(put_config(http(), base(), k, R"({"for":")" + name + "\"}", name));
    EXPECT_EQ(stored.back().name, name);
  }
  std::set<std::string> ids;
  for (const auto& c : stored)
    ids.insert(c.config_id);
  EXPECT_EQ(ids.size(), names.size()) << "each name is its own document";
  for (size_t i = 0; i < names.size(); ++i)
    expect_stored(http(), base(), k, names[i], stored[i]);
  // Changing or deleting one name leaves the others alone.
  put_config(http(), base(), k, R"({"changed":true})", "night-mode");
  EXPECT_EQ(http().del(k.url(base(), "a_B-9")).status, 204);
  expect_absent(http(), base(), k, "a_B-9");
  expect_stored(http(), base(), k, "default", stored[0]);
  expect_stored(http(), base(), k, names[3], stored[3]);
}

TEST_P(rest_configs, keys_are_independent) {
  auto k = key("keys");
  auto stored = put_config(http(), base(), k, R"({"k":1})");
  auto other_version = k;
  other_version.app_version += "-other";
  expect_absent(http(), base(), other_version);
  if (k.kind == config_kind::endpoint) {
    auto other_endpoint = k;
    other_endpoint.endpoint += "-other";
    expect_absent(http(), base(), other_endpoint);
  }
  auto other = put_config(http(), base(), other_version, R"({"k":1})");
  EXPECT_NE(other.config_id, stored.config_id);
  expect_stored(http(), base(), k, std::nullopt, stored);
}

TEST_P(rest_configs, get_of_a_missing_configuration_is_404) {
  expect_absent(http(), base(), key("never-written"));
  expect_absent(http(), base(), key("never-written"), "named");
}

TEST_P(rest_configs, delete_removes_the_configuration) {
  auto k = key("delete");
  put_config(http(), base(), k, R"({"d":1})");
  auto r = http().del(k.url(base()));
  EXPECT_EQ(r.status, 204) << r.describe();
  EXPECT_TRUE(r.body.empty()) << r.describe();
  expect_absent(http(), base(), k);
  expect_error(http().del(k.url(base())), 404);
  // A new write after a delete starts a new document.
  auto again = put_config(http(), base(), k, R"({"d":1})");
  expect_stored(http(), base(), k, std::nullopt, again);
}

TEST_P(rest_configs, delete_of_a_missing_configuration_is_404) {
  expect_error(http().del(key("never-deleted").url(base())), 404);
}

TEST_P(rest_configs, list_is_empty_array_when_nothing_is_stored) {
  auto r = http().get(key("list-empty").list_url(base()));
  EXPECT_TRUE(expect_config_list(r).empty());
  EXPECT_EQ(r.body, "[]");
}

TEST_P(rest_configs, list_returns_every_name_sorted_by_name) {
  auto k = key("list");
  std::map<std::string, stored_config> by_name;
  for (auto name : {"zeta", "alpha", "default", "mid-2", "mid-10", "beta"})
    by_name[name] = put_config(http(), base(), k, R"({"n":")" + std::string(name) + "\"}",
                               name);
  // A neighbouring key must not show up in the list.
  auto neighbour = k;
  neighbour.app_version += "x";
  put_config(http(), base(), neighbour, "1", "alpha");

  auto list = expect_config_list(http().get(k.list_url(base())));
  std::vector<stored_config> expected;
  for (const auto& [name, c] : by_name)
    expected.push_back(c);
  EXPECT_EQ(list, expected);

  EXPECT_EQ(http().del(k.url(base(), "mid-2")).status, 204);
  expected.erase(std::find(expected.begin(), expected.end(), by_name["mid-2"]));
  EXPECT_EQ(expect_config_list(http().get(k.list_url(base()))), expected);
}

TEST_P(rest_configs, if_none_match_with_current_etag_is_304) {
  auto k = key("inm");
  auto c = put_config(http(), base(), k, R"({"e":1})");
  auto r = http().get(k.url(base()), {{"If-None-Match", etag_of(c.config_id)}});
  EXPECT_EQ(r.status, 304) << r.describe();
  EXPECT_TRUE(r.body.empty()) << r.describe();
  // A stale or foreign tag gets the full answer.
  auto fresh = http().get(k.url(base()), {{"If-None-Match", "\"something-else\""}});
  EXPECT_EQ(expect_config(fresh), c);
  auto updated = put_config(http(), base(), k, R"({"e":2})");
  auto after_update = http().get(k.url(base()), {{"If-None-Match", etag_of(c.config_id)}});
  EXPECT_EQ(expect_config(after_update), updated);
}

TEST_P(rest_configs, put_with_matching_if_match_succeeds) {
  auto k = key("if-match-ok");
  auto c = put_config(http(), base(), k, R"({"m":0})");
  // Quoted, unquoted, wildcard, and a list that contains the current tag.
  using tag_form = std::function<std::string(const std::string&)>;
  const std::vector<tag_form> forms{
    [](const std::string& id) { return etag_of(id); },
    [](const std::string& id) { return id; },
    [](const std::string&) { return std::string("*"); },
    [](const std::string& id) {
      return etag_of("0b5e1c7a-0000-4000-8000-000000000000") + ", " + etag_of(id);
    },
  };
  int i = 0;
  for (const auto& form : forms) {
    auto tag = form(c.config_id);
    SCOPED_TRACE("If-Match: " + tag);
    auto body = R"({"m":)" + std::to_string(++i) + "}";
    c = expect_config(http().put_json(k.url(base()), body, {{"If-Match", tag}}));
    EXPECT_EQ(c.config, body);
  }
}

TEST_P(rest_configs, put_with_stale_if_match_is_412_and_changes_nothing) {
  auto k = key("if-match-stale");
  auto old = put_config(http(), base(), k, R"({"s":1})");
  auto current = put_config(http(), base(), k, R"({"s":2})");
  for (const auto& tag : {etag_of(old.config_id), old.config_id,
                          std::string("\"not-a-config-id\"")}) {
    SCOPED_TRACE("If-Match: " + tag);
    expect_error(http().put_json(k.url(base()), R"({"s":3})", {{"If-Match", tag}}), 412);
    expect_stored(http(), base(), k, std::nullopt, current);
  }
}

TEST_P(rest_configs, if_match_on_a_missing_configuration_is_412_and_creates_nothing) {
  auto k = key("if-match-missing");
  for (const auto& tag : {std::string("*"), etag_of("0b5e1c7a-0000-4000-8000-000000000000")}) {
    SCOPED_TRACE("If-Match: " + tag);
    expect_error(http().put_json(k.url(base()), R"({"x":1})", {{"If-Match", tag}}), 412);
    expect_absent(http(), base(), k);
    expect_error(http().del(k.url(base()), {{"If-Match", tag}}), 412);
  }
}

TEST_P(rest_configs, delete_honours_if_match) {
  auto k = key("if-match-delete");
  auto c = put_config(http(), base(), k, R"({"del":1})");
  expect_error(http().del(k.url(base()), {{"If-Match", "\"stale\""}}), 412);
  expect_stored(http(), base(), k, std::nullopt, c);
  EXPECT_EQ(http().del(k.url(base()), {{"If-Match", etag_of(c.config_id)}}).status, 204);
  expect_absent(http(), base(), k);

  put_config(http(), base(), k, R"({"del":2})");
  EXPECT_EQ(http().del(k.url(base()), {{"If-Match", "*"}}).status, 204);
  expect_absent(http(), base(), k);
}

TEST_P(rest_configs, percent_encoded_identifiers_are_decoded) {
  // `a%2Fb` is the identifier "a/b"; spelling it with other escapes reaches
  // the same document, while the unescaped slash is a different route.
  auto k = key("enc");
  k.endpoint = "ep%2Fone%20two";
  k.app_version = "av%2F1";
  auto c = put_config(http(), base(), k, R"({"enc":1})");
  auto respelled = k;
  respelled.endpoint = "%65p%2fone%20two";
  respelled.app_version = "%61v%2f%31";
  expect_stored(http(), base(), respelled, std::nullopt, c);
  auto slashed = k;
  slashed.endpoint = "ep/one%20two";
  slashed.app_version = "av/1";
  expect_error(http().get(slashed.url(base())), 404);
}

TEST_P(rest_configs, identifier_of_256_bytes_is_accepted) {
  auto k = key("long");
  k.endpoint = std::string(256, 'e');
  k.app_version = std::string(256, 'v');
  auto c = put_config(http(), base(), k, "[256]");
  expect_stored(http(), base(), k, std::nullopt, c);
  // 85 three-byte escapes plus one byte: 256 bytes once decoded.
  auto escaped = k;
  escaped.app_version = "v";
  for (int i = 0; i < 85; ++i)
    escaped.app_version += "%E2%82%AC";
  put_config(http(), base(), escaped, "[\"euro\"]");
}

TEST_P(rest_configs, both_base_paths_address_the_same_documents) {
  auto k = key("bases");
  auto c = put_config(http(), base(), k, R"({"b":1})", "shared");
  for (const auto& other : base_paths) {
    SCOPED_TRACE(other);
    expect_stored(http(), other, k, "shared", c);
    EXPECT_EQ(expect_config_list(http().get(k.list_url(other))),
              std::vector<stored_config>{c});
  }
}

INSTANTIATE_TEST_SUITE_P(e2e, rest_configs, ::testing::ValuesIn(all_rest_cases()),
                         rest_case_name);

// Endpoint and default configurations side by side.
class e2e_rest_endpoint_vs_default : public ::testing::Test {
protected:
  void SetUp() override {
    ecr_ = start_ecr();
  }

  http_client& http() {
    return ecr_->http();
  }

  const std::string base = "/api/v1";
  config_key endpoint{config_kind::endpoint, "ep-mixed", "av-mixed"};
  config_key app_default{config_kind::app_version_default, "", "av-mixed"};
  std::unique_ptr<ecr_process> ecr_;
};

TEST_F(e2e_rest_endpoint_vs_default, get_endpoint_config_is_404_when_only_a_default_exists) {
  put_config(http(), base, app_default, R"({"fallback":true})");
  put_config(http(), base, app_default, R"({"fallback":"named"})", "named");
  expect_absent(http(), base, endpoint);
  expect_absent(http(), base, endpoint, "named");
  EXPECT_TRUE(expect_config_list(http().get(endpoint.list_url(base))).empty());
}

TEST_F(e2e_rest_endpoint_vs_default, endpoint_and_default_configs_are_independent_documents) {
  auto d = put_config(http(), base, app_default, R"({"same":1})");
  auto e = put_config(http(), base, endpoint, R"({"same":1})");
  EXPECT_NE(e.config_id, d.config_id);
  EXPECT_EQ(expect_config_list(http().get(endpoint.list_url(base))),
            std::vector<stored_config>{e});
  EXPECT_EQ(expect_config_list(http().get(app_default.list_url(base))),
            std::vector<stored_config>{d});

  EXPECT_EQ(http().del(endpoint.url(base)).status, 204);
  expect_stored(http(), base, app_default, std::nullopt, d);
  auto e2 = put_config(http(), base, endpoint, R"({"same":2})");
  EXPECT_EQ(http().del(app_default.url(base)).status, 204);
  expect_stored(http(), base, endpoint, std::nullopt, e2);
}

} // namespace
} // namespace ecr::test
