#include "gateway/patches.hpp"

#include "applications/app_catalog.hpp"
#include "applications/schema_check.hpp"
#include "core/error.hpp"
#include "core/json_patch.hpp"

#include <cctype>

namespace ecr {

namespace {

/// The media type of a Content-Type value, lowercase, without parameters.
std::string media_type(std::string_view content_type) {
  auto type = content_type.substr(0, content_type.find(';'));
  std::string result;
  for (auto c : type)
    if (!std::isspace(static_cast<unsigned char>(c)))
      result.push_back(static_cast<char>(
        std::tolower(static_cast<unsigned char>(c))));
  return result;
}

caf::expected<std::string> apply(patch_kind kind, std::string_view document,
                                 std::string_view patch) {
  return kind == patch_kind::merge ? apply_merge_patch(document, patch)
                                   : apply_json_patch(document, patch);
}

} // namespace

caf::expected<patch_kind> patch_kind_of(const http_request& req) {
  auto header = req.header("content-type");
  auto type = header ? media_type(*header) : std::string{};
  if (type == "application/merge-patch+json")
    return patch_kind::merge;
  if (type == "application/json-patch+json")
    return patch_kind::json;
  return make_error(ec::unsupported_media_type,
                    "Content-Type must be application/merge-patch+json (RFC "
                    "7396) or application/json-patch+json (RFC 6902)");
}

caf::expected<patch_kind> patch_kind_of_value(std::string_view patch) {
  if (!patch.empty() && patch.front() == '[')
    return patch_kind::json;
  if (!patch.empty() && patch.front() == '{')
    return patch_kind::merge;
  return make_error(ec::invalid_argument,
                    "patch must be an array (a JSON Patch) or an object (a "
                    "merge patch)");
}

caf::error check_patch(patch_kind kind, std::string_view patch) {
  // Applied to an empty object, a malformed patch shows as such; one that
  // only cannot apply there is judged on each configuration.
  auto tried = apply(kind, "{}", patch);
  if (!tried && error_code(tried.error()) != ec::conflict)
    return tried.error();
  return {};
}

config_change change_of(patch_kind kind, std::string patch,
                        std::shared_ptr<live_app_catalog> applications) {
  return {[kind, patch = std::move(patch), applications = std::move(applications)](
            const config_record& current) -> caf::expected<std::string> {
    auto patched = apply(kind, current.content, patch);
    if (!patched)
      return patched.error();
    // Canonical escapes may spell an equal document differently: equal
    // content stays as stored, so its configId does too (A4).
    if (auto equal = json_equal(*patched, current.content); equal && *equal)
      return current.content;
    const auto& app_version = current.key.app_version;
    if (auto err = check_schema(applications->current()->schema_for(app_version),
                                app_version, *patched))
      return err;
    return patched;
  }};
}

} // namespace ecr
