#pragma once

#include "applications/json_schema.hpp"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace ecr {

/// One application's endpoint-configuration settings (A18, spec 3.6), from
/// `kaa.applications` in the service configuration or from Tekton.
struct application_settings {
  std::string name;
  /// Application-level schema; may be null.
  std::shared_ptr<const json_schema> schema;
  /// Configurations may not be saved while no schema is in force.
  bool schema_required = false;
  /// App version name -> version-level schema (null: the version is listed
  /// without a schema of its own).
  std::map<std::string, std::shared_ptr<const json_schema>> versions;
  /// The tenant owning the application and its versions in tenant-scoped
  /// mode; empty: none given (the default tenant owns them).
  std::string tenant_id = {};
};

/// The schema in force for an app version.
struct schema_rule {
  /// Null: none in force.
  std::shared_ptr<const json_schema> schema;
  /// `schema_required` of the version's application.
  bool required = false;
};

/// Applications, their versions and schemas. A plain value: copies share the
/// compiled schemas, which are immutable.
class app_catalog {
public:
  /// Adds `app`, replacing an application of the same name. A version that
  /// several applications list belongs to the first of them by name (the
  /// settings refuse such lists).
  void add(application_settings app);

  /// The application that lists `app_version` among its versions.
  std::optional<std::string> application_of(std::string_view app_version) const;

  /// The schema in force for an app version: its own, else its
  /// application's; unknown versions get {null, false}.
  schema_rule schema_for(std::string_view app_version) const;

  /// The tenant_id of the application listing `app_version`; nullopt when
  /// the version is unknown or its application names no tenant (the
  /// caller's default tenant owns it then). Two lookups and, only for a
  /// tenant too long for the small-string buffer, one allocation: it runs
  /// on every CDTP request.
  std::optional<std::string> tenant_of(std::string_view app_version) const;

  const std::map<std::string, application_settings>& applications() const noexcept {
    return applications_;
  }

private:
  std::map<std::string, application_settings> applications_;
  /// App version -> application name.
  std::map<std::string, std::string, std::less<>> owners_;
};

/// The application settings in force. They are replaced as a whole when
/// they change (from Tekton), and every reader, on any thread, works on one
/// consistent snapshot.
class live_app_catalog {
public:
  explicit live_app_catalog(app_catalog initial);

  std::shared_ptr<const app_catalog> current() const;

  void replace(app_catalog next);

private:
  mutable std::mutex mutex_;
  std::shared_ptr<const app_catalog> current_;
};

} // namespace ecr
