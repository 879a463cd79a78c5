#pragma once

#include <cstdint>
#include <string>

namespace ecr {

/// Milliseconds since the Unix epoch, wall clock.
int64_t now_ms() noexcept;

/// ISO-8601 UTC with milliseconds, e.g. `2017-03-17T11:30:02.643Z`.
std::string iso8601_ms(int64_t epoch_ms);

} // namespace ecr
