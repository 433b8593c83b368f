// random.hpp -- reproducible random draws for plugins (header-only, C++17).
//
// std::mt19937_64's output sequence is fixed by the standard, but std::uniform_int_distribution and
// friends are not: libstdc++ and libc++ draw different numbers from the same engine. Decisions must
// be identical across compilers and runs, so the few draws plugins need are defined here.
#ifndef DATAFLEX_RANDOM_HPP
#define DATAFLEX_RANDOM_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace dataflex {

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  uint64_t next_u64() { return engine_(); }

  // Uniform integer in [0, n), unbiased (rejection on the top of the 64-bit range).
  uint64_t uniform_below(uint64_t n) {
    if (n == 0) throw std::invalid_argument("uniform_below(0)");
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
      x = engine_();
    } while (x >= limit);
    return x % n;
  }

  // Uniform double in [0, 1) with 53 random bits.
  double uniform01() { return static_cast<double>(engine_() >> 11) * (1.0 / 9007199254740992.0); }

  // k distinct values of [0, n), in the order drawn (partial Fisher-Yates over a sparse map would
  // save memory; pools here are at most millions, so the dense form is the simple one).
  std::vector<int64_t> sample_without_replacement(int64_t n, int64_t k) {
    if (k < 0 || k > n) throw std::invalid_argument("sample_without_replacement: k must be in [0, n]");
    std::vector<int64_t> perm(static_cast<size_t>(n));
    std::iota(perm.begin(), perm.end(), int64_t{0});
    for (int64_t i = 0; i < k; ++i) {
      const int64_t j = i + static_cast<int64_t>(uniform_below(static_cast<uint64_t>(n - i)));
      std::swap(perm[static_cast<size_t>(i)], perm[static_cast<size_t>(j)]);
    }
    perm.resize(static_cast<size_t>(k));
    return perm;
  }

  // k values of [0, n) drawn independently (duplicates possible).
  std::vector<int64_t> sample_with_replacement(int64_t n, int64_t k) {
    std::vector<int64_t> out(static_cast<size_t>(k));
    for (auto& v : out) v = static_cast<int64_t>(uniform_below(static_cast<uint64_t>(n)));
    return out;
  }

  // k distinct indices drawn with probability proportional to `weights` (successive draws without
  // replacement, like numpy's choice(replace=False, p=...)): Efraimidis-Spirakis keys u^(1/w).
  std::vector<int64_t> weighted_sample_without_replacement(const std::vector<double>& weights, int64_t k) {
    const int64_t n = static_cast<int64_t>(weights.size());
    int64_t positive = 0;
    for (double w : weights) {
      if (!(w >= 0) || !std::isfinite(w)) throw std::invalid_argument("weights must be finite and >= 0");
      positive += w > 0;
    }
    if (k < 0 || k > positive)
      throw std::invalid_argument("weighted_sample_without_replacement: k exceeds the positive weights");
    std::vector<std::pair<double, int64_t>> keys;
    keys.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const double w = weights[static_cast<size_t>(i)];
      const double u = uniform01();  // drawn for every index so the stream does not depend on zeros
      if (w > 0) keys.emplace_back(std::log(u > 0 ? u : 1e-300) / w, i);
    }
    std::partial_sort(keys.begin(), keys.begin() + k, keys.end(), [](const auto& a, const auto& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    std::vector<int64_t> out(static_cast<size_t>(k));
    for (int64_t i = 0; i < k; ++i) out[static_cast<size_t>(i)] = keys[static_cast<size_t>(i)].second;
    return out;
  }

  // k ids of [0, n) drawn proportionally to `weights`, as selectors need them. Without duplicates
  // (k <= n): successive draws without replacement; weights that are exactly zero (a tempered weight
  // can underflow) are drawn, uniformly, only once every positive one is taken -- the limit of a
  // vanishing weight. With duplicates (k > n, and the host allows them): k independent draws.
  std::vector<int64_t> weighted_choice(const std::vector<double>& weights, int64_t k, bool allow_duplicates) {
    const auto n = static_cast<int64_t>(weights.size());
    if (k <= n) {
      int64_t positive = 0;
      for (double w : weights) positive += w > 0;
      const int64_t m = std::min(k, positive);
      std::vector<int64_t> ids = weighted_sample_without_replacement(weights, m);
      if (m < k) {
        std::vector<int64_t> zeros;
        for (int64_t i = 0; i < n; ++i)
          if (!(weights[static_cast<size_t>(i)] > 0)) zeros.push_back(i);
        for (int64_t j : sample_without_replacement(static_cast<int64_t>(zeros.size()), k - m))
          ids.push_back(zeros[static_cast<size_t>(j)]);
      }
      return ids;
    }
    if (!allow_duplicates || n == 0)
      throw std::invalid_argument("cannot choose " + std::to_string(k) + " distinct ids from a pool of " +
                                  std::to_string(n));
    std::vector<double> cumulative(weights.size());
    double total = 0;
    for (size_t i = 0; i < weights.size(); ++i) cumulative[i] = total += weights[i];
    std::vector<int64_t> ids(static_cast<size_t>(k));
    for (auto& id : ids) {
      if (!(total > 0)) {
        id = static_cast<int64_t>(uniform_below(static_cast<uint64_t>(n)));
        continue;
      }
      const double x = uniform01() * total;
      id = std::min<int64_t>(n - 1, std::upper_bound(cumulative.begin(), cumulative.end(), x) - cumulative.begin());
    }
    return ids;
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace dataflex

#endif  // DATAFLEX_RANDOM_HPP
