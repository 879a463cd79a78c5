#pragma once

#include "actors/actors.hpp"

#include <memory>

namespace ecr {

class access_checker;

struct access_guard_state {
  // Not an aggregate: CAF 0.17 would try to build it from `self` (C++20
  // parenthesized aggregate init).
  access_guard_state() = default;

  std::shared_ptr<access_checker> checker;

  static inline const char* name = "access-guard";
};

/// Must be spawned `caf::detached`: fetching keys and asking decisions block
/// on HTTP. Several guards share one checker, so each token's decisions are
/// asked once.
access_guard_actor::behavior_type
access_guard(access_guard_actor::stateful_pointer<access_guard_state> self,
             std::shared_ptr<access_checker> checker);

} // namespace ecr
