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

} // namespace ecr::subjects
