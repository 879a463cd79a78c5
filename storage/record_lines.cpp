#include "storage/record_lines.hpp"

#include "core/error.hpp"
#include "core/json_text.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace ecr {

namespace {

constexpr std::string_view format_name = "ecr-export";
/// Version 2 added the revision history (`version` lines).
constexpr int format_version = 2;

caf::error invalid(std::string message) {
  return make_error(ec::invalid_argument, std::move(message));
}

std::string_view text_of(const rapidjson::Value& x) {
  return {x.GetString(), x.GetStringLength()};
}

/// Parses one line; iteratively, so hostile nesting cannot exhaust the stack.
caf::error parse_json(rapidjson::Document& doc, std::string_view line) {
  if (line.empty())
    return invalid("the line is empty");
  doc.Parse<rapidjson::kParseIterativeFlag>(line.data(), line.size());
  if (doc.HasParseError())
    return invalid(std::string{"not JSON: "}
                   + rapidjson::GetParseError_En(doc.GetParseError())
                   + " (at byte " + std::to_string(doc.GetErrorOffset())
                   + ")");
  if (!doc.IsObject())
    return invalid("not a JSON object");
  return {};
}

// -- fields of each kind --------------------------------------------------------

/// Whether a text field may hold the empty string.
enum class presence { required, may_be_empty };

constexpr auto required = presence::required;
constexpr auto may_be_empty = presence::may_be_empty;

// Each kind lists its fields once, in line order; `f` is called with the
// JSON key and the member (and for text whether it may be empty). Writing
// and reading share the list, so they cannot drift apart.
template <class T>
struct kind;

template <>
struct kind<config_record> {
  static constexpr std::string_view name = "config";

  template <class Record, class F>
  static void fields(Record& x, F& f) {
    f("tenantId", x.key.tenant_id, required);
    // Empty for the default configuration of the app version.
    f("endpointId", x.key.endpoint_id, may_be_empty);
    f("appVersionName", x.key.app_version, required);
    f("name", x.key.name, required);
    f("configId", x.config_id, required);
    f("content", x.content, required);
    f("createdMs", x.created_ms);
    f("updatedMs", x.updated_ms);
  }

  static caf::error check(const config_record&) {
    return {};
  }
};

template <>
struct kind<status_record> {
  static constexpr std::string_view name = "status";

  template <class Record, class F>
  static void fields(Record& x, F& f) {
    f("tenantId", x.tenant_id, required);
    f("endpointId", x.endpoint_id, required);
    f("appVersionName", x.app_version, required);
    f("configId", x.config_id, required);
    f("status", x.status);
    // May be empty: the REST API shows it as null.
    f("content", x.content, may_be_empty);
    f("lastDispatchedMs", x.last_dispatched_ms);
    f("lastConfirmedMs", x.last_confirmed_ms);
    f("confirmationCode", x.confirmation_code);
    f("confirmationReason", x.confirmation_reason, may_be_empty);
  }

  static caf::error check(const status_record&) {
    return {};
  }
};

template <>
struct kind<system_config_record> {
  static constexpr std::string_view name = "systemConfig";

  template <class Record, class F>
  static void fields(Record& x, F& f) {
    f("tenantId", x.tenant_id, required);
    f("configId", x.config_id, required);
    f("level", x.level, required);
    f("levelId", x.level_id, required);
    f("name", x.name, required);
    f("displayName", x.display_name, may_be_empty);
    f("content", x.content, required);
    f("createdMs", x.created_ms);
    f("updatedMs", x.updated_ms);
  }

  static caf::error check(const system_config_record& x) {
    constexpr std::array levels{system_level::tenant, system_level::application,
                                system_level::app_version,
                                system_level::endpoint};
    if (std::find(levels.begin(), levels.end(), x.level) == levels.end())
      return invalid("unknown level '" + x.level
                     + "' (expected TENANT, APPLICATION, APP_VERSION or "
                       "ENDPOINT)");
    return {};
  }
};

template <>
struct kind<config_version> {
  static constexpr std::string_view name = "version";

