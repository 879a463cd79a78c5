#include "actors/license_checker.hpp"

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"

#include <caf/typed_event_based_actor.hpp>

namespace ecr {

caf::error validate(const license_checker_config& cfg) {
  if (!cfg.metrics || !cfg.gate || cfg.interval.count() <= 0)
    return make_error(ec::invalid_configuration,
                      "license checker needs metrics, a gate and a positive "
                      "interval");
  return {};
}

void license_checker_state::check() {
  auto now = now_ms();
  last = check_license(cfg.path, cfg.password, now, cfg.warn_days);
  auto usable = last.usable();
  auto has_certificate = last.not_after_ms != 0;
  cfg.metrics->license(has_certificate
                         ? std::optional<int64_t>{last.days_left(now)}
                         : std::nullopt,
                       usable);
  cfg.gate->set_open(usable || !cfg.enforce);
  auto what = last.describe(now);
  using state = license_status::state;
  if (last.current == state::valid)
    ECR_INFO("{}: license {}", name, what);
  else if (last.current == state::expiring)
    ECR_WARN("{}: license {}; renew it", name, what);
  else if (cfg.enforce)
    ECR_ERROR("{}: license {}; writes are refused until a valid one is "
              "installed",
              name, what);
  else if (last.current == state::missing)
    // Normal on a developer's machine; with enforcement it is an error.
    ECR_INFO("{}: license {} (not enforced)", name, what);
  else
    ECR_WARN("{}: license {} (not enforced)", name, what);
}

license_checker_actor::behavior_type license_checker(
  license_checker_actor::stateful_pointer<license_checker_state> self,
  license_checker_config cfg) {
  if (auto err = validate(cfg)) {
    self->quit(err);
    return license_checker_actor::behavior_type::make_empty_behavior();
  }
  self->state.cfg = std::move(cfg);
  self->state.check();
  self->delayed_send(self, self->state.cfg.interval, atom::internal_v,
                     atom::check_v);
  return {
    [self](atom::ping) {
      const auto& st = self->state;
      return component_health{"license", st.last.usable() || !st.cfg.enforce,
                              st.last.describe(now_ms())};
    },
    [self](atom::internal, atom::check) {
      self->state.check();
      self->delayed_send(self, self->state.cfg.interval, atom::internal_v,
                         atom::check_v);
    },
  };
}

} // namespace ecr
