#include "core/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace ecr {

namespace {

thread_local std::string current_correlation_id;

void append(spdlog::memory_buf_t& dest, std::string_view text) {
  dest.append(text.data(), text.data() + text.size());
}

/// ISO 8601 in UTC with milliseconds, as the REST dates.
void append_time(spdlog::memory_buf_t& dest, spdlog::log_clock::time_point at) {
  auto since_epoch = at.time_since_epoch();
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  auto millis
    = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds);
  auto t = static_cast<std::time_t>(seconds.count());
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  auto n = std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                         utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                         utc.tm_hour, utc.tm_min, utc.tm_sec,
                         static_cast<int>(millis.count()));
  dest.append(buf, buf + n);
}

/// `text` as the contents of a JSON string.
void append_json_escaped(spdlog::memory_buf_t& dest, std::string_view text) {
  for (unsigned char c : text) {
    switch (c) {
      case '"': append(dest, "\\\""); break;
      case '\\': append(dest, "\\\\"); break;
      case '\n': append(dest, "\\n"); break;
      case '\r': append(dest, "\\r"); break;
      case '\t': append(dest, "\\t"); break;
      default:
        if (c < 0x20) {
          char buf[8];
          auto n = std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          dest.append(buf, buf + n);
        } else {
          dest.push_back(static_cast<char>(c));
        }
    }
  }
}

std::string_view level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return "TRACE";
    case spdlog::level::debug: return "DEBUG";
    case spdlog::level::info: return "INFO";
    case spdlog::level::warn: return "WARN";
    case spdlog::level::err: return "ERROR";
    case spdlog::level::critical: return "FATAL";
    default: return "OFF";
  }
}

/// One line per event: `<time> <LEVEL> [<logger>] <message>[ [correlationId
/// <id>]]`, or the same as a JSON object.
class line_formatter final : public spdlog::formatter {
public:
  explicit line_formatter(bool json) : json_(json) {
    // nop
  }

  void format(const spdlog::details::log_msg& msg,
              spdlog::memory_buf_t& dest) override {
    std::string_view message{msg.payload.data(), msg.payload.size()};
    std::string_view logger{msg.logger_name.data(), msg.logger_name.size()};
    const auto& correlation_id = current_correlation_id;
    if (json_) {
      append(dest, "{\"timestamp\":\"");
      append_time(dest, msg.time);
      append(dest, "\",\"level\":\"");
      append(dest, level_name(msg.level));
      append(dest, "\",\"logger\":\"");
      append_json_escaped(dest, logger);
      append(dest, "\",\"message\":\"");
      append_json_escaped(dest, message);
      if (!correlation_id.empty()) {
        append(dest, "\",\"correlationId\":\"");
        append_json_escaped(dest, correlation_id);
      }
      append(dest, "\"}\n");
      return;
    }
    append_time(dest, msg.time);
    dest.push_back(' ');
    auto level = level_name(msg.level);
    append(dest, level);
    for (auto pad = level.size(); pad < 5; ++pad)
      dest.push_back(' ');
    append(dest, " [");
    append(dest, logger);
    append(dest, "] ");
    append(dest, message);
    if (!correlation_id.empty()) {
      append(dest, " [correlationId ");
      append(dest, correlation_id);
      dest.push_back(']');
    }
    dest.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<line_formatter>(json_);
  }

private:
  bool json_;
};

} // namespace

std::unique_ptr<spdlog::formatter> make_line_formatter(bool json) {
  return std::make_unique<line_formatter>(json);
}

bool init_logging(const std::string& level, const std::string& format) {
  auto parsed = spdlog::level::from_str(level);
  if ((parsed == spdlog::level::off && level != "off")
      || (format != "text" && format != "json"))
    return false;
  auto logger = spdlog::stdout_logger_mt("ecr");
  logger->set_formatter(make_line_formatter(format == "json"));
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return true;
}

log_correlation::log_correlation(std::string_view correlation_id)
  : previous_(std::move(current_correlation_id)) {
  current_correlation_id = correlation_id;
}

log_correlation::~log_correlation() {
  current_correlation_id = std::move(previous_);
}

std::string redact_url(std::string_view url) {
  auto scheme_end = url.find("://");
  auto authority = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  auto authority_end = url.find_first_of("/?#", authority);
  auto at = url.rfind('@', authority_end == std::string_view::npos
                             ? std::string_view::npos
                             : authority_end);
  if (at == std::string_view::npos || at < authority)
    return std::string{url};
  return std::string{url.substr(0, authority)} + "***@"
         + std::string{url.substr(at + 1)};
}

} // namespace ecr
