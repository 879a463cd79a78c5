#pragma once

// The answers of the REST API: JSON bodies, errors mapped to statuses
// (A8), and configurations with their entity tags (A6).

#include "core/records.hpp"
#include "gateway/http_types.hpp"

#include <caf/error.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace ecr {

http_response json_response(unsigned status, std::string body);

/// The answer to batch and filter upserts: how many configurations changed.
http_response updated_response(uint64_t changed);

/// `{"message": ...}` with `status`.
http_response error_response(unsigned status, std::string_view message);

/// An error as its HTTP status and message; internal errors are logged and
/// answered without their details.
http_response error_response(const caf::error& err);

/// A quoted entity tag.
std::string etag(const std::string& config_id);

/// A configuration with its ETag; `body` is its rendering.
http_response config_response(const config_record& record, std::string body);

http_response config_response(const config_record& record);

/// True if an If-None-Match header names the record's current tag.
bool not_modified(const config_record& record, const std::string& if_none_match);

http_response not_modified_response(const config_record& record);

} // namespace ecr
