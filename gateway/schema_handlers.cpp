#include "gateway/rest_handler.hpp"

#include "applications/app_catalog.hpp"
#include "applications/schema_check.hpp"
#include "gateway/json.hpp"
#include "gateway/request.hpp"

// D5 and D6: the endpoint configuration schema in force, and checking a
// configuration against it.

namespace ecr {

namespace {

std::string no_schema_message(const std::string& app_version) {
  return "app version " + app_version
         + " has no endpoint configuration schema";
}

} // namespace

/// D5 (GET: the schema in force) and D6 (PUT: validate a configuration
/// against it); both 404 without a schema.
void rest_handler::handle_schema(const http_request& req,
                                 const route_match& found,
                                 http_reply reply) const {
  auto app_version = path_identifier(found.params[0], "appVersionName");
  if (!app_version)
    return reply(error_response(app_version.error()));
  auto rule = cfg_.applications->current()->schema_for(*app_version);
  if (!rule.schema)
    return reply(error_response(404, no_schema_message(*app_version)));
  if (req.method == "GET")
    return reply(json_response(200, rule.schema->text()));
  if (auto err = check_json_content_type(req))
    return reply(error_response(err));
  auto content = minify_json(req.body);
  if (!content)
    return reply(error_response(content.error()));
  if (auto err = check_schema(rule, *app_version, *content))
    return reply(error_response(err));
  reply(json_response(200, R"({"valid":true})"));
}

} // namespace ecr
