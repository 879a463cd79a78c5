#include "gateway/responses.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "gateway/json.hpp"
#include "gateway/request.hpp"

namespace ecr {

namespace {

unsigned status_of(const caf::error& err) {
  switch (error_code(err)) {
    case ec::invalid_argument: return 400;
    case ec::not_found: return 404;
    case ec::precondition_failed: return 412;
    case ec::conflict: return 409;
    case ec::payload_too_large: return 413;
    case ec::unsupported_media_type: return 415;
    case ec::unavailable: return 503;
    case ec::timeout: return 504;
    case ec::upstream_failure: return 502;
    case ec::unauthenticated: return 401;
    case ec::forbidden: return 403;
    case ec::storage_full: return 507;
    default: return 500;
  }
}

} // namespace

http_response json_response(unsigned status, std::string body) {
  http_response res;
  res.status = status;
  res.content_type = "application/json";
  res.body = std::move(body);
  return res;
}

http_response updated_response(uint64_t changed) {
  return json_response(200, "{\"updated\":" + std::to_string(changed) + "}");
}

http_response error_response(unsigned status, std::string_view message) {
  return json_response(status, render_message(message));
}

http_response error_response(const caf::error& err) {
  auto status = status_of(err);
  if (status == 504)
    return error_response(status, "the request timed out inside the service");
  // The store's own words name files and limits; the writer logs them.
  if (status == 507)
    return error_response(status, "the store is out of space: the change was "
                                  "not saved");
  if (status == 500) {
    // Internal details go to the log, not to clients.
    ECR_ERROR("request failed: {}", render(err));
    return error_response(status, "internal error; see the service log");
  }
  auto res = error_response(status, error_message(err));
  // RFC 6750: a 401 names the scheme the caller must use.
  if (status == 401)
    res.headers.emplace_back("WWW-Authenticate", "Bearer");
  return res;
}

std::string etag(const std::string& config_id) {
  return '"' + config_id + '"';
}

http_response config_response(const config_record& record,
                               std::string body) {
  auto res = json_response(200, std::move(body));
  res.headers.emplace_back("ETag", etag(record.config_id));
  return res;
}

http_response config_response(const config_record& record) {
  return config_response(record, render_config(record));
}

bool not_modified(const config_record& record,
                  const std::string& if_none_match) {
  for (const auto& tag : entity_tags(if_none_match))
    if (tag == "*" || tag == record.config_id)
      return true;
  return false;
}

http_response not_modified_response(const config_record& record) {
  http_response res;
  res.status = 304;
  res.headers.emplace_back("ETag", etag(record.config_id));
  return res;
}

} // namespace ecr
