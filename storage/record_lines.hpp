#pragma once

// The text form of `ecr export`: NDJSON, one JSON object per line. The first
// line is a header naming the format and its version; every other line is one
// stored record, with a `kind` ("config", "version", "status" or
// "systemConfig") and
// every field of the record in camelCase. Contents are JSON strings holding
// the stored text exactly; dates are integers (epoch milliseconds), so a
// record reads back identical to what was written.

#include "storage/store.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace ecr {

/// The longest line `parse_line` accepts by default. Contents are at most
/// `server.max-body-size`, which is capped at 1 GiB, and escaping at most
/// doubles JSON text; the rest leaves room for the identifiers. Anything
/// longer cannot have come from `ecr export`.
inline constexpr size_t max_line_bytes = (size_t{2} << 30) + (size_t{1} << 20);

/// The first line of every export: `{"format":"ecr-export","version":2}`.
/// Version 1 had no revision history.
std::string header_line();

/// The format version of the export whose header is `line`, if this build
/// reads it (`ec::invalid_argument` otherwise).
caf::expected<int> read_header(std::string_view line);

/// One record as one line of JSON, without the line break.
std::string to_line(const stored_record& record);

/// The record that `to_line` wrote as `line`. Fails with
/// `ec::invalid_argument` and a message naming the problem when the line is
/// longer than `max_bytes`, not JSON, of an unknown kind, or has a field
/// missing, mistyped, out of range or unknown.
caf::expected<stored_record> parse_line(std::string_view line,
                                        size_t max_bytes = max_line_bytes);

} // namespace ecr
