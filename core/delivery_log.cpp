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

} // namespace

delivery_log::delivery_log() : delivery_log(limits{}) {
  // nop
}

delivery_log::delivery_log(limits bounds) : bounds_(bounds) {
  // nop
}

bool delivery_log::dispatched(status_record record) {
  auto key = key_of(record);
  std::lock_guard<std::mutex> guard{mutex_};
  if (recently_taken_locked(key, record.last_dispatched_ms))
    return false;
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
  batch result;
  result.dispatches.reserve(dispatches_.size());
  for (auto& [key, record] : dispatches_) {
    remember_taken_locked(key, record.last_dispatched_ms);
    result.dispatches.push_back(std::move(record));
  }
  dispatches_.clear();
  result.confirmations.reserve(confirmations_.size());
  for (auto& [key, record] : confirmations_)
    result.confirmations.push_back(std::move(record));
  confirmations_.clear();
  return result;
}

void delivery_log::forget_taken() {
  std::lock_guard<std::mutex> guard{mutex_};
  taken_young_.clear();
  taken_old_.clear();
}

size_t delivery_log::size() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return dispatches_.size() + confirmations_.size();
}

bool delivery_log::should_wake_locked(size_t before) const {
  auto after = dispatches_.size() + confirmations_.size();
  auto high_water = bounds_.high_water;
  return before == 0 || (before < high_water && after >= high_water);
}

bool delivery_log::recently_taken_locked(const std::string& key,
                                         int64_t at) const {
  for (const auto* generation : {&taken_young_, &taken_old_})
    if (auto i = generation->find(key); i != generation->end())
      return at - i->second < bounds_.dispatch_refresh_ms;
  return false;
}

void delivery_log::remember_taken_locked(std::string key, int64_t at) {
  if (bounds_.remembered == 0)
    return;
  if (taken_young_.size() >= (bounds_.remembered + 1) / 2
      && !taken_young_.count(key)) {
    taken_old_ = std::move(taken_young_);
    taken_young_.clear();
  }
  taken_young_[std::move(key)] = at;
}

} // namespace ecr
