#include "applications/app_catalog.hpp"

namespace ecr {

void app_catalog::add(application_settings app) {
  auto name = app.name;
  applications_.insert_or_assign(std::move(name), std::move(app));
  // Rebuilt rather than patched, so that which application owns a version
  // never depends on the order of additions.
  owners_.clear();
  for (const auto& [app_name, settings] : applications_)
    for (const auto& version : settings.versions)
      owners_.emplace(version.first, app_name);
}

std::optional<std::string>
app_catalog::application_of(std::string_view app_version) const {
  if (auto i = owners_.find(app_version); i != owners_.end())
    return i->second;
  return std::nullopt;
}

schema_rule app_catalog::schema_for(std::string_view app_version) const {
  auto owner = owners_.find(app_version);
  if (owner == owners_.end())
    return {};
  const auto& app = applications_.at(owner->second);
  const auto& own = app.versions.at(owner->first);
  return {own ? own : app.schema, app.schema_required};
}

std::optional<std::string>
app_catalog::tenant_of(std::string_view app_version) const {
  auto owner = owners_.find(app_version);
  if (owner == owners_.end())
    return std::nullopt;
  const auto& tenant = applications_.at(owner->second).tenant_id;
  if (tenant.empty())
    return std::nullopt;
  return tenant;
}

live_app_catalog::live_app_catalog(app_catalog initial)
  : current_(std::make_shared<const app_catalog>(std::move(initial))) {
  // nop
}

std::shared_ptr<const app_catalog> live_app_catalog::current() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return current_;
}

void live_app_catalog::replace(app_catalog next) {
  auto replacement = std::make_shared<const app_catalog>(std::move(next));
  std::lock_guard<std::mutex> guard{mutex_};
  current_ = std::move(replacement);
}

} // namespace ecr
