#include "core/records.hpp"

#include <algorithm>
#include <utility>

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

namespace {

constexpr std::pair<change_origin, const char*> origin_names[] = {
  {change_origin::put, "PUT"},         {change_origin::patch, "PATCH"},
  {change_origin::batch, "BATCH"},     {change_origin::filter, "FILTER"},
  {change_origin::rollback, "ROLLBACK"}, {change_origin::remove, "DELETE"},
  {change_origin::import, "IMPORT"},
};

} // namespace

const char* to_string(change_origin x) noexcept {
  for (const auto& [origin, name] : origin_names)
    if (origin == x)
      return name;
  return "PUT";
}

std::optional<change_origin> parse_change_origin(std::string_view text) {
  for (const auto& [origin, name] : origin_names)
    if (text == name)
      return origin;
  return std::nullopt;
}

} // namespace ecr
