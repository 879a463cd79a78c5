#pragma once

// Logging goes through spdlog (compiled library); CAF's own logger is compiled
// out in Debian's build.

#include <spdlog/spdlog.h>

#include <string>

namespace ecr {

/// Sets up the process-wide logger: one line per event on stdout.
/// Returns false if `level` is not a spdlog level name.
bool init_logging(const std::string& level);

} // namespace ecr

#define ECR_TRACE(...) ::spdlog::trace(__VA_ARGS__)
#define ECR_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
#define ECR_INFO(...) ::spdlog::info(__VA_ARGS__)
#define ECR_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define ECR_ERROR(...) ::spdlog::error(__VA_ARGS__)
