#pragma once

#include "core/records.hpp"

#include <caf/error.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ecr {

class app_catalog;

/// Who may touch the data of an app version, application or tenant while
/// data is scoped by tenant (spec 7.3): the owner an application's
/// `tenant-id` names, else the default tenant. CDTP serves an app version
/// from its owner's data, so no other tenant may write there. Each check is
/// `ec::forbidden` for another tenant's resource.
class tenant_boundary {
public:
  tenant_boundary(std::shared_ptr<const app_catalog> applications,
                  std::string caller, std::string default_tenant);

  caf::error app_version(std::string_view name) const;

  caf::error application(std::string_view name) const;

  caf::error tenant(std::string_view id) const;

  /// `app_version` of every key.
  caf::error keys(const std::vector<config_key>& keys) const;

private:
  caf::error check(const std::optional<std::string>& owner,
                   std::string_view what, std::string_view name) const;

  std::shared_ptr<const app_catalog> applications_;
  std::string caller_;
  std::string default_tenant_;
};

} // namespace ecr
