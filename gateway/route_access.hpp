#pragma once

// What each route acts on, for access decisions: the permissions it needs
// (named by security/permissions) and the tenant boundary it must respect
// (security/tenant_boundary).

#include "gateway/routes.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace ecr {

class app_catalog;
class tenant_boundary;

/// The permissions a request to `found` needs before it runs. Batch and
/// filter updates are checked per endpoint once their endpoints are known.
/// What cannot be named here (an invalid identifier) needs none: the
/// handler refuses it after authentication.
caf::expected<std::vector<std::string>>
permissions_of(const route_match& found, std::string_view method,
               std::string_view query, const app_catalog& applications);

/// The tenant boundary check of what `found` names; identifiers the handler
/// will refuse pass here.
caf::error check_boundary(const route_match& found,
                          const tenant_boundary& boundary);

} // namespace ecr
