// score_history.hpp -- LESS's sum over checkpoints, online (`history = "lr_weighted"`). Header-only
// and free of the SDK.
//
// LESS scores a sample at each warm-up checkpoint and sums the scores weighted by that checkpoint's
// learning rate (Xia et al. 2024, eq. 2: Inf(z) = sum_i eta_i * score_i(z)). Here each decision is a
// checkpoint: a sample's combined score is sum_d eta_d s_d / sum_d eta_d over the decisions that
// scored it. When every decision scores every sample (the whole pool) the denominator is the same for
// all and the ranking is LESS's sum; with a candidate pool a sample scored twice is not favoured over
// one scored once. Decisions at a learning rate of 0 (the first step of a warm-up) count only while
// no decision with a positive rate has scored the sample.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>

namespace dataflex::less {

class ScoreHistory {
 public:
  // Adds decision score `score` of training sample `id` taken at learning rate `rate` (>= 0) and
  // returns the sample's combined score.
  double add(int64_t id, double score, double rate) {
    if (!(rate >= 0)) throw std::invalid_argument("a learning rate must be >= 0");
    Entry& e = entries_[id];
    e.weighted += rate * score;
    e.weight += rate;
    e.plain += score;
    e.count += 1;
    return combined(e);
  }
  size_t size() const { return entries_.size(); }

  void save(std::string& blob) const {
    const uint64_t n = entries_.size();
    blob.append(reinterpret_cast<const char*>(&n), sizeof n);
    for (const auto& [id, e] : entries_) {
      blob.append(reinterpret_cast<const char*>(&id), sizeof id);
      blob.append(reinterpret_cast<const char*>(&e), sizeof e);
    }
  }
  // Reads what `save` wrote at `pos`, advancing it.
  void load(const std::string& blob, size_t& pos) {
    entries_.clear();
    uint64_t n = 0;
    read(blob, pos, &n, sizeof n);
    if (n > (blob.size() - pos) / (sizeof(int64_t) + sizeof(Entry)))
      throw std::invalid_argument("LESS state: truncated score history");
    for (uint64_t k = 0; k < n; ++k) {
      int64_t id = 0;
      Entry e;
      read(blob, pos, &id, sizeof id);
      read(blob, pos, &e, sizeof e);
      entries_[id] = e;
    }
  }

 private:
  struct Entry {
    double weighted = 0, weight = 0, plain = 0;
    int64_t count = 0;
  };
  static double combined(const Entry& e) { return e.weight > 0 ? e.weighted / e.weight : e.plain / double(e.count); }
  static void read(const std::string& blob, size_t& pos, void* p, size_t n) {
    if (n > blob.size() - pos) throw std::invalid_argument("LESS state: truncated score history");
    std::memcpy(p, blob.data() + pos, n);
    pos += n;
  }
  std::map<int64_t, Entry> entries_;
};

}  // namespace dataflex::less
