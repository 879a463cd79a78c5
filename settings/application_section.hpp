#pragma once

// `kaa.applications`: applications, their app versions and endpoint
// configuration schemas (A18) as the configuration file gives them.

#include <caf/error.hpp>

namespace YAML {
class Node;
} // namespace YAML

namespace ecr {

class app_catalog;

/// Adds every application of the file's `kaa.applications` to `catalog`,
/// compiling their schemas; the first mistake is the error, naming its key.
caf::error load_applications(const YAML::Node& root, app_catalog& catalog);

} // namespace ecr
