#include "tests/support/keycloak_stand_in.hpp"

#include <algorithm>
#include <filesystem>

namespace ecr::test {

namespace {

namespace fs = std::filesystem;

std::string joined_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines)
    text += line + "\n";
  return text;
}

/// Writes "<status>\n<body>" to `path`, the form of a forced answer; status 0
/// removes it.
void set_forced_answer(const std::string& path, int status, const std::string& body) {
  if (status == 0)
    fs::remove(path);
  else
    replace_file(path, std::to_string(status) + "\n" + body);
}

} // namespace

size_t tenant_manager_stats::asked(const std::string& tenant) const {
  return static_cast<size_t>(std::count_if(requests.begin(), requests.end(), [&](const auto& r) {
    return r.rfind(tenant + " ", 0) == 0;
  }));
}

size_t tenant_manager_stats::count(const std::string& tenant,
                                   const std::string& outcome) const {
  return static_cast<size_t>(std::count(requests.begin(), requests.end(),
                                        tenant + " " + outcome));
}

keycloak_stand_in::keycloak_stand_in(const std::vector<std::string>& realms) {
  for (const auto& realm : realms)
    realm_file(realm, "");
  server_ = std::make_unique<python_stand_in>(
    python_stand_in_options{.name = "the Keycloak stand-in",
                            .script = "keycloak_stand_in.py",
                            .dir = dir_.path(),
                            .args = {"--dir", dir_.path().string()}});
}

std::string keycloak_stand_in::url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

std::string keycloak_stand_in::issuer(const std::string& realm) const {
  return url() + "/realms/" + realm;
}

std::string keycloak_stand_in::realm_file(const std::string& realm,
                                          const std::string& name) {
  auto dir = dir_.path() / "realms" / realm;
  if (!fs::exists(dir)) {
    // Complete before the directory appears under its name: the server
    // takes a directory for a realm.
    auto draft = dir_.path() / "realms" / (realm + ".draft");
    fs::create_directories(draft);
    replace_file((draft / "client-id").string(), "ecr");
    replace_file((draft / "client-secret").string(), "ecr-secret");
    fs::rename(draft, dir);
  }
  return (dir / name).string();
}

void keycloak_stand_in::set_jwks(const std::string& realm,
                                 const std::string& document) {
  replace_file(realm_file(realm, "jwks.json"), document);
}

void keycloak_stand_in::set_policy(const std::string& realm,
                                   const std::vector<uma_grant>& grants) {
  std::vector<std::string> lines;
  for (const auto& grant : grants)
    lines.push_back(grant.subject + " " + grant.permission);
  replace_file(realm_file(realm, "policy"), joined_lines(lines));
}

void keycloak_stand_in::set_resources(const std::string& realm,
                                      const std::vector<std::string>& resources) {
  replace_file(realm_file(realm, "resources"), joined_lines(resources));
}

void keycloak_stand_in::set_client(const std::string& realm,
                                   const std::string& client_id,
                                   const std::string& secret) {
  replace_file(realm_file(realm, "client-id"), client_id);
  replace_file(realm_file(realm, "client-secret"), secret);
}

void keycloak_stand_in::set_token_lifetime(const std::string& realm,
                                           int64_t seconds) {
  replace_file(realm_file(realm, "expires-in"), std::to_string(seconds));
}

void keycloak_stand_in::set_access_token(const std::string& realm,
                                         const std::string& token) {
  replace_file(realm_file(realm, "access-token"), token);
}

void keycloak_stand_in::set_token_answer(const std::string& realm, int status,
                                         const std::string& body) {
  set_forced_answer(realm_file(realm, "token-answer"), status, body);
}

keycloak_stats keycloak_stand_in::stats(const std::string& realm) const {
  keycloak_stats result;
  auto log = dir_.path() / "realms" / realm / "requests.log";
  for (const auto& line : read_lines(log.string())) {
    if (line == "jwks")
      ++result.jwks_fetches;
    else if (line == "token issued")
      ++result.tokens_issued;
    else if (line == "token refused")
      ++result.tokens_refused;
    else if (line == "failed")
      ++result.failed;
    else if (line == "token-answer")
      ++result.forced_answers;
    else if (line.rfind("uma ", 0) == 0)
      result.decisions.push_back(line.substr(4));
  }
  result.uma_decisions = result.decisions.size();
  return result;
}

void keycloak_stand_in::set_failing(bool failing) {
  if (failing)
    replace_file(dir_.file("failing"), "");
  else
    fs::remove(dir_.file("failing"));
}

void keycloak_stand_in::hide_from_tenant_manager(const std::string& realm, bool hidden) {
  auto path = realm_file(realm, "tenant-hidden");
  if (hidden)
    replace_file(path, "");
  else
    fs::remove(path);
}

void keycloak_stand_in::set_public_issuer(const std::string& realm, const std::string& url) {
  replace_file(realm_file(realm, "public-issuer"), url);
}

void keycloak_stand_in::set_tenant_manager_answer(int status, const std::string& body) {
  set_forced_answer(dir_.file("tenant-manager-answer"), status, body);
}

void keycloak_stand_in::require_tenant_manager_token(const std::string& realm) {
  if (realm.empty())
    fs::remove(dir_.file("tenant-manager-token-realm"));
  else
    replace_file(dir_.file("tenant-manager-token-realm"), realm);
}

tenant_manager_stats keycloak_stand_in::tenant_manager() const {
  const std::string prefix = "tenant-context ";
  tenant_manager_stats result;
  for (const auto& line : read_lines(dir_.file("tenant-manager.log")))
    if (line.rfind(prefix, 0) == 0)
      result.requests.push_back(line.substr(prefix.size()));
  return result;
}

void keycloak_stand_in::stop() {
  server_->stop();
}

} // namespace ecr::test
