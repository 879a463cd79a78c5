#pragma once

#include <string>

namespace ecr {

/// A random (version 4) UUID in lowercase canonical form.
std::string make_uuid_v4();

} // namespace ecr
