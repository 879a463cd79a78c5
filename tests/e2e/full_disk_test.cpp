// A store that runs out of disk space, for real: the SQLite file lives on a
// small tmpfs that fills up (skipped, saying why, where none can be
// mounted). Refused writes answer 507 with a message naming the cause and
// store nothing, readiness shows the storage DEGRADED while still answering
// 200 (reads go on), a metric counts the refusals, and no acknowledged write
// is lost across restarts, on the full disk and after. Once space is freed,
// writes succeed and readiness is UP again.

#include "tests/e2e/nats_helpers.hpp"
#include "tests/support/small_filesystem.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <utility>
#include <vector>

namespace ecr::test {
namespace {

constexpr size_t filesystem_bytes = 3 * 1024 * 1024;
constexpr size_t ballast_bytes = 1024 * 1024;

const std::string refused_series = R"(ecr_store_writes_refused_total{reason="no_space"})";

class e2e_full_disk : public ::testing::Test {
protected:
  void SetUp() override {
    try {
      fs_ = std::make_unique<small_filesystem>(filesystem_bytes, ballast_bytes);
    } catch (const small_filesystem::unavailable& e) {
      GTEST_SKIP() << e.what();
    }
    // Only the database is on the small filesystem: the log must go on.
    options_ = ecr_binary({{"STORAGE_SQLITE_PATH", fs_->file("ecr.db")}});
    options_.dir = dir_.path();
    options_.nats_urls = nats_.url();
    ecr_ = std::make_unique<ecr_process>(options_);
  }

  http_client& http() {
    return ecr_->http();
  }

  void restart() {
    ecr_->stop();
    ecr_ = std::make_unique<ecr_process>(options_);
  }

  /// The sample of `series` in the metrics, as text ("" when absent).
  std::string metric(const std::string& series) {
    auto text = http().get("/prometheus").body;
    auto at = text.find("\n" + series + " ");
    if (at == std::string::npos)
      return {};
    auto value = at + series.size() + 2;
    return text.substr(value, text.find('\n', value) - value);
  }

  /// Every acknowledged write reads back as it was acknowledged.
  void expect_all_stored() {
    for (const auto& [key, stored] : acknowledged_)
      expect_stored(http(), api, key, std::nullopt, stored);
  }

  temp_dir dir_{"ecr-e2e-full"};
  nats_server nats_;
  std::unique_ptr<small_filesystem> fs_;
  ecr_options options_;
  std::unique_ptr<ecr_process> ecr_;
  std::vector<std::pair<config_key, stored_config>> acknowledged_;
};

void expect_refused_for_space(const http_response& r) {
  expect_error(r, 507);
  EXPECT_NE(r.body.find("the store is out of space: the change was not saved"),
            std::string::npos)
    << r.describe();
}

TEST_F(e2e_full_disk, refused_writes_say_why_store_nothing_and_lose_nothing) {
  EXPECT_EQ(metric(refused_series), "0");
  // Fill the filesystem with 32 KiB configurations until one is refused.
  std::optional<config_key> refused_key;
  for (int i = 0; i < 1000 && !refused_key; ++i) {
    auto key = endpoint_key("ep-" + std::to_string(i), "av-1");
    auto r = http().put_json(key.url(api), json_string_of_size(32 * 1024));
    if (r.status == 200) {
      acknowledged_.emplace_back(key, expect_config(r));
      continue;
    }
    expect_refused_for_space(r);
    refused_key = key;
  }
  ASSERT_TRUE(refused_key) << "the filesystem never filled up";
  ASSERT_FALSE(acknowledged_.empty());
  expect_absent(http(), api, *refused_key);
  // Replacing a configuration with a larger one is refused too, and the
  // previous content stays.
  auto& [first_key, first] = acknowledged_.front();
  expect_refused_for_space(http().put_json(first_key.url(api),
                                           json_string_of_size(64 * 1024)));
  expect_stored(http(), api, first_key, std::nullopt, first);

  auto degraded = get_readiness(http());
  EXPECT_EQ(degraded.http_status, 200) << degraded.body;
  EXPECT_EQ(degraded.storage, "DEGRADED") << degraded.body;
  EXPECT_NE(degraded.body.find(R"("status":"DEGRADED")"), std::string::npos)
    << degraded.body;
  EXPECT_NE(degraded.body.find("out of space"), std::string::npos) << degraded.body;
  EXPECT_EQ(metric(refused_series), "2");

  // Nothing acknowledged is lost by a restart on the full disk.
  restart();
  expect_all_stored();
  expect_absent(http(), api, *refused_key);

  // Space freed: writes succeed again, and readiness is UP once one did.
  expect_refused_for_space(http().put_json(first_key.url(api),
                                           json_string_of_size(64 * 1024)));
  EXPECT_EQ(get_readiness(http()).storage, "DEGRADED");
  fs_->free_ballast();
  first = expect_config(http().put_json(first_key.url(api),
                                        json_string_of_size(64 * 1024)));
  auto ready = get_readiness(http());
  EXPECT_EQ(ready.http_status, 200) << ready.body;
  EXPECT_EQ(ready.storage, "UP") << ready.body;
  EXPECT_NE(ready.body.find(R"({"status":"UP")"), std::string::npos) << ready.body;
  acknowledged_.emplace_back(*refused_key,
                             expect_config(http().put_json(refused_key->url(api),
                                                           json_string_of_size(1024))));
  restart();
  expect_all_stored();
}

} // namespace
} // namespace ecr::test
