#include "core/delivery_log.hpp"

#include <algorithm>

namespace ecr {

namespace {

std::string key_of(const status_record& x) {
  std::string key;
  key.reserve(x.tenant_id.size() + x.endpoint_id.size() + x.app_version.size()
              + x.config_id.size() + 4);
  for (const auto* part :
       {&x.tenant_id, &x.endpoint_id, &x.app_version, &x.config_id}) {
    key += *part;
    key.push_back('\0');
  }
  return key;
}

std::vector<status_record>
drain(std::unordered_map<std::string, status_record>& pending) {
  std::vector<status_record> records;
  records.reserve(pending.size());
  for (auto& [key, record] : pending)
    records.push_back(std::move(record));
  pending.clear();
  return records;
}

} // namespace

delivery_log::delivery_log(size_t high_water) : high_water_(high_water) {
  // nop
}

bool delivery_log::dispatched(status_record record) {
  auto key = key_of(record);
  std::lock_guard<std::mutex> guard{mutex_};
  auto before = dispatches_.size() + confirmations_.size();
  auto [slot, added] = dispatches_.try_emplace(std::move(key), record);
  if (!added)
    slot->second.last_dispatched_ms
      = std::max(slot->second.last_dispatched_ms, record.last_dispatched_ms);
  return should_wake_locked(before);
}

bool delivery_log::confirmed(status_record record) {
  auto key = key_of(record);
  std::lock_guard<std::mutex> guard{mutex_};
  auto before = dispatches_.size() + confirmations_.size();
  confirmations_[std::move(key)] = std::move(record);
  return should_wake_locked(before);
}

delivery_log::batch delivery_log::take() {
  std::lock_guard<std::mutex> guard{mutex_};
  return {drain(dispatches_), drain(confirmations_)};
}

size_t delivery_log::size() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return dispatches_.size() + confirmations_.size();
}

bool delivery_log::should_wake_locked(size_t before) const {
  auto after = dispatches_.size() + confirmations_.size();
  return before == 0 || (before < high_water_ && after >= high_water_);
}

} // namespace ecr
