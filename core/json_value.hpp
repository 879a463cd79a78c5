#pragma once

// A small JSON DOM for the patch functions (core/json_patch.hpp): numbers
// keep their spelling, objects keep their member order. Include only from
// .cpp files: it brings in RapidJSON's writer.

#include "core/json_text.hpp"

#include <caf/expected.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ecr {

struct json_member;

/// One JSON value. Only the fields of its kind are used.
struct json_value {
  enum class kind : unsigned char { null, boolean, number, string, array, object };

  json_value() = default;
  explicit json_value(kind of, std::string spelling = {})
    : type(of), text(std::move(spelling)) {
  }

  kind type = kind::null;
  bool truth = false;
  /// A number's spelling as written, or a string's unescaped bytes.
  std::string text;
  std::vector<json_value> items;
  std::vector<json_member> members;

  bool is_array() const noexcept { return type == kind::array; }
  bool is_object() const noexcept { return type == kind::object; }
};

struct json_member {
  std::string key;
  json_value value;
};

/// Deepest nesting of arrays and objects parsed or produced, as
/// `json_schema::max_depth`: the functions here recurse once per level.
inline constexpr size_t json_max_depth = 512;

/// What a parse does with an object's repeated member.
enum class json_duplicates {
  /// The last value wins, at the first one's position (as JavaScript's
  /// JSON.parse): documents in the store may come from lenient writers.
  last_wins,
  /// All members stay; `duplicate_member` finds them, for inputs that
  /// refuse them with a message of their own.
  kept,
};

/// Parses JSON text nested at most `json_max_depth` deep. Anything else is
/// `ec::invalid_argument` with a message starting with `what`, e.g. "the
/// patch is not JSON: missing a comma or ']' after an array element (at
/// offset 7)".
caf::expected<json_value> parse_json(std::string_view text, std::string_view what,
                                     json_duplicates duplicates);

/// Writes `value`: strings escaped canonically, numbers as spelled.
void write_json(json_writer& out, const json_value& value);

/// Minified JSON text of `value`, as `write_json` writes it.
std::string to_json_text(const json_value& value);

/// Whether two values are equal: objects as sets of members, arrays in
/// order, numbers by numeric value (see `same_number`), strings by bytes.
bool json_equals(const json_value& a, const json_value& b);

/// Whether two JSON number spellings denote the same number. Exact: digits
/// and decimal exponent are normalised, so `1`, `1.0`, `10e-1` and `1E0`
/// are equal, and `0` equals `-0`. Exponents beyond 18 digits are compared
/// by spelling only.
bool same_number(std::string_view a, std::string_view b);

/// How many values `value` holds, itself included, and how deeply it nests
/// arrays and objects: 0 for a scalar, 1 for `[]`.
struct json_extent {
  size_t values = 0;
  size_t depth = 0;
};

json_extent extent_of(const json_value& value);

/// Positions of `members` ordered by key, equal keys by position: a sorted
/// index for lookups in big objects.
std::vector<size_t> by_key(const std::vector<json_member>& members);

/// The position of the member of `members` keyed `key` using `index` (from
/// `by_key`); `members.size()` if there is none.
size_t find_member(const std::vector<json_member>& members,
                   const std::vector<size_t>& index, std::string_view key);

/// A key repeated in some object within `value`, or nullptr.
const std::string* duplicate_member(const json_value& value);

/// Removes the members whose position is flagged in `gone`, keeping the
/// order of the others.
void erase_members(std::vector<json_member>& members, const std::vector<bool>& gone);

} // namespace ecr
