#pragma once

// RFC 6902 JSON Patch, RFC 7396 JSON Merge Patch and a diff that produces
// JSON Patches, on JSON texts. Numbers keep their exact spelling (a value is
// never re-serialized through double), strings are re-escaped canonically,
// output is minified JSON text.
//
// Inputs nest at most 512 levels (as `json_schema::max_depth`); deeper is
// `ec::invalid_argument`. A document with a repeated object member keeps the
// last value, at the first one's position (as JavaScript's JSON.parse);
// patches with repeated members are refused.

#include <caf/expected.hpp>

#include <string>
#include <string_view>

namespace ecr {

/// The RFC 6902 operations that turn `from` into `to` (both JSON texts):
/// objects compared member by member (by key), arrays element by element
/// (index by index; extra elements of `to` added at the end, extra elements
/// of `from` removed from the end, highest index first), anything else that
/// differs replaced whole. `[]` when equal. Minified JSON array text.
/// Applying the result to `from` gives a value equal to `to`.
/// `ec::invalid_argument` when either is not JSON.
caf::expected<std::string> json_diff(std::string_view from, std::string_view to);

/// Applies the RFC 6902 patch `patch` (JSON text) to `document` (JSON text);
/// answers the result, minified. All six operations (add, remove, replace,
/// move, copy, test), JSON Pointer (RFC 6901) with `~0`/`~1` escapes, `-`
/// for appending to arrays. Errors:
///  * `ec::invalid_argument` (the caller answers 400): the patch is not a JSON
///    array of objects, an operation has an unknown `op`, lacks `path`/
///    `value`/`from` as its op requires, a `path`/`from` is not a JSON Pointer
///    (must be empty or start with `/`; `~` must be followed by 0 or 1), an
///    operation object has duplicate members (also within its value), or
///    `document` is not JSON.
///    The message names the 0-based index of the bad operation.
///  * `ec::conflict` (the caller answers 409): a well-formed operation cannot
///    apply: a path that does not exist for remove/replace/move/copy/test (and
///    for add, a missing parent), an array index past the end for add (index
///    == size is allowed; `-` appends), a non-numeric or leading-zero index
///    into an array, a failed `test`, `move` into its own child, removing the
///    whole document, a result nested deeper than 512 levels, or copies
///    creating more than 100,000 values in all (a few `copy` operations
///    would otherwise double a document again and again). The message starts
///    with "operation <index> (<op> <path>): " and says why.
///  Nothing partial: on any error no result is returned.
caf::expected<std::string> apply_json_patch(std::string_view document,
                                            std::string_view patch);

/// Applies the RFC 7396 merge patch `patch` to `document` (both JSON texts);
/// answers the result, minified. `ec::invalid_argument` when either is not
/// JSON (or when the patch has duplicate members).
caf::expected<std::string> apply_merge_patch(std::string_view document,
                                             std::string_view patch);

/// A merge patch that turns `from` into `to` when one exists: RFC 7396
/// cannot express every change: it cannot set a member to null (null
/// removes), and replaces arrays whole. So applying the answer to `from`
/// gives `to` whenever no object within `to` has a null member. Answers the
/// merge patch text; for property tests and for clients.
/// `ec::invalid_argument` when either is not JSON.
caf::expected<std::string> merge_diff(std::string_view from, std::string_view to);

/// Whether two JSON texts denote the same value: objects compared as sets of
/// members, arrays in order, numbers by numeric value (`1`, `1.0` and `1e0`
/// are equal, as RFC 6902's `test` requires), strings after unescaping.
/// `ec::invalid_argument` when either is not JSON.
caf::expected<bool> json_equal(std::string_view a, std::string_view b);

} // namespace ecr
