#include "core/clock.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace ecr {

int64_t now_ms() noexcept {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

std::string iso8601_ms(int64_t epoch_ms) {
  auto seconds = static_cast<time_t>(epoch_ms / 1000);
  auto millis = static_cast<int>(epoch_ms % 1000);
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                utc.tm_min, utc.tm_sec, millis);
  return buf;
}

} // namespace ecr
