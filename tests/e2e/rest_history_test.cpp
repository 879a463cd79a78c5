// REST contract of the revision history (B1): history pages, one version,
// diffs and rollbacks, for endpoint and default configurations under both
// base paths, over real HTTP against the real binary.

#include "core/json_patch.hpp"
#include "tests/e2e/e2e_helpers.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ecr::test {
namespace {

class rest_history : public rest_test {
protected:
  /// `<key path>/<suffix>?<query>`.
  std::string url(const config_key& k, const std::string& suffix,
                  const std::string& query = {}) const {
    auto path = k.url(base()) + "/" + suffix;
    return query.empty() ? path : path + "?" + query;
  }

  /// The JSON of a 200 answer.
  rapidjson::Document ok_json(const http_response& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(is_json_content_type(r)) << r.body;
    return parse_json(r.body);
  }

  /// The versions of a history page, newest first.
  rapidjson::Document history(const config_key& k,
                              const std::string& query = {}) {
    return ok_json(http().get(url(k, "history", query)));
  }

  http_response post(const std::string& target, const http_headers& headers = {}) {
    return http().request("POST", target, headers);
  }
};

INSTANTIATE_TEST_SUITE_P(e2e, rest_history, ::testing::ValuesIn(all_rest_cases()),
                         rest_case_name);

std::string text_of(const rapidjson::Value& v) {
  return v.IsString() ? std::string{v.GetString(), v.GetStringLength()} : "<null>";
}

TEST_P(rest_history, every_change_is_a_version_newest_first) {
  auto k = key("history");
  auto v1 = put_config(http(), base(), k, R"({"v":1})");
  auto v2 = put_config(http(), base(), k, R"({"v":2})");
  // The same content again is no change.
  put_config(http(), base(), k, R"({ "v" : 2 })");
  ASSERT_EQ(http().del(k.url(base())).status, 204);
  auto v3 = put_config(http(), base(), k, R"({"v":3})");
  auto page = history(k);
  const auto& items = page["content"];
  ASSERT_EQ(items.Size(), 4u) << page["content"].Size();
  EXPECT_EQ(page["totalElements"].GetInt64(), 4);
  std::vector<std::string> origins;
  for (const auto& item : items.GetArray())
    origins.push_back(text_of(item["origin"]));
  EXPECT_EQ(origins, (std::vector<std::string>{"PUT", "DELETE", "PUT", "PUT"}));
  EXPECT_EQ(items[0]["revision"].GetInt64(), 4);
  EXPECT_EQ(text_of(items[0]["configId"]), v3.config_id);
  EXPECT_EQ(text_of(items[0]["config"]), R"({"v":3})");
  EXPECT_TRUE(items[0]["supersededDate"].IsNull());
  EXPECT_EQ(text_of(items[0]["updatedDate"]), v3.updated_date);
  // The tombstone: no configId, no config.
  EXPECT_EQ(items[1]["revision"].GetInt64(), 3);
  EXPECT_TRUE(items[1]["deleted"].GetBool());
  EXPECT_TRUE(items[1]["configId"].IsNull());
  EXPECT_TRUE(items[1]["config"].IsNull());
  // Each version ends where the next begins.
  for (rapidjson::SizeType i = 1; i < items.Size(); ++i)
    EXPECT_EQ(text_of(items[i]["supersededDate"]),
              text_of(items[i - 1]["updatedDate"]));
  EXPECT_EQ(text_of(items[3]["configId"]), v1.config_id);
  EXPECT_EQ(text_of(items[2]["configId"]), v2.config_id);
  // Security is off: nobody to name.
  EXPECT_TRUE(items[0]["actor"].IsNull());
  EXPECT_EQ(text_of(items[0]["name"]), "default");
}

TEST_P(rest_history, history_pages_and_their_bounds) {
  auto k = key("pages");
  for (int i = 1; i <= 5; ++i)
    put_config(http(), base(), k, R"({"v":)" + std::to_string(i) + "}");
  auto page = history(k, "page=1&size=2");
  ASSERT_EQ(page["content"].Size(), 2u);
  EXPECT_EQ(page["content"][0]["revision"].GetInt64(), 3);
  EXPECT_EQ(page["totalPages"].GetInt64(), 3);
  EXPECT_EQ(page["pageable"]["pageNumber"].GetInt64(), 1);
  for (auto bad : {"size=0", "size=1001", "page=-1", "size=x"})
    expect_error(http().get(url(k, "history", bad)), 400);
  // Another name of the same key has its own history; none yet.
  expect_error(http().get(url(k, "history", "name=other")), 404);
  expect_error(http().get(url(key("never"), "history")), 404);
}

TEST_P(rest_history, one_version_by_its_config_id) {
  auto k = key("one");
  auto v1 = put_config(http(), base(), k, R"({"v":1})");
  put_config(http(), base(), k, R"({"v":2})");
  auto r = http().get(url(k, "history/" + v1.config_id));
  auto version = ok_json(r);
  EXPECT_EQ(r.header("ETag").value_or(""), etag_of(v1.config_id));
  EXPECT_EQ(version["revision"].GetInt64(), 1);
  EXPECT_EQ(text_of(version["config"]), R"({"v":1})");
  EXPECT_FALSE(version["supersededDate"].IsNull());
  expect_error(http().get(url(k, "history/no-such-id")), 404);
  expect_error(http().get(url(key("other"), "history/" + v1.config_id)), 404);
}

TEST_P(rest_history, a_diff_turns_one_version_into_another) {
  auto k = key("diff");
  auto v1 = put_config(http(), base(), k, R"({"a":1,"list":[1,2,3],"gone":true})");
  auto v2 = put_config(http(), base(), k, R"({"a":2,"list":[1,2],"new":"x"})");
  auto r = http().get(url(k, "diff", "from=" + v1.config_id));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type").value_or(""), "application/json-patch+json");
  // Applied to `from`, the answer gives `to`: the current version.
  auto applied = apply_json_patch(v1.config, r.body);
  ASSERT_TRUE(applied) << r.body;
  EXPECT_TRUE(*json_equal(*applied, v2.config)) << r.body;
  // Named explicitly, the other way round.
  auto back = http().get(url(k, "diff", "from=" + v2.config_id + "&to=" + v1.config_id));
  EXPECT_EQ(back.status, 200);
  EXPECT_TRUE(*json_equal(*apply_json_patch(v2.config, back.body), v1.config));
  // The same version twice: nothing to do.
  EXPECT_EQ(http().get(url(k, "diff", "from=" + v2.config_id)).body, "[]");
  expect_error(http().get(url(k, "diff")), 400);
  expect_error(http().get(url(k, "diff", "from=unknown")), 404);
  expect_error(http().get(url(k, "diff", "from=" + v1.config_id + "&to=unknown")), 404);
}

TEST_P(rest_history, a_rollback_makes_an_old_version_current_again) {
  auto k = key("rollback");
  auto v1 = put_config(http(), base(), k, R"({"v":1})");
  auto v2 = put_config(http(), base(), k, R"({"v":2})");
  auto r = post(url(k, "rollback", "to=" + v1.config_id));
  auto now = expect_config(r);
  EXPECT_EQ(now.config, R"({"v":1})");
  // A new version with a new configId: ETags never go back.
  EXPECT_NE(now.config_id, v1.config_id);
  EXPECT_NE(now.config_id, v2.config_id);
  EXPECT_EQ(now.created_date, v1.created_date);
  expect_stored(http(), base(), k, std::nullopt, now);
  auto page = history(k);
  EXPECT_EQ(page["content"][0]["revision"].GetInt64(), 3);
  EXPECT_EQ(text_of(page["content"][0]["origin"]), "ROLLBACK");
  EXPECT_EQ(text_of(page["content"][0]["configId"]), now.config_id);
}

TEST_P(rest_history, a_rollback_honours_if_match_and_refuses_bad_targets) {
  auto k = key("guarded");
  auto v1 = put_config(http(), base(), k, R"({"v":1})");
  auto v2 = put_config(http(), base(), k, R"({"v":2})");
  auto stale = post(url(k, "rollback", "to=" + v1.config_id),
                    {{"If-Match", etag_of(v1.config_id)}});
  expect_error(stale, 412);
  expect_stored(http(), base(), k, std::nullopt, v2);
  auto fresh = post(url(k, "rollback", "to=" + v1.config_id),
                    {{"If-Match", etag_of(v2.config_id)}});
  EXPECT_EQ(expect_config(fresh).config, R"({"v":1})");
  expect_error(post(url(k, "rollback")), 400);
  expect_error(post(url(k, "rollback", "to=unknown")), 404);
  EXPECT_EQ(history(k)["totalElements"].GetInt64(), 3);
}

TEST_P(rest_history, a_rollback_undeletes) {
  auto k = key("undelete");
  auto v1 = put_config(http(), base(), k, R"({"v":1})");
  ASSERT_EQ(http().del(k.url(base())).status, 204);
  expect_absent(http(), base(), k);
  auto back = expect_config(post(url(k, "rollback", "to=" + v1.config_id)));
  EXPECT_EQ(back.config, R"({"v":1})");
  expect_stored(http(), base(), k, std::nullopt, back);
  EXPECT_EQ(history(k)["content"][0]["revision"].GetInt64(), 3);
}

TEST_P(rest_history, named_configurations_have_histories_of_their_own) {
  auto k = key("named");
  auto mine = put_config(http(), base(), k, R"({"n":1})", "mine");
  put_config(http(), base(), k, R"({"d":1})");
  auto page = history(k, "name=mine");
  ASSERT_EQ(page["content"].Size(), 1u);
  EXPECT_EQ(text_of(page["content"][0]["name"]), "mine");
  EXPECT_EQ(http().get(url(k, "history/" + mine.config_id, "name=mine")).status, 200);
  expect_error(http().get(url(k, "history/" + mine.config_id)), 404);
}

const std::string meter_without_schema = R"(
kaa:
  applications:
    meter:
      versions: [meter-v1]
)";

