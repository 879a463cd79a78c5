#include "actors/add_message_types.hpp"

#include "actors/type_ids.hpp"
#include "core/error.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/message.hpp>

namespace ecr {

void add_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::ecr>();
  // The templated overload does not compile in CAF 0.17.6; use a renderer.
  // TODO(caf-0.18): add_error_category<ec>() works there.
  cfg.add_error_category(caf::atom("ecr"),
                         [](uint8_t code, caf::atom_value,
                            const caf::message& context) {
                           return "ecr." + std::string{to_string(
                                             static_cast<ec>(code))}
                                  + caf::to_string(context);
                         });
}

} // namespace ecr
