#pragma once

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "messaging/avro.hpp"
#include "messaging/nats_client.hpp"

#include <optional>
#include <string_view>

namespace ecr {

/// Decodes a received message as a `T`. What does not decode (too large,
/// malformed) is logged and counted as dropped under `kind` (A12), and gives
/// nullopt.
template <class T>
std::optional<T> decode_or_drop(const nats_message& msg,
                                size_t max_payload_bytes,
                                service_metrics& metrics,
                                std::string_view kind) {
  auto decoded = avro::decode<T>(msg.payload, max_payload_bytes);
  if (decoded)
    return std::move(*decoded);
  ECR_WARN("dropped a message on {}: {}", msg.subject,
           error_message(decoded.error()));
  metrics.message_dropped(kind, "undecodable");
  return std::nullopt;
}

} // namespace ecr
