#include "security/tenant_manager.hpp"

#include "core/error.hpp"
#include "core/http_client.hpp"
#include "core/identifiers.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>

namespace ecr {

namespace {

constexpr std::string_view realms_segment = "/realms/";

caf::error bad_answer(std::string why) {
  return make_error(ec::upstream_failure,
                    "the Tenant Manager's security context is unusable: "
                      + std::move(why));
}

bool is_http_url(std::string_view text) {
  auto starts = [&](std::string_view scheme) {
    return text.size() > scheme.size()
           && std::equal(scheme.begin(), scheme.end(), text.begin(),
                         [](char a, char b) {
                           return a == std::tolower(static_cast<unsigned char>(b));
                         });
  };
  return (starts("http://") || starts("https://"))
         && std::none_of(text.begin(), text.end(), [](char c) {
              return std::isspace(static_cast<unsigned char>(c))
                     || std::iscntrl(static_cast<unsigned char>(c));
            });
}

/// A string member; nullptr when absent, an error when not a string.
caf::expected<const rapidjson::Value*>
string_member(const rapidjson::Value& object, const char* name) {
  auto i = object.FindMember(name);
  if (i == object.MemberEnd() || i->value.IsNull())
    return nullptr;
  if (!i->value.IsString())
    return bad_answer(std::string{name} + " must be a string");
  return &i->value;
}

} // namespace

std::string realm_of_issuer(std::string_view issuer) {
  auto at = issuer.rfind(realms_segment);
  if (at == std::string_view::npos)
    return {};
  auto realm = issuer.substr(at + realms_segment.size());
  while (!realm.empty() && realm.back() == '/')
    realm.remove_suffix(1);
  // One plain path segment: a tenant id names a URL path of its own later.
  auto plain = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'
           || c == '.';
  };
  if (realm.empty() || realm.size() > 256
      || !std::all_of(realm.begin(), realm.end(), plain))
    return {};
  return std::string{realm};
}

std::string tenant_context_url(std::string_view base_url,
                               std::string_view tenant_id) {
  std::string url{base_url};
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  return url + "/api/v1/tenants/" + percent_encode(tenant_id)
         + "/security-context";
}

caf::expected<tenant_security_context>
parse_tenant_context(std::string_view json, std::string_view tenant_id) {
  rapidjson::Document doc;
  // Iterative: a hostile nesting depth must not exhaust the stack.
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject())
    return bad_answer("not a JSON object");
  tenant_security_context result;
  result.tenant_id = std::string{tenant_id};
  auto named = string_member(doc, "tenantId");
  if (!named)
    return named.error();
  if (*named && std::string_view{(*named)->GetString(),
                                 (*named)->GetStringLength()}
                  != tenant_id)
    return bad_answer("it names another tenant");
  for (auto [name, target] :
       {std::pair{"issuerPublicUrl", &result.issuer_public_url},
        std::pair{"issuerPrivateUrl", &result.issuer_private_url}}) {
    auto value = string_member(doc, name);
    if (!value)
      return value.error();
    if (!*value)
      continue;
    std::string text{(*value)->GetString(), (*value)->GetStringLength()};
    if (!is_http_url(text))
      return bad_answer(std::string{name} + " must be an http(s) URL");
    *target = std::move(text);
  }
  if (result.issuer_public_url.empty())
    return bad_answer("issuerPublicUrl is missing");
  if (result.issuer_private_url.empty())
    result.issuer_private_url = result.issuer_public_url;
  return result;
}

caf::expected<tenant_security_context>
fetch_tenant_context(outbound_http_client& http, std::string_view base_url,
                     std::string_view tenant_id,
                     std::vector<std::string> headers) {
  headers.emplace_back(accept_json);
  auto response = http.get(tenant_context_url(base_url, tenant_id), headers);
  if (!response)
    return make_error(ec::unavailable, "the Tenant Manager cannot be reached: "
                                         + error_message(response.error()));
  if (response->status == 404)
    return make_error(ec::not_found, "the Tenant Manager knows no tenant "
                                       + std::string{tenant_id});
  if (response->status != 200)
    return make_error(ec::unavailable, "the Tenant Manager answered HTTP "
                                         + std::to_string(response->status));
  auto context = parse_tenant_context(response->body, tenant_id);
  if (!context)
    return make_error(ec::unavailable, error_message(context.error()));
  return context;
}

} // namespace ecr
