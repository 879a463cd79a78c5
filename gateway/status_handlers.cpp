#include "gateway/rest_handler.hpp"

#include "core/error.hpp"
#include "gateway/json.hpp"
#include "gateway/request.hpp"

// E7: an endpoint's delivery statuses.

namespace ecr {

namespace {

/// E7 parameters (A9): endpointId required; page >= 0; size 1..1000;
/// sort by lastDispatchedDate, descending unless asked otherwise.
caf::expected<status_query> status_query_of(std::string_view query,
                                            const std::string& tenant) {
  status_query result;
  result.tenant_id = tenant;
  auto text = [&](std::string_view name) { return query_param(query, name); };
  auto endpoint = text("endpointId");
  auto app_version = text("appVersionName");
  auto config_id = text("configId");
  auto page = text("page");
  auto size = text("size");
  auto sort = text("sort");
  for (auto* value : {&endpoint, &app_version, &config_id, &page, &size, &sort})
    if (!*value)
      return value->error();
  if (endpoint->empty())
    return make_error(ec::invalid_argument,
                      "the endpointId query parameter is required");
  result.endpoint_id = std::move(*endpoint);
  result.app_version = std::move(*app_version);
  result.config_id = std::move(*config_id);
  if (auto err = parse_paging(*page, *size, result.page, result.size))
    return err;
  if (*sort == "lastDispatchedDate" || *sort == "lastDispatchedDate,asc")
    result.ascending = true;
  else if (!sort->empty() && *sort != "lastDispatchedDate,desc")
    return make_error(ec::invalid_argument,
                      "sort must be lastDispatchedDate,asc or "
                      "lastDispatchedDate,desc");
  return result;
}

} // namespace

void rest_handler::handle_statuses(std::string_view query,
                                   const std::string& tenant,
                                   http_reply reply) const {
  auto parsed = status_query_of(query, tenant);
  if (!parsed)
    return reply(error_response(parsed.error()));
  ask<status_page>(
    cfg_.config_manager, std::move(reply),
    [q = *parsed](status_page& page) {
      return json_response(200, render_status_page(page, q));
    },
    atom::list_v, *parsed);
}

} // namespace ecr