  template <class Record, class F>
  static void fields(Record& x, F& f) {
    f("tenantId", x.key.tenant_id, required);
    f("endpointId", x.key.endpoint_id, may_be_empty);
    f("appVersionName", x.key.app_version, required);
    f("name", x.key.name, required);
    f("revision", x.revision);
    // Empty for a tombstone.
    f("configId", x.config_id, may_be_empty);
    f("content", x.content, may_be_empty);
    f("createdMs", x.created_ms);
    f("updatedMs", x.updated_ms);
    f("supersededMs", x.superseded_ms);
    f("deleted", x.deleted);
    f("origin", x.origin);
    f("actor", x.actor, may_be_empty);
  }

  static caf::error check(const config_version& x) {
    if (x.revision < 1)
      return invalid("field revision must be at least 1");
    if (x.deleted != x.config_id.empty())
      return invalid("a version has a configId exactly when it is not "
                     "deleted");
    if (!x.deleted && x.content.empty())
      return invalid("field content must not be empty");
    if (x.deleted && !x.content.empty())
      return invalid("a deleted version has no content");
    return {};
  }
};

constexpr std::array statuses{delivery_status::dispatched,
                              delivery_status::confirmed,
                              delivery_status::failed};

// -- writing --------------------------------------------------------------------

struct field_writer {
  json_writer& out;

  void operator()(const char* key, const std::string& x, presence) {
    out.Key(key);
    write_string(out, x);
  }

  void operator()(const char* key, int64_t x) {
    out.Key(key);
    out.Int64(x);
  }

  void operator()(const char* key, int32_t x) {
    out.Key(key);
    out.Int(x);
  }

  void operator()(const char* key, delivery_status x) {
    out.Key(key);
    out.String(to_string(x));
  }

  void operator()(const char* key, bool x) {
    out.Key(key);
    out.Bool(x);
  }

  void operator()(const char* key, change_origin x) {
    out.Key(key);
    out.String(to_string(x));
  }
};

// -- reading --------------------------------------------------------------------

/// Fills a record's fields from a JSON object; keeps the first problem.
class field_reader {
public:
  explicit field_reader(const rapidjson::Value& object) : object_(object) {
    // nop
  }

  void operator()(const char* key, std::string& x, presence p) {
    auto value = find(key);
    if (!value)
      return;
    if (!value->IsString())
      return fail(key, "must be a string");
    if (p == required && value->GetStringLength() == 0)
      return fail(key, "must not be empty");
    x = std::string{text_of(*value)};
  }

  /// Dates: epoch milliseconds, 0 for "never".
  void operator()(const char* key, int64_t& x) {
    auto value = find(key);
    if (!value)
      return;
    if (!value->IsInt64() || value->GetInt64() < 0)
      return fail(key, "must be a non-negative integer");
    x = value->GetInt64();
  }

  void operator()(const char* key, int32_t& x) {
    auto value = find(key);
    if (!value)
      return;
    if (!value->IsInt())
      return fail(key, "must be a 32-bit integer");
    x = value->GetInt();
  }

  void operator()(const char* key, delivery_status& x) {
    auto value = find(key);
    if (!value)
      return;
    auto match = [&](delivery_status s) {
      return value->IsString() && text_of(*value) == to_string(s);
    };
    auto it = std::find_if(statuses.begin(), statuses.end(), match);
    if (it == statuses.end())
      return fail(key, "must be DISPATCHED, CONFIRMED or FAILED");
    x = *it;
  }

  void operator()(const char* key, bool& x) {
    auto value = find(key);
    if (!value)
      return;
    if (!value->IsBool())
      return fail(key, "must be true or false");
    x = value->GetBool();
  }

  void operator()(const char* key, change_origin& x) {
    auto value = find(key);
    if (!value)
      return;
    auto parsed = value->IsString() ? parse_change_origin(text_of(*value))
                                    : std::nullopt;
    if (!parsed)
      return fail(key, "must be PUT, PATCH, BATCH, FILTER, ROLLBACK, DELETE "
                       "or IMPORT");
    x = *parsed;
  }

