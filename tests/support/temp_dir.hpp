#pragma once

#include <filesystem>
#include <string>

namespace ecr::test {

/// A fresh directory under the system temp dir, removed with its contents
/// when the object goes away.
class temp_dir {
public:
  explicit temp_dir(const std::string& prefix = "ecr-test");
  ~temp_dir();

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const noexcept {
    return path_;
  }

  /// `path() / name` as a string.
  std::string file(const std::string& name) const;

private:
  std::filesystem::path path_;
};

} // namespace ecr::test
