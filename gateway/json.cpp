#include "gateway/json.hpp"

#include "actors/actors.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/json_text.hpp"

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <optional>

namespace ecr {

namespace {

void write_config(json_writer& out, const config_record& record) {
  out.StartObject();
  out.Key("configId");
  write_string(out, record.config_id);
  out.Key("name");
  write_string(out, record.key.name);
  out.Key("config");
  write_string(out, record.content);
  out.Key("createdDate");
  write_string(out, iso8601_ms(record.created_ms));
  out.Key("updatedDate");
  write_string(out, iso8601_ms(record.updated_ms));
  out.EndObject();
}

} // namespace

namespace {

/// Validates JSON syntax without converting numbers, so integers beyond 64
/// bits and exponents beyond double range stay valid, as JSON allows.
bool valid_json_with_any_numbers(std::string_view text) {
  constexpr auto flags = rapidjson::kParseValidateEncodingFlag
                         | rapidjson::kParseNumbersAsStringsFlag
                         | rapidjson::kParseIterativeFlag;
  rapidjson::Reader reader;
  rapidjson::MemoryStream stream{text.data(), text.size()};
  rapidjson::BaseReaderHandler<> ignore;
  return !reader.Parse<flags>(stream, ignore).IsError();
}

} // namespace

caf::expected<std::string> minify_json(std::string_view text) {
  // One parser per thread: it keeps its buffers between documents.
  thread_local simdjson::dom::parser parser;
  auto err = parser.parse(text.data(), text.size()).error();
  // simdjson converts numbers and refuses what does not fit; JSON does not.
  if (err == simdjson::NUMBER_ERROR
      && valid_json_with_any_numbers(text))
    err = simdjson::SUCCESS;
  if (err == simdjson::EMPTY)
    return make_error(ec::invalid_argument,
                      "the request body is empty; a JSON document is required");
  if (err)
    return make_error(ec::invalid_argument,
                      std::string{"the request body is not valid JSON: "}
                        + simdjson::error_message(err));
  std::string out(text.size(), '\0');
  size_t size = 0;
  if ((err = simdjson::minify(text.data(), text.size(), out.data(), size)))
    return make_error(ec::invalid_argument,
                      std::string{"the request body is not valid JSON: "}
                        + simdjson::error_message(err));
  out.resize(size);
  return out;
}

namespace {

/// The raw text of member `name` of the minified, valid top-level object
/// `text`: from after `"name":` to the `,` or `}` that ends it at depth 1.
std::optional<std::string_view> raw_member(std::string_view text,
                                           std::string_view name) {
  auto key = "\"" + std::string{name} + "\":";
  auto start = std::string_view::npos;
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (depth == 1) {
      if (start != std::string_view::npos && (c == ',' || c == '}'))
        return text.substr(start, i - start);
      if (start == std::string_view::npos && c == '"'
          && text.compare(i, key.size(), key) == 0) {
        start = i + key.size();
        i = start - 1;
        continue;
      }
    }
    if (c == '"')
      in_string = true;
    else if (c == '{' || c == '[')
      ++depth;
    else if (c == '}' || c == ']')
      --depth;
  }
  return std::nullopt;
}

caf::error bad_batch(std::string reason) {
  return make_error(ec::invalid_argument, "invalid batch body: " + reason);
}

} // namespace

caf::expected<batch_request> parse_batch(std::string_view body,
                                         std::string_view payload_member) {
  auto minified = minify_json(body);
  if (!minified)
    return minified.error();
  simdjson::dom::parser parser;
  auto doc = parser.parse(*minified);
  simdjson::dom::object root;
  if (doc.get(root))
    return bad_batch("the body must be a JSON object");
  simdjson::dom::element endpoints;
  if (root["endpoints"].get(endpoints))
    return bad_batch("endpoints is required");
  simdjson::dom::object by_version;
  if (endpoints.get(by_version) || by_version.size() == 0)
    return bad_batch("endpoints must be a non-empty object");
  batch_request result;
  for (auto [app_version, ids] : by_version) {
    simdjson::dom::array list;
    if (ids.get(list) || list.size() == 0)
      return bad_batch("endpoints." + std::string{app_version}
                       + " must be a non-empty array of endpoint IDs");
    for (auto id : list) {
      std::string_view text;
      if (id.get(text))
        return bad_batch("endpoints." + std::string{app_version}
                         + " must hold strings only");
      result.targets.emplace_back(app_version, text);
    }
  }
  // The raw text, not a re-serialization: numbers keep their spelling.
  auto payload = raw_member(*minified, payload_member);
  if (!payload || root[payload_member].error())
    return bad_batch(std::string{payload_member} + " is required");
  result.payload = std::string{*payload};
  return result;
}

