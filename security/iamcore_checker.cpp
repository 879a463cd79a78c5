#include "security/iamcore_checker.hpp"

#include "core/error.hpp"
#include "core/ids.hpp"
#include "security/bounded_cache.hpp"

#include <utility>
#include <vector>

namespace ecr {

iamcore_checker::iamcore_checker(iamcore_checker_config cfg)
  : cfg_(std::move(cfg)) {
  // nop
}

caf::expected<access_grant>
iamcore_checker::check(const access_request& request) {
  auto credential = pick_iamcore_credential(request.credential,
                                            request.api_key);
  if (!credential)
    return credential.error();
  auto digest = sha256_hex(credential->header_name + '\n' + credential->value);
  auto now = cfg_.now_s();
  auto caller = principal(*credential, digest, now);
  if (!caller)
    return caller.error();
  // Every resource is named before any is asked about: an identifier iamcore
  // cannot hold is 400 whatever the order of the permissions.
  std::vector<std::pair<std::string, std::string>> asked; // action, IRN
  for (const auto& permission : request.permissions) {
    // `<type>-<id>#<action>`, as spec 9.1 names resources: no type holds a
    // `-` and no action a `#`, so an id holding either stays whole and
    // meets the IRN's own check.
    auto hash = permission.rfind('#');
    auto dash = permission.find('-');
    if (hash == std::string::npos || dash == std::string::npos || dash > hash)
      return make_error(ec::invalid_argument,
                        "no iamcore resource for " + permission);
    auto resource = resource_irn(caller->account, cfg_.application,
                                 caller->tenant, permission.substr(0, dash),
                                 permission.substr(dash + 1, hash - dash - 1));
    if (!resource)
      return resource.error();
    asked.emplace_back(permission.substr(hash + 1), std::move(*resource));
  }
  for (const auto& [action, resource] : asked) {
    auto key = digest + ' ' + action + ' ' + resource;
    std::optional<bool> allowed;
    {
      std::lock_guard guard{mutex_};
      if (auto i = decisions_.find(key);
          i != decisions_.end() && i->second.expires_s > now)
        allowed = i->second.value;
    }
    if (!allowed) {
      auto decided = cfg_.evaluate(*credential, action, resource);
      if (!decided)
        return decided.error();
      allowed = *decided;
      std::lock_guard guard{mutex_};
      bound(decisions_, cfg_.max_cached);
      decisions_.insert_or_assign(key, expiring<bool>{*allowed,
                                                      now + cfg_.decision_ttl_s});
    }
    if (!*allowed)
      return make_error(ec::forbidden,
                        "not permitted: " + action + " on " + resource);
  }
  auto principal = to_string(*caller);
  return access_grant{principal,
                      caller->tenant.empty() ? cfg_.tenant_id : caller->tenant,
                      principal};
}

void iamcore_checker::forget_tenant(const std::string& tenant_id) {
  std::lock_guard guard{mutex_};
  std::erase_if(principals_, [&](const auto& entry) {
    return entry.second.value.tenant == tenant_id;
  });
}

caf::expected<irn>
iamcore_checker::principal(const iamcore_credential& credential,
                           const std::string& digest, int64_t now) {
  {
    std::lock_guard guard{mutex_};
    if (auto i = principals_.find(digest);
        i != principals_.end() && i->second.expires_s > now)
      return i->second.value;
  }
  auto found = cfg_.principal_of(credential);
  if (!found)
    return found.error();
  std::lock_guard guard{mutex_};
  bound(principals_, cfg_.max_cached);
  principals_.insert_or_assign(digest, expiring<irn>{*found,
                                                     now + cfg_.principal_ttl_s});
  return found;
}

} // namespace ecr
