#pragma once

#include <cstddef>

namespace ecr {

/// Bytes the C allocator holds free in its heaps. glibc keeps what a thread
/// frees below the top of its heap resident, so after a burst of large
/// configurations the process stays as big as at its peak until that memory
/// is given back.
size_t free_heap_bytes() noexcept;

/// Gives the free pages of every heap back to the system.
void release_free_heap() noexcept;

/// The process's resident set size (what `VmRSS` shows); 0 if unreadable.
size_t resident_bytes() noexcept;

} // namespace ecr
