#include "core/error.hpp"
#include "core/identifiers.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace ecr::test {

namespace {

/// Holds when `err` is an `ec::invalid_argument`.
::testing::AssertionResult invalid(const caf::error& err) {
  if (!err)
    return ::testing::AssertionFailure() << "accepted";
  if (error_code(err) != ec::invalid_argument)
    return ::testing::AssertionFailure() << "wrong error: " << render(err);
  return ::testing::AssertionSuccess();
}

template <class T>
::testing::AssertionResult invalid(const caf::expected<T>& x) {
  if (x)
    return ::testing::AssertionFailure() << "accepted";
  return invalid(x.error());
}

/// `text` decoded; a decoding error fails the test.
std::string decode(std::string_view text, bool plus_is_space = false) {
  auto decoded = percent_decode(text, plus_is_space);
  if (!decoded)
    throw std::runtime_error("cannot decode " + std::string{text} + ": "
                             + render(decoded.error()));
  return std::move(*decoded);
}

// -- percent_decode ---------------------------------------------------------------

TEST(core_identifiers, percent_decode_decodes_escapes) {
  struct sample {
    std::string in;
    std::string out;
  };
  for (const auto& [in, out] : {
         sample{"", ""},
         sample{"plain-id_1.2~", "plain-id_1.2~"},
         sample{"a%20b", "a b"},
         sample{"%41%42", "AB"},
         sample{"%2f%2F", "//"},
         sample{"%25", "%"},
         sample{"%C3%A9", "\xC3\xA9"},
         sample{"a%00b", std::string{"a\0b", 3}},
       })
    EXPECT_EQ(decode(in), out) << in;
}

TEST(core_identifiers, plus_is_a_space_only_when_asked) {
  EXPECT_EQ(decode("a+b"), "a+b");
  EXPECT_EQ(decode("a+b", true), "a b");
  // An escaped plus stays a plus either way.
  EXPECT_EQ(decode("a%2Bb", true), "a+b");
  EXPECT_EQ(decode("a%2Bb", false), "a+b");
}

TEST(core_identifiers, percent_decode_rejects_malformed_escapes) {
  for (auto text : {"%", "%2", "%zz", "%g0", "%0g", "abc%", "ab%4", "%%41",
                    "a%-1"}) {
    EXPECT_TRUE(invalid(percent_decode(text))) << text;
    EXPECT_TRUE(invalid(percent_decode(text, true))) << text;
  }
}

// -- check_identifier -------------------------------------------------------------

TEST(core_identifiers, identifiers_are_1_to_256_bytes) {
  EXPECT_TRUE(invalid(check_identifier("", "endpointId")));
  EXPECT_FALSE(check_identifier("a", "endpointId"));
  EXPECT_FALSE(check_identifier(std::string(256, 'a'), "endpointId"));
  EXPECT_TRUE(invalid(check_identifier(std::string(257, 'a'), "endpointId")));
  // Bytes, not characters: 128 two-byte characters fit, 129 do not.
  std::string e_acute = "\xC3\xA9";
  std::string fits;
  for (int i = 0; i < 128; ++i)
    fits += e_acute;
  auto too_long = fits + e_acute;
  EXPECT_FALSE(check_identifier(fits, "endpointId"));
  EXPECT_TRUE(invalid(check_identifier(too_long, "endpointId")));
}

TEST(core_identifiers, identifiers_have_no_control_characters) {
  for (auto c : {'\x00', '\x01', '\t', '\n', '\r', '\x1f', '\x7f'})
    EXPECT_TRUE(invalid(check_identifier(std::string{"ab"} + c + "cd",
                                         "endpointId")))
      << static_cast<int>(c);
  EXPECT_FALSE(check_identifier("a b/c:d?e%f", "endpointId"));
}

TEST(core_identifiers, identifier_errors_name_the_parameter) {
  auto err = check_identifier("", "appVersionName");
  ASSERT_TRUE(err);
  EXPECT_NE(error_message(err).find("appVersionName"), std::string::npos)
    << error_message(err);
  err = check_identifier("\x01", "tenantId");
  ASSERT_TRUE(err);
  EXPECT_NE(error_message(err).find("tenantId"), std::string::npos)
    << error_message(err);
}

// -- check_config_name --------------------------------------------------------------

TEST(core_identifiers, config_names_match_the_pattern) {
  for (const auto& name :
       {std::string{"default"}, std::string{"a"}, std::string{"Z-9_x"},
        std::string(64, 'n')})
    EXPECT_FALSE(check_config_name(name)) << name;
  for (const auto& name :
       {std::string{""}, std::string(65, 'n'), std::string{"a b"},
        std::string{"a.b"}, std::string{"a/b"}, std::string{"\xC3\xA9"},
        std::string{"a\nb"}})
    EXPECT_TRUE(invalid(check_config_name(name))) << name;
}

} // namespace

} // namespace ecr::test

namespace ecr {
namespace {

TEST(parse_bounded_integer, accepts_whole_numbers_within_bounds_only) {
  EXPECT_EQ(parse_bounded_integer("0", 0, 10), 0);
  EXPECT_EQ(parse_bounded_integer("10", 0, 10), 10);
  EXPECT_EQ(parse_bounded_integer("-3", -5, 5), -3);
  for (auto text : {"", "11", "-1", "1.5", "1x", " 1", "+1", "99999999999999999999"})
    EXPECT_FALSE(parse_bounded_integer(text, 0, 10)) << '"' << text << '"';
}

} // namespace
} // namespace ecr