caf::expected<system_config_input>
parse_system_config(std::string_view body) {
  auto bad = [](std::string reason) {
    return make_error(ec::invalid_argument,
                      "invalid system configuration: " + reason);
  };
  auto minified = minify_json(body);
  if (!minified)
    return minified.error();
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(*minified).get(root))
    return bad("the body must be a JSON object");
  system_config_input result;
  for (auto [field, slot] : {std::pair{"name", &result.name},
                             std::pair{"displayName", &result.display_name}}) {
    auto value = root[field];
    if (value.error() || value.is_null())
      continue;
    std::string_view text;
    if (value.get(text))
      return bad(std::string{field} + " must be a string");
    *slot = std::string{text};
  }
  auto config = root["config"];
  if (config.error() || config.is_null())
    return bad("config is required");
  std::string_view text;
  if (!config.get(text)) {
    // Kaa's client sends the configuration as a string holding JSON.
    auto content = minify_json(text);
    if (!content)
      return bad("config must hold JSON: " + error_message(content.error()));
    result.content = std::move(*content);
  } else {
    // The raw text, not a re-serialization: numbers keep their spelling.
    auto raw = raw_member(*minified, "config");
    if (!raw)
      return bad("config is required");
    result.content = std::string{*raw};
  }
  return result;
}

bool is_json_media_type(std::string_view content_type) {
  auto end = content_type.find(';');
  auto type = content_type.substr(0, end);
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back())))
    type.remove_suffix(1);
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.front())))
    type.remove_prefix(1);
  std::string lower;
  for (auto c : type)
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return lower == "application/json"
         || (lower.rfind("application/", 0) == 0 && lower.size() > 17
             && lower.compare(lower.size() - 5, 5, "+json") == 0);
}

std::string render_config(const config_record& record) {
  return json_text([&](json_writer& out) {
    write_config(out, record);
  });
}

std::string render_config_list(const std::vector<config_record>& records) {
  return json_text([&](json_writer& out) {
    out.StartArray();
    for (const auto& record : records)
      write_config(out, record);
    out.EndArray();
  });
}

std::string render_message(std::string_view message) {
  return json_text([&](json_writer& out) {
    out.StartObject();
    out.Key("message");
    write_string(out, message);
    out.EndObject();
  });
}


namespace {

/// An ISO date, or null for "never" (0).
void write_date(json_writer& out, int64_t epoch_ms) {
  if (epoch_ms == 0)
    out.Null();
  else
    write_string(out, iso8601_ms(epoch_ms));
}

/// `text`, or null when it is empty.
void write_text_or_null(json_writer& out, const std::string& text) {
  if (text.empty())
    out.Null();
  else
    write_string(out, text);
}

void write_status(json_writer& out, const status_record& x) {
  out.StartObject();
  out.Key("configId");
  write_string(out, x.config_id);
  out.Key("endpointId");
  write_string(out, x.endpoint_id);
  out.Key("appVersionName");
  write_string(out, x.app_version);
  out.Key("status");
  out.String(to_string(x.status));
  out.Key("config");
  write_text_or_null(out, x.content);
  out.Key("lastDispatchedDate");
  write_date(out, x.last_dispatched_ms);
  out.Key("lastConfirmedDate");
  write_date(out, x.last_confirmed_ms);
  out.Key("confirmationStatusCode");
  if (x.confirmation_code == 0)
    out.Null();
  else
    out.Int(x.confirmation_code);
  out.Key("confirmationReasonPhrase");
  // The store keeps an absent reason phrase as empty text.
  if (x.confirmation_code == 0 || x.confirmation_reason.empty())
    out.Null();
  else
    write_string(out, x.confirmation_reason);
  out.EndObject();
}

/// Spring's sort object.
void write_sort(json_writer& out, bool sorted) {
  out.StartObject();
  out.Key("sorted");
  out.Bool(sorted);
  out.Key("unsorted");
  out.Bool(!sorted);
  out.Key("empty");
  out.Bool(!sorted);
  out.EndObject();
}

/// A Spring Data page: page `number` of `size` items, `total` in all; the
/// items are written by `write_items`.
template <class WriteItems>
std::string render_page(int64_t number, int64_t size, int64_t total,
                        int64_t count, bool sorted, WriteItems write_items) {
  auto pages = size > 0 ? (total + size - 1) / size : 0;
  return json_text([&](json_writer& out) {
    out.StartObject();
    out.Key("content");
    out.StartArray();
    write_items(out);
    out.EndArray();
    out.Key("pageable");
    out.StartObject();
    out.Key("sort");
    write_sort(out, sorted);
    out.Key("offset");
    out.Int64(number * size);
    out.Key("pageNumber");
    out.Int64(number);
    out.Key("pageSize");
    out.Int64(size);
    out.Key("paged");
    out.Bool(true);
    out.Key("unpaged");
    out.Bool(false);
    out.EndObject();
    out.Key("totalElements");
    out.Int64(total);
    out.Key("totalPages");
    out.Int64(pages);
    out.Key("last");
    out.Bool(number + 1 >= pages);
    out.Key("size");
    out.Int64(size);
    out.Key("number");
    out.Int64(number);
    out.Key("sort");
    write_sort(out, sorted);
    out.Key("numberOfElements");
    out.Int64(count);
    out.Key("first");
    out.Bool(number == 0);
    out.Key("empty");
    out.Bool(count == 0);
    out.EndObject();
  });
}

void write_system_config(json_writer& out, const system_config_record& x) {
  out.StartObject();
  out.Key("configId");
  write_string(out, x.config_id);
  out.Key("name");
  write_string(out, x.name);
  out.Key("displayName");
  if (x.display_name.empty())
    out.Null();
  else
    write_string(out, x.display_name);
  out.Key("config");
  write_string(out, x.content);
  out.Key("createdAt");
  write_string(out, iso8601_ms(x.created_ms));
  out.Key("updatedAt");
  write_string(out, iso8601_ms(x.updated_ms));
  out.EndObject();
}

} // namespace

