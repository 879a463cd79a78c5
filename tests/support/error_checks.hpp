#pragma once

// Checks of `caf::error` values that unit suites share: the code, and that
// no secret (token, key, password) shows in the message.

#include "core/error.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ecr::test {

/// Expects `err` to carry `code` and none of `secrets` in its message.
inline void expect_error(const caf::error& err, ec code,
                         const std::vector<std::string>& secrets = {}) {
  EXPECT_EQ(error_code(err), code) << render(err);
  for (const auto& secret : secrets)
    EXPECT_EQ(render(err).find(secret), std::string::npos)
      << "the message shows a secret: " << render(err);
}

/// Whether the message of `err` holds `text`.
inline bool mentions(const caf::error& err, const std::string& text) {
  return render(err).find(text) != std::string::npos;
}

} // namespace ecr::test
