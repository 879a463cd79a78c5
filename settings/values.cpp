#include "settings/values.hpp"

#include "core/error.hpp"
#include "core/identifiers.hpp"

#include <cctype>
#include <regex>

namespace ecr {

caf::error invalid(const std::string& key, const std::string& reason) {
  return make_error(ec::invalid_configuration, key + ": " + reason);
}

caf::error bad_value(const std::string& key, const std::string& reason,
                     const std::string& value) {
  return invalid(key, reason + " (got '" + value + "')");
}

caf::expected<int64_t> parse_integer(const std::string& key,
                                     const std::string& text, int64_t min,
                                     int64_t max) {
  if (auto value = parse_bounded_integer(text, min, max))
    return *value;
  return bad_value(key,
                   "must be an integer from " + std::to_string(min) + " to "
                     + std::to_string(max),
                   text);
}

caf::expected<int64_t> parse_size(const std::string& key,
                                  const std::string& text, int64_t min,
                                  int64_t max) {
  static const std::regex pattern{R"(^\s*(\d+)\s*([KMG]i?B)?\s*$)",
                                  std::regex::icase};
  std::smatch m;
  if (!std::regex_match(text, m, pattern))
    return bad_value(key, "must be a size in bytes, e.g. 1048576 or 1MiB",
                     text);
  auto number = parse_integer(key, m[1].str(), 0, max);
  if (!number)
    return number.error();
  int64_t factor = 1;
  if (m[2].matched) {
    switch (std::toupper(static_cast<unsigned char>(m[2].str()[0]))) {
      case 'K': factor = 1024; break;
      case 'M': factor = 1024 * 1024; break;
      default: factor = 1024 * 1024 * 1024; break;
    }
  }
  auto value = *number * factor;
  if (value < min || value > max || (factor > 1 && value / factor != *number))
    return bad_value(key,
                     "must be from " + std::to_string(min) + " to "
                       + std::to_string(max) + " bytes",
                     text);
  return value;
}

caf::expected<int64_t> parse_duration(const std::string& key,
                                      const std::string& text, int64_t min,
                                      int64_t max) {
  static const std::regex pattern{R"(^\s*(\d+)\s*([smhd])?\s*$)"};
  std::smatch m;
  if (!std::regex_match(text, m, pattern))
    return bad_value(key, "must be a duration in seconds, e.g. 3600 or 30d",
                     text);
  auto number = parse_integer(key, m[1].str(), 0, max);
  if (!number)
    return number.error();
  int64_t factor = 1;
  if (m[2].matched)
    switch (m[2].str()[0]) {
      case 'm': factor = 60; break;
      case 'h': factor = 3600; break;
      case 'd': factor = 86400; break;
      default: break;
    }
  if (*number > max / factor || *number * factor < min)
    return bad_value(key,
                     "must be from " + std::to_string(min) + " to "
                       + std::to_string(max) + " seconds",
                     text);
  return *number * factor;
}

bool matches(const std::string& text, const char* pattern) {
  return std::regex_match(text, std::regex{pattern});
}

std::optional<bool> yaml_bool(const std::string& text) {
  if (matches(text, "true|True|TRUE"))
    return true;
  if (matches(text, "false|False|FALSE"))
    return false;
  return std::nullopt;
}

} // namespace ecr
