#include "core/ids.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>

namespace ecr {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

} // namespace

std::string sha256_hex(std::string_view data) {
  // Fetched once and a context per thread: OpenSSL 3 would otherwise look
  // the algorithm up, under a lock, on every call (one per REST request
  // while security is on).
  static const std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> sha256{
    EVP_MD_fetch(nullptr, "SHA256", nullptr), &EVP_MD_free};
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>
    context{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (!sha256 || !context
      || EVP_DigestInit_ex2(context.get(), sha256.get(), nullptr) != 1
      || EVP_DigestUpdate(context.get(), data.data(), data.size()) != 1
      || EVP_DigestFinal_ex(context.get(), digest.data(), &size) != 1)
    throw std::runtime_error("SHA-256 failed");
  std::string out;
  out.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(hex_digits[digest[i] >> 4]);
    out.push_back(hex_digits[digest[i] & 0x0f]);
  }
  return out;
}

std::string make_uuid_v4() {
  std::array<uint8_t, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw std::runtime_error("RAND_bytes failed: no entropy for a UUID");
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      out.push_back('-');
    out.push_back(hex_digits[bytes[i] >> 4]);
    out.push_back(hex_digits[bytes[i] & 0x0f]);
  }
  return out;
}

} // namespace ecr
