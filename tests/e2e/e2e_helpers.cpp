#include "tests/e2e/e2e_helpers.hpp"

#include <gtest/gtest.h>
#include <rapidjson/error/en.h>

#include <regex>
#include <sstream>

namespace ecr::test {

namespace {

const std::regex uuid_v4_lowercase(
  "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");

const std::regex iso_utc_millis(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$)");

std::string string_member(const rapidjson::Value& v, const char* name) {
  auto it = v.FindMember(name);
  if (it == v.MemberEnd()) {
    ADD_FAILURE() << "missing member \"" << name << "\"";
    return {};
  }
  if (!it->value.IsString()) {
    ADD_FAILURE() << "member \"" << name << "\" is not a string";
    return {};
  }
  return {it->value.GetString(), it->value.GetStringLength()};
}

} // namespace

ecr_options ecr_binary(env_overrides env, std::string yaml) {
  ecr_options options;
  options.binary = ECR_BINARY;
  options.env = std::move(env);
  options.yaml = std::move(yaml);
  return options;
}

std::unique_ptr<ecr_process> start_ecr(env_overrides env, std::string yaml) {
  return std::make_unique<ecr_process>(ecr_binary(std::move(env), std::move(yaml)));
}

std::string config_key::url(const std::string& base,
                            const std::optional<std::string>& name) const {
  auto path = kind == config_kind::endpoint
                ? base + "/endpoints/" + endpoint + "/app-versions/" + app_version
                : base + "/app-versions/" + app_version;
  return name ? path + "?name=" + *name : path;
}

std::string config_key::list_url(const std::string& base) const {
  return url(base) + "/configurations";
}

config_key make_key(config_kind kind, const std::string& tag) {
  return {kind, "ep-" + tag, "av-" + tag};
}

void PrintTo(const rest_case& c, std::ostream* out) {
  *out << (c.kind == config_kind::endpoint ? "endpoint" : "default") << " config under "
       << c.base;
}

std::vector<rest_case> all_rest_cases() {
  std::vector<rest_case> cases;
  for (auto kind : {config_kind::endpoint, config_kind::app_version_default})
    for (const auto& base : base_paths)
      cases.push_back({base, kind});
  return cases;
}

std::string rest_case_name(const ::testing::TestParamInfo<rest_case>& info) {
  auto kind = info.param.kind == config_kind::endpoint ? "endpoint_" : "default_";
  auto base = info.param.base == "/api/v1" ? "api_v1" : "ecr_api_v1";
  return kind + std::string(base);
}

void rest_test::SetUp() {
  ecr_ = start_ecr();
}

std::ostream& operator<<(std::ostream& out, const stored_config& c) {
  return out << "{configId=" << c.config_id << " name=" << c.name << " config=" << c.config
             << " createdDate=" << c.created_date << " updatedDate=" << c.updated_date
             << "}";
}

rapidjson::Document parse_json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError()) {
    ADD_FAILURE() << "not JSON (" << rapidjson::GetParseError_En(doc.GetParseError())
                  << " at " << doc.GetErrorOffset() << "): " << text.substr(0, 512);
    doc.SetNull();
  }
  return doc;
}

bool is_json_content_type(const http_response& r) {
  auto type = r.header("Content-Type");
  if (!type)
    return false;
  auto media = type->substr(0, type->find(';'));
  while (!media.empty() && media.back() == ' ')
    media.pop_back();
  return iequals(media, "application/json");
}

stored_config to_stored_config(const rapidjson::Value& v) {
  if (!v.IsObject()) {
    ADD_FAILURE() << "configuration is not a JSON object";
    return {};
  }
  EXPECT_EQ(v.MemberCount(), 5u) << "expected exactly configId, name, config, "
                                    "createdDate, updatedDate";
  stored_config c{string_member(v, "configId"), string_member(v, "name"),
                  string_member(v, "config"), string_member(v, "createdDate"),
                  string_member(v, "updatedDate")};
  EXPECT_TRUE(std::regex_match(c.config_id, uuid_v4_lowercase))
    << "configId is not a lowercase UUID v4: " << c.config_id;
  EXPECT_TRUE(std::regex_match(c.created_date, iso_utc_millis))
    << "createdDate: " << c.created_date;
  EXPECT_TRUE(std::regex_match(c.updated_date, iso_utc_millis))
    << "updatedDate: " << c.updated_date;
  // ISO-8601 UTC strings of one fixed format order like the times they name.
  EXPECT_LE(c.created_date, c.updated_date);
  return c;
}

stored_config expect_config(const http_response& r) {
  EXPECT_EQ(r.status, 200) << r.describe();
  EXPECT_TRUE(is_json_content_type(r)) << r.describe();
  auto doc = parse_json(r.body);
  auto c = to_stored_config(doc);
  EXPECT_EQ(r.header("ETag").value_or("<none>"), etag_of(c.config_id)) << r.describe();
  return c;
}

std::vector<stored_config> expect_config_list(const http_response& r) {
  EXPECT_EQ(r.status, 200) << r.describe();
  EXPECT_TRUE(is_json_content_type(r)) << r.describe();
  auto doc = parse_json(r.body);
  std::vector<stored_config> result;
  if (!doc.IsArray()) {
    ADD_FAILURE() << "expected a JSON array: " << r.describe();
    return result;
  }
  for (const auto& item : doc.GetArray())
    result.push_back(to_stored_config(item));
  return result;
}

void expect_error(const http_response& r, int status) {
  EXPECT_EQ(r.status, status) << r.describe();
  EXPECT_TRUE(is_json_content_type(r)) << r.describe();
  rapidjson::Document doc;
  doc.Parse(r.body.data(), r.body.size());
  ASSERT_FALSE(doc.HasParseError()) << "error body is not JSON: " << r.describe();
  ASSERT_TRUE(doc.IsObject()) << r.describe();
  auto it = doc.FindMember("message");
  ASSERT_NE(it, doc.MemberEnd()) << "no \"message\": " << r.describe();
  ASSERT_TRUE(it->value.IsString()) << r.describe();
  EXPECT_GT(it->value.GetStringLength(), 0u) << r.describe();
}

stored_config put_config(http_client& c, const std::string& base, const config_key& key,
                         const std::string& body, const std::optional<std::string>& name) {
  return expect_config(c.put_json(key.url(base, name), body));
}

void expect_stored(http_client& c, const std::string& base, const config_key& key,
                   const std::optional<std::string>& name, const stored_config& expected) {
  EXPECT_EQ(expect_config(c.get(key.url(base, name))), expected) << key.url(base, name);
}

void expect_absent(http_client& c, const std::string& base, const config_key& key,
                   const std::optional<std::string>& name) {
  expect_error(c.get(key.url(base, name)), 404);
}

std::string json_string_of_size(size_t size, char fill) {
  return '"' + std::string(size - 2, fill) + '"';
}

std::string etag_of(const std::string& s) {
  return '"' + s + '"';
}

std::vector<std::string> lines_with(const std::string& log, const std::string& text) {
  std::vector<std::string> found;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);)
    if (line.find(text) != std::string::npos)
      found.push_back(line);
  return found;
}

} // namespace ecr::test
