#include "security/iamcore.hpp"

#include "core/error.hpp"
#include "core/http_client.hpp"

#include <openssl/evp.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <optional>

namespace ecr {

namespace {

constexpr std::string_view irn_prefix = "irn:";
constexpr std::string_view bearer_prefix = "bearer ";
constexpr const char* authorization_header = "Authorization";
constexpr const char* api_key_header = "x-iamcore-api-key";
constexpr const char* json_type = "application/json";
/// Longer header values are refused rather than sent: no real token or key
/// comes near.
constexpr size_t max_credential_size = 16 * 1024;

caf::error invalid(std::string message) {
  return make_error(ec::invalid_argument, std::move(message));
}

caf::error unauthenticated(std::string message) {
  return make_error(ec::unauthenticated, std::move(message));
}

bool irn_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'
         || c == '@' || c == '.';
}

bool irn_token(std::string_view token) {
  return !token.empty() && std::all_of(token.begin(), token.end(), irn_char);
}

/// How a message shows the byte `c` of a refused token: quoted when
/// printable ASCII, else by its value (the token may not be UTF-8).
std::string shown(char c) {
  auto byte = static_cast<unsigned char>(c);
  if (byte > 0x20 && byte < 0x7F)
    return std::string{"'"} + c + "'";
  constexpr std::string_view hex = "0123456789ABCDEF";
  return std::string{"byte 0x"} + hex[byte >> 4] + hex[byte & 0xF];
}

/// Empty is refused unless `optional`. A refusal names the first character
/// an IRN token cannot hold: `:` and `/` separate tokens, `*` is a wildcard.
caf::error check_token(std::string_view token, std::string_view what,
                       bool optional = false) {
  if (token.empty())
    return optional ? caf::error{} : invalid(std::string{what} + " is empty");
  auto bad = std::find_if_not(token.begin(), token.end(), irn_char);
  if (bad != token.end())
    return invalid(std::string{what} + " holds " + shown(*bad)
                   + ", which IRNs do not allow (only letters, digits and "
                     "- _ @ .)");
  return {};
}

caf::error check_irn(const irn& name) {
  if (auto err = check_token(name.account, "the account"))
    return err;
  if (auto err = check_token(name.application, "the application"))
    return err;
  if (auto err = check_token(name.tenant, "the tenant", true))
    return err;
  if (auto err = check_token(name.pool, "the pool", true))
    return err;
  if (auto err = check_token(name.resource_type, "the resource type"))
    return err;
  for (const auto& segment : name.path)
    if (auto err = check_token(segment, "a path segment"))
      return err;
  return check_token(name.id, "the resource id");
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    auto end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

/// Standard base64 with padding, strictly.
std::optional<std::string> decode_base64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0)
    return std::nullopt;
  size_t padding = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
  auto alphabet = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
  };
  if (!std::all_of(text.begin(), text.end() - static_cast<ptrdiff_t>(padding),
                   alphabet))
    return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  auto size = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                              reinterpret_cast<const unsigned char*>(text.data()),
                              static_cast<int>(text.size()));
  if (size < 0)
    return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  out.resize(static_cast<size_t>(size) - padding);
  return out;
}

caf::expected<irn> parse_plain_irn(std::string_view text) {
  auto tokens = split(text, ':');
  if (tokens.size() != 6 || tokens[0] != "irn")
    return invalid("not an IRN: irn:<account>:<application>:<tenant>:<pool>:"
                   "<type>[/<path>...]/<id> expected");
  auto resource = split(tokens[5], '/');
  if (resource.size() < 2)
    return invalid("not an IRN: the resource has no <type>/<id>");
  irn name{std::string{tokens[1]},
           std::string{tokens[2]},
           std::string{tokens[3]},
           std::string{tokens[4]},
           std::string{resource.front()},
           {resource.begin() + 1, resource.end() - 1},
           std::string{resource.back()}};
  if (auto err = check_irn(name))
    return invalid("not an IRN: " + error_message(err));
  return name;
}

/// A valid action: `:`-separated tokens of the IRN alphabet, at least two
/// (`<type>:<operation>`); wildcards belong in policies only.
bool valid_action(std::string_view action) {
  auto tokens = split(action, ':');
  return tokens.size() >= 2 && std::all_of(tokens.begin(), tokens.end(), irn_token);
}

/// Whether `value` can travel in a header as it is: printable ASCII, no
/// leading or trailing space, so no credential, however made, adds a header
/// line of its own.
bool header_safe(std::string_view value) {
  return !value.empty() && value.size() <= max_credential_size
         && value.front() != ' ' && value.back() != ' '
         && std::all_of(value.begin(), value.end(),
                        [](char c) { return c >= 0x20 && c < 0x7F; });
}

bool visible(std::string_view value) {
  return header_safe(value) && value.find(' ') == std::string_view::npos;
}

bool has_bearer_scheme(std::string_view value) {
  return value.size() > bearer_prefix.size()
         && std::equal(bearer_prefix.begin(), bearer_prefix.end(), value.begin(),
                       [](char expected, char c) {
                         return std::tolower(static_cast<unsigned char>(c)) == expected;
                       });
}

/// The "Name: value" line of the credential; refused when it would not
/// travel as it is.
caf::expected<std::string> credential_line(const iamcore_credential& credential) {
  auto name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
  };
  if (credential.header_name.empty()
      || !std::all_of(credential.header_name.begin(), credential.header_name.end(),
                      name_char)
      || !header_safe(credential.value))
    return unauthenticated("the credential cannot be sent on to iamcore");
  return credential.header_name + ": " + credential.value;
}

