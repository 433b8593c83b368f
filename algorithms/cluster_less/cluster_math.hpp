// cluster_math.hpp -- ClusterLESS's partitions, representatives and cluster scores (the original
// DataFlex project's cluster_less selector), header-only and free of the SDK and of FAISS so that its
// tests feed it exact numbers. k-means itself is FAISS's (faiss_kmeans.hpp).
//
// Rows are sample embeddings (row-major n x d, unit length when the host normalises them). A
// partition gives each row a cluster in [0, k); a few representatives per cluster stand for it; a
// cluster's score is the LESS score of the mean unit gradient feature of its representatives, and
// every member gets its cluster's score.
#pragma once

#include <dataflex/random.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace dataflex::cluster_less {

// Clusters for n samples: `num_clusters` when > 0, else ceil(n / cluster_size); within [1, n].
inline size_t cluster_count(size_t n, size_t cluster_size, size_t num_clusters) {
  if (n == 0) throw std::invalid_argument("cannot cluster an empty pool");
  const size_t k =
      num_clusters > 0 ? num_clusters : (n + std::max<size_t>(1, cluster_size) - 1) / std::max<size_t>(1, cluster_size);
  return std::clamp<size_t>(k, 1, n);
}

inline double squared_distance(const float* a, const float* b, size_t d) {
  double s = 0;
  for (size_t j = 0; j < d; ++j) {
    const double t = double(a[j]) - b[j];
    s += t * t;
  }
  return s;
}

// Each row's nearest center (Euclidean; the lower center on a tie).
inline std::vector<int32_t> assign_nearest(const std::vector<float>& x, size_t n, size_t d,
                                           const std::vector<float>& centers, size_t k) {
  std::vector<int32_t> out(n, 0);
  for (size_t i = 0; i < n; ++i) {
    double best = std::numeric_limits<double>::infinity();
    for (size_t c = 0; c < k; ++c) {
      const double dist = squared_distance(x.data() + i * d, centers.data() + c * d, d);
      if (dist < best) best = dist, out[i] = int32_t(c);
    }
  }
  return out;
}

// Farthest-first traversal (Gonzalez's k-center): a seeded first center, then repeatedly the row
// farthest from every chosen center; rows go to their nearest center.
inline std::vector<int32_t> farthest_first(const std::vector<float>& x, size_t n, size_t d, size_t k, uint64_t seed) {
  Rng rng(seed);
  std::vector<size_t> chosen{size_t(rng.uniform_below(n))};
  std::vector<double> nearest(n, std::numeric_limits<double>::infinity());
  while (true) {
    const float* c = x.data() + chosen.back() * d;
    for (size_t i = 0; i < n; ++i) nearest[i] = std::min(nearest[i], squared_distance(x.data() + i * d, c, d));
    if (chosen.size() == k) break;
    chosen.push_back(size_t(std::max_element(nearest.begin(), nearest.end()) - nearest.begin()));
  }
  std::vector<float> centers;
  for (size_t c : chosen)
    centers.insert(centers.end(), x.begin() + std::ptrdiff_t(c * d), x.begin() + std::ptrdiff_t((c + 1) * d));
  return assign_nearest(x, n, d, centers, k);
}

// Random-hyperplane LSH (SimHash): `bits` seeded Gaussian hyperplanes (0: ceil(log2 k), at most 30)
// give each row a signature; the distinct signatures, in increasing order, are the clusters, folded
// modulo k when there are more than k.
inline std::vector<int32_t> lsh(const std::vector<float>& x, size_t n, size_t d, size_t k, size_t bits, uint64_t seed) {
  if (bits == 0) bits = std::max<size_t>(1, size_t(std::ceil(std::log2(double(k)))));
  bits = std::min<size_t>(bits, 30);
  Rng rng(seed);
  std::vector<double> planes(d * bits);
  for (double& p : planes) {  // Box-Muller: the engine's sequence is fixed, so the planes are too
    const double u1 = 1.0 - rng.uniform01(), u2 = rng.uniform01();
    p = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }
  std::vector<uint32_t> signature(n, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t b = 0; b < bits; ++b) {
      double dot = 0;
      for (size_t j = 0; j < d; ++j) dot += double(x[i * d + j]) * planes[j * bits + b];
      if (dot >= 0) signature[i] |= 1u << b;
    }
  std::map<uint32_t, int32_t> rank;
  for (uint32_t s : signature) rank.emplace(s, 0);
  int32_t r = 0;
  for (auto& [s, v] : rank) v = r++;
  std::vector<int32_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = int32_t(size_t(rank[signature[i]]) % k);
  return out;
}

