#include "security/tenant_boundary.hpp"

#include "applications/app_catalog.hpp"
#include "core/error.hpp"

namespace ecr {

tenant_boundary::tenant_boundary(std::shared_ptr<const app_catalog> applications,
                                 std::string caller, std::string default_tenant)
  : applications_(std::move(applications)), caller_(std::move(caller)),
    default_tenant_(std::move(default_tenant)) {
  // nop
}

caf::error tenant_boundary::app_version(std::string_view name) const {
  return check(applications_->tenant_of(name), "app version", name);
}

caf::error tenant_boundary::application(std::string_view name) const {
  const auto& known = applications_->applications();
  auto app = known.find(std::string{name});
  std::optional<std::string> owner;
  if (app != known.end() && !app->second.tenant_id.empty())
    owner = app->second.tenant_id;
  return check(owner, "application", name);
}

caf::error tenant_boundary::tenant(std::string_view id) const {
  return check(std::string{id}, "tenant", id);
}

caf::error tenant_boundary::keys(const std::vector<config_key>& keys) const {
  for (const auto& key : keys)
    if (auto err = app_version(key.app_version))
      return err;
  return {};
}

caf::error tenant_boundary::check(const std::optional<std::string>& owner,
                                  std::string_view what,
                                  std::string_view name) const {
  if (owner.value_or(default_tenant_) == caller_)
    return {};
  return make_error(ec::forbidden,
                    std::string{what} + " " + std::string{name}
                      + " belongs to another tenant (an application's "
                        "tenant-id names its owner; without one, the "
                        "default tenant owns it)");
}

} // namespace ecr
