// The memory keeper gives the heap's free memory back to the system once
// there is enough of it, and leaves it alone below its threshold.

#include "actors/memory_keeper.hpp"

#include "core/memory.hpp"
#include "tests/support/actor_system.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/freed_heap.hpp"

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace ecr::test {
namespace {

using namespace std::chrono_literals;

constexpr size_t mib = 1024 * 1024;

class memory_keeper_test : public ::testing::Test {
protected:
  ~memory_keeper_test() override {
    if (keeper_)
      caf::anon_send_exit(keeper_, caf::exit_reason::user_shutdown);
  }

  void start(size_t release_above) {
    keeper_ = sys_->spawn<caf::detached>(
      memory_keeper, memory_keeper_config{20ms, release_above});
  }

private:
  service_actor_system sys_;
  memory_keeper_actor keeper_;
};

TEST_F(memory_keeper_test, gives_back_free_heap_over_the_threshold) {
  if (!glibc_allocator())
    GTEST_SKIP() << "AddressSanitizer replaces glibc's allocator";
  freed_heap garbage{32 * mib};
  auto before = resident_bytes();
  start(mib);
  EXPECT_TRUE(eventually([&] { return resident_bytes() + 16 * mib <= before; }))
    << "resident " << resident_bytes() / mib << " MiB, before " << before / mib
    << " MiB";
}

TEST_F(memory_keeper_test, keeps_free_heap_under_the_threshold) {
  if (!glibc_allocator())
    GTEST_SKIP() << "AddressSanitizer replaces glibc's allocator";
  freed_heap garbage{32 * mib};
  auto before = resident_bytes();
  start(1024 * mib);
  // Fifteen looks at the heap.
  std::this_thread::sleep_for(300ms);
  EXPECT_GT(resident_bytes() + 16 * mib, before);
}

TEST(memory_keeper, needs_a_positive_interval) {
  EXPECT_TRUE(validate(memory_keeper_config{0ms, mib}));
  EXPECT_FALSE(validate(memory_keeper_config{1ms, mib}));
}

} // namespace
} // namespace ecr::test
