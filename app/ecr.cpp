// The `ecr` executable: load settings, set up logging, run the service; or
// move the store's data out and in (`ecr export`, `ecr import`).

#include "actors/node.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "settings/settings.hpp"
#include "storage/store.hpp"
#include "storage/transfer.hpp"

#include <spdlog/sinks/stdout_sinks.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

namespace {

constexpr const char* usage
  = "usage: ecr [--help | --version]\n"
    "       ecr export [FILE]\n"
    "       ecr import [FILE]\n"
    "Runs the Endpoint Configuration Repository. Configuration comes from the\n"
    "YAML file at $APP_CONFIG_PATH (default /srv/ecr/service-config.yml) and\n"
    "environment variables (e.g. SERVER_PORT, INSTANCE_NAME,\n"
    "STORAGE_SQLITE_PATH); see docs/configuration.md.\n"
    "\n"
    "export  writes every record of the configured store to FILE (none or -:\n"
    "        standard output) as NDJSON.\n"
    "import  loads such a file (none or -: standard input) into the\n"
    "        configured store with the same configIds and dates. Every line\n"
    "        is checked first: a bad one changes nothing. Importing the same\n"
    "        file again changes nothing either.\n"
    "See docs/operations.md, \"Back up and restore\".\n";

constexpr int exit_failure = 1;
constexpr int exit_invalid_configuration = 2;

/// Reports `err` on stderr; answers the exit code for it.
int fail(const std::string& what, const caf::error& err) {
  std::fprintf(stderr, "ecr: %s: %s\n", what.c_str(),
               ecr::error_message(err).c_str());
  return ecr::error_code(err) == ecr::ec::invalid_configuration
           ? exit_invalid_configuration
           : exit_failure;
}

caf::error open_failure(const std::string& path) {
  return ecr::make_error(ecr::ec::storage_failure,
                         "cannot open " + path + ": " + std::strerror(errno));
}

std::optional<ecr::settings> load_or_report() {
  auto cfg = ecr::load_settings(ecr::process_environment());
  if (!cfg) {
    fail("invalid configuration", cfg.error());
    return std::nullopt;
  }
  return std::move(*cfg);
}

/// The commands may write data on stdout, so their log goes to stderr.
void log_to_stderr(const ecr::settings& cfg) {
  auto logger = spdlog::stderr_logger_mt("ecr");
  logger->set_formatter(ecr::make_line_formatter(cfg.logging.format == "json"));
  logger->set_level(spdlog::level::from_str(cfg.logging.level));
  spdlog::set_default_logger(logger);
}

int export_command(const ecr::settings& cfg, const std::string& file) {
  // A reader: a mistyped path fails instead of exporting a new, empty store.
  auto db = ecr::open_store(cfg, ecr::store_role::reader);
  if (!db)
    return fail("cannot open the store", db.error());
  std::ofstream file_out;
  if (file != "-") {
    file_out.open(file, std::ios::binary | std::ios::trunc);
    if (!file_out)
      return fail("export failed", open_failure(file));
  }
  auto count = ecr::export_store(**db, file == "-" ? std::cout : file_out);
  if (!count)
    return fail("export failed; the output is incomplete", count.error());
  std::fprintf(stderr, "exported %llu records\n",
               static_cast<unsigned long long>(*count));
  return 0;
}

int import_command(const ecr::settings& cfg, const std::string& file) {
  // The input first: a missing file must not create an empty store.
  std::ifstream file_in;
  if (file != "-") {
    file_in.open(file, std::ios::binary);
    if (!file_in)
      return fail("import failed", open_failure(file));
  }
  auto db = ecr::open_store(cfg, ecr::store_role::writer);
  if (!db)
    return fail("cannot open the store", db.error());
  auto count = ecr::import_store(**db, file == "-" ? std::cin : file_in);
  if (!count)
    return fail("import failed", count.error());
  std::fprintf(stderr, "imported %llu records\n",
               static_cast<unsigned long long>(*count));
  return 0;
}

/// `ecr export [FILE]` and `ecr import [FILE]`.
int transfer_command(const std::string& command, const std::string& file) {
  auto cfg = load_or_report();
  if (!cfg)
    return exit_invalid_configuration;
  log_to_stderr(*cfg);
  // Buffered std::cin and std::cout read and write lines much faster; this
  // code never mixes them with stdio.
  std::ios::sync_with_stdio(false);
  return command == "export" ? export_command(*cfg, file)
                             : import_command(*cfg, file);
}

int run(const ecr::settings& cfg) {
  if (!ecr::init_logging(cfg.logging.level, cfg.logging.format)) {
    std::fprintf(stderr, "ecr: invalid configuration: logging\n");
    return exit_invalid_configuration;
  }
  return ecr::run_service(cfg);
}

} // namespace

int main(int argc, char** argv) {
  std::string command = argc > 1 ? argv[1] : "";
  if (command == "--version") {
    std::printf("ecr %s\n", ECR_VERSION);
    return 0;
  }
  if ((command == "export" || command == "import") && argc <= 3)
    return transfer_command(command, argc == 3 ? argv[2] : "-");
  if (!command.empty()) {
    auto help = command == "--help";
    std::fputs(usage, help ? stdout : stderr);
    return help ? 0 : exit_invalid_configuration;
  }
  auto cfg = load_or_report();
  return cfg ? run(*cfg) : exit_invalid_configuration;
}
