// tsds_math.hpp -- TSDS's arithmetic (Liu et al., "TSDS: Data Selection for Task-Specific Model
// Finetuning", NeurIPS 2024; docs/algorithms/tsds.md): the kernel density of pool samples and the
// sampling distribution that trades matching the targets' distribution (optimal transport over each
// target's nearest neighbours) against diversity (mass divided by density). Header-only, no LibTorch.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <queue>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace dataflex::tsds {

// The neighbour counts TSDS works with over a pool of n samples: K = min(max_K, n / 10) neighbours
// per target and kde_K = min(kde_K, n / 10) per density estimate, as the paper's code has them. K is
// raised to 2 (the allocation moves mass from rank k to rank k + 1) and neither exceeds the pool.
struct NeighbourCounts {
  size_t k = 0, kde_k = 0;
};
inline NeighbourCounts neighbour_counts(size_t pool_size, size_t max_k, size_t kde_k) {
  if (pool_size < 2)
    throw std::invalid_argument("TSDS needs a pool of at least 2 samples, found " + std::to_string(pool_size));
  NeighbourCounts c;
  c.k = std::min(pool_size, std::max<size_t>(2, std::min(max_k, pool_size / 10)));
  c.kde_k = std::min(pool_size, std::max<size_t>(1, std::min(kde_k, pool_size / 10)));
  return c;
}

// The density at one point from its nearest reference points' squared distances (itself included:
// distance 0): sum of the Epanechnikov-like kernel max(0, 1 - d^2 / sigma^2). sigma = 0 means no
// density correction: every point gets 1.
inline double kernel_density(const float* squared_distances, size_t n, double sigma) {
  if (sigma == 0) return 1.0;
  double rho = 0;
  for (size_t i = 0; i < n; ++i) rho += std::max(0.0, 1.0 - double(squared_distances[i]) / (sigma * sigma));
  return rho;
}

// The sampling distribution over a pool of `pool_size` samples. Inputs are M targets' K nearest pool
// samples in increasing distance: ids[j * K + k], their Euclidean distances dist[j * K + k] and their
// densities rho[j * K + k] (> 0). Each target owns mass 1/M and spreads it over its first neighbours
// with probability 1 / (M · s · rho): the common level s rises, neighbour by neighbour, in the order
// of the cumulative sums Σ 1/rho (a min-heap over (level, rank, target)), until the transport cost of
// the next step, weighted by alpha / C, reaches (1 - alpha) · M; each target's remaining mass goes to
// its next neighbour. Returns the probabilities normalised to sum 1.
struct Allocation {
  std::vector<double> probs;  // pool_size entries
  double level = 0;           // s
  std::vector<size_t> last;   // per target: the last rank at level s (the remainder went to last + 1)
};

inline Allocation allocate(const std::vector<int64_t>& ids, const std::vector<double>& dist,
                           const std::vector<double>& rho, size_t targets, size_t k, size_t pool_size, double alpha,
                           double c) {
  if (targets == 0) throw std::invalid_argument("TSDS needs at least one target example");
  if (k < 2) throw std::invalid_argument("TSDS needs at least 2 neighbours per target");
  if (ids.size() != targets * k || dist.size() != targets * k || rho.size() != targets * k)
    throw std::invalid_argument("TSDS: expected targets x K neighbour ids, distances and densities");
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || uint64_t(ids[i]) >= pool_size)
      throw std::invalid_argument("TSDS: neighbour id " + std::to_string(ids[i]) + " outside the pool of " +
                                  std::to_string(pool_size));
    if (!(rho[i] > 0) || !std::isfinite(rho[i]) || !std::isfinite(dist[i]))
      throw std::invalid_argument("TSDS: densities must be positive and distances finite");
  }
  const double m = double(targets);
  // (level, rank, target), smallest first; ties go to the lower rank, then the lower target.
  using Entry = std::tuple<double, size_t, size_t>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
  std::vector<double> weighted(targets), cost(targets, 0.0);  // weighted: Σ_{i<=k} d_i / rho_i
  Allocation a;
  a.last.assign(targets, 0);
  for (size_t j = 0; j < targets; ++j) {
    heap.emplace(1.0 / rho[j * k], 0, j);
    weighted[j] = dist[j * k] / rho[j * k];
  }
  double total = 0;
  while (!heap.empty()) {
    auto [level, rank, j] = heap.top();
    heap.pop();
    a.level = level;
    // Raising s past this level moves mass from ranks 0..rank to rank + 1: what that costs.
    total -= cost[j];
    cost[j] = dist[j * k + rank + 1] * level - weighted[j];
    total += cost[j];
    if (alpha / c * total >= (1 - alpha) * m) break;
    a.last[j] = rank;
    if (rank + 2 < k) {
      heap.emplace(level + 1.0 / rho[j * k + rank + 1], rank + 1, j);
      weighted[j] += dist[j * k + rank + 1] / rho[j * k + rank + 1];
    }
  }
  a.probs.assign(pool_size, 0.0);
  for (size_t j = 0; j < targets; ++j) {
    double given = 0;
    for (size_t r = 0; r <= a.last[j]; ++r) {
      const double p = 1.0 / (m * a.level * rho[j * k + r]);
      a.probs[size_t(ids[j * k + r])] += p;
      given += p;
    }
    a.probs[size_t(ids[j * k + a.last[j] + 1])] += std::max(1.0 / m - given, 0.0);
  }
  double sum = 0;
  for (double p : a.probs) sum += p;
  if (sum > 0)
    for (double& p : a.probs) p /= sum;
  return a;
}

}  // namespace dataflex::tsds