const std::string meter_with_schema = R"(
kaa:
  applications:
    meter:
      versions:
        meter-v1:
          endpointConfigurationSchema:
            type: object
            required: [mode]
)";

TEST(e2e_history, a_rollback_is_checked_against_the_schema_in_force_now) {
  temp_dir dir;
  const auto url = "/api/v1/app-versions/meter-v1";
  std::string old_id;
  {
    auto options = ecr_binary({}, meter_without_schema);
    options.dir = dir.path();
    ecr_process ecr(options);
    old_id = expect_config(ecr.http().put_json(url, R"({"x":1})")).config_id;
    ecr.stop();
  }
  auto options = ecr_binary({}, meter_with_schema);
  options.dir = dir.path();
  ecr_process ecr(options);
  auto now = expect_config(ecr.http().put_json(url, R"({"mode":"eco"})"));
  auto refused = ecr.http().request("POST", std::string{url} + "/rollback?to=" + old_id);
  expect_error(refused, 400);
  EXPECT_NE(refused.body.find("mode"), std::string::npos) << refused.body;
  // Nothing changed.
  EXPECT_EQ(expect_config(ecr.http().get(url)), now);
  auto page = parse_json(ecr.http().get(std::string{url} + "/history").body);
  EXPECT_EQ(page["totalElements"].GetInt64(), 2);
}

