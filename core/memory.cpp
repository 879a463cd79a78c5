#include "core/memory.hpp"

#include <malloc.h>
#include <unistd.h>

#include <cstdio>

namespace ecr {

size_t free_heap_bytes() noexcept {
  return mallinfo2().fordblks;
}

void release_free_heap() noexcept {
  malloc_trim(0);
}

size_t resident_bytes() noexcept {
  auto* statm = std::fopen("/proc/self/statm", "r");
  if (!statm)
    return 0;
  unsigned long total = 0;
  unsigned long resident = 0;
  auto fields = std::fscanf(statm, "%lu %lu", &total, &resident);
  std::fclose(statm);
  if (fields != 2)
    return 0;
  return static_cast<size_t>(resident)
         * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

} // namespace ecr
