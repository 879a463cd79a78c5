#pragma once

#include "core/records.hpp"

#include <caf/error.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace ecr {

class app_catalog;
struct schema_rule;

/// A18: whether `content` may be stored under `app_version`, whose schema
/// rule is `rule`. With a schema in force, every violation is named
/// (`ec::invalid_argument`); without one, an application that requires a
/// schema refuses (`ec::not_found`).
caf::error check_schema(const schema_rule& rule, const std::string& app_version,
                        std::string_view content);

/// `check_schema` for each app version of `keys` (once per version).
caf::error check_schemas(const app_catalog& applications,
                         const std::vector<config_key>& keys,
                         std::string_view content);

} // namespace ecr
