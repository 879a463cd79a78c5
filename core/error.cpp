#include "core/error.hpp"

#include <array>

namespace ecr {

namespace {

constexpr std::array<const char*, static_cast<size_t>(ec::ec_count)> ec_names{
  "no_error",
  "invalid_argument",
  "not_found",
  "precondition_failed",
  "conflict",
  "payload_too_large",
  "unsupported_media_type",
  "storage_failure",
  "invalid_configuration",
  "unavailable",
  "timeout",
  "upstream_failure",
  "unauthenticated",
  "forbidden",
  "storage_full",
};

static_assert(ec_names.back() != nullptr,
              "ec_names must have one entry per ecr::ec value");

} // namespace

const char* to_string(ec code) noexcept {
  auto index = static_cast<size_t>(code);
  return index < ec_names.size() ? ec_names[index] : "unknown";
}

caf::error make_error(ec code, std::string message) {
  return caf::make_error(code, std::move(message));
}

std::string error_message(const caf::error& err) {
  if (!err)
    return {};
  const auto& context = err.context();
  if (context.match_elements<std::string>())
    return context.get_as<std::string>(0);
  return to_string(err);
}

ec error_code(const caf::error& err) noexcept {
  if (!err)
    return ec::no_error;
  if (err.category() == caf::atom("ecr"))
    return static_cast<ec>(err.code());
  return ec::storage_failure;
}

std::string render(const caf::error& err) {
  if (!err)
    return "no error";
  if (err.category() != caf::atom("ecr"))
    return to_string(err);
  return std::string{to_string(static_cast<ec>(err.code()))} + ": "
         + error_message(err);
}

} // namespace ecr
