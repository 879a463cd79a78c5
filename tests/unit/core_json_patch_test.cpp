#include "core/json_patch.hpp"

#include "core/error.hpp"
#include "core/json_value.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>

namespace ecr::test {

namespace {

/// The result of applying `patch`, or the rendered error.
std::string patched(std::string_view document, std::string_view patch) {
  auto out = apply_json_patch(document, patch);
  return out ? *out : "error " + render(out.error());
}

std::string merged(std::string_view document, std::string_view patch) {
  auto out = apply_merge_patch(document, patch);
  return out ? *out : "error " + render(out.error());
}

/// Expects `result` to fail with `code` and a message containing `part`.
template <class T>
void expect_error(const caf::expected<T>& result, ec code, std::string_view part) {
  ASSERT_FALSE(result) << "unexpected success";
  EXPECT_EQ(error_code(result.error()), code) << render(result.error());
  EXPECT_NE(error_message(result.error()).find(part), std::string::npos)
    << render(result.error()) << "\n  expected to contain: " << part;
}

bool equal(std::string_view a, std::string_view b) {
  auto out = json_equal(a, b);
  EXPECT_TRUE(out) << render(out.error());
  return out && *out;
}

/// `depth` arrays nested around `inner`.
std::string nested(size_t depth, std::string_view inner = "") {
  return std::string(depth, '[') + std::string{inner} + std::string(depth, ']');
}

// -- RFC 6902, appendix A -----------------------------------------------------

TEST(core_json_patch, rfc6902_a1_adding_an_object_member) {
  EXPECT_EQ(patched(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])"),
            R"({"foo":"bar","baz":"qux"})");
}

TEST(core_json_patch, rfc6902_a2_adding_an_array_element) {
  EXPECT_EQ(patched(R"({"foo":["bar","baz"]})",
                    R"([{"op":"add","path":"/foo/1","value":"qux"}])"),
            R"({"foo":["bar","qux","baz"]})");
}

TEST(core_json_patch, rfc6902_a3_removing_an_object_member) {
  EXPECT_EQ(patched(R"({"baz":"qux","foo":"bar"})", R"([{"op":"remove","path":"/baz"}])"),
            R"({"foo":"bar"})");
}

TEST(core_json_patch, rfc6902_a4_removing_an_array_element) {
  EXPECT_EQ(patched(R"({"foo":["bar","qux","baz"]})",
                    R"([{"op":"remove","path":"/foo/1"}])"),
            R"({"foo":["bar","baz"]})");
}

TEST(core_json_patch, rfc6902_a5_replacing_a_value) {
  EXPECT_EQ(patched(R"({"baz":"qux","foo":"bar"})",
                    R"([{"op":"replace","path":"/baz","value":"boo"}])"),
            R"({"baz":"boo","foo":"bar"})");
}

TEST(core_json_patch, rfc6902_a6_moving_a_value) {
  EXPECT_EQ(patched(R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
                    R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])"),
            R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})");
}

TEST(core_json_patch, rfc6902_a7_moving_an_array_element) {
  EXPECT_EQ(patched(R"({"foo":["all","grass","cows","eat"]})",
                    R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])"),
            R"({"foo":["all","cows","eat","grass"]})");
}

TEST(core_json_patch, rfc6902_a8_testing_a_value_success) {
  EXPECT_EQ(patched(R"({"baz":"qux","foo":["a",2,"c"]})",
                    R"([{"op":"test","path":"/baz","value":"qux"},)"
                    R"({"op":"test","path":"/foo/1","value":2}])"),
            R"({"baz":"qux","foo":["a",2,"c"]})");
}

TEST(core_json_patch, rfc6902_a9_testing_a_value_error) {
  expect_error(apply_json_patch(R"({"baz":"qux"})",
                                R"([{"op":"test","path":"/baz","value":"bar"}])"),
               ec::conflict, "operation 0 (test /baz): test failed");
}

TEST(core_json_patch, rfc6902_a10_adding_a_nested_member_object) {
  EXPECT_EQ(patched(R"({"foo":"bar"})",
                    R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])"),
            R"({"foo":"bar","child":{"grandchild":{}}})");
}

