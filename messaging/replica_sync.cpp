#include "messaging/replica_sync.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "messaging/nats_client.hpp"
#include "storage/config_cache.hpp"

#include <vector>

namespace ecr::replica_sync {

namespace {

// Identifiers never hold control characters (A3), so lines separate them.
constexpr std::string_view header = "ecr-replica-sync 1";
constexpr std::string_view everything = "*";
constexpr size_t max_notice_bytes = 4096;

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  for (;;) {
    auto end = text.find('\n');
    lines.push_back(text.substr(0, end));
    if (end == std::string_view::npos)
      return lines;
    text.remove_prefix(end + 1);
  }
}

caf::error malformed(const std::string& why) {
  return make_error(ec::invalid_argument, "replica sync notice: " + why);
}

} // namespace

std::string subject(const std::string& instance) {
  return "kaa.v1.service." + instance + ".replicas.config.changed";
}

std::string encode(const notice& x) {
  std::string text{header};
  text += '\n' + x.replica_id + '\n';
  if (!x.key)
    return text.append(everything);
  const auto& key = *x.key;
  return text + key.tenant_id + '\n' + key.endpoint_id + '\n' + key.app_version
         + '\n' + key.name;
}

caf::expected<notice> decode(std::string_view payload) {
  if (payload.size() > max_notice_bytes)
    return malformed("too large");
  auto lines = lines_of(payload);
  if (lines.size() < 3 || lines[0] != header)
    return malformed("not a notice");
  notice x;
  x.replica_id = std::string{lines[1]};
  if (x.replica_id.empty())
    return malformed("no replica id");
  if (lines.size() == 3 && lines[2] == everything)
    return x;
  if (lines.size() != 6)
    return malformed("a key has four lines");
  for (size_t i = 2; i < lines.size(); ++i)
    if (i != 3 && lines[i].empty())
      return malformed("empty key field");
  x.key = config_key{std::string{lines[2]}, std::string{lines[3]},
                     std::string{lines[4]}, std::string{lines[5]}};
  return x;
}

caf::error subscribe(nats_client& nats, const std::string& instance,
                     const std::string& replica_id,
                     std::shared_ptr<config_cache> cache,
                     std::shared_ptr<service_metrics> metrics) {
  return nats.subscribe(
    subject(instance), {},
    [replica_id, cache = std::move(cache),
     metrics = std::move(metrics)](nats_message&& msg) {
      auto x = decode(msg.payload);
      if (!x) {
        ECR_WARN("dropped a message on {}: {}", msg.subject,
                 error_message(x.error()));
        metrics->message_dropped("replicas.config.changed", "undecodable");
        return;
      }
      if (x->replica_id == replica_id)
        return;
      if (x->key)
        cache->forget(*x->key);
      else
        cache->clear();
    });
}

} // namespace ecr::replica_sync
