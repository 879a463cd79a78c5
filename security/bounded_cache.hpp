#pragma once

#include <cstddef>

namespace ecr {

/// Drops the older half of a full cache: simple, and bounded.
template <class Map>
void bound(Map& cache, size_t max) {
  if (cache.size() < max)
    return;
  auto victim = cache.begin();
  for (size_t i = 0; i < max / 2 && victim != cache.end(); ++i)
    victim = cache.erase(victim);
}

} // namespace ecr
