#include "core/event_log.hpp"

#include "core/ids.hpp"

#include <charconv>

namespace ecr {

event_log::event_log(size_t retain)
  : retain_(retain), epoch_(make_uuid_v4().substr(0, 8)) {
  // nop
}

void event_log::append(change_event event) {
  auto shared = std::make_shared<const change_event>(std::move(event));
  std::lock_guard guard{mutex_};
  kept_.push_back(shared);
  auto position = first_ + kept_.size() - 1;
  if (kept_.size() > retain_) {
    kept_.pop_front();
    ++first_;
  }
  for (const auto& [id, fn] : subscribers_)
    fn(position, shared);
}

event_log::subscription
event_log::subscribe(std::optional<std::string_view> cursor, subscriber fn) {
  std::lock_guard guard{mutex_};
  subscription result;
  if (cursor) {
    auto after = position_of(*cursor);
    auto last = first_ + kept_.size() - 1;
    // Missed events are lost to this log unless it still keeps the one
    // right after the cursor.
    if (!after || *after + 1 < first_ || *after > last) {
      result.reset = true;
    } else {
      for (auto position = *after + 1; position <= last; ++position)
        fn(position, kept_[position - first_]);
    }
  }
  result.id = next_subscriber_++;
  subscribers_.emplace(result.id, std::move(fn));
  return result;
}

void event_log::unsubscribe(uint64_t id) {
  std::lock_guard guard{mutex_};
  subscribers_.erase(id);
}

std::string event_log::cursor(uint64_t position) const {
  return epoch_ + "-" + std::to_string(position);
}

std::optional<uint64_t> event_log::position_of(std::string_view cursor) const {
  if (cursor.size() <= epoch_.size() + 1
      || cursor.substr(0, epoch_.size()) != epoch_
      || cursor[epoch_.size()] != '-')
    return std::nullopt;
  auto digits = cursor.substr(epoch_.size() + 1);
  uint64_t position = 0;
  auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(),
                                    position);
  if (err != std::errc{} || end != digits.data() + digits.size())
    return std::nullopt;
  return position;
}

} // namespace ecr
