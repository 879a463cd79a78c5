#pragma once

#include "security/access.hpp"
#include "security/iamcore.hpp"

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ecr {

/// How the iamcore checker reaches iamcore; functions, so that tests can
/// stand in for it.
struct iamcore_checker_config {
  /// The IRN application of Kaa's resources (`KAA_SECURITY_IAMCORE_APPLICATION`).
  std::string application;
  /// Used when a principal's IRN names no tenant.
  std::string tenant_id;
  std::function<caf::expected<irn>(const iamcore_credential&)> principal_of;
  /// Whether the caller may do `action` on `resource_irn`.
  std::function<caf::expected<bool>(const iamcore_credential&,
                                    const std::string& action,
                                    const std::string& resource_irn)>
    evaluate;
  std::function<int64_t()> now_s;
  int64_t principal_ttl_s = 60;
  int64_t decision_ttl_s = 30;
  size_t max_cached = 10000;
};

/// Authentication and authorization by iamcore (see docs): the caller's
/// bearer token or API key is forwarded to iamcore for its principal, and
/// each permission `<type>-<id>#<action>` is evaluated on the resource
/// `irn:<account>:<application>:<tenant>::<type>/<id>`, account and tenant
/// from the principal. Principals and decisions are cached briefly under
/// the credential's SHA-256; iamcore out of reach is 503, never allow.
class iamcore_checker final : public access_checker {
public:
  explicit iamcore_checker(iamcore_checker_config cfg);

  caf::expected<access_grant> check(const access_request& request) override;

  void forget_tenant(const std::string& tenant_id) override;

private:
  caf::expected<irn> principal(const iamcore_credential& credential,
                               const std::string& digest, int64_t now);

  template <class T>
  struct expiring {
    T value;
    int64_t expires_s = 0;
  };

  const iamcore_checker_config cfg_;
  std::mutex mutex_;
  std::unordered_map<std::string, expiring<irn>> principals_;
  std::unordered_map<std::string, expiring<bool>> decisions_;
};

} // namespace ecr
