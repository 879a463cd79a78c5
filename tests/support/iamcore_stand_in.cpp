#include "tests/support/iamcore_stand_in.hpp"

#include <filesystem>

namespace ecr::test {

namespace {

std::string answer_file(iamcore_route route) {
  return route == iamcore_route::principal ? "answer-principal" : "answer-evaluate";
}

/// Whether `line` starts with `prefix`; if so, `rest` is what follows.
bool take_prefix(const std::string& line, const std::string& prefix,
                 std::string& rest) {
  if (line.rfind(prefix, 0) != 0)
    return false;
  rest = line.substr(prefix.size());
  return true;
}

} // namespace

iamcore_stand_in::iamcore_stand_in()
  : server_(python_stand_in_options{.name = "the iamcore stand-in",
                                    .script = "iamcore_stand_in.py",
                                    .dir = dir_.path(),
                                    .args = {"--dir", dir_.path().string()}}) {
  // nop
}

std::string iamcore_stand_in::url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

void iamcore_stand_in::write(const std::string& name, const std::string& content) {
  replace_file(dir_.file(name), content);
}

void iamcore_stand_in::set_credentials(
  const std::vector<iamcore_identity>& identities) {
  std::string text;
  for (const auto& identity : identities)
    text += (identity.type == iamcore_identity::kind::bearer ? "bearer " : "api-key ")
            + identity.credential + " " + identity.principal + "\n";
  write("credentials", text);
}

void iamcore_stand_in::set_policy(const std::vector<iamcore_grant>& grants) {
  std::string text;
  for (const auto& grant : grants)
    text += grant.principal + " " + grant.action + " " + grant.resource + "\n";
  write("policy", text);
}

void iamcore_stand_in::set_answer(iamcore_route route, int status,
                                  const std::string& body) {
  if (status == 0)
    std::filesystem::remove(dir_.file(answer_file(route)));
  else
    write(answer_file(route), std::to_string(status) + "\n" + body);
}

void iamcore_stand_in::set_failing(bool failing) {
  if (failing)
    write("failing", "");
  else
    std::filesystem::remove(dir_.file("failing"));
}

iamcore_stats iamcore_stand_in::stats() const {
  iamcore_stats result;
  std::string rest;
  for (const auto& line : read_lines(dir_.file("requests.log"))) {
    if (line == "failed")
      ++result.failed;
    else if (take_prefix(line, "forced ", rest))
      ++result.forced_answers;
    else if (take_prefix(line, "principal ", rest))
      ++result.principal_lookups;
    else if (take_prefix(line, "evaluate ", rest))
      result.decisions.push_back(rest);
    else if (take_prefix(line, "rejected ", rest))
      result.rejected.push_back(rest);
  }
  result.evaluations = result.decisions.size();
  return result;
}

void iamcore_stand_in::stop() {
  server_.stop();
}

} // namespace ecr::test
