#pragma once

#include "tests/support/temp_dir.hpp"

#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace ecr::test {

/// A real filesystem that fills up: a tmpfs of a few MiB mounted on a fresh
/// temp dir, with a ballast file whose removal frees space again. Mounting
/// needs CAP_SYS_ADMIN (root, as in CI); tests skip, saying why, without it.
/// The destructor unmounts (lazily, should a file still be open) and
/// removes the directory.
class small_filesystem {
public:
  /// The filesystem cannot be mounted here; `what()` says why.
  class unavailable : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
  };

  /// Mounts `bytes` of tmpfs, of which `ballast_bytes` are taken at once by
  /// the ballast file. Throws `unavailable` when mounting is not permitted.
  small_filesystem(size_t bytes, size_t ballast_bytes);
  ~small_filesystem();

  small_filesystem(const small_filesystem&) = delete;
  small_filesystem& operator=(const small_filesystem&) = delete;

  const std::filesystem::path& path() const noexcept {
    return dir_.path();
  }

  /// `path() / name` as a string.
  std::string file(const std::string& name) const {
    return dir_.file(name);
  }

  /// Bytes still free.
  size_t free_bytes() const;

  /// Removes the ballast: its bytes are free again.
  void free_ballast();

private:
  temp_dir dir_{"ecr-small-fs"};
};

} // namespace ecr::test