TEST(core_json_patch, rfc6902_a11_ignoring_unrecognized_elements) {
  EXPECT_EQ(patched(R"({"foo":"bar"})",
                    R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])"),
            R"({"foo":"bar","baz":"qux"})");
}

TEST(core_json_patch, rfc6902_a12_adding_to_a_nonexistent_target) {
  expect_error(apply_json_patch(R"({"foo":"bar"})",
                                R"([{"op":"add","path":"/baz/bat","value":"qux"}])"),
               ec::conflict, "operation 0 (add /baz/bat): no member \"baz\"");
}

TEST(core_json_patch, rfc6902_a13_invalid_json_patch_document) {
  expect_error(apply_json_patch(R"({"foo":"bar"})",
                                R"([{"op":"add","path":"/baz","value":"qux","op":"remove"}])"),
               ec::invalid_argument, "operation 0: duplicate member \"op\"");
}

TEST(core_json_patch, rfc6902_a14_escape_ordering) {
  EXPECT_EQ(patched(R"({"/":9,"~1":10})", R"([{"op":"test","path":"/~01","value":10}])"),
            R"({"/":9,"~1":10})");
}

TEST(core_json_patch, rfc6902_a15_comparing_strings_and_numbers) {
  expect_error(apply_json_patch(R"({"/":9,"~1":10})",
                                R"([{"op":"test","path":"/~01","value":"10"}])"),
               ec::conflict, "operation 0 (test /~01): test failed");
}

TEST(core_json_patch, rfc6902_a16_adding_an_array_value) {
  EXPECT_EQ(patched(R"({"foo":["bar"]})",
                    R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])"),
            R"({"foo":["bar",["abc","def"]]})");
}

// -- RFC 7396, appendix A and section 3 ---------------------------------------

