// A SIGKILL in the middle of concurrent writes loses no acknowledged write:
// an answer of 200 means the configuration is durable, with its version, and
// no version exists for a write that did not happen.

#include "tests/e2e/concurrent_writers.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <iostream>

namespace ecr::test {
namespace {

TEST(e2e_crash_safety, acknowledged_writes_survive_sigkill) {
  temp_dir dir;
  auto options = ecr_binary();
  options.dir = dir.path();
  size_t acknowledged = 0;
  {
    ecr_process ecr(options);
    concurrent_writers writers(ecr.port(), {.threads = 8, .overwrite_every = 4});
    // Kill once enough writes are through, or after a while at the latest.
    writers.wait_for_acks(4000, std::chrono::milliseconds(1500));
    ASSERT_GT(writers.running(), 0) << "every writer stopped before the kill";
    ASSERT_TRUE(ecr.proc().running()) << "ecr died on its own";
    ecr.kill();
    writers.join();
    acknowledged = writers.acknowledged();
    std::cout << "[crash_safety] " << acknowledged
              << " writes acknowledged before SIGKILL\n";
    ::testing::Test::RecordProperty("acknowledged_writes", static_cast<int>(acknowledged));
    EXPECT_GT(acknowledged, 0u);

    ecr_process restarted(options);
    writers.verify_durable(restarted.http());
    writers.verify_history(restarted.http());
  }
}

} // namespace
} // namespace ecr::test
