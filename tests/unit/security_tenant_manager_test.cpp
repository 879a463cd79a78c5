// The Tenant Manager client (spec 7.3): which tenant an issuer names, where
// its security context is asked, and what answers are trusted.

#include "security/tenant_manager.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>

namespace ecr::test {
namespace {

TEST(tenant_manager, the_realm_of_an_issuer_is_its_tenant) {
  EXPECT_EQ(realm_of_issuer("https://kc.example/realms/acme"), "acme");
  EXPECT_EQ(realm_of_issuer("https://kc.example/auth/realms/f889ce8a-aac4/"),
            "f889ce8a-aac4");
  EXPECT_EQ(realm_of_issuer("http://kc/realms/a.b_c-1"), "a.b_c-1");
  for (const char* issuer :
       {"", "https://kc.example/", "https://kc.example/realms/",
        "https://kc.example/realms/acme/extra", "https://kc/realms/a%2Fb",
        "https://kc/realms/a b", "https://kc/realms/a?x=1"})
    EXPECT_EQ(realm_of_issuer(issuer), "") << issuer;
  EXPECT_EQ(realm_of_issuer("https://kc/realms/" + std::string(257, 'a')), "");
}

TEST(tenant_manager, the_context_url_encodes_the_tenant) {
  EXPECT_EQ(tenant_context_url("http://tenant-manager/", "acme"),
            "http://tenant-manager/api/v1/tenants/acme/security-context");
  EXPECT_EQ(tenant_context_url("http://tm", "a b/c"),
            "http://tm/api/v1/tenants/a%20b%2Fc/security-context");
}

TEST(tenant_manager, a_context_names_the_issuer_urls) {
  auto context = parse_tenant_context(
    R"({"tenantId":"acme","issuerPublicUrl":"https://kc/realms/acme",)"
    R"("issuerPrivateUrl":"http://keycloak:8080/realms/acme","extra":1})",
    "acme");
  ASSERT_TRUE(context) << render(context.error());
  EXPECT_EQ(context->tenant_id, "acme");
  EXPECT_EQ(context->issuer_public_url, "https://kc/realms/acme");
  EXPECT_EQ(context->issuer_private_url, "http://keycloak:8080/realms/acme");
  // The private URL and the tenant id are optional.
  auto minimal = parse_tenant_context(
    R"({"issuerPublicUrl":"https://kc/realms/acme"})", "acme");
  ASSERT_TRUE(minimal) << render(minimal.error());
  EXPECT_EQ(minimal->issuer_private_url, "https://kc/realms/acme");
}

TEST(tenant_manager, unusable_contexts_are_refused) {
  for (const char* body :
       {"", "[]", "{", R"({"issuerPrivateUrl":"http://kc/realms/acme"})",
        R"({"issuerPublicUrl":42})", R"({"issuerPublicUrl":"kc/realms/acme"})",
        R"({"issuerPublicUrl":"ftp://kc/realms/acme"})",
        R"({"issuerPublicUrl":"https://kc/realms/acme\nX: y"})",
        R"({"issuerPublicUrl":"https://kc/realms/acme","issuerPrivateUrl":"x"})",
        R"({"tenantId":"other","issuerPublicUrl":"https://kc/realms/acme"})",
        R"({"tenantId":7,"issuerPublicUrl":"https://kc/realms/acme"})"}) {
    auto context = parse_tenant_context(body, "acme");
    ASSERT_FALSE(context) << body;
    EXPECT_EQ(error_code(context.error()), ec::upstream_failure) << body;
  }
  // Hostile nesting does not exhaust the stack.
  EXPECT_FALSE(parse_tenant_context(std::string(100000, '[')
                                      + std::string(100000, ']'),
                                    "acme"));
}

} // namespace
} // namespace ecr::test
