#include "tests/support/mongo_stand_in.hpp"

namespace ecr::test {

namespace {

/// The script's exit code when python3-mockupdb is missing.
constexpr int missing_module = 3;

python_stand_in start(const std::filesystem::path& dir, uint16_t port) {
  try {
    return python_stand_in{{.name = "the MongoDB stand-in",
                            .script = "mongo_stand_in.py",
                            .dir = dir,
                            .port = port,
                            .args = {}}};
  } catch (const python_stand_in::exited& e) {
    if (e.status().exited_with(missing_module))
      throw mongo_stand_in::unavailable(e.what());
    throw;
  }
}

} // namespace

mongo_stand_in::mongo_stand_in(uint16_t port) : server_(start(dir_.path(), port)) {
}

std::string mongo_stand_in::url() const {
  return "mongodb://127.0.0.1:" + std::to_string(port())
         + "/?socketTimeoutMS=5000";
}

std::string mongo_stand_in::log() const {
  return server_.log();
}

void mongo_stand_in::stop() {
  server_.stop();
}

} // namespace ecr::test
