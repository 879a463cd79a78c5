#include "security/license.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

#include <filesystem>
#include <memory>
#include <mutex>

namespace ecr {

namespace {

constexpr int64_t ms_per_day = 24 * 60 * 60 * 1000;

struct bio_free {
  void operator()(BIO* x) const noexcept {
    BIO_free(x);
  }
};
struct pkcs12_free {
  void operator()(PKCS12* x) const noexcept {
    PKCS12_free(x);
  }
};
struct key_free {
  void operator()(EVP_PKEY* x) const noexcept {
    EVP_PKEY_free(x);
  }
};
struct cert_free {
  void operator()(X509* x) const noexcept {
    X509_free(x);
  }
};
struct chain_free {
  void operator()(STACK_OF(X509) * x) const noexcept {
    sk_X509_pop_free(x, X509_free);
  }
};

/// License files made with older tools use RC2 or 3DES, which OpenSSL 3
/// keeps in its legacy provider; the default provider must stay loaded too.
void load_legacy_algorithms() {
  static std::once_flag once;
  std::call_once(once, [] {
    OSSL_PROVIDER_load(nullptr, "legacy");
    OSSL_PROVIDER_load(nullptr, "default");
  });
}

std::string openssl_reason() {
  auto code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0)
    return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

/// Milliseconds since the epoch of an ASN.1 time.
int64_t epoch_ms(const ASN1_TIME* t) {
  std::tm parts{};
  ASN1_TIME_to_tm(t, &parts);
  return static_cast<int64_t>(timegm(&parts)) * 1000;
}

std::string subject_of(X509* cert) {
  std::unique_ptr<BIO, bio_free> out{BIO_new(BIO_s_mem())};
  X509_NAME_print_ex(out.get(), X509_get_subject_name(cert), 0,
                     XN_FLAG_RFC2253);
  char* data = nullptr;
  auto size = BIO_get_mem_data(out.get(), &data);
  return {data, static_cast<size_t>(size)};
}

} // namespace

int64_t license_status::days_left(int64_t now_ms) const noexcept {
  // Whole days, towards zero: "2 days left", "expired 2 days ago".
  return (not_after_ms - now_ms) / ms_per_day;
}

std::string license_status::describe(int64_t now_ms) const {
  switch (current) {
    case state::missing:
    case state::invalid:
      return std::string{to_string(current)} + ": " + detail;
    case state::not_yet_valid:
      return "not yet valid: " + subject;
    case state::expired:
      return "expired " + std::to_string(-days_left(now_ms)) + " days ago: "
             + subject;
    default:
      return std::string{to_string(current)} + ", "
             + std::to_string(days_left(now_ms)) + " days left: " + subject;
  }
}

std::string_view to_string(license_status::state x) noexcept {
  using state = license_status::state;
  switch (x) {
    case state::missing: return "missing";
    case state::invalid: return "invalid";
    case state::not_yet_valid: return "not yet valid";
    case state::valid: return "valid";
    case state::expiring: return "expiring";
    case state::expired: return "expired";
  }
  return "invalid";
}

license_status check_license(const std::string& path,
                             const std::string& password, int64_t now_ms,
                             int64_t warn_days) {
  license_status result;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    result.detail = "no file at " + path;
    return result;
  }
  result.current = license_status::state::invalid;
  load_legacy_algorithms();
  std::unique_ptr<BIO, bio_free> in{BIO_new_file(path.c_str(), "rb")};
  if (!in) {
    result.detail = "cannot read " + path + ": " + openssl_reason();
    return result;
  }
  std::unique_ptr<PKCS12, pkcs12_free> p12{d2i_PKCS12_bio(in.get(), nullptr)};
  if (!p12) {
    result.detail = path + " is not a PKCS#12 file: " + openssl_reason();
    return result;
  }
  if (!PKCS12_verify_mac(p12.get(), password.c_str(),
                         static_cast<int>(password.size()))) {
    ERR_clear_error();
    result.detail = "wrong password for " + path;
    return result;
  }
  EVP_PKEY* raw_key = nullptr;
  X509* raw_cert = nullptr;
  STACK_OF(X509)* raw_chain = nullptr;
  auto parsed = PKCS12_parse(p12.get(), password.c_str(), &raw_key, &raw_cert,
                             &raw_chain);
  std::unique_ptr<EVP_PKEY, key_free> key{raw_key};
  std::unique_ptr<X509, cert_free> cert{raw_cert};
  std::unique_ptr<STACK_OF(X509), chain_free> chain{raw_chain};
  if (!parsed) {
    result.detail = "cannot open " + path + ": " + openssl_reason();
    return result;
  }
  if (!cert) {
    result.detail = path + " holds no certificate";
    return result;
  }
  result.subject = subject_of(cert.get());
  result.not_before_ms = epoch_ms(X509_get0_notBefore(cert.get()));
  result.not_after_ms = epoch_ms(X509_get0_notAfter(cert.get()));
  using state = license_status::state;
  if (now_ms < result.not_before_ms)
    result.current = state::not_yet_valid;
  else if (now_ms >= result.not_after_ms)
    result.current = state::expired;
  else if (result.not_after_ms - now_ms <= warn_days * ms_per_day)
    result.current = state::expiring;
  else
    result.current = state::valid;
  return result;
}

} // namespace ecr
