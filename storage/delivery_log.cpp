#include "storage/delivery_log.hpp"

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

bool delivery_log::dispatched(status_record record, std::string_view content) {
  auto key = key_of(record);
  std::lock_guard<std::mutex> guard{mutex_};
  if (recently_taken_locked(key, record.last_dispatched_ms))
    return false;
  auto was_empty = dispatches_.empty() && confirmations_.empty();
  auto was_full = full_locked();
  if (auto i = dispatches_.find(key); i != dispatches_.end()) {
    i->second.record.last_dispatched_ms = std::max(
      i->second.record.last_dispatched_ms, record.last_dispatched_ms);
    return false;
  }
  auto shared = content_locked(record.config_id, content);
  pending_bytes_ += shared->size();
  dispatches_.emplace(std::move(key),
                      pending_dispatch{std::move(record), std::move(shared)});
  return should_wake_locked(was_empty, was_full);
}

bool delivery_log::confirmed(status_record record) {
  auto key = key_of(record);
  std::lock_guard<std::mutex> guard{mutex_};
  auto was_empty = dispatches_.empty() && confirmations_.empty();
  auto was_full = full_locked();
  confirmations_[std::move(key)] = std::move(record);
  return should_wake_locked(was_empty, was_full);
}

delivery_log::batch delivery_log::take() {
  std::lock_guard<std::mutex> guard{mutex_};
  batch result;
  size_t bytes = 0;
  for (auto i = dispatches_.begin(); i != dispatches_.end();) {
    auto size = i->second.content->size();
    if (!result.dispatches.empty()
        && (result.dispatches.size() >= bounds_.high_water
            || bytes + size > bounds_.high_water_bytes))
      break;
    bytes += size;
    auto& record = i->second.record;
    remember_taken_locked(i->first, record.last_dispatched_ms);
    record.content = *i->second.content;
    result.dispatches.push_back(std::move(record));
    i = dispatches_.erase(i);
  }
  pending_bytes_ -= bytes;
  // Contents no pending dispatch shares any more.
  std::erase_if(contents_, [](const auto& entry) {
    return entry.second.use_count() == 1;
  });
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

bool delivery_log::full() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return full_locked();
}

bool delivery_log::full_locked() const {
  return dispatches_.size() + confirmations_.size() >= bounds_.high_water
         || pending_bytes_ >= bounds_.high_water_bytes;
}

bool delivery_log::should_wake_locked(bool was_empty, bool was_full) const {
  return was_empty || (!was_full && full_locked());
}

std::shared_ptr<const std::string>
delivery_log::content_locked(const std::string& config_id,
                             std::string_view content) {
  auto& shared = contents_[config_id];
  if (!shared)
    shared = std::make_shared<const std::string>(content);
  return shared;
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
