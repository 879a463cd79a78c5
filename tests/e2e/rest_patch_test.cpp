// REST contract of partial updates (B2) over real HTTP: merge patches and
// JSON Patches of one configuration, for both kinds and base paths; bulk
// patches through the batch route; every error leaves everything as it was.

#include "tests/e2e/e2e_helpers.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace ecr::test {
namespace {

const http_headers merge_type{{"Content-Type", "application/merge-patch+json"}};
const http_headers json_patch_type{{"Content-Type", "application/json-patch+json"}};

http_headers with(http_headers headers, const std::string& name, const std::string& value) {
  headers.emplace_back(name, value);
  return headers;
}

class rest_patch : public rest_test {
protected:
  http_response patch(const config_key& k, const std::string& body,
                      const http_headers& headers, const std::string& query = {}) {
    return http().request("PATCH", k.url(base()) + (query.empty() ? "" : "?" + query),
                          headers, body);
  }

  /// How many versions `k` has.
  int64_t versions(const config_key& k) {
    auto r = http().get(k.url(base()) + "/history");
    return r.status == 200 ? parse_json(r.body)["totalElements"].GetInt64() : 0;
  }

  /// Expects `r` to be refused with `status` and `k` to still hold `stored`
  /// with no new version.
  void expect_refused(const http_response& r, int status, const config_key& k,
                      const stored_config& stored, int64_t versions_before) {
    expect_error(r, status);
    expect_stored(http(), base(), k, std::nullopt, stored);
    EXPECT_EQ(versions(k), versions_before);
  }
};

INSTANTIATE_TEST_SUITE_P(e2e, rest_patch, ::testing::ValuesIn(all_rest_cases()),
                         rest_case_name);

TEST_P(rest_patch, a_merge_patch_changes_only_what_it_names) {
  auto k = key("merge");
  auto before = put_config(http(), base(), k, R"({"a":1,"b":{"c":2,"d":3},"keep":[1,2]})");
  auto after = expect_config(patch(k, R"({"a":9,"b":{"d":null},"new":"x"})", merge_type));
  EXPECT_EQ(after.config, R"({"a":9,"b":{"c":2},"keep":[1,2],"new":"x"})");
  EXPECT_NE(after.config_id, before.config_id);
  EXPECT_EQ(after.created_date, before.created_date);
  expect_stored(http(), base(), k, std::nullopt, after);
  auto page = parse_json(http().get(k.url(base()) + "/history").body);
  EXPECT_STREQ(page["content"][0]["origin"].GetString(), "PATCH");
}

TEST_P(rest_patch, a_json_patch_applies_every_operation_in_order) {
  auto k = key("json");
  put_config(http(), base(), k, R"({"a":1,"list":[1,2],"m":{"x":true},"a~b":0})");
  auto r = patch(k,
                 R"([{"op":"test","path":"/a","value":1},)"
                 R"({"op":"replace","path":"/a","value":2},)"
                 R"({"op":"add","path":"/list/-","value":3},)"
                 R"({"op":"remove","path":"/a~0b"},)"
                 R"({"op":"copy","from":"/m","path":"/n"},)"
                 R"({"op":"move","from":"/m/x","path":"/m/y"}])",
                 json_patch_type);
  EXPECT_EQ(expect_config(r).config,
            R"({"a":2,"list":[1,2,3],"m":{"y":true},"n":{"x":true}})");
}

TEST_P(rest_patch, the_same_result_keeps_the_configuration_as_it_was) {
  auto k = key("same");
  auto before = put_config(http(), base(), k, R"({"a":1})");
  auto after = expect_config(patch(k, R"({"a":1})", merge_type));
  EXPECT_EQ(after, before);
  EXPECT_EQ(versions(k), 1);
}

TEST_P(rest_patch, a_patch_never_creates) {
  auto k = key("absent");
  expect_error(patch(k, R"({"a":1})", merge_type), 404);
  expect_error(patch(k, R"({"a":1})", with(merge_type, "If-Match", "*")), 412);
  expect_absent(http(), base(), k);
}

TEST_P(rest_patch, if_match_is_honoured) {
  auto k = key("if-match");
  auto before = put_config(http(), base(), k, R"({"a":1})");
  expect_refused(patch(k, R"({"a":2})", with(merge_type, "If-Match", "\"other\"")), 412,
                 k, before, 1);
  auto after = expect_config(
    patch(k, R"({"a":2})", with(merge_type, "If-Match", etag_of(before.config_id))));
  EXPECT_EQ(after.config, R"({"a":2})");
}

TEST_P(rest_patch, other_content_types_are_415) {
  auto k = key("types");
  auto before = put_config(http(), base(), k, R"({"a":1})");
  for (auto type : {"application/json", "text/plain", "application/patch+json"})
    expect_refused(patch(k, R"({"a":2})", {{"Content-Type", type}}), 415, k, before, 1);
  expect_refused(patch(k, R"({"a":2})", {}), 415, k, before, 1);
}

TEST_P(rest_patch, malformed_patches_are_400_and_change_nothing) {
  auto k = key("malformed");
  auto before = put_config(http(), base(), k, R"({"a":1})");
  for (const auto& body : std::vector<std::string>{
         "not json", R"({"op":"add"})", "[1]", R"([{"op":"jump","path":"/a"}])",
         R"([{"op":"add","value":1}])", R"([{"op":"add","path":"/b"}])",
         R"([{"op":"move","path":"/b"}])", R"([{"op":"add","path":"a","value":1}])",
         R"([{"op":"add","path":"/~2","value":1}])",
         R"([{"op":"add","path":"/b","value":1,"value":2}])"}) {
    SCOPED_TRACE(body);
    expect_refused(patch(k, body, json_patch_type), 400, k, before, 1);
  }
  expect_refused(patch(k, R"({"a":1,"a":2})", merge_type), 400, k, before, 1);
}

TEST_P(rest_patch, patches_that_cannot_apply_are_409_naming_the_operation) {
  auto k = key("conflict");
  auto before = put_config(http(), base(), k, R"({"a":1,"list":[1]})");
  const std::vector<std::pair<std::string, std::string>> cases{
    {R"([{"op":"remove","path":"/missing"}])", "operation 0 (remove /missing)"},
    {R"([{"op":"replace","path":"/a","value":2},{"op":"test","path":"/a","value":1}])",
     "operation 1 (test /a)"},
    {R"([{"op":"add","path":"/list/5","value":1}])", "operation 0 (add /list/5)"},
    {R"([{"op":"move","from":"/nope","path":"/b"}])", "operation 0 (move /b)"},
  };
  for (const auto& [body, names] : cases) {
    SCOPED_TRACE(body);
    auto r = patch(k, body, json_patch_type);
    expect_refused(r, 409, k, before, 1);
    EXPECT_NE(r.body.find(names), std::string::npos) << r.body;
  }
}

// -- bulk -------------------------------------------------------------------------

class e2e_bulk_patch : public ::testing::Test {
protected:
  void SetUp() override {
    ecr_ = start_ecr();
  }

