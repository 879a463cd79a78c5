#pragma once

#include <string>

namespace ecr::test {

enum class license_encryption { modern, legacy };

/// Writes a PKCS#12 license with a fresh self-signed certificate (CN "Kaa
/// test license") valid from `from_days` to `to_days` around now. Records a
/// test failure if OpenSSL cannot make it.
void write_license(const std::string& path, const std::string& password,
                   long from_days, long to_days,
                   license_encryption with = license_encryption::modern);

} // namespace ecr::test
