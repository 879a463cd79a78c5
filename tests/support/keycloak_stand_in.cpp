#include "tests/support/keycloak_stand_in.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ecr::test {

namespace {

namespace fs = std::filesystem;

std::string script_path() {
  return (fs::path{__FILE__}.parent_path() / "keycloak_stand_in.py").string();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

std::string joined_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines)
    text += line + "\n";
  return text;
}

} // namespace

keycloak_stand_in::keycloak_stand_in(const std::vector<std::string>& realms) {
  for (const auto& realm : realms)
    realm_file(realm, "");
  auto port_file = dir_.file("port");
  process_ = std::make_unique<process>(process_options{
    {"/usr/bin/python3", script_path(), "--port", "0", "--dir",
     dir_.path().string(), "--port-file", port_file},
    {},
    dir_.file("stand-in.log")});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto text = read_file(port_file); !text.empty()) {
      port_ = static_cast<uint16_t>(std::stoi(text));
      return;
    }
    if (!process_->running())
      throw std::runtime_error("the Keycloak stand-in exited: " + process_->log());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("the Keycloak stand-in did not start: "
                           + process_->log());
}

keycloak_stand_in::~keycloak_stand_in() {
  stop();
}

std::string keycloak_stand_in::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string keycloak_stand_in::issuer(const std::string& realm) const {
  return url() + "/realms/" + realm;
}

void keycloak_stand_in::write(const std::string& path, const std::string& content) {
  auto temporary = path + ".tmp";
  {
    std::ofstream out{temporary, std::ios::binary};
    out << content;
  }
  fs::rename(temporary, path);
}

std::string keycloak_stand_in::realm_file(const std::string& realm,
                                          const std::string& name) {
  auto dir = dir_.path() / "realms" / realm;
  if (!fs::exists(dir)) {
    // Complete before the directory appears under its name: the server
    // takes a directory for a realm.
    auto draft = dir_.path() / "realms" / (realm + ".draft");
    fs::create_directories(draft);
    write((draft / "client-id").string(), "ecr");
    write((draft / "client-secret").string(), "ecr-secret");
    fs::rename(draft, dir);
  }
  return (dir / name).string();
}

void keycloak_stand_in::set_jwks(const std::string& realm,
                                 const std::string& document) {
  write(realm_file(realm, "jwks.json"), document);
}

void keycloak_stand_in::set_policy(const std::string& realm,
                                   const std::vector<uma_grant>& grants) {
  std::vector<std::string> lines;
  for (const auto& grant : grants)
    lines.push_back(grant.subject + " " + grant.permission);
  write(realm_file(realm, "policy"), joined_lines(lines));
}

void keycloak_stand_in::set_resources(const std::string& realm,
                                      const std::vector<std::string>& resources) {
  write(realm_file(realm, "resources"), joined_lines(resources));
}

void keycloak_stand_in::set_client(const std::string& realm,
                                   const std::string& client_id,
                                   const std::string& secret) {
  write(realm_file(realm, "client-id"), client_id);
  write(realm_file(realm, "client-secret"), secret);
}

void keycloak_stand_in::set_token_lifetime(const std::string& realm,
                                           int64_t seconds) {
  write(realm_file(realm, "expires-in"), std::to_string(seconds));
}

void keycloak_stand_in::set_access_token(const std::string& realm,
                                         const std::string& token) {
  write(realm_file(realm, "access-token"), token);
}

void keycloak_stand_in::set_token_answer(const std::string& realm, int status,
                                         const std::string& body) {
  auto path = realm_file(realm, "token-answer");
  if (status == 0)
    fs::remove(path);
  else
    write(path, std::to_string(status) + "\n" + body);
}

keycloak_stats keycloak_stand_in::stats(const std::string& realm) const {
  keycloak_stats result;
  auto log = dir_.path() / "realms" / realm / "requests.log";
  for (const auto& line : lines_of(read_file(log.string()))) {
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
    write(dir_.file("failing"), "");
  else
    fs::remove(dir_.file("failing"));
}

void keycloak_stand_in::stop() {
  if (!process_ || !process_->running())
    return;
  process_->terminate();
  if (!process_->wait_exit(std::chrono::seconds(10)))
    process_->kill();
}

} // namespace ecr::test
