// Data written before a graceful stop is all there after a restart on the
// same data directory, field for field.

#include "tests/e2e/e2e_helpers.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace ecr::test {
namespace {

const std::string base = "/api/v1";

struct written_config {
  config_key key;
  std::string name;
  std::optional<stored_config> stored; // empty once deleted
};

/// 200 documents: endpoint and default configs under several names, some
/// overwritten, some deleted.
std::vector<written_config> write_many(http_client& c) {
  std::vector<written_config> written;
  for (int i = 0; i < 50; ++i) {
    auto tag = std::to_string(i);
    config_key endpoint{config_kind::endpoint, "ep-" + tag, "av-" + std::to_string(i % 5)};
    config_key app_default{config_kind::app_version_default, "", "av-default-" + tag};
    for (const auto& [k, name] : {std::pair{endpoint, "default"}, std::pair{endpoint, "n1"},
                                  std::pair{app_default, "default"},
                                  std::pair{app_default, "n2"}}) {
      auto body = R"({ "i" : )" + tag + R"(, "name" : ")" + name
                  + "\", \"text\" : \"caf\xc3\xa9 \\u00e9 \\\"q\\\"\", \"n\" : 1.50 }";
      written.push_back({k, name, put_config(c, base, k, body, name)});
    }
  }
  for (size_t i = 0; i < written.size(); ++i) {
    auto& w = written[i];
    if (i % 7 == 0)
      w.stored = put_config(c, base, w.key, "[\"overwritten\"," + std::to_string(i) + "]",
                            w.name);
    if (i % 11 == 0) {
      EXPECT_EQ(c.del(w.key.url(base, w.name)).status, 204);
      w.stored.reset();
    }
  }
  return written;
}

/// Every document reads back exactly, and lists hold exactly the survivors.
void expect_all(http_client& c, const std::vector<written_config>& written) {
  std::map<std::string, std::vector<stored_config>> lists;
  for (const auto& w : written) {
    SCOPED_TRACE(w.key.url(base, w.name));
    auto& list = lists[w.key.list_url(base)];
    if (w.stored) {
      expect_stored(c, base, w.key, w.name, *w.stored);
      list.push_back(*w.stored);
    } else {
      expect_absent(c, base, w.key, w.name);
    }
  }
  for (auto& [url, expected] : lists) {
    SCOPED_TRACE(url);
    std::sort(expected.begin(), expected.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    EXPECT_EQ(expect_config_list(c.get(url)), expected);
  }
}

TEST(e2e_restart, everything_written_is_read_back_after_a_restart) {
  temp_dir dir;
  auto options = ecr_binary();
  options.dir = dir.path();
  std::vector<written_config> written;
  {
    ecr_process ecr(options);
    written = write_many(ecr.http());
    ASSERT_FALSE(::testing::Test::HasFailure());
    ecr.stop();
  }
  EXPECT_EQ(written.size(), 200u);
  {
    ecr_process ecr(options);
    expect_all(ecr.http(), written);
    // Idempotence survives a restart: same content, same ID and dates.
    auto& first = written.at(1);
    ASSERT_TRUE(first.stored);
    auto again = put_config(ecr.http(), base, first.key, first.stored->config, first.name);
    EXPECT_EQ(again, *first.stored);
    // Changes after the restart persist through the next one.
    first.stored = put_config(ecr.http(), base, first.key, "\"after restart\"", first.name);
    EXPECT_EQ(first.stored->created_date, again.created_date);
    ecr.stop();
  }
  ecr_process ecr(options);
  expect_all(ecr.http(), written);
}

} // namespace
} // namespace ecr::test
