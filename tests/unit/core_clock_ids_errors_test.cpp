#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"

#include <caf/sec.hpp>
#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <regex>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

namespace ecr::test {

namespace {

// -- clock --------------------------------------------------------------------

struct instant {
  int64_t ms;
  std::string text;
};

const std::vector<instant>& known_instants() {
  static const std::vector<instant> xs{
    {0, "1970-01-01T00:00:00.000Z"},
    {1489750202643, "2017-03-17T11:30:02.643Z"},
    {999, "1970-01-01T00:00:00.999Z"},
    {951782400000, "2000-02-29T00:00:00.000Z"},
    {4102444799999, "2099-12-31T23:59:59.999Z"},
    {-1, "1969-12-31T23:59:59.999Z"},
  };
  return xs;
}

TEST(core_clock, formats_known_instants) {
  for (const auto& [ms, text] : known_instants())
    EXPECT_EQ(iso8601_ms(ms), text) << ms;
}

TEST(core_clock, now_is_wall_clock_milliseconds) {
  // 2024-01-01T00:00:00Z: a wall clock in milliseconds, not seconds or micros.
  EXPECT_GT(now_ms(), 1704067200000);
  EXPECT_LT(now_ms(), 1704067200000 * 10);
}

// -- ids ----------------------------------------------------------------------

TEST(core_ids, uuids_are_canonical_version_4) {
  static const std::regex pattern{
    "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"};
  for (int i = 0; i < 100; ++i) {
    auto id = make_uuid_v4();
    EXPECT_TRUE(std::regex_match(id, pattern)) << id;
  }
}

TEST(core_ids, uuids_are_unique) {
  constexpr size_t count = 10000;
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < count; ++i)
    seen.insert(make_uuid_v4());
  EXPECT_EQ(seen.size(), count);
}

TEST(core_ids, uuid_variant_nibble_takes_all_four_values) {
  // Only the two top bits of the variant are fixed; the rest is random.
  std::set<char> variants;
  for (int i = 0; i < 1000; ++i)
    variants.insert(make_uuid_v4()[19]);
  EXPECT_EQ(variants, (std::set<char>{'8', '9', 'a', 'b'}));
}

// -- errors -------------------------------------------------------------------

TEST(core_errors, make_error_carries_code_and_message) {
  auto err = make_error(ec::not_found, "configuration not found");
  ASSERT_TRUE(err);
  EXPECT_EQ(err.category(), caf::atom("ecr"));
  EXPECT_EQ(error_code(err), ec::not_found);
  EXPECT_EQ(error_message(err), "configuration not found");
  EXPECT_EQ(render(err), "not_found: configuration not found");
}

TEST(core_errors, every_code_round_trips_and_has_a_name) {
  std::set<std::string> names;
  for (auto i = static_cast<uint8_t>(ec::invalid_argument);
       i < static_cast<uint8_t>(ec::ec_count); ++i) {
    auto code = static_cast<ec>(i);
    auto err = make_error(code, "m");
    EXPECT_EQ(error_code(err), code) << to_string(code);
    EXPECT_EQ(render(err), std::string{to_string(code)} + ": m");
    names.insert(to_string(code));
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(ec::ec_count) - 1);
  EXPECT_EQ(names.count("unknown"), 0u);
  EXPECT_STREQ(to_string(ec::precondition_failed), "precondition_failed");
  EXPECT_STREQ(to_string(ec::ec_count), "unknown");
}

TEST(core_errors, foreign_errors_count_as_storage_failures) {
  auto err = caf::make_error(caf::sec::runtime_error);
  ASSERT_TRUE(err);
  EXPECT_EQ(error_code(err), ec::storage_failure);
  EXPECT_EQ(error_message(err), caf::to_string(err));
  EXPECT_EQ(render(err), caf::to_string(err));
  EXPECT_NE(render(err).find("runtime_error"), std::string::npos) << render(err);
}

} // namespace

} // namespace ecr::test