/// `<base_url><path>`, without the base's trailing slashes.
std::string api_url(std::string base_url, std::string_view path) {
  while (!base_url.empty() && base_url.back() == '/')
    base_url.pop_back();
  return base_url.append(path);
}

/// Whatever went wrong on the way, the caller is not let in: a timeout too is
/// "cannot decide now".
caf::error transport_failure(const std::string& what, const caf::error& err) {
  return make_error(ec::unavailable, what + error_message(err));
}

caf::error answered(const std::string& what, long status) {
  return make_error(ec::unavailable,
                    what + "iamcore answered HTTP " + std::to_string(status));
}

std::string evaluate_body(const std::string& action,
                          const std::vector<std::string>& resource_irns) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buffer};
  writer.StartObject();
  writer.Key("action");
  writer.String(action.data(), static_cast<rapidjson::SizeType>(action.size()));
  writer.Key("resources");
  writer.StartArray();
  for (const auto& name : resource_irns)
    writer.String(name.data(), static_cast<rapidjson::SizeType>(name.size()));
  writer.EndArray();
  writer.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

} // namespace

caf::expected<irn> parse_irn(std::string_view text) {
  if (text.starts_with(irn_prefix))
    return parse_plain_irn(text);
  auto decoded = decode_base64(text);
  if (!decoded || !std::string_view{*decoded}.starts_with(irn_prefix))
    return invalid("not an IRN, nor the base64 of one");
  return parse_plain_irn(*decoded);
}

std::string to_string(const irn& name) {
  auto text = std::string{irn_prefix} + name.account + ":" + name.application
              + ":" + name.tenant + ":" + name.pool + ":" + name.resource_type;
  for (const auto& segment : name.path)
    text += "/" + segment;
  return text + "/" + name.id;
}

caf::expected<std::string> resource_irn(const std::string& account,
                                        const std::string& application,
                                        const std::string& tenant,
                                        const std::string& type,
                                        const std::string& id) {
  irn name{account, application, tenant, {}, type, {}, id};
  auto err = check_token(id, "the " + type + " id");
  if (!err)
    err = check_irn(name);
  if (err)
    return invalid("no iamcore IRN for this " + type + ": " + error_message(err));
  return to_string(name);
}

caf::expected<iamcore_credential>
pick_iamcore_credential(std::string_view authorization, std::string_view api_key) {
  if (!authorization.empty()) {
    if (!has_bearer_scheme(authorization)
        || !visible(authorization.substr(bearer_prefix.size())))
      return unauthenticated("the Authorization header must be 'Bearer <token>'");
    return iamcore_credential{authorization_header, std::string{authorization}};
  }
  if (!api_key.empty()) {
    if (!visible(api_key))
      return unauthenticated("the x-iamcore-api-key header holds no usable key");
    return iamcore_credential{api_key_header, std::string{api_key}};
  }
  return unauthenticated("a credential is required (Authorization: Bearer "
                         "<token>, or x-iamcore-api-key: <key>)");
}

caf::expected<irn> authenticate_principal(outbound_http_client& http,
                                          const std::string& base_url,
                                          const iamcore_credential& credential) {
  const std::string what = "iamcore principal look-up: ";
  auto header = credential_line(credential);
  if (!header)
    return header.error();
  auto response = http.get(api_url(base_url, "/api/v1/users/me/irn"),
                           {accept_json, *header});
  if (!response)
    return transport_failure(what, response.error());
  switch (response->status) {
    case 200: {
      rapidjson::Document doc;
      // Iterative: a hostile nesting depth must not exhaust the stack.
      doc.Parse<rapidjson::kParseIterativeFlag>(response->body.data(),
                                                response->body.size());
      if (!doc.HasParseError() && doc.IsObject()) {
        auto data = doc.FindMember("data");
        if (data != doc.MemberEnd() && data->value.IsString())
          if (auto principal = parse_irn({data->value.GetString(),
                                          data->value.GetStringLength()}))
            return principal;
      }
      return make_error(ec::unavailable,
                        what + "iamcore's answer holds no principal IRN");
    }
    case 401:
    case 403:
      return unauthenticated(what + "iamcore refused the credential (HTTP "
                             + std::to_string(response->status) + ")");
    default:
      return answered(what, response->status);
  }
}

caf::expected<bool> evaluate(outbound_http_client& http,
                             const std::string& base_url,
                             const iamcore_credential& credential,
                             const std::string& action,
                             const std::vector<std::string>& resource_irns) {
  if (!valid_action(action))
    return invalid("iamcore evaluation: the action is not <type>:<operation> "
                   "of letters, digits and - _ @ .");
  const std::string what = "iamcore evaluation of " + action + ": ";
  if (resource_irns.empty())
    return invalid(what + "no resource to evaluate");
  for (const auto& name : resource_irns) {
    // Plain strings only: iamcore takes no base64 in this body.
    auto parsed = parse_irn(name);
    if (!parsed || to_string(*parsed) != name)
      return invalid(what + "a resource is not a plain IRN");
  }
  auto header = credential_line(credential);
  if (!header)
    return header.error();
  auto response = http.post(api_url(base_url, "/api/v1/evaluate"),
                            evaluate_body(action, resource_irns), json_type,
                            {accept_json, *header});
  if (!response)
    return transport_failure(what, response.error());
  switch (response->status) {
    // The status is the decision, whatever the body.
    case 200:
      return true;
    case 403:
      return false;
    case 401:
      return unauthenticated(what + "iamcore refused the credential (HTTP 401)");
    case 400:
      return make_error(ec::unavailable, what + "iamcore refused the request (HTTP 400)");
    default:
      return answered(what, response->status);
  }
}

} // namespace ecr
