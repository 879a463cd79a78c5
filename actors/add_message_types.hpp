#pragma once

#include <caf/fwd.hpp>

namespace ecr {

/// Registers every type-ID block of the service with `cfg`.
void add_message_types(caf::actor_system_config& cfg);

} // namespace ecr
