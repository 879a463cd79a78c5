#pragma once

// Logging goes through spdlog (compiled library); CAF's own logger is compiled
// out in Debian's build.

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace ecr {

/// Sets up the process-wide logger: one line per event on stdout, as text or
/// as a JSON object (`format` "text" or "json"). Returns false if `level` is
/// not a spdlog level name or `format` is unknown.
bool init_logging(const std::string& level, const std::string& format = "text");

/// The line format of `init_logging` (JSON or text), for other sinks.
std::unique_ptr<spdlog::formatter> make_line_formatter(bool json);

/// Marks every line logged on this thread while it lives as handling the
/// NATS message `correlation_id` (text: a `[correlationId …]` suffix; JSON: a
/// `correlationId` field). Scopes nest; the innermost wins.
class log_correlation {
public:
  explicit log_correlation(std::string_view correlation_id);
  ~log_correlation();

  log_correlation(const log_correlation&) = delete;
  log_correlation& operator=(const log_correlation&) = delete;

private:
  std::string previous_;
};

/// `url` without the user and password it may carry, for logging.
std::string redact_url(std::string_view url);

} // namespace ecr

#define ECR_TRACE(...) ::spdlog::trace(__VA_ARGS__)
#define ECR_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
#define ECR_INFO(...) ::spdlog::info(__VA_ARGS__)
#define ECR_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define ECR_ERROR(...) ::spdlog::error(__VA_ARGS__)