  http_client& http() {
    return ecr_->http();
  }

  static config_key endpoint(const std::string& id, const std::string& av = "av-1") {
    return {config_kind::endpoint, id, av};
  }

  http_response bulk(const std::string& body, const std::string& query = {}) {
    return http().request("PATCH", api + "/endpoints/batch" + (query.empty() ? "" : "?" + query),
                          {{"Content-Type", "application/json"}}, body);
  }

  std::string content_of(const config_key& k) {
    return expect_config(http().get(k.url(api))).config;
  }

  const std::string api = "/api/v1";
  std::unique_ptr<ecr_process> ecr_;
};

TEST_F(e2e_bulk_patch, each_endpoint_keeps_its_other_fields) {
  put_config(http(), api, endpoint("ep-1"), R"({"mode":"a","id":1})");
  put_config(http(), api, endpoint("ep-2"), R"({"mode":"b","id":2})");
  put_config(http(), api, endpoint("ep-3", "av-2"), R"({"mode":"c","id":3})");
  auto r = bulk(R"({"patch":{"mode":"eco"},)"
                R"("endpoints":{"av-1":["ep-1","ep-2","ep-9"],"av-2":["ep-3"]}})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto answer = parse_json(r.body);
  EXPECT_EQ(answer["updated"].GetInt64(), 3);
  EXPECT_EQ(answer["unchanged"].GetInt64(), 0);
  ASSERT_EQ(answer["missing"].Size(), 1u);
  EXPECT_STREQ(answer["missing"][0].GetString(), "av-1/ep-9");
  EXPECT_EQ(content_of(endpoint("ep-1")), R"({"mode":"eco","id":1})");
  EXPECT_EQ(content_of(endpoint("ep-3", "av-2")), R"({"mode":"eco","id":3})");
  // Missing endpoints are reported, not created.
  expect_absent(http(), api, endpoint("ep-9"));
  // Patching again changes nothing.
  auto again = parse_json(bulk(R"({"patch":{"mode":"eco"},"endpoints":{"av-1":["ep-1"]}})").body);
  EXPECT_EQ(again["updated"].GetInt64(), 0);
  EXPECT_EQ(again["unchanged"].GetInt64(), 1);
}

TEST_F(e2e_bulk_patch, a_json_patch_array_works_alike) {
  put_config(http(), api, endpoint("ep-1"), R"({"list":[1]})");
  auto r = bulk(R"({"patch":[{"op":"add","path":"/list/-","value":2}],)"
                R"("endpoints":{"av-1":["ep-1"]}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(content_of(endpoint("ep-1")), R"({"list":[1,2]})");
}

TEST_F(e2e_bulk_patch, one_refusal_refuses_all_and_names_the_endpoint) {
  put_config(http(), api, endpoint("ep-1"), R"({"list":[1]})");
  put_config(http(), api, endpoint("ep-2"), R"({"other":true})");
  auto r = bulk(R"({"patch":[{"op":"add","path":"/list/-","value":2}],)"
                R"("endpoints":{"av-1":["ep-1","ep-2"]}})");
  expect_error(r, 409);
  EXPECT_NE(r.body.find("av-1/ep-2"), std::string::npos) << r.body;
  EXPECT_EQ(content_of(endpoint("ep-1")), R"({"list":[1]})");
  for (const auto& bad : std::vector<std::string>{
         R"({"patch":5,"endpoints":{"av-1":["ep-1"]}})",
         R"({"endpoints":{"av-1":["ep-1"]}})",
         R"({"patch":[{"op":"nope"}],"endpoints":{"av-1":["ep-1"]}})"})
    expect_error(bulk(bad), 400);
  EXPECT_EQ(content_of(endpoint("ep-1")), R"({"list":[1]})");
}

TEST_F(e2e_bulk_patch, at_most_ten_thousand_endpoints) {
  std::string ids;
  for (int i = 0; i <= 10'000; ++i)
    ids += (i ? "," : "") + std::string{"\"ep-"} + std::to_string(i) + "\"";
  expect_error(bulk(R"({"patch":{"a":1},"endpoints":{"av-1":[)" + ids + "]}}"), 413);
}

TEST_F(e2e_bulk_patch, concurrent_puts_are_never_lost) {
  // While the bulk patch runs, other clients keep replacing the same
  // configurations: whatever the order, the patch applies to the version it
  // replaced, which the history shows.
  constexpr int endpoints = 40;
  std::string ids;
  for (int i = 0; i < endpoints; ++i) {
    put_config(http(), api, endpoint("ep-" + std::to_string(i)), R"({"v":0})");
    ids += (i ? "," : "") + std::string{"\"ep-"} + std::to_string(i) + "\"";
  }
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w)
    writers.emplace_back([&, w] {
      http_client c(ecr_->port());
      for (int round = 1; !done; ++round)
        for (int i = w; i < endpoints && !done; i += 2)
          c.put_json(endpoint("ep-" + std::to_string(i)).url(api),
                     R"({"v":)" + std::to_string(round) + "}");
    });
  for (int round = 0; round < 5; ++round) {
    auto r = bulk(R"({"patch":{"p":)" + std::to_string(round)
                  + R"(},"endpoints":{"av-1":[)" + ids + "]}}");
    EXPECT_EQ(r.status, 200) << r.body;
  }
  done = true;
  for (auto& t : writers)
    t.join();
  int patched = 0;
  for (int i = 0; i < endpoints; ++i) {
    SCOPED_TRACE("ep-" + std::to_string(i));
    auto page = parse_json(
      http().get(endpoint("ep-" + std::to_string(i)).url(api) + "/history?size=1000").body);
    const auto& items = page["content"];
    // Newest first: each PATCH version is its predecessor with "p" merged in.
    for (rapidjson::SizeType j = 0; j + 1 < items.Size(); ++j) {
      if (std::string{items[j]["origin"].GetString()} != "PATCH")
        continue;
      auto older = parse_json(items[j + 1]["config"].GetString());
      auto newer = parse_json(items[j]["config"].GetString());
      ASSERT_TRUE(older.IsObject() && newer.IsObject());
      EXPECT_EQ(newer["v"].GetInt(), older["v"].GetInt())
        << items[j]["config"].GetString() << " after " << items[j + 1]["config"].GetString();
      EXPECT_TRUE(newer.HasMember("p"));
      ++patched;
    }
  }
  EXPECT_GT(patched, 0) << "no patch version left to check";
}

} // namespace
} // namespace ecr::test
