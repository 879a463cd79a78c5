#include "applications/app_catalog.hpp"
#include "core/error.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace ecr::test {

namespace {

std::shared_ptr<const json_schema> schema(std::string_view text) {
  auto compiled = json_schema::compile(text);
  if (!compiled)
    throw std::runtime_error("unexpected error: " + render(compiled.error()));
  return std::move(*compiled);
}

class core_app_catalog : public ::testing::Test {
protected:
  core_app_catalog() {
    // kettle: an app-level schema; v2 brings its own, v1 and v3 do not.
    catalog_.add({"kettle", app_schema_, true,
                  {{"kettle-v1", nullptr}, {"kettle-v2", v2_schema_},
                   {"kettle-v3", nullptr}}});
    // lamp: no app-level schema, not required; one version with a schema.
    catalog_.add({"lamp", nullptr, false,
                  {{"lamp-v1", nullptr}, {"lamp-v2", lamp_schema_}}});
  }

  std::shared_ptr<const json_schema> app_schema_ = schema(R"({"type": "object"})");
  std::shared_ptr<const json_schema> v2_schema_ =
    schema(R"({"type": "object", "required": ["power"]})");
  std::shared_ptr<const json_schema> lamp_schema_ = schema(R"({"type": "array"})");
  app_catalog catalog_;
};

TEST_F(core_app_catalog, a_version_schema_overrides_the_application_schema) {
  auto rule = catalog_.schema_for("kettle-v2");
  EXPECT_EQ(rule.schema, v2_schema_);
  EXPECT_TRUE(rule.required);
  EXPECT_EQ(catalog_.schema_for("lamp-v2").schema, lamp_schema_);
}

TEST_F(core_app_catalog, versions_without_a_schema_get_the_application_schema) {
  for (auto version : {"kettle-v1", "kettle-v3"}) {
    auto rule = catalog_.schema_for(version);
    EXPECT_EQ(rule.schema, app_schema_) << version;
    EXPECT_TRUE(rule.required) << version;
  }
}

TEST_F(core_app_catalog, a_version_may_have_no_schema_at_all) {
  auto rule = catalog_.schema_for("lamp-v1");
  EXPECT_EQ(rule.schema, nullptr);
  EXPECT_FALSE(rule.required);
}

TEST_F(core_app_catalog, schema_required_holds_without_a_schema) {
  catalog_.add({"sensor", nullptr, true, {{"sensor-v1", nullptr}}});
  auto rule = catalog_.schema_for("sensor-v1");
  EXPECT_EQ(rule.schema, nullptr);
  EXPECT_TRUE(rule.required);
}

TEST_F(core_app_catalog, application_of_names_the_listing_application) {
  EXPECT_EQ(catalog_.application_of("kettle-v3"), "kettle");
  EXPECT_EQ(catalog_.application_of("lamp-v1"), "lamp");
  EXPECT_EQ(catalog_.application_of("kettle"), std::nullopt);
  EXPECT_EQ(catalog_.application_of("unknown-v1"), std::nullopt);
}

TEST_F(core_app_catalog, unknown_versions_have_no_rule) {
  auto rule = catalog_.schema_for("unknown-v1");
  EXPECT_EQ(rule.schema, nullptr);
  EXPECT_FALSE(rule.required);
}

TEST_F(core_app_catalog, adding_an_application_again_replaces_it) {
  catalog_.add({"kettle", nullptr, false, {{"kettle-v4", nullptr}}});
  EXPECT_EQ(catalog_.application_of("kettle-v1"), std::nullopt);
  EXPECT_EQ(catalog_.application_of("kettle-v4"), "kettle");
  auto rule = catalog_.schema_for("kettle-v4");
  EXPECT_EQ(rule.schema, nullptr);
  EXPECT_FALSE(rule.required);
  EXPECT_EQ(catalog_.applications().size(), 2u);
  EXPECT_EQ(catalog_.applications().at("kettle").versions.size(), 1u);
}

TEST_F(core_app_catalog, copies_are_independent_and_share_the_schemas) {
  auto copy = catalog_;
  copy.add({"sensor", nullptr, false, {{"sensor-v1", nullptr}}});
  EXPECT_EQ(copy.application_of("sensor-v1"), "sensor");
  EXPECT_EQ(catalog_.application_of("sensor-v1"), std::nullopt);
  EXPECT_EQ(copy.schema_for("kettle-v2").schema, v2_schema_);
}

TEST(core_app_catalog_owners, a_version_listed_twice_belongs_to_the_first_by_name) {
  auto first = schema(R"({"type": "string"})");
  auto second = schema(R"({"type": "integer"})");
  application_settings a{"a-app", nullptr, false, {{"shared-v1", first}}};
  application_settings b{"b-app", nullptr, true, {{"shared-v1", second}}};
  app_catalog ab;
  ab.add(a);
  ab.add(b);
  app_catalog ba;
  ba.add(b);
  ba.add(a);
  for (const auto* catalog : {&ab, &ba}) {
    EXPECT_EQ(catalog->application_of("shared-v1"), "a-app");
    EXPECT_EQ(catalog->schema_for("shared-v1").schema, first);
    EXPECT_FALSE(catalog->schema_for("shared-v1").required);
  }
}

TEST_F(core_app_catalog, tenant_of_names_the_tenant_of_the_listing_application) {
  catalog_.add({"meter", nullptr, false, {{"meter-v1", nullptr}, {"meter-v2", nullptr}},
                "tenant-a"});
  EXPECT_EQ(catalog_.tenant_of("meter-v1"), "tenant-a");
  EXPECT_EQ(catalog_.tenant_of("meter-v2"), "tenant-a");
  // An application without a tenant-id, and versions nobody lists, leave
  // the choice to the caller.
  EXPECT_EQ(catalog_.tenant_of("kettle-v1"), std::nullopt);
  EXPECT_EQ(catalog_.tenant_of("unknown-v1"), std::nullopt);
  EXPECT_EQ(catalog_.tenant_of("meter"), std::nullopt);
}

TEST_F(core_app_catalog, tenant_of_follows_a_replaced_application) {
  catalog_.add({"meter", nullptr, false, {{"meter-v1", nullptr}}, "tenant-a"});
  catalog_.add({"meter", nullptr, false, {{"meter-v1", nullptr}}, "tenant-b"});
  EXPECT_EQ(catalog_.tenant_of("meter-v1"), "tenant-b");
  catalog_.add({"meter", nullptr, false, {{"meter-v1", nullptr}}});
  EXPECT_EQ(catalog_.tenant_of("meter-v1"), std::nullopt);
}

TEST(core_app_catalog_owners, a_version_listed_twice_has_the_tenant_of_its_owner) {
  app_catalog catalog;
  catalog.add({"b-app", nullptr, false, {{"shared-v1", nullptr}}, "tenant-b"});
  catalog.add({"a-app", nullptr, false, {{"shared-v1", nullptr}}});
  EXPECT_EQ(catalog.tenant_of("shared-v1"), std::nullopt);
  catalog.add({"a-app", nullptr, false, {{"shared-v1", nullptr}}, "tenant-a"});
  EXPECT_EQ(catalog.tenant_of("shared-v1"), "tenant-a");
}

TEST(live_app_catalog, a_replacement_leaves_earlier_snapshots_intact) {
  app_catalog first;
  first.add({"kettle", nullptr, false, {{"kettle-v1", nullptr}}});
  live_app_catalog live{first};
  auto before = live.current();
  app_catalog second;
  second.add({"sensor", nullptr, true, {{"sensor-v1", nullptr}}});
  live.replace(second);
  EXPECT_EQ(before->application_of("kettle-v1"), "kettle");
  EXPECT_EQ(live.current()->application_of("kettle-v1"), std::nullopt);
  EXPECT_EQ(live.current()->application_of("sensor-v1"), "sensor");
  EXPECT_TRUE(live.current()->schema_for("sensor-v1").required);
}

} // namespace

} // namespace ecr::test