std::string render_status_page(const status_page& page,
                               const status_query& query) {
  // Always sorted, by dispatch date.
  return render_page(query.page, query.size, page.total,
                     static_cast<int64_t>(page.items.size()), true,
                     [&](json_writer& out) {
                       for (const auto& item : page.items)
                         write_status(out, item);
                     });
}

namespace {

void write_version(json_writer& out, const config_version& x) {
  out.StartObject();
  out.Key("configId");
  write_text_or_null(out, x.config_id);
  out.Key("revision");
  out.Int64(x.revision);
  out.Key("name");
  write_string(out, x.key.name);
  out.Key("config");
  write_text_or_null(out, x.content);
  out.Key("createdDate");
  write_date(out, x.created_ms);
  out.Key("updatedDate");
  write_date(out, x.updated_ms);
  out.Key("supersededDate");
  write_date(out, x.superseded_ms);
  out.Key("deleted");
  out.Bool(x.deleted);
  out.Key("origin");
  out.String(to_string(x.origin));
  out.Key("actor");
  write_text_or_null(out, x.actor);
  out.EndObject();
}

} // namespace

std::string render_version(const config_version& version) {
  return json_text([&](json_writer& out) { write_version(out, version); });
}

std::string render_version_page(const version_page& page, int64_t number,
                                int64_t size) {
  // Always sorted, newest first.
  return render_page(number, size, page.total,
                     static_cast<int64_t>(page.items.size()), true,
                     [&](json_writer& out) {
                       for (const auto& item : page.items)
                         write_version(out, item);
                     });
}

std::string render_system_config(const system_config_record& record) {
  return json_text([&](json_writer& out) {
    write_system_config(out, record);
  });
}

std::string render_system_config_page(
  const std::vector<system_config_record>& records, int64_t number,
  int64_t size) {
  auto total = static_cast<int64_t>(records.size());
  auto first = std::min(total, number * size);
  auto last = std::min(total, first + size);
  return render_page(number, size, total, last - first, false,
                     [&](json_writer& out) {
                       for (auto i = first; i < last; ++i)
                         write_system_config(out, records[static_cast<size_t>(i)]);
                     });
}

std::string render_health(bool up,
                          const std::vector<component_health>& parts) {
  auto status_of = [](bool part_up, bool part_degraded) {
    return !part_up ? "DOWN" : part_degraded ? "DEGRADED" : "UP";
  };
  auto degraded = std::any_of(parts.begin(), parts.end(),
                              [](const auto& part) { return part.degraded; });
  return json_text([&](json_writer& out) {
    out.StartObject();
    out.Key("status");
    out.String(status_of(up, degraded));
    if (!parts.empty()) {
      out.Key("components");
      out.StartObject();
      for (const auto& part : parts) {
        write_string(out, part.name);
        out.StartObject();
        out.Key("status");
        out.String(status_of(part.up, part.degraded));
        // Down and degraded parts say why; up parts only when there is more
        // to say (the license's days left).
        if (!part.up || (!part.detail.empty() && part.detail != "UP")) {
          out.Key("details");
          write_string(out, part.detail);
        }
        out.EndObject();
      }
      out.EndObject();
    }
    out.EndObject();
  });
}

} // namespace ecr
