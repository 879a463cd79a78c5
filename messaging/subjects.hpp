#pragma once

// NATS subjects of the Kaa RFCs (RFC 3 naming) that ECR uses.

#include <string>

namespace ecr::subjects {

/// 6/CDTP requests to this instance (`{i}` = instance name).
inline std::string cdtp_request(const std::string& instance) {
  return "kaa.v1.service." + instance + ".cdtp.request";
}

/// 6/CDTP config.updated events; named configurations add a token (A14).
inline std::string config_updated(const std::string& instance,
                                  const std::string& config_name) {
  auto subject = "kaa.v1.events." + instance + ".endpoint.config.updated";
  if (config_name != "default")
    subject += "." + config_name;
  return subject;
}

/// 27/SCMP system configuration changes of this instance.
inline std::string system_config_updated(const std::string& instance) {
  return "kaa.v1.events." + instance + ".system.config.updated";
}

/// 6/CDTP config.applied events of a consumer instance.
inline std::string config_applied(const std::string& consumer) {
  return "kaa.v1.events." + consumer + ".endpoint.config.applied";
}

/// 9/ELCE endpoint unregistered events of an EPR instance.
inline std::string endpoint_unregistered(const std::string& registry) {
  return "kaa.v1.events." + registry + ".endpoint.lifecycle.unregistered";
}

/// 21/TLE tenant unregistered events; `*` matches any originator.
inline std::string tenant_unregistered(const std::string& tenant_manager) {
  return "kaa.v1.events." + tenant_manager + ".tenant.lifecycle.unregistered";
}

/// 21/TLE tenant updated events; `*` matches any originator.
inline std::string tenant_updated(const std::string& tenant_manager) {
  return "kaa.v1.events." + tenant_manager + ".tenant.lifecycle.updated";
}

/// 20/EFMP endpoint-list-by-filter requests to an EPR instance.
inline std::string filter_request(const std::string& registry) {
  return "kaa.v1.service." + registry + ".efmp.ep-list-by-filter-request";
}

/// Where EPR answers this replica's EFMP requests (RFC 3 replica subject).
inline std::string filter_response(const std::string& replica_id) {
  return "kaa.v1.replica." + replica_id + ".efmp.ep-list-by-filter-response";
}

/// 17/SCMP broadcasts of a Tekton instance: `action` is `upsert` or
/// `delete`.
inline std::string scmp_broadcast(const std::string& provider,
                                  const std::string& action) {
  return "kaa.v1.events." + provider + ".service.configuration." + action;
}

/// 17/SCMP updates addressed to this instance alone: `action` is `upsert`
/// or `delete`.
inline std::string scmp_service_specific(const std::string& instance,
                                         const std::string& action) {
  return "kaa.v1.service." + instance + ".scmp.configuration." + action;
}

} // namespace ecr::subjects
