#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace ecr::test {

/// Polls `done` every 5 ms until it holds, for at most 10 s.
inline bool eventually(const std::function<bool()>& done) {
  using namespace std::chrono_literals;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done())
      return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

} // namespace ecr::test
