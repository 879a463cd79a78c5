#include "storage/config_cache.hpp"

#include <bit>
#include <functional>

namespace ecr {

namespace {

/// Approximate heap cost of one entry: key strings (in the map and the
/// recency list), the document and its rendering, map and list nodes. Used
/// only to bound memory, so a rough figure is enough.
size_t footprint(const config_key& key, const cached_config* value) {
  auto cost = 2 * (key.tenant_id.size() + key.endpoint_id.size()
                   + key.app_version.size() + key.name.size()
                   + sizeof(config_key))
              + 96;
  if (value)
    cost += sizeof(cached_config) + value->record.config_id.size()
            + value->record.content.size() + value->body.size()
            + sizeof(config_key) + value->record.key.tenant_id.size()
            + value->record.key.endpoint_id.size()
            + value->record.key.app_version.size()
            + value->record.key.name.size();
  return cost;
}

} // namespace

size_t config_cache::key_hash::operator()(const config_key& key) const noexcept {
  std::hash<std::string> hash;
  auto seed = hash(key.endpoint_id);
  for (const auto* part : {&key.app_version, &key.name, &key.tenant_id})
    seed ^= hash(*part) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
  return seed;
}

config_cache::config_cache(size_t max_bytes, renderer render)
  : max_bytes_(max_bytes),
    render_(std::move(render)),
    recent_misses_(std::bit_ceil(max_bytes / 1024 + 1)) {
  // nop
}

config_cache::lookup config_cache::find(const config_key& key) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = entries_.find(key);
  if (i == entries_.end())
    return std::nullopt;
  recency_.splice(recency_.begin(), recency_, i->second.position);
  return i->second.value;
}

config_cache::lookup config_cache::find_effective(const config_key& key) {
  auto own = find(key);
  if (!own || *own || key.is_default())
    return own;
  return find(key.default_key());
}

uint64_t config_cache::generation() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return generation_;
}

void config_cache::put(const config_record& record) {
  auto value = std::make_shared<const cached_config>(
    cached_config{record, render_(record)});
  std::lock_guard<std::mutex> guard{mutex_};
  ++generation_;
  insert_locked(record.key, std::move(value));
}

void config_cache::erase(const config_key& key) {
  std::lock_guard<std::mutex> guard{mutex_};
  ++generation_;
  insert_locked(key, nullptr);
}

void config_cache::fill(const config_record& record,
                        uint64_t generation_at_read_start) {
  if (!admit(record.key))
    return;
  auto value = std::make_shared<const cached_config>(
    cached_config{record, render_(record)});
  std::lock_guard<std::mutex> guard{mutex_};
  if (generation_ == generation_at_read_start)
    insert_locked(record.key, std::move(value));
}

void config_cache::fill_absent(const config_key& key,
                               uint64_t generation_at_read_start) {
  if (!admit(key))
    return;
  std::lock_guard<std::mutex> guard{mutex_};
  if (generation_ == generation_at_read_start)
    insert_locked(key, nullptr);
}

void config_cache::clear() {
  std::lock_guard<std::mutex> guard{mutex_};
  ++generation_;
  drop_all_locked();
}

void config_cache::forget(const config_key& key) {
  std::lock_guard<std::mutex> guard{mutex_};
  ++generation_;
  erase_locked(key);
}

void config_cache::set_enabled(bool enabled) {
  std::lock_guard<std::mutex> guard{mutex_};
  ++generation_;
  enabled_ = enabled;
  if (!enabled)
    drop_all_locked();
}

size_t config_cache::size() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return entries_.size();
}

size_t config_cache::bytes() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return bytes_;
}

bool config_cache::admit(const config_key& key) {
  auto hash = key_hash{}(key);
  auto& slot = recent_misses_[hash & (recent_misses_.size() - 1)];
  auto mark = hash | 1; // never the free mark
  auto seen = slot.load(std::memory_order_relaxed) == mark;
  slot.store(seen ? 0 : mark, std::memory_order_relaxed);
  return seen;
}

void config_cache::insert_locked(const config_key& key,
                                 std::shared_ptr<const cached_config> value) {
  erase_locked(key);
  if (!enabled_)
    return;
  auto cost = footprint(key, value.get());
  if (cost > max_bytes_)
    return;
  while (bytes_ + cost > max_bytes_ && !recency_.empty()) {
    auto victim = recency_.back();
    erase_locked(victim);
  }
  recency_.push_front(key);
  entries_.emplace(key, entry{std::move(value), recency_.begin(), cost});
  bytes_ += cost;
}

void config_cache::drop_all_locked() {
  entries_.clear();
  recency_.clear();
  bytes_ = 0;
}

void config_cache::erase_locked(const config_key& key) {
  auto i = entries_.find(key);
  if (i == entries_.end())
    return;
  bytes_ -= i->second.bytes;
  recency_.erase(i->second.position);
  entries_.erase(i);
}

} // namespace ecr
