#pragma once

// `ecr export` and `ecr import`: a whole store as text (storage/record_lines.hpp)
// and back, through the `store` interface only, so data moves between
// backends.

#include "storage/store.hpp"

#include <caf/expected.hpp>

#include <cstdint>
#include <iosfwd>

namespace ecr {

/// Writes the header and then every record of `source` to `out`, one line
/// each; answers how many records were written.
caf::expected<uint64_t> export_store(store& source, std::ostream& out);

/// Loads an export into `target`, each record exactly as written (same
/// configIds and dates), replacing what is at its key; importing the same
/// export twice leaves the same store. Every line is checked before the first
/// write: on a bad one, fails with `ec::invalid_argument` naming its line
/// number and changes nothing. Records are then written in batches. `in` is
/// read twice when it can seek, else spooled to a temporary file while being
/// checked. Answers how many records were imported.
caf::expected<uint64_t> import_store(store& target, std::istream& in);

} // namespace ecr