TEST(core_json_patch, rfc7396_appendix_a_examples) {
  struct example {
    const char* target;
    const char* patch;
    const char* result;
  };
  for (auto [target, patch, result] : std::initializer_list<example>{
         {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
         {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
         {R"({"a":"b"})", R"({"a":null})", R"({})"},
         {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
         {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
         {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
         {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
         {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
         {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
         {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
         {R"({"a":"foo"})", "null", "null"},
         {R"({"a":"foo"})", R"("bar")", R"("bar")"},
         {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
         {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
         {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
       })
    EXPECT_EQ(merged(target, patch), result) << target << " + " << patch;
}

TEST(core_json_patch, rfc7396_section_3_example) {
  auto target = R"({"title":"Goodbye!","author":{"givenName":"John","familyName":"Doe"},)"
                R"("tags":["example","sample"],"content":"This will be unchanged"})";
  auto patch = R"({"title":"Hello!","phoneNumber":"+01-123-456-7890",)"
               R"("author":{"familyName":null},"tags":["example"]})";
  EXPECT_EQ(merged(target, patch),
            R"({"title":"Hello!","author":{"givenName":"John"},"tags":["example"],)"
            R"("content":"This will be unchanged","phoneNumber":"+01-123-456-7890"})");
}

TEST(core_json_patch, merge_patch_refuses_duplicates_and_non_json) {
  expect_error(apply_merge_patch("{}", R"({"a":{"b":1,"b":2}})"), ec::invalid_argument,
               "duplicate member \"b\"");
  expect_error(apply_merge_patch("{}", "{"), ec::invalid_argument,
               "the merge patch is not JSON");
  expect_error(apply_merge_patch("{", "{}"), ec::invalid_argument,
               "the document is not JSON");
}

// -- operations and their details --------------------------------------------

TEST(core_json_patch, member_order_add_appends_replace_keeps_position) {
  EXPECT_EQ(patched(R"({"a":1,"b":2,"c":3})",
                    R"([{"op":"replace","path":"/a","value":9},)"
                    R"({"op":"add","path":"/b","value":8},{"op":"add","path":"/d","value":4}])"),
            R"({"a":9,"b":8,"c":3,"d":4})");
}

TEST(core_json_patch, dash_appends_and_size_is_an_index_for_add) {
  EXPECT_EQ(patched("[1,2]", R"([{"op":"add","path":"/-","value":3},)"
                             R"({"op":"add","path":"/3","value":4}])"),
            "[1,2,3,4]");
  EXPECT_EQ(patched(R"({"a":[1],"b":2})", R"([{"op":"move","from":"/b","path":"/a/-"},)"
                                          R"({"op":"copy","from":"/a/0","path":"/a/-"}])"),
            R"({"a":[1,2,1]})");
}

TEST(core_json_patch, pointer_escapes) {
  auto document = R"({"a/b":1,"m~n":2,"~1":3,"":{"":4}})";
  EXPECT_EQ(patched(document, R"([{"op":"test","path":"/a~1b","value":1},)"
                              R"({"op":"test","path":"/m~0n","value":2},)"
                              R"({"op":"test","path":"/~01","value":3},)"
                              R"({"op":"test","path":"//","value":4},)"
                              R"({"op":"remove","path":"/a~1b"},)"
                              R"({"op":"replace","path":"/m~0n","value":5}])"),
            R"({"m~n":5,"~1":3,"":{"":4}})");
  EXPECT_EQ(*json_diff(R"({"a/b":1,"~":2})", R"({"a/b":3})"),
            R"([{"op":"replace","path":"/a~1b","value":3},{"op":"remove","path":"/~0"}])");
}

TEST(core_json_patch, root_operations) {
  EXPECT_EQ(patched(R"({"a":1})", R"([{"op":"add","path":"","value":[1]}])"), "[1]");
  EXPECT_EQ(patched(R"({"a":1})", R"([{"op":"replace","path":"","value":2}])"), "2");
  EXPECT_EQ(patched(R"({"a":1})", R"([{"op":"test","path":"","value":{"a":1.0}}])"),
            R"({"a":1})");
  EXPECT_EQ(patched(R"({"a":{"b":1}})", R"([{"op":"move","from":"/a","path":""}])"),
            R"({"b":1})");
  EXPECT_EQ(patched(R"({"a":1})", R"([{"op":"copy","from":"","path":"/b"}])"),
            R"({"a":1,"b":{"a":1}})");
  expect_error(apply_json_patch("[]", R"([{"op":"remove","path":""}])"), ec::conflict,
               "operation 0 (remove ): cannot remove the whole document");
}

TEST(core_json_patch, move_to_itself_keeps_the_document) {
  EXPECT_EQ(patched(R"({"a":1,"b":2})", R"([{"op":"move","from":"/a","path":"/a"}])"),
            R"({"a":1,"b":2})");
  expect_error(apply_json_patch(R"({"a":1})", R"([{"op":"move","from":"/x","path":"/x"}])"),
               ec::conflict, "no member \"x\"");
}

TEST(core_json_patch, applied_values_are_copies) {
  // The copy is independent of its source: changing one leaves the other.
  EXPECT_EQ(patched(R"({"a":{"b":1}})", R"([{"op":"copy","from":"/a","path":"/c"},)"
                                        R"({"op":"replace","path":"/c/b","value":2}])"),
            R"({"a":{"b":1},"c":{"b":2}})");
}

TEST(core_json_patch, numbers_keep_their_spelling) {
  auto numbers = R"([12345678901234567890123,1e400,-0.0,1E+2,0.10,-1e-400])";
  EXPECT_EQ(patched(numbers, "[]"), numbers);
  EXPECT_EQ(patched("{}", std::string{R"([{"op":"add","path":"/n","value":)"} + numbers
                            + "}]"),
            std::string{R"({"n":)"} + numbers + "}");
  EXPECT_EQ(merged(R"({"a":1.50})", R"({"b":1e400})"), R"({"a":1.50,"b":1e400})");
  EXPECT_EQ(*json_diff("[1.0]", "[1e400]"),
            R"([{"op":"replace","path":"/0","value":1e400}])");
}

TEST(core_json_patch, strings_are_escaped_canonically) {
  EXPECT_EQ(patched(R"({"\u0041":"\/\u00e9\n\u0000"})", "[]"),
            "{\"A\":\"/\xC3\xA9\\n\\u0000\"}");
}

TEST(core_json_patch, numbers_compare_by_value) {
  for (auto [a, b] : std::initializer_list<std::pair<const char*, const char*>>{
         {"1", "1.0"}, {"1", "1e0"}, {"1", "10e-1"}, {"0.1e1", "1E+0"}, {"0", "-0"},
         {"0.0", "-0e5"}, {"100", "1e2"}, {"1e400", "10e399"}, {"-2.50", "-25e-1"},
         {"12345678901234567890123", "1.2345678901234567890123e22"}})
    EXPECT_TRUE(equal(a, b)) << a << " " << b;
  for (auto [a, b] : std::initializer_list<std::pair<const char*, const char*>>{
         {"1", "2"}, {"1", "-1"}, {"1", "\"1\""}, {"1e400", "1e401"}, {"0.1", "0.01"},
         {"12345678901234567890123", "12345678901234567890124"},
         {"1e9999999999999999999999", "10e9999999999999999999998"}})
    EXPECT_FALSE(equal(a, b)) << a << " " << b;
  EXPECT_EQ(patched(R"({"a":1})", R"([{"op":"test","path":"/a","value":1.0}])"),
            R"({"a":1})");
}

TEST(core_json_patch, json_equal_compares_objects_as_sets) {
  EXPECT_TRUE(equal(R"({"a":1,"b":[1,{"c":"\u0041"}]})", R"({"b":[1,{"c":"A"}],"a":1})"));
  EXPECT_FALSE(equal(R"({"a":1})", R"({"a":1,"b":2})"));
  EXPECT_FALSE(equal("[1,2]", "[2,1]"));
  EXPECT_FALSE(equal("null", "false"));
  expect_error(json_equal("{}", "nope"), ec::invalid_argument,
               "the second value is not JSON");
}

TEST(core_json_patch, documents_keep_the_last_of_repeated_members) {
  EXPECT_EQ(patched(R"({"a":1,"b":2,"a":3})", "[]"), R"({"a":3,"b":2})");
  EXPECT_TRUE(equal(R"({"a":1,"a":2})", R"({"a":2})"));
}

// -- errors -------------------------------------------------------------------

TEST(core_json_patch, malformed_patches_are_invalid_arguments) {
  struct bad {
    const char* patch;
    const char* message;
  };
  auto ok = R"({"op":"test","path":"","value":{}},)";
  for (auto [patch, message] : std::initializer_list<bad>{
         {"[", "the patch is not JSON"},
         {R"({"op":"add"})", "the patch is not a JSON array"},
         {"[1]", "operation 0: not an object"},
         {R"([{"path":"/a"}])", "operation 0: missing \"op\""},
         {R"([{"op":1,"path":"/a"}])", "operation 0: \"op\" is not a string"},
         {R"([{"op":"frob","path":"/a"}])", "operation 0: unknown op \"frob\""},
         {R"([{"op":"Add","path":"/a","value":1}])", "operation 0: unknown op \"Add\""},
         {R"([{"op":"remove"}])", "operation 0: missing \"path\""},
         {R"([{"op":"remove","path":1}])", "operation 0: \"path\" is not a string"},
         {R"([{"op":"add","path":"/a"}])", "operation 0: missing \"value\""},
         {R"([{"op":"replace","path":"/a"}])", "operation 0: missing \"value\""},
         {R"([{"op":"test","path":"/a"}])", "operation 0: missing \"value\""},
         {R"([{"op":"move","path":"/a"}])", "operation 0: missing \"from\""},
         {R"([{"op":"copy","path":"/a","from":7}])", "operation 0: \"from\" is not a string"},
         {R"([{"op":"remove","path":"a"}])",
          "operation 0: \"path\" is not a JSON Pointer: it must be empty or start with '/'"},
         {R"([{"op":"remove","path":"/a~2"}])",
          "operation 0: \"path\" is not a JSON Pointer: '~' must be followed by 0 or 1"},
         {R"([{"op":"move","path":"/a","from":"/b~"}])",
          "operation 0: \"from\" is not a JSON Pointer: '~' must be followed by 0 or 1"},
         {R"([{"op":"add","path":"/a","value":{"b":1,"b":2}}])",
          "operation 0: duplicate member \"b\""},
       }) {
    expect_error(apply_json_patch("{}", patch), ec::invalid_argument, message);
    // The message names the operation's index.
    auto later = std::string{"["} + ok + ok + (patch + 1);
    if (std::string_view{message}.starts_with("operation 0"))
      expect_error(apply_json_patch("{}", later), ec::invalid_argument,
                   "operation 2" + std::string{message + 11});
  }
}

TEST(core_json_patch, malformed_documents_are_invalid_arguments) {
  expect_error(apply_json_patch("{\"a\":", "[]"), ec::invalid_argument,
               "the document is not JSON: ");
  expect_error(apply_json_patch("{} x", "[]"), ec::invalid_argument,
               "the document is not JSON: ");
  expect_error(apply_json_patch(std::string_view{"{}\0{}", 5}, "[]"), ec::invalid_argument,
               "the document is not JSON: a NUL byte (at offset 2)");
  expect_error(apply_json_patch("\"\xff\"", "[]"), ec::invalid_argument,
               "the document is not JSON: ");
  for (auto number : {"01", "1.", "-", "+1", ".5", "1e", "1e+", "--1", "1-1", "1e1.5", "0x10", "NaN", "[1]-"}) {
    SCOPED_TRACE(number);
    expect_error(apply_json_patch(std::string{"["} + number + "]", "[]"),
                 ec::invalid_argument, "the document is not JSON: ");
  }
  expect_error(json_diff("[1]", "[1,]"), ec::invalid_argument, "\"to\" is not JSON");
  expect_error(merge_diff("tru", "1"), ec::invalid_argument, "\"from\" is not JSON");
}

TEST(core_json_patch, inapplicable_operations_are_conflicts) {
  struct inapplicable {
    const char* document;
    const char* operation;
    const char* message;
  };
  for (auto [document, operation, message] : std::initializer_list<inapplicable>{
         {R"({"a":1})", R"({"op":"remove","path":"/b"})",
          "(remove /b): no member \"b\" in the document"},
         {R"({"a":1})", R"({"op":"replace","path":"/b","value":1})",
          "(replace /b): no member \"b\""},
         {R"({"a":1})", R"({"op":"test","path":"/a/b","value":1})",
          "(test /a/b): /a is a number, not an object or array"},
         {R"({"a":1})", R"({"op":"move","from":"/b","path":"/c"})",
          "(move /c): no member \"b\""},
         {R"({"a":1})", R"({"op":"copy","from":"/b","path":"/c"})",
          "(copy /c): no member \"b\""},
         {R"({"a":[1]})", R"({"op":"add","path":"/a/2","value":1})",
          "(add /a/2): index 2 is past the end of /a (size 1)"},
         {R"({"a":[1]})", R"({"op":"add","path":"/a/99999999999999999999999","value":1})",
          "(add /a/99999999999999999999999): index 99999999999999999999999 is past the end"},
         {R"({"a":[1]})", R"({"op":"remove","path":"/a/1"})",
          "(remove /a/1): no element 1 in /a (size 1)"},
         {R"({"a":[1,2]})", R"({"op":"remove","path":"/a/01"})",
          "(remove /a/01): index 01 into /a has a leading zero"},
         {R"({"a":[1,2]})", R"({"op":"add","path":"/a/00","value":0})",
          "(add /a/00): index 00 into /a has a leading zero"},
         {R"({"a":[1,2]})", R"({"op":"replace","path":"/a/x","value":0})",
          "(replace /a/x): \"x\" is not an index into the array /a"},
         {R"({"a":[1,2]})", R"({"op":"remove","path":"/a/-1"})",
          "(remove /a/-1): \"-1\" is not an index into the array /a"},
         {R"({"a":[1,2]})", R"({"op":"remove","path":"/a/-"})",
          "(remove /a/-): \"-\" names no element of /a"},
         {R"({"a":[1,2]})", R"({"op":"test","path":"/a/1","value":3})",
          "(test /a/1): test failed"},
         {R"({"a":{"b":{}}})", R"({"op":"move","from":"/a","path":"/a/b/c"})",
          "(move /a/b/c): cannot move /a into itself"},
         {R"("s")", R"({"op":"add","path":"/a","value":1})",
          "(add /a): the document is a string, not an object or array"},
         {R"({"a":null})", R"({"op":"add","path":"/a/b","value":1})",
          "(add /a/b): /a is null, not an object or array"},
       }) {
    expect_error(apply_json_patch(document, std::string{"["} + operation + "]"),
                 ec::conflict, std::string{"operation 0 "} + message);
    // The message names the operation's index.
    auto passing = std::string{R"({"op":"test","path":"","value":)"} + document + "},";
    expect_error(apply_json_patch(document, "[" + passing + passing + operation + "]"),
                 ec::conflict, std::string{"operation 2 "} + message);
  }
}

// -- limits -------------------------------------------------------------------

TEST(core_json_patch, nesting_is_bounded) {
  EXPECT_EQ(patched(nested(512), "[]"), nested(512));
  expect_error(apply_json_patch(nested(513), "[]"), ec::invalid_argument,
               "the document is nested deeper than 512 levels");
  expect_error(apply_json_patch("[]", "[" + nested(512) + "]"), ec::invalid_argument,
               "the patch is nested deeper than 512 levels");
  // Deep text is refused without recursion: no stack overflow.
  expect_error(apply_json_patch(nested(1'000'000), "[]"), ec::invalid_argument,
               "nested deeper");
  expect_error(json_equal("1", nested(600)), ec::invalid_argument, "nested deeper");
  // Nor can a patch build a deeper document. Its values may be 510 deep:
  // the patch's array and the operation's object enclose them.
  auto value = nested(510);
  EXPECT_EQ(patched("[[]]", R"([{"op":"add","path":"/0/0","value":)" + value + "}]"),
            nested(512));
  expect_error(apply_json_patch("[[[]]]", R"([{"op":"add","path":"/0/0/0","value":)"
                                            + value + "}]"),
               ec::conflict,
               "operation 0 (add /0/0/0): the result would nest deeper than 512 levels");
  expect_error(apply_json_patch("[[[0]]]", R"([{"op":"replace","path":"/0/0/0","value":)"
                                             + value + "}]"),
               ec::conflict, "nest deeper than 512");
  auto document = "[[[]]," + nested(511) + "]";
  expect_error(apply_json_patch(document, R"([{"op":"copy","from":"/1","path":"/0/0"}])"),
               ec::conflict, "nest deeper than 512");
  expect_error(apply_json_patch(document, R"([{"op":"move","from":"/1","path":"/0/0"}])"),
               ec::conflict, "nest deeper than 512");
  EXPECT_EQ(patched(document, R"([{"op":"move","from":"/1","path":"/0"}])"),
            "[" + nested(511) + ",[[]]]");
}

TEST(core_json_patch, copies_are_bounded) {
  // Each copy of the document into a member of its own doubles it.
  std::string patch = "[";
  for (int i = 0; i < 40; ++i)
    patch += std::string{i ? "," : ""} + R"({"op":"copy","from":"","path":"/k)"
             + std::to_string(i) + "\"}";
  patch += "]";
  expect_error(apply_json_patch(R"({"a":[1,2,3,4,5,6,7,8]})", patch), ec::conflict,
               "the patch's copies would create more than 100000 values");
}

TEST(core_json_patch, big_documents_diff_in_reasonable_time) {
  // Quadratic lookups would take minutes here.
  constexpr int n = 200'000;
  auto member = [](int i) {
    return "\"k" + std::to_string(i) + "\":" + std::to_string(i);
  };
  std::string object = "{";
  std::string reversed = "{";
  std::string array = "[";
  for (int i = 0; i < n; ++i) {
    object += (i ? "," : "") + member(i);
    reversed += (i ? "," : "") + member(n - 1 - i);
    array += (i ? "," : "") + std::to_string(i);
  }
  object += "}";
  reversed += "}";
  array += "]";
  EXPECT_EQ(*json_diff(object, reversed), "[]");
  EXPECT_EQ(*merge_diff(object, reversed), "{}");
  EXPECT_TRUE(equal(object, reversed));
  EXPECT_EQ(*json_diff(array, array), "[]");
  EXPECT_EQ(patched(object, R"([{"op":"test","path":"/k0","value":0}])"), object);
}

// -- diffs --------------------------------------------------------------------

TEST(core_json_patch, diff_examples) {
  EXPECT_EQ(*json_diff(R"({"a":1})", R"( { "a" : 1.0 } )"), "[]");
  EXPECT_EQ(*json_diff("1", "\"1\""), R"([{"op":"replace","path":"","value":"1"}])");
  EXPECT_EQ(*json_diff(R"({"a":1,"b":{"c":[1,2,3]}})", R"({"b":{"c":[1,5]},"d":null})"),
            R"([{"op":"remove","path":"/a"},)"
            R"({"op":"replace","path":"/b/c/1","value":5},)"
            R"({"op":"remove","path":"/b/c/2"},)"
            R"({"op":"add","path":"/d","value":null}])");
  EXPECT_EQ(*json_diff("[1]", "[1,2,3]"),
            R"([{"op":"add","path":"/1","value":2},{"op":"add","path":"/2","value":3}])");
  EXPECT_EQ(*json_diff("[1,2,3]", "[1]"),
            R"([{"op":"remove","path":"/2"},{"op":"remove","path":"/1"}])");
  EXPECT_EQ(*merge_diff(R"({"a":1,"b":{"c":1,"d":2},"e":[1]})",
                        R"({"b":{"c":1,"d":3},"e":[2],"f":{}})"),
            R"({"a":null,"b":{"d":3},"e":[2],"f":{}})");
  EXPECT_EQ(*merge_diff("[1]", R"({"a":1})"), R"({"a":1})");
}

// -- properties on random documents -------------------------------------------

/// Random JSON values from a seeded generator, with awkward keys, strings
/// and number spellings.
class random_json {
public:
  explicit random_json(unsigned seed) : gen_(seed) {
  }

  json_value value(int depth) {
    switch (pick(depth > 0 ? 8 : 5)) {
      case 0:
        // Rare, so that most documents suit merge patches.
        return pick(4) == 0 ? json_value{} : value(depth);
      case 1: {
        json_value out{json_value::kind::boolean};
        out.truth = pick(2) == 0;
        return out;
      }
      case 2:
      case 3:
        return json_value{json_value::kind::number, number()};
      case 4:
        return json_value{json_value::kind::string, one_of(strings())};
      case 5:
      case 6: {
        json_value out{json_value::kind::object};
        for (auto n = pick(5); n > 0; --n)
          add_member(out, depth - 1);
        return out;
      }
      default: {
        json_value out{json_value::kind::array};
        for (auto n = pick(5); n > 0; --n)
          out.items.push_back(value(depth - 1));
        return out;
      }
    }
  }

  /// Changes `doc` somewhere, a few times.
  void mutate(json_value& doc) {
    for (auto n = 1 + pick(3); n > 0; --n)
      mutate_once(doc, 3);
  }

  size_t pick(size_t n) {
    return std::uniform_int_distribution<size_t>{0, n - 1}(gen_);
  }

private:
  static const std::vector<std::string>& strings() {
    static const std::vector<std::string> xs{
      "", "a", "b", "/", "~", "~1", "a/b~0", "-", "0", "01", "\xC3\xA9",
      std::string{"nul\0byte", 8}, "\"quoted\"\n"};
    return xs;
  }

  std::string one_of(const std::vector<std::string>& xs) {
    return xs[pick(xs.size())];
  }

  std::string number() {
    static const std::vector<std::string> spellings{
      "0", "-0", "1", "1.0", "1e0", "2", "-3.25", "1e400", "12345678901234567890123",
      "0.1", "1E+2", "100", "-0.0"};
    return pick(2) ? one_of(spellings) : std::to_string(pick(1000));
  }

  void add_member(json_value& object, int depth) {
    auto key = one_of(strings());
    auto exists = std::any_of(object.members.begin(), object.members.end(),
                              [&](const json_member& m) { return m.key == key; });
    if (!exists)
      object.members.push_back({key, value(depth)});
  }

  void mutate_once(json_value& at, int depth) {
    auto children = at.items.size() + at.members.size();
    auto choice = pick(6);
    if (choice == 0 || (children == 0 && choice < 3)) {
      at = value(depth);
    } else if (choice < 3 && children > 0) {
      auto i = pick(children);
      mutate_once(i < at.items.size() ? at.items[i] : at.members[i - at.items.size()].value,
                  depth);
    } else if (at.is_object()) {
      if (choice == 3 && !at.members.empty())
        at.members.erase(at.members.begin() + static_cast<ptrdiff_t>(pick(children)));
      else
        add_member(at, depth);
    } else if (at.is_array()) {
      auto where = at.items.begin() + static_cast<ptrdiff_t>(pick(children + 1));
      if (choice == 3 && children > 0)
        at.items.erase(at.items.begin() + static_cast<ptrdiff_t>(pick(children)));
      else
        at.items.insert(where, value(depth));
    }
  }

  std::mt19937 gen_;
};

/// Whether some object within `value` has a null member: RFC 7396 cannot
/// produce one.
bool has_null_member(const json_value& value) {
  return std::any_of(value.items.begin(), value.items.end(), has_null_member)
         || std::any_of(value.members.begin(), value.members.end(), [](const json_member& m) {
              return m.value.type == json_value::kind::null || has_null_member(m.value);
            });
}

TEST(core_json_patch, property_applying_a_diff_gives_the_target) {
  random_json random{20240611};
  size_t merge_checked = 0;
  for (int round = 0; round < 3000; ++round) {
    auto from_value = random.value(4);
    auto to_value = from_value;
    random.mutate(to_value);
    if (random.pick(10) == 0)
      to_value = random.value(4);
    auto from = to_json_text(from_value);
    auto to = to_json_text(to_value);
    SCOPED_TRACE("from " + from + "\n  to " + to);

    auto diff = json_diff(from, to);
    ASSERT_TRUE(diff) << render(diff.error());
    auto applied = apply_json_patch(from, *diff);
    ASSERT_TRUE(applied) << render(applied.error()) << "\n  patch " << *diff;
    ASSERT_TRUE(equal(*applied, to)) << "patch " << *diff << "\n  gave " << *applied;
    EXPECT_EQ(*json_diff(from, from), "[]");
    EXPECT_EQ(*json_diff(*applied, to), "[]");

    auto merge = merge_diff(from, to);
    ASSERT_TRUE(merge) << render(merge.error());
    auto merged_text = apply_merge_patch(from, *merge);
    ASSERT_TRUE(merged_text) << render(merged_text.error());
    if (!has_null_member(to_value)) {
      ++merge_checked;
      ASSERT_TRUE(equal(*merged_text, to)) << "merge patch " << *merge << "\n  gave "
                                           << *merged_text;
    }
  }
  // Nulls are rare: most pairs are within RFC 7396's reach.
  EXPECT_GT(merge_checked, 1500u);
}

TEST(core_json_patch, property_one_member_change_gives_one_operation) {
  random_json random{7};
  for (int round = 0; round < 1000; ++round) {
    json_value from{json_value::kind::object};
    for (int i = 0; i < 8; ++i)
      from.members.push_back({"m" + std::to_string(i), random.value(3)});
    auto to = from;
    auto& changed = to.members[random.pick(to.members.size())].value;
    auto replacement = json_value{json_value::kind::string, "changed"};
    if (changed.type == replacement.type && changed.text == replacement.text)
      continue;
    changed = replacement;
    auto diff = json_diff(to_json_text(from), to_json_text(to));
    ASSERT_TRUE(diff);
    auto ops = parse_json(*diff, "the diff", json_duplicates::kept);
    ASSERT_TRUE(ops);
    EXPECT_EQ(ops->items.size(), 1u) << *diff;
  }
}

} // namespace

} // namespace ecr::test
