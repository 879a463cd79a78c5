#include "tests/support/small_filesystem.hpp"

#include <sys/mount.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

namespace ecr::test {

namespace {

constexpr const char* ballast_name = "ballast";

} // namespace

small_filesystem::small_filesystem(size_t bytes, size_t ballast_bytes) {
  auto options = "size=" + std::to_string(bytes) + ",mode=0700";
  if (mount("ecr-test", path().c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
            options.c_str())
      != 0) {
    auto reason = std::strerror(errno);
    throw unavailable(std::string{"cannot mount a small tmpfs to fill up ("}
                      + reason + "): this needs root or CAP_SYS_ADMIN");
  }
  // Written, not truncated to size: tmpfs only counts the pages written.
  std::ofstream ballast(file(ballast_name), std::ios::binary);
  std::string chunk(64 * 1024, 'b');
  for (size_t left = ballast_bytes; left > 0;) {
    auto n = std::min(left, chunk.size());
    ballast.write(chunk.data(), static_cast<std::streamsize>(n));
    left -= n;
  }
  if (!ballast.flush())
    throw std::runtime_error("cannot write the ballast of the small tmpfs");
}

small_filesystem::~small_filesystem() {
  umount2(path().c_str(), MNT_DETACH);
}

size_t small_filesystem::free_bytes() const {
  struct statvfs stats {};
  if (statvfs(path().c_str(), &stats) != 0)
    throw std::runtime_error("statvfs failed on the small tmpfs");
  return static_cast<size_t>(stats.f_bavail) * stats.f_frsize;
}

void small_filesystem::free_ballast() {
  std::filesystem::remove(file(ballast_name));
}

} // namespace ecr::test