TEST(e2e_history, retention_follows_the_settings) {
  const auto url = "/api/v1/endpoints/ep-1/app-versions/av-1";
  auto kept = start_ecr({{"HISTORY_MAX_VERSIONS", "2"}});
  for (int i = 1; i <= 4; ++i)
    put_config(kept->http(), "/api/v1", {config_kind::endpoint, "ep-1", "av-1"},
               R"({"v":)" + std::to_string(i) + "}");
  auto page = parse_json(kept->http().get(std::string{url} + "/history").body);
  ASSERT_EQ(page["content"].Size(), 2u);
  EXPECT_EQ(page["content"][0]["revision"].GetInt64(), 4);
  EXPECT_EQ(page["content"][1]["revision"].GetInt64(), 3);

  auto off = start_ecr({{"HISTORY_MAX_VERSIONS", "0"}});
  auto first = put_config(off->http(), "/api/v1", {config_kind::endpoint, "ep-1", "av-1"},
                          R"({"v":1})");
  put_config(off->http(), "/api/v1", {config_kind::endpoint, "ep-1", "av-1"}, R"({"v":2})");
  expect_error(off->http().get(std::string{url} + "/history"), 404);
  expect_error(off->http().request("POST", std::string{url} + "/rollback?to=" + first.config_id),
               404);
}

} // namespace
} // namespace ecr::test
