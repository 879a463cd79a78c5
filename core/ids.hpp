#pragma once

#include <string>
#include <string_view>

namespace ecr {

/// A random (version 4) UUID in lowercase canonical form.
std::string make_uuid_v4();

/// The SHA-256 of `data` in lowercase hex: caches key credentials by it, so
/// they never hold the credential itself.
std::string sha256_hex(std::string_view data);

} // namespace ecr
