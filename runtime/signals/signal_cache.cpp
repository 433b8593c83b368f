#include "signals/signal_cache.hpp"

#include <xxhash.h>

namespace dataflex {

KeyBuilder::KeyBuilder() : state_(XXH3_createState()) { XXH3_64bits_reset(static_cast<XXH3_state_t*>(state_)); }
KeyBuilder::~KeyBuilder() { XXH3_freeState(static_cast<XXH3_state_t*>(state_)); }
KeyBuilder& KeyBuilder::add(const void* data, std::size_t size) {
  XXH3_64bits_update(static_cast<XXH3_state_t*>(state_), data, size);
  return *this;
}
KeyBuilder& KeyBuilder::add(const std::string& s) {
  add_value(s.size());
  return add(s.data(), s.size());
}
uint64_t KeyBuilder::digest() const { return XXH3_64bits_digest(static_cast<XXH3_state_t*>(state_)); }

bool SignalCache::get(uint64_t key, std::vector<float>& out) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    ++misses_;
    return false;
  }
  ++hits_;
  out = it->second.first;
  return true;
}

void SignalCache::put(uint64_t key, const std::vector<float>& value) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::size_t size = value.size() * sizeof(float);
  if (size > budget_ || entries_.count(key)) return;
  while (bytes_ + size > budget_ && !order_.empty()) {
    auto old = entries_.find(order_.front());
    bytes_ -= old->second.first.size() * sizeof(float);
    entries_.erase(old);
    order_.pop_front();
  }
  order_.push_back(key);
  entries_.emplace(key, std::make_pair(value, std::prev(order_.end())));
  bytes_ += size;
}

}  // namespace dataflex
