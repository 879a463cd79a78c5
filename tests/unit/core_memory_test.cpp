// What the memory keeper looks at and does: the resident size, the heap's
// free bytes, and giving them back.

#include "core/memory.hpp"

#include "tests/support/freed_heap.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace ecr::test {
namespace {

constexpr size_t mib = 1024 * 1024;

TEST(memory, resident_bytes_grow_with_touched_memory) {
  auto before = resident_bytes();
  ASSERT_GT(before, 0u);
  std::vector<char> touched(32 * mib, 1);
  EXPECT_GE(resident_bytes(), before + 24 * mib);
  EXPECT_EQ(touched[32 * mib - 1], 1);
}

TEST(memory, freed_heap_below_a_live_block_is_counted_and_given_back) {
  if (!glibc_allocator())
    GTEST_SKIP() << "AddressSanitizer replaces glibc's allocator";
  freed_heap garbage{32 * mib};
  EXPECT_GE(free_heap_bytes(), 30 * mib);
  auto before = resident_bytes();
  release_free_heap();
  EXPECT_LE(resident_bytes() + 16 * mib, before);
}

} // namespace
} // namespace ecr::test
