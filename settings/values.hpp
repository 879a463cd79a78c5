#pragma once

// Reading setting values: errors naming the key, integers, sizes and
// booleans as the configuration file and the environment spell them.

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace ecr {

/// `ec::invalid_configuration`: "<key>: <reason>".
caf::error invalid(const std::string& key, const std::string& reason);

/// `invalid`, quoting the value that was refused.
caf::error bad_value(const std::string& key, const std::string& reason,
                     const std::string& value);

/// An integer from `min` to `max`.
caf::expected<int64_t> parse_integer(const std::string& key,
                                     const std::string& text, int64_t min,
                                     int64_t max);

/// Plain bytes or a number with a KiB/MiB/GiB (or KB/MB/GB) suffix.
caf::expected<int64_t> parse_size(const std::string& key,
                                  const std::string& text, int64_t min,
                                  int64_t max);

/// Seconds, written plain or with an `s`, `m`, `h` or `d` suffix (`90`,
/// `45m`, `30d`), from `min` to `max` seconds.
caf::expected<int64_t> parse_duration(const std::string& key,
                                      const std::string& text, int64_t min,
                                      int64_t max);

/// Whether all of `text` matches `pattern`.
bool matches(const std::string& text, const char* pattern);

/// A boolean as YAML 1.2's core schema spells it.
std::optional<bool> yaml_bool(const std::string& text);

} // namespace ecr
