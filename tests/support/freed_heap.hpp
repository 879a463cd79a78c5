#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

namespace ecr::test {

/// Whether the C allocator is glibc's: AddressSanitizer brings its own,
/// which holds freed memory in quarantine and ignores malloc_trim.
constexpr bool glibc_allocator() noexcept {
#if defined(__SANITIZE_ADDRESS__)
  return false;
#else
  return true;
#endif
}

/// Leaves `bytes` of touched and then freed memory in the heap, below a
/// block that stays allocated while this object lives. glibc gives memory
/// back on its own only from the top of a heap, so this stays resident
/// until someone trims the heap.
class freed_heap {
public:
  explicit freed_heap(size_t bytes) {
    // Below the mmap threshold, so the blocks come from the heap; the last
    // one is the pin above the others.
    constexpr size_t block = 8 * 1024;
    std::vector<void*> blocks;
    blocks.reserve(bytes / block);
    for (size_t i = 0; i < bytes / block; ++i)
      blocks.push_back(touched(block));
    pin_ = touched(block);
    for (auto* freed : blocks)
      std::free(freed);
  }

  ~freed_heap() {
    std::free(pin_);
  }

  freed_heap(const freed_heap&) = delete;
  freed_heap& operator=(const freed_heap&) = delete;

private:
  static void* touched(size_t size) {
    auto* block = std::malloc(size);
    if (!block)
      throw std::bad_alloc{};
    std::memset(block, 0xa5, size);
    return block;
  }

  void* pin_ = nullptr;
};

} // namespace ecr::test
