#include "applications/schema_check.hpp"

#include "applications/app_catalog.hpp"
#include "core/error.hpp"

#include <set>

namespace ecr {

caf::error check_schema(const schema_rule& rule, const std::string& app_version,
                        std::string_view content) {
  if (!rule.schema) {
    if (rule.required)
      return make_error(ec::not_found,
                        "the endpoint configuration schema is required by "
                        "the settings of app version "
                          + app_version + "'s application but missing");
    return {};
  }
  auto violations = rule.schema->violations(content);
  if (violations.empty())
    return {};
  std::string message = "the configuration does not match the schema of app "
                        "version "
                        + app_version + ": ";
  for (size_t i = 0; i < violations.size(); ++i)
    message += (i > 0 ? "; " : "") + violations[i];
  return make_error(ec::invalid_argument, std::move(message));
}

caf::error check_schemas(const app_catalog& applications,
                         const std::vector<config_key>& keys,
                         std::string_view content) {
  std::set<std::string_view> checked;
  for (const auto& key : keys)
    if (checked.insert(key.app_version).second)
      if (auto err = check_schema(applications.schema_for(key.app_version),
                                  key.app_version, content))
        return err;
  return {};
}

} // namespace ecr
