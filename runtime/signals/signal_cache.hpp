// signal_cache.hpp -- host-service results kept by a hash of everything that produced them.
//
// A key covers the service, the dataset, the model's fingerprint (a hash of its trainable weights,
// recomputed whenever the trainer reports new weights), the options and the sample ids, so a result
// is never reused for another model state, another config or another set of samples. Entries are
// dropped oldest-first beyond a byte budget.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace dataflex {

// Incremental XXH3-64 over bytes (libxxhash).
class KeyBuilder {
 public:
  KeyBuilder();
  ~KeyBuilder();
  KeyBuilder(const KeyBuilder&) = delete;
  KeyBuilder& operator=(const KeyBuilder&) = delete;
  KeyBuilder& add(const void* data, std::size_t size);
  KeyBuilder& add(const std::string& s);
  template <class T>
  KeyBuilder& add_value(const T& v) {
    return add(&v, sizeof v);
  }
  uint64_t digest() const;

 private:
  void* state_;
};

class SignalCache {
 public:
  explicit SignalCache(std::size_t budget_bytes) : budget_(budget_bytes) {}
  // Copies the cached floats into `out` and returns true on a hit.
  bool get(uint64_t key, std::vector<float>& out);
  void put(uint64_t key, const std::vector<float>& value);
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }

 private:
  std::mutex mutex_;
  std::size_t budget_;
  std::size_t bytes_ = 0;
  std::list<uint64_t> order_;  // oldest first
  std::unordered_map<uint64_t, std::pair<std::vector<float>, std::list<uint64_t>::iterator>> entries_;
  uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace dataflex
