#include "actors/access_guard.hpp"

#include "core/log.hpp"
#include "security/access.hpp"

#include <caf/typed_event_based_actor.hpp>

namespace ecr {

access_guard_actor::behavior_type
access_guard(access_guard_actor::stateful_pointer<access_guard_state> self,
             std::shared_ptr<access_checker> checker) {
  self->state.checker = std::move(checker);
  return {
    [self](atom::check, const access_request& request)
      -> caf::result<access_grant> {
      auto grant = self->state.checker->check(request);
      if (!grant)
        return grant.error();
      return std::move(*grant);
    },
    [self](atom::forget, const std::string& tenant_id) {
      ECR_INFO("access: tenant {} changed; its security context is "
               "resolved again", tenant_id);
      self->state.checker->forget_tenant(tenant_id);
    },
  };
}

} // namespace ecr
