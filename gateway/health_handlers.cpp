#include "gateway/rest_handler.hpp"

#include "core/metrics.hpp"
#include "gateway/json.hpp"

// Liveness, readiness and startup (/health*), and the metrics (A22).

namespace ecr {

void rest_handler::handle_health(route_id id, http_reply reply) const {
  if (id != route_id::health_ready)
    return run(std::move(reply), [](gateway_actor::pointer, http_reply r) {
      r(json_response(200, render_health(true, {})));
    });
  ask<std::vector<component_health>>(
    cfg_.node, std::move(reply),
    [](std::vector<component_health>& parts) {
      bool up = true;
      for (const auto& part : parts)
        up = up && part.up;
      return json_response(up ? 200 : 503, render_health(up, parts));
    },
    atom::status_v);
}

http_response rest_handler::metrics_response() const {
  http_response res;
  res.content_type = "text/plain; version=0.0.4; charset=utf-8";
  res.body = cfg_.metrics->render();
  return res;
}

} // namespace ecr
