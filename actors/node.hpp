#pragma once

#include "actors/actors.hpp"
#include "core/settings.hpp"
#include "storage/store.hpp"

#include <chrono>
#include <memory>
#include <vector>

namespace ecr {

class config_cache;

/// What the NODE spawns, in order.
struct node_config {
  store_ptr writer_store;
  std::vector<store_ptr> reader_stores;
  std::shared_ptr<config_cache> cache;
  size_t group_commit_max = 512;
  std::chrono::seconds store_timeout{30};
};

caf::error validate(const node_config& cfg);

struct node_state {
  // Not an aggregate: CAF 0.17 would try to build it from `self` (C++20
  // parenthesized aggregate init).
  node_state() = default;

  store_writer_actor writer;
  std::vector<store_reader_actor> readers;
  config_manager_actor config_manager;
  gateway_actor gateway;
  /// Set once shutdown began, so components going down are expected.
  bool stopping = false;

  static inline const char* name = "node";
};

/// The NODE: spawns storage (detached), the configuration manager and the
/// gateway bridge in that order, monitors them, answers health queries, and
/// on exit stops them in reverse order.
node_actor::behavior_type node(node_actor::stateful_pointer<node_state> self,
                               std::shared_ptr<node_config> cfg);

/// Runs the service until SIGTERM or SIGINT: loads nothing itself, logs, and
/// returns the process exit code (0 after a clean shutdown).
int run_service(const settings& cfg);

} // namespace ecr
