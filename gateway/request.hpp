#pragma once

// Reading the parts of a REST request: query parameters, path identifiers,
// the configuration name, content type, entity tags and paging.

#include "core/records.hpp"
#include "gateway/http_types.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ecr {

/// The first value of query parameter `name`, percent-decoded; empty if
/// absent.
caf::expected<std::string> query_param(std::string_view query,
                                       std::string_view name);

/// A path segment, percent-decoded and checked as an identifier named
/// `what` (A2).
caf::expected<std::string> path_identifier(std::string_view raw,
                                           std::string_view what);

/// The `name` query parameter (A2): `default` when missing or empty.
caf::expected<std::string> config_name_of(std::string_view query);

/// 415 unless the body is declared as JSON (A8).
caf::error check_json_content_type(const http_request& req);

/// Entity tags of an If-Match / If-None-Match header: quotes and weak
/// prefixes removed; `*` stays `*`.
std::vector<std::string> entity_tags(std::string_view header);

/// The If-Match condition of a write. A present header without any tag
/// matches nothing, so the write is refused rather than guessed at.
precondition if_match(const http_request& req);

/// Paging parameters: `page` 0-based, `size` 1..1000; empty texts keep the
/// defaults in `number` and `size`.
caf::error parse_paging(std::string_view page_text, std::string_view size_text,
                        int64_t& number, int64_t& size);

} // namespace ecr