  /// The first problem: a field missing or mistyped, else a member that is
  /// not a field of the kind or appears twice.
  caf::error result() const {
    if (err_)
      return err_;
    std::vector<std::string_view> seen;
    for (const auto& member : object_.GetObject()) {
      auto name = text_of(member.name);
      if (name != "kind"
          && std::find(keys_.begin(), keys_.end(), name) == keys_.end())
        return invalid("unknown field '" + std::string{name} + "'");
      if (std::find(seen.begin(), seen.end(), name) != seen.end())
        return invalid("field " + std::string{name} + " appears twice");
      seen.push_back(name);
    }
    return {};
  }

private:
  const rapidjson::Value* find(const char* key) {
    keys_.emplace_back(key);
    if (err_)
      return nullptr;
    auto it = object_.FindMember(key);
    if (it == object_.MemberEnd()) {
      err_ = invalid(std::string{"field "} + key + " is missing");
      return nullptr;
    }
    return &it->value;
  }

  void fail(const char* key, const char* problem) {
    err_ = invalid(std::string{"field "} + key + " " + problem);
  }

  const rapidjson::Value& object_;
  std::vector<std::string_view> keys_;
  caf::error err_;
};

template <class T>
caf::expected<stored_record> read_record(const rapidjson::Value& object) {
  T result;
  field_reader reader{object};
  kind<T>::fields(result, reader);
  if (auto err = reader.result())
    return err;
  if (auto err = kind<T>::check(result))
    return err;
  return stored_record{std::move(result)};
}

} // namespace

std::string header_line() {
  return json_text([](json_writer& out) {
    out.StartObject();
    out.Key("format");
    write_string(out, format_name);
    out.Key("version");
    out.Int(format_version);
    out.EndObject();
  });
}

caf::expected<int> read_header(std::string_view line) {
  rapidjson::Document doc;
  auto not_an_export = [] {
    return invalid("not an ecr export: the first line must be "
                   + header_line());
  };
  if (parse_json(doc, line))
    return not_an_export();
  auto format = doc.FindMember("format");
  if (format == doc.MemberEnd() || !format->value.IsString()
      || text_of(format->value) != format_name)
    return not_an_export();
  auto version = doc.FindMember("version");
  if (version == doc.MemberEnd() || !version->value.IsInt()
      || doc.MemberCount() != 2)
    return not_an_export();
  auto number = version->value.GetInt();
  if (number < 1 || number > format_version)
    return invalid("export format version " + std::to_string(number)
                   + " is not supported; this ecr reads versions 1 to "
                   + std::to_string(format_version));
  return number;
}

std::string to_line(const stored_record& record) {
  return json_text([&](json_writer& out) {
    std::visit(
      [&](const auto& x) {
        using record_type = std::decay_t<decltype(x)>;
        field_writer writer{out};
        out.StartObject();
        out.Key("kind");
        write_string(out, kind<record_type>::name);
        kind<record_type>::fields(x, writer);
        out.EndObject();
      },
      record);
  });
}

caf::expected<stored_record> parse_line(std::string_view line,
                                        size_t max_bytes) {
  if (line.size() > max_bytes)
    return invalid("the line is longer than " + std::to_string(max_bytes)
                   + " bytes");
  rapidjson::Document doc;
  if (auto err = parse_json(doc, line))
    return err;
  auto member = doc.FindMember("kind");
  if (member == doc.MemberEnd())
    return invalid("field kind is missing");
  if (!member->value.IsString())
    return invalid("field kind must be a string");
  auto name = text_of(member->value);
  if (name == kind<config_record>::name)
    return read_record<config_record>(doc);
  if (name == kind<status_record>::name)
    return read_record<status_record>(doc);
  if (name == kind<system_config_record>::name)
    return read_record<system_config_record>(doc);
  if (name == kind<config_version>::name)
    return read_record<config_version>(doc);
  return invalid("unknown kind '" + std::string{name}
                 + "' (expected config, version, status or systemConfig)");
}

} // namespace ecr
