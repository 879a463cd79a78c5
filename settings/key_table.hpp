#pragma once

// Every setting with a key and an environment variable: its aliases and how
// its value is checked and stored.

#include "settings/settings.hpp"

#include <caf/error.hpp>

#include <functional>
#include <string>
#include <vector>

namespace ecr {

/// One configuration key: where it lives, its aliases, and how to store it.
struct key_spec {
  std::string key;
  std::vector<std::string> env_aliases;
  std::function<caf::error(settings&, const std::string& key,
                           const std::string& value)>
    assign;
};

/// Every key, in the order they are read.
const std::vector<key_spec>& key_table();

} // namespace ecr
