#pragma once

// The type-ID block of every message type and atom; registered once in
// add_message_types.cpp.

#include "core/records.hpp"
#include "security/access.hpp"

#include <caf/atom.hpp>
#include <caf/type_id.hpp>

#include <string>
#include <vector>

namespace ecr {

/// The readiness of one component, as reported by /health/ready.
struct component_health {
  std::string name;
  bool up = false;
  std::string detail;
  /// Up, yet part of its work fails (`detail` says which): readiness holds.
  bool degraded = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, component_health& x) {
  return f(caf::meta::type_name("component_health"), x.name, x.up, x.detail,
           x.degraded);
}

/// An EPR answer to an endpoint-list-by-filter request (20/EFMP).
struct filter_answer {
  std::string correlation_id;
  int32_t status_code = 0;
  std::string reason;
  /// Endpoint and app version of each match (tenant and name left empty).
  std::vector<config_key> endpoints;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, filter_answer& x) {
  return f(caf::meta::type_name("filter_answer"), x.correlation_id,
           x.status_code, x.reason, x.endpoints);
}

} // namespace ecr

CAF_BEGIN_TYPE_ID_BLOCK(ecr, caf::first_custom_type_id)

  CAF_ADD_TYPE_ID(ecr, (ecr::config_key))
  CAF_ADD_TYPE_ID(ecr, (ecr::config_record))
  CAF_ADD_TYPE_ID(ecr, (ecr::precondition))
  CAF_ADD_TYPE_ID(ecr, (ecr::put_result))
  CAF_ADD_TYPE_ID(ecr, (ecr::erase_result))
  CAF_ADD_TYPE_ID(ecr, (ecr::status_record))
  CAF_ADD_TYPE_ID(ecr, (ecr::status_query))
  CAF_ADD_TYPE_ID(ecr, (ecr::status_page))
  CAF_ADD_TYPE_ID(ecr, (ecr::system_config_record))
  CAF_ADD_TYPE_ID(ecr, (ecr::change_source))
  CAF_ADD_TYPE_ID(ecr, (ecr::config_version))
  CAF_ADD_TYPE_ID(ecr, (ecr::version_page))
  CAF_ADD_TYPE_ID(ecr, (ecr::bulk_patch_result))
  CAF_ADD_TYPE_ID(ecr, (ecr::component_health))
  CAF_ADD_TYPE_ID(ecr, (ecr::filter_answer))
  CAF_ADD_TYPE_ID(ecr, (ecr::access_request))
  CAF_ADD_TYPE_ID(ecr, (ecr::access_grant))
  CAF_ADD_TYPE_ID(ecr, (std::vector<ecr::config_key>))
  CAF_ADD_TYPE_ID(ecr, (std::vector<ecr::put_result>))
  CAF_ADD_TYPE_ID(ecr, (std::vector<ecr::config_record>))
  CAF_ADD_TYPE_ID(ecr, (std::vector<ecr::component_health>))
  CAF_ADD_TYPE_ID(ecr, (std::vector<ecr::status_record>))
  CAF_ADD_TYPE_ID(ecr, (std::vector<std::string>))
  CAF_ADD_TYPE_ID(ecr, (std::vector<ecr::system_config_record>))

  CAF_ADD_ATOM(ecr, ecr::atom, get, "get")
  CAF_ADD_ATOM(ecr, ecr::atom, put, "put")
  CAF_ADD_ATOM(ecr, ecr::atom, erase, "erase")
  CAF_ADD_ATOM(ecr, ecr::atom, list, "list")
  CAF_ADD_ATOM(ecr, ecr::atom, flush, "flush")
  CAF_ADD_ATOM(ecr, ecr::atom, internal, "internal")
  CAF_ADD_ATOM(ecr, ecr::atom, status, "status")
  CAF_ADD_ATOM(ecr, ecr::atom, ping, "ping")
  CAF_ADD_ATOM(ecr, ecr::atom, components, "components")
  CAF_ADD_ATOM(ecr, ecr::atom, resolve, "resolve")
  CAF_ADD_ATOM(ecr, ecr::atom, confirm, "confirm")
  CAF_ADD_ATOM(ecr, ecr::atom, dispatch, "dispatch")
  CAF_ADD_ATOM(ecr, ecr::atom, purge, "purge")
  CAF_ADD_ATOM(ecr, ecr::atom, publish, "publish")
  CAF_ADD_ATOM(ecr, ecr::atom, expire, "expire")
  CAF_ADD_ATOM(ecr, ecr::atom, create, "create")
  CAF_ADD_ATOM(ecr, ecr::atom, find, "find")
  CAF_ADD_ATOM(ecr, ecr::atom, parent, "parent")
  CAF_ADD_ATOM(ecr, ecr::atom, check, "check")
  CAF_ADD_ATOM(ecr, ecr::atom, reload, "reload")
  CAF_ADD_ATOM(ecr, ecr::atom, changed, "changed")
  CAF_ADD_ATOM(ecr, ecr::atom, forget, "forget")
  CAF_ADD_ATOM(ecr, ecr::atom, history, "history")
  CAF_ADD_ATOM(ecr, ecr::atom, patch, "patch")

CAF_END_TYPE_ID_BLOCK(ecr)
