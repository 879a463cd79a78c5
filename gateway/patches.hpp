#pragma once

// B2's partial updates as the REST handlers take them: which kind of patch
// a request carries, whether it is well formed, and the change it makes to
// a configuration (patched, then checked against the schema in force).

#include "actors/actors.hpp"
#include "gateway/http_types.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace ecr {

class live_app_catalog;

enum class patch_kind {
  /// RFC 7396, `application/merge-patch+json`.
  merge,
  /// RFC 6902, `application/json-patch+json`.
  json,
};

/// The kind of patch the request's Content-Type announces; 415 for any
/// other type.
caf::expected<patch_kind> patch_kind_of(const http_request& req);

/// The kind of patch a bulk body's `patch` member is: an array is a JSON
/// Patch, an object a merge patch; 400 otherwise.
caf::expected<patch_kind> patch_kind_of_value(std::string_view patch);

/// 400 unless `patch` is a well-formed patch of its kind, whatever
/// configuration it will meet.
caf::error check_patch(patch_kind kind, std::string_view patch);

/// What `patch` does to a configuration: its patched content, checked
/// against the schema in force for its app version (400 naming the
/// violations); a patch that cannot apply is 409. A result equal to the
/// stored content is the stored content, byte for byte.
config_change change_of(patch_kind kind, std::string patch,
                        std::shared_ptr<live_app_catalog> applications);

} // namespace ecr