// A seeded random partition into k clusters of sizes differing by at most one.
inline std::vector<int32_t> random_partition(size_t n, size_t k, uint64_t seed) {
  Rng rng(seed);
  const std::vector<int64_t> order = rng.sample_without_replacement(int64_t(n), int64_t(n));
  std::vector<int32_t> out(n);
  for (size_t i = 0; i < n; ++i) out[size_t(order[i])] = int32_t(i % k);
  return out;
}

// Each row's squared distance to the mean of its cluster's rows (for nearest_center representatives).
inline std::vector<float> distance_to_centroid(const std::vector<float>& x, size_t n, size_t d,
                                               const std::vector<int32_t>& cluster, size_t k) {
  std::vector<double> sums(k * d, 0.0);
  std::vector<size_t> counts(k, 0);
  for (size_t i = 0; i < n; ++i) {
    const size_t c = size_t(cluster[i]);
    for (size_t j = 0; j < d; ++j) sums[c * d + j] += x[i * d + j];
    ++counts[c];
  }
  std::vector<float> centroid(k * d);
  for (size_t c = 0; c < k; ++c)
    for (size_t j = 0; j < d; ++j)
      centroid[c * d + j] = float(sums[c * d + j] / double(std::max<size_t>(1, counts[c])));
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i)
    out[i] = float(squared_distance(x.data() + i * d, centroid.data() + size_t(cluster[i]) * d, d));
  return out;
}

// Up to `per_cluster` members of every non-empty cluster, as positions into `cluster`, cluster by
// cluster. `distance` empty: members drawn at random (seeded); else the members nearest their
// centroid (the lower position on a tie).
inline std::vector<size_t> representatives(const std::vector<int32_t>& cluster, size_t k, size_t per_cluster,
                                           const std::vector<float>& distance, uint64_t seed) {
  std::vector<std::vector<size_t>> members(k);
  for (size_t i = 0; i < cluster.size(); ++i) members[size_t(cluster[i])].push_back(i);
  Rng rng(seed);
  std::vector<size_t> out;
  for (auto& m : members) {
    if (m.empty()) continue;
    const size_t take = std::min(per_cluster, m.size());
    if (distance.empty()) {
      for (int64_t j : rng.sample_without_replacement(int64_t(m.size()), int64_t(take))) out.push_back(m[size_t(j)]);
    } else {
      std::stable_sort(m.begin(), m.end(), [&](size_t a, size_t b) { return distance[a] < distance[b]; });
      out.insert(out.end(), m.begin(), m.begin() + std::ptrdiff_t(take));
    }
  }
  return out;
}

// The mean of the representatives' unit feature rows per cluster, scaled to unit length: one row per
// cluster (all zero for a cluster without representatives). `rep_cluster[r]` is row r's cluster.
inline std::vector<float> cluster_features(const std::vector<float>& rep_rows, size_t cols,
                                           const std::vector<int32_t>& rep_cluster, size_t k) {
  std::vector<double> sums(k * cols, 0.0);
  for (size_t r = 0; r < rep_cluster.size(); ++r)
    for (size_t j = 0; j < cols; ++j) sums[size_t(rep_cluster[r]) * cols + j] += rep_rows[r * cols + j];
  std::vector<float> out(k * cols, 0.0f);
  for (size_t c = 0; c < k; ++c) {
    double sq = 0;
    for (size_t j = 0; j < cols; ++j) sq += sums[c * cols + j] * sums[c * cols + j];
    if (sq <= 0) continue;
    const double inv = 1.0 / std::sqrt(sq);
    for (size_t j = 0; j < cols; ++j) out[c * cols + j] = float(sums[c * cols + j] * inv);
  }
  return out;
}

}  // namespace dataflex::cluster_less
