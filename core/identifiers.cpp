#include "core/identifiers.hpp"

#include "core/error.hpp"

#include <cctype>
#include <charconv>

namespace ecr {

namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

} // namespace

caf::expected<std::string> percent_decode(std::string_view text,
                                          bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = text[i];
    if (c == '%') {
      if (text.size() - i < 3)
        return make_error(ec::invalid_argument, "malformed percent-encoding");
      auto hi = hex_value(text[i + 1]);
      auto lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0)
        return make_error(ec::invalid_argument, "malformed percent-encoding");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (auto c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(hex[byte >> 4]);
      out.push_back(hex[byte & 0xF]);
    }
  }
  return out;
}

caf::error check_identifier(const std::string& value, std::string_view what) {
  if (value.empty() || value.size() > max_identifier_bytes)
    return make_error(ec::invalid_argument,
                      std::string{what} + " must be 1 to "
                        + std::to_string(max_identifier_bytes) + " bytes long");
  for (unsigned char c : value)
    if (c < 0x20 || c == 0x7f)
      return make_error(ec::invalid_argument,
                        std::string{what}
                          + " must not contain control characters");
  return {};
}

std::optional<int64_t> parse_bounded_integer(std::string_view text,
                                             int64_t min, int64_t max) {
  int64_t value = 0;
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(),
                                    value);
  if (err != std::errc{} || end != text.data() + text.size() || value < min
      || value > max)
    return std::nullopt;
  return value;
}

caf::error check_config_name(const std::string& name) {
  auto valid_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '_' || c == '-';
  };
  auto valid = !name.empty() && name.size() <= 64;
  for (auto c : name)
    valid = valid && valid_char(c);
  if (!valid)
    return make_error(ec::invalid_argument,
                      "name must match ^[a-zA-Z0-9_-]{1,64}$");
  return {};
}

} // namespace ecr
