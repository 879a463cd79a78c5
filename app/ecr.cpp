// The `ecr` executable: load settings, set up logging, run the service.

#include "actors/node.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/settings.hpp"

#include <cstdio>
#include <cstring>

namespace {

constexpr const char* usage
  = "usage: ecr [--help | --version]\n"
    "Runs the Endpoint Configuration Repository. Configuration comes from the\n"
    "YAML file at $APP_CONFIG_PATH (default /srv/ecr/service-config.yml) and\n"
    "environment variables (e.g. SERVER_PORT, INSTANCE_NAME,\n"
    "STORAGE_SQLITE_PATH); see docs/configuration.md.\n";

} // namespace

int main(int argc, char** argv) {
  if (argc > 1) {
    if (std::strcmp(argv[1], "--version") == 0) {
      std::printf("ecr %s\n", ECR_VERSION);
      return 0;
    }
    std::fputs(usage, std::strcmp(argv[1], "--help") == 0 ? stdout : stderr);
    return std::strcmp(argv[1], "--help") == 0 ? 0 : 2;
  }
  auto cfg = ecr::load_settings(ecr::process_environment());
  if (!cfg) {
    std::fprintf(stderr, "ecr: invalid configuration: %s\n",
                 ecr::error_message(cfg.error()).c_str());
    return 2;
  }
  if (!ecr::init_logging(cfg->logging.level, cfg->logging.format)) {
    std::fprintf(stderr, "ecr: invalid configuration: logging\n");
    return 2;
  }
  return ecr::run_service(*cfg);
}
