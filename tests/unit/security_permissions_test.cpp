// Permission names (spec 9.1): `<type>-<handle>#<scope>`, and which
// separators a handle may hold. Keycloak splits a permission at every `#`
// and reads scopes split at `,` from the second part, so a `#` in a handle
// would change what is asked; `,` and `-` in a handle change nothing.

#include "applications/app_catalog.hpp"
#include "core/error.hpp"
#include "security/permissions.hpp"
#include "tests/support/error_checks.hpp"

#include <gtest/gtest.h>

namespace ecr::test {
namespace {

using kind = protected_resource::kind;

app_catalog catalog_with(const std::string& application,
                         const std::string& app_version) {
  app_catalog catalog;
  catalog.add({application, nullptr, false, {{app_version, nullptr}}});
  return catalog;
}

const app_catalog applications = catalog_with("smart-meter", "smart-meter-v1");

std::string permission(kind type, const std::string& id, access_action action,
                       const app_catalog& catalog = applications) {
  auto named = permission_of({type, id, action}, catalog);
  EXPECT_TRUE(named) << id << ": " << render(named.error());
  return named ? *named : std::string{};
}

TEST(security_permissions, each_kind_of_resource_is_named_with_its_scope) {
  EXPECT_EQ(permission(kind::endpoint, "ep-1", access_action::read),
            "endpoint-ep-1#endpoint:read");
  EXPECT_EQ(permission(kind::endpoint, "ep-1", access_action::remove),
            "endpoint-ep-1#endpoint:update");
  EXPECT_EQ(permission(kind::app_version_endpoint_configs, "smart-meter-v1",
                       access_action::remove),
            "application-smart-meter#application:endpoint-config:delete");
  EXPECT_EQ(permission(kind::app_version, "smart-meter-v1", access_action::update),
            "application-smart-meter#application:update");
  EXPECT_EQ(permission(kind::application, "lamp", access_action::read),
            "application-lamp#application:read");
  EXPECT_EQ(permission(kind::tenant, "tenant-a", access_action::update),
            "tenant-tenant-a#tenant:update");
}

TEST(security_permissions, a_dash_in_a_handle_stays_part_of_it) {
  // No type holds a `-`, so the first one ends the type whatever follows.
  EXPECT_EQ(permission(kind::endpoint, "3f2b0c1e-7a8d-4c6b", access_action::read),
            "endpoint-3f2b0c1e-7a8d-4c6b#endpoint:read");
  EXPECT_EQ(permission(kind::tenant, "-", access_action::read), "tenant--#tenant:read");
}

TEST(security_permissions, a_comma_or_colon_in_a_handle_stays_part_of_it) {
  // Keycloak splits scopes at `,` only after the `#`, and a resource name
  // may hold `:` or `/`.
  EXPECT_EQ(permission(kind::endpoint, "ep,endpoint:update", access_action::read),
            "endpoint-ep,endpoint:update#endpoint:read");
  EXPECT_EQ(permission(kind::application, "a:b/c", access_action::update),
            "application-a:b/c#application:update");
}

TEST(security_permissions, a_hash_in_a_handle_is_refused_for_every_kind) {
  const std::vector<protected_resource> resources{
    {kind::endpoint, "ep-1#endpoint:read", access_action::update},
    {kind::endpoint, "#", access_action::read},
    {kind::endpoint, "ep-1#", access_action::read},
    {kind::application, "lamp#application:read", access_action::update},
    {kind::tenant, "#tenant:read", access_action::update},
  };
  for (const auto& resource : resources) {
    auto named = permission_of(resource, applications);
    ASSERT_FALSE(named) << resource.id << " named " << *named;
    expect_error(named.error(), ec::invalid_argument);
    EXPECT_TRUE(mentions(named.error(), "'#'")) << render(named.error());
  }
  auto endpoint = permission_of(resources.front(), applications);
  EXPECT_TRUE(mentions(endpoint.error(), "endpointId")) << render(endpoint.error());
  auto tenant = permission_of(resources.back(), applications);
  EXPECT_TRUE(mentions(tenant.error(), "tenantId")) << render(tenant.error());
}

TEST(security_permissions, an_application_name_with_a_hash_is_refused_too) {
  // The application comes from the settings, not the caller, yet it names
  // the resource all the same.
  auto catalog = catalog_with("meter#application:read", "meter-v1");
  for (auto type : {kind::app_version_endpoint_configs, kind::app_version}) {
    auto named = permission_of({type, "meter-v1", access_action::update}, catalog);
    ASSERT_FALSE(named) << *named;
    expect_error(named.error(), ec::invalid_argument);
    EXPECT_TRUE(mentions(named.error(), "application name")) << render(named.error());
  }
}

TEST(security_permissions, batch_updates_name_each_endpoint_once) {
  auto updates = endpoint_updates({{"kaa", "ep-2", "v1", "default"},
                                   {"kaa", "ep-1", "v1", "default"},
                                   {"kaa", "ep-1", "v2", "default"},
                                   {"kaa", "ep,3", "v2", "default"}});
  ASSERT_TRUE(updates) << render(updates.error());
  EXPECT_EQ(*updates, (std::vector<std::string>{"endpoint-ep,3#endpoint:update",
                                                "endpoint-ep-1#endpoint:update",
                                                "endpoint-ep-2#endpoint:update"}));
}

TEST(security_permissions, a_batch_with_one_hash_in_an_endpoint_is_refused_whole) {
  auto updates = endpoint_updates({{"kaa", "ep-1", "v1", "default"},
                                   {"kaa", "ep-2#endpoint:read", "v1", "default"}});
  ASSERT_FALSE(updates);
  expect_error(updates.error(), ec::invalid_argument);
  EXPECT_TRUE(mentions(updates.error(), "endpointId")) << render(updates.error());
}

} // namespace
} // namespace ecr::test
