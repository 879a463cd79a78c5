#include "security/keycloak.hpp"

#include "core/error.hpp"
#include "core/http_client.hpp"
#include "core/identifiers.hpp"
#include "core/log.hpp"

#include <openssl/evp.h>

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <string_view>

namespace ecr {

namespace {

constexpr const char* form_type = "application/x-www-form-urlencoded";
constexpr const char* uma_grant_type = "urn:ietf:params:oauth:grant-type:uma-ticket";

/// `{issuer}/protocol/openid-connect/{endpoint}`.
std::string openid_connect_url(std::string issuer, std::string_view endpoint) {
  while (!issuer.empty() && issuer.back() == '/')
    issuer.pop_back();
  return issuer + "/protocol/openid-connect/" + std::string{endpoint};
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  auto size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                              reinterpret_cast<const unsigned char*>(bytes.data()),
                              static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(size));
  return out;
}

/// Whether `token` can travel in a header as it is: visible ASCII only, so
/// that no token, however made, adds a header line of its own.
bool header_safe(std::string_view token) {
  return !token.empty() && token.size() <= max_jwt_size
         && std::all_of(token.begin(), token.end(),
                        [](char c) { return c > 0x20 && c < 0x7F; });
}

/// The body as a JSON object, if it is one.
bool parse_object(const std::string& body, rapidjson::Document& doc) {
  // Iterative: a hostile nesting depth must not exhaust the stack.
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  return !doc.HasParseError() && doc.IsObject();
}

/// The OAuth `error` code of an answer; empty when there is none fit to
/// show (RFC 6749 codes are short words of letters and underscores).
std::string oauth_error(const outbound_http_response& response) {
  rapidjson::Document doc;
  if (!parse_object(response.body, doc))
    return {};
  auto i = doc.FindMember("error");
  if (i == doc.MemberEnd() || !i->value.IsString())
    return {};
  std::string code{i->value.GetString(), i->value.GetStringLength()};
  auto plain = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  };
  if (code.empty() || code.size() > 64 || !std::all_of(code.begin(), code.end(), plain))
    return {};
  return code;
}

/// "Keycloak answered HTTP <status> (<error>)", for messages.
std::string answered(const outbound_http_response& response) {
  auto text = "Keycloak answered HTTP " + std::to_string(response.status);
  if (auto code = oauth_error(response); !code.empty())
    text += " (" + code + ")";
  return text;
}

} // namespace

std::string
form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty())
      out.push_back('&');
    out += percent_encode(name);
    out.push_back('=');
    out += percent_encode(value);
  }
  return out;
}

caf::expected<jwk_set> fetch_jwks(outbound_http_client& http,
                                  const std::string& issuer_url) {
  auto url = openid_connect_url(issuer_url, "certs");
  auto response = http.get(url, {accept_json});
  if (!response)
    return response.error();
  auto what = "JWKS from " + redact_url(url) + ": ";
  if (response->status != 200)
    return make_error(ec::upstream_failure, what + answered(*response));
  auto keys = jwk_set::parse(response->body);
  if (!keys)
    return make_error(error_code(keys.error()), what + error_message(keys.error()));
  return keys;
}

caf::expected<bool> uma_decision(outbound_http_client& http,
                                 const std::string& issuer_url,
                                 const std::string& audience,
                                 const std::string& caller_token,
                                 const std::string& permission) {
  auto what = "UMA decision on " + permission + ": ";
  if (!header_safe(caller_token))
    return make_error(ec::unauthenticated, what + "the bearer token cannot be sent on");
  auto response = http.post(openid_connect_url(issuer_url, "token"),
                            form_encode({{"grant_type", uma_grant_type},
                                         {"audience", audience},
                                         {"permission", permission},
                                         {"response_mode", "decision"}}),
                            form_type,
                            {accept_json, "Authorization: Bearer " + caller_token});
  // Whatever went wrong, the caller must not be let in: a timeout too is
  // "cannot decide now".
  if (!response)
    return make_error(ec::unavailable, what + error_message(response.error()));
  switch (response->status) {
    case 200: {
      rapidjson::Document doc;
      if (parse_object(response->body, doc)) {
        auto result = doc.FindMember("result");
        if (result != doc.MemberEnd() && result->value.IsBool())
          return result->value.GetBool();
      }
      return make_error(ec::unavailable,
                        what + "Keycloak's answer has no boolean \"result\"");
    }
    case 403:
      return false;
    case 401:
      return make_error(ec::unauthenticated,
                        what + "Keycloak refused the bearer token");
    case 400: {
      // Keycloak refuses to decide on what it does not know; no permission
      // can exist on it, so that is a denial.
      auto code = oauth_error(*response);
      if (code == "invalid_resource" || code == "invalid_scope")
        return false;
      break;
    }
    default:
      break;
  }
  return make_error(ec::unavailable, what + answered(*response));
}

caf::expected<service_token>
client_credentials_token(outbound_http_client& http, const std::string& issuer_url,
                         const std::string& client_id,
                         const std::string& client_secret) {
  auto credentials = base64(percent_encode(client_id) + ":"
                            + percent_encode(client_secret));
  auto response = http.post(openid_connect_url(issuer_url, "token"),
                            form_encode({{"grant_type", "client_credentials"}}),
                            form_type,
                            {accept_json, "Authorization: Basic " + credentials});
  if (!response)
    return response.error();
  auto what = "token for client " + client_id + ": ";
  switch (response->status) {
    case 200:
      break;
    case 400:
    case 401:
      return make_error(ec::unauthenticated, what + "client credentials refused; "
                                               + answered(*response));
    case 503:
      return make_error(ec::unavailable, what + answered(*response));
    default:
      return make_error(ec::upstream_failure, what + answered(*response));
  }
  rapidjson::Document doc;
  if (!parse_object(response->body, doc))
    return make_error(ec::upstream_failure,
                      what + "Keycloak's answer is not a JSON object");
  service_token token;
  auto access = doc.FindMember("access_token");
  if (access == doc.MemberEnd() || !access->value.IsString()
      || !header_safe({access->value.GetString(), access->value.GetStringLength()}))
    return make_error(ec::upstream_failure,
                      what + "Keycloak's answer has no usable access_token");
  token.access_token.assign(access->value.GetString(), access->value.GetStringLength());
  auto expires = doc.FindMember("expires_in");
  if (expires == doc.MemberEnd() || !expires->value.IsInt64()
      || expires->value.GetInt64() <= 0)
    return make_error(ec::upstream_failure,
                      what + "Keycloak's answer has no positive expires_in");
  token.expires_in_s = expires->value.GetInt64();
  return token;
}

} // namespace ecr
