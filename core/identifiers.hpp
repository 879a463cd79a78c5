#pragma once

#include <caf/expected.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ecr {

/// Longest accepted path identifier, in bytes (decision A3).
inline constexpr size_t max_identifier_bytes = 256;

/// Percent-decodes `text`; fails on a malformed escape. With `plus_is_space`
/// a `+` decodes to a space, as in query strings.
caf::expected<std::string> percent_decode(std::string_view text,
                                          bool plus_is_space = false);

/// Percent-encodes `text` for a URL component or a form field (RFC 3986):
/// letters, digits and `-._~` stay, every other byte becomes `%XX`.
std::string percent_encode(std::string_view text);

/// Validates a percent-decoded path identifier (A3): 1 to 256 bytes and no
/// control characters. `what` names the parameter in the error message.
caf::error check_identifier(const std::string& value, std::string_view what);

/// A whole decimal number within [min, max]; nullopt for anything else.
std::optional<int64_t> parse_bounded_integer(std::string_view text,
                                             int64_t min, int64_t max);

/// Validates a configuration name (A2): `^[a-zA-Z0-9_-]{1,64}$`.
caf::error check_config_name(const std::string& name);

} // namespace ecr
