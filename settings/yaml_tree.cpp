#include "settings/yaml_tree.hpp"

namespace ecr {

std::optional<YAML::Node> find_yaml(const YAML::Node& node,
                                    const std::vector<std::string>& parts,
                                    size_t first) {
  if (first == parts.size())
    return node;
  if (!node.IsMap())
    return std::nullopt;
  std::string joined;
  for (size_t last = first; last < parts.size(); ++last) {
    joined += (last == first ? "" : ".") + parts[last];
    for (const auto& entry : node) {
      if (entry.first.as<std::string>() == joined) {
        if (auto found = find_yaml(entry.second, parts, last + 1))
          return found;
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> scalar_text(const YAML::Node& node) {
  if (node.IsScalar())
    return node.as<std::string>();
  if (!node.IsSequence())
    return std::nullopt;
  std::string joined;
  for (const auto& item : node) {
    if (!item.IsScalar())
      return std::nullopt;
    joined += (joined.empty() ? "" : ",") + item.as<std::string>();
  }
  return joined;
}

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = key.find('.', start)) != std::string::npos;
       start = dot + 1)
    parts.push_back(key.substr(start, dot - start));
  parts.push_back(key.substr(start));
  return parts;
}

std::optional<YAML::Node> find_key(const YAML::Node& node,
                                   const std::string& key) {
  return find_yaml(node, split_key(key), 0);
}

} // namespace ecr
