#pragma once

// Finding keys in the configuration file's YAML tree.

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace ecr {

/// Finds a dotted key in a YAML tree. Spring-style files may spell a key in
/// nested maps or keep dots inside one map key (`replica.id: x`), so every
/// split of the remaining path is tried.
std::optional<YAML::Node> find_yaml(const YAML::Node& node,
                                    const std::vector<std::string>& parts,
                                    size_t first);

/// `find_yaml` of a dotted key.
std::optional<YAML::Node> find_key(const YAML::Node& node,
                                   const std::string& key);

/// A scalar as text; a sequence of scalars joined with commas (lists such as
/// `nats.urls` may be written either way).
std::optional<std::string> scalar_text(const YAML::Node& node);

/// The parts of a dotted key.
std::vector<std::string> split_key(const std::string& key);

} // namespace ecr
