#include "tests/support/tekton_stand_in.hpp"

#include <filesystem>

namespace ecr::test {

tekton_stand_in::tekton_stand_in(const std::string& app_configs, uint16_t port,
                                 int status) {
  serve(app_configs);
  fail_with(status);
  server_ = std::make_unique<python_stand_in>(
    python_stand_in_options{.name = "the Tekton stand-in",
                            .script = "tekton_stand_in.py",
                            .dir = dir_.path(),
                            .port = port,
                            .args = {"--dir", dir_.path().string()}});
}

std::string tekton_stand_in::url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

void tekton_stand_in::serve(const std::string& app_configs) {
  replace_file(dir_.file("app-configs.json"), app_configs);
}

void tekton_stand_in::fail_with(int status) {
  if (status == 0)
    std::filesystem::remove(dir_.file("status"));
  else
    replace_file(dir_.file("status"), std::to_string(status));
}

void tekton_stand_in::release(const std::string& name) {
  replace_file(dir_.file("release-" + name), "");
}

std::vector<std::string> tekton_stand_in::requests() const {
  return read_lines(dir_.file("requests.log"));
}

std::vector<std::string> tekton_stand_in::credentials() const {
  return read_lines(dir_.file("credentials.log"));
}

void tekton_stand_in::stop() {
  server_->stop();
}

} // namespace ecr::test
