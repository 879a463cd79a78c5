#include "gateway/request.hpp"

#include "core/error.hpp"
#include "core/identifiers.hpp"
#include "gateway/json.hpp"

namespace ecr {

caf::expected<std::string> query_param(std::string_view query,
                                       std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    auto eq = pair.find('=');
    auto key = pair.substr(0, eq);
    if (key == name)
      return percent_decode(eq == std::string_view::npos ? std::string_view{}
                                                         : pair.substr(eq + 1),
                            true);
    if (amp == std::string_view::npos)
      break;
    query.remove_prefix(amp + 1);
  }
  return std::string{};
}

caf::expected<std::string> path_identifier(std::string_view raw,
                                           std::string_view what) {
  auto decoded = percent_decode(raw);
  if (!decoded)
    return make_error(ec::invalid_argument,
                      std::string{what} + ": " + error_message(decoded.error()));
  if (auto err = check_identifier(*decoded, what))
    return err;
  return decoded;
}

caf::expected<std::string> config_name_of(std::string_view query) {
  auto name = query_param(query, "name");
  if (!name)
    return make_error(ec::invalid_argument,
                      "name: " + error_message(name.error()));
  if (name->empty())
    return std::string{default_config_name};
  if (auto err = check_config_name(*name))
    return err;
  return name;
}

caf::error check_json_content_type(const http_request& req) {
  auto content_type = req.header("content-type");
  if (!content_type || !is_json_media_type(*content_type))
    return make_error(ec::unsupported_media_type,
                      "Content-Type must be application/json");
  return {};
}

std::vector<std::string> entity_tags(std::string_view header) {
  std::vector<std::string> tags;
  while (true) {
    auto comma = header.find(',');
    auto tag = header.substr(0, comma);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t'))
      tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t'))
      tag.remove_suffix(1);
    if (tag.substr(0, 2) == "W/")
      tag.remove_prefix(2);
    if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"')
      tag = tag.substr(1, tag.size() - 2);
    if (!tag.empty())
      tags.emplace_back(tag);
    if (comma == std::string_view::npos)
      return tags;
    header.remove_prefix(comma + 1);
  }
}

precondition if_match(const http_request& req) {
  precondition result;
  auto header = req.header("if-match");
  if (!header)
    return result;
  result.required = true;
  auto tags = entity_tags(*header);
  if (tags.empty()) {
    result.config_ids.emplace_back();
    return result;
  }
  for (auto& tag : tags) {
    if (tag == "*")
      return precondition{true, {}};
    result.config_ids.push_back(std::move(tag));
  }
  return result;
}

caf::error parse_paging(std::string_view page_text, std::string_view size_text,
                        int64_t& number, int64_t& size) {
  if (!page_text.empty()) {
    auto parsed = parse_bounded_integer(page_text, 0, 1'000'000'000);
    if (!parsed)
      return make_error(ec::invalid_argument,
                        "page must be a whole number from 0");
    number = *parsed;
  }
  if (!size_text.empty()) {
    auto parsed = parse_bounded_integer(size_text, 1, 1000);
    if (!parsed)
      return make_error(ec::invalid_argument,
                        "size must be a whole number from 1 to 1000");
    size = *parsed;
  }
  return {};
}

} // namespace ecr
