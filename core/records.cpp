#include "core/records.hpp"

#include <algorithm>

namespace ecr {

bool precondition::admits(const std::string& current_config_id) const {
  if (!required)
    return true;
  if (current_config_id.empty())
    return false;
  if (config_ids.empty())
    return true;
  return std::find(config_ids.begin(), config_ids.end(), current_config_id)
         != config_ids.end();
}

const char* to_string(delivery_status x) noexcept {
  switch (x) {
    case delivery_status::dispatched:
      return "DISPATCHED";
    case delivery_status::confirmed:
      return "CONFIRMED";
    case delivery_status::failed:
      return "FAILED";
  }
  return "DISPATCHED";
}

} // namespace ecr
