// near_math.hpp -- NEAR's arithmetic: each target's nearest pool samples by cosine (exact, blocked),
// and the selection that walks the neighbour matrix rank by rank across targets. Header-only, no
// LibTorch: the plugin and its tests compile it.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "../less/less_math.hpp"  // normalize_rows

namespace dataflex::near {

using less::normalize_rows;  // unit rows; zero rows stay zero

// Row r's K nearest pool samples, best first: ids[r * K + j] and their scores sims[r * K + j]
// (the cosine, or minus the squared distance: see Metric).
struct Neighbours {
  std::vector<int64_t> ids;
  std::vector<float> sims;
  size_t rows = 0, k = 0;
};

// The mean of the rows of `m` (rows x cols).
inline std::vector<double> column_mean(const std::vector<float>& m, size_t rows, size_t cols) {
  std::vector<double> mean(cols, 0.0);
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < cols; ++c) mean[c] += m[r * cols + c];
  for (double& v : mean) v /= double(std::max<size_t>(1, rows));
  return mean;
}

// Subtracts `v` from every row of `m` (rows x cols).
inline void subtract(std::vector<float>& m, size_t rows, size_t cols, const std::vector<double>& v) {
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < cols; ++c) m[r * cols + c] = float(m[r * cols + c] - v[c]);
}

// Subtracts the pool's mean row from the pool and from the targets (both `cols` wide): what is left
// is how each differs from the typical pool sample, not the direction they all share.
inline void center_on_pool(std::vector<float>& pool, size_t pool_rows, std::vector<float>& targets, size_t target_rows,
                           size_t cols) {
  const std::vector<double> mean = column_mean(pool, pool_rows, cols);
  subtract(pool, pool_rows, cols, mean);
  subtract(targets, target_rows, cols, mean);
}

// Orders candidates best first: higher similarity, then the lower pool id (so ties are reproducible).
inline bool better(const std::pair<float, int64_t>& a, const std::pair<float, int64_t>& b) {
  return a.first > b.first || (a.first == b.first && a.second < b.second);
}

// How ExactSearch scores a pair; higher is nearer. For unit rows both rank alike (|t-p|^2 = 2 - 2 t.p).
enum class Metric {
  inner_product,   // t . p: the cosine of unit rows
  neg_squared_l2,  // -|t - p|^2: Euclidean neighbours of rows of any length (TSDS)
};

// The k nearest pool rows of every target row (`cols` wide) by `metric`. Exact: every pair is
// compared, the pool in blocks so that the working set is one block of pool rows and one running
// top-k per target (memory M·k, not M·N).
class ExactSearch {
 public:
  ExactSearch(const std::vector<float>& targets, size_t rows, size_t cols, size_t k,
              Metric metric = Metric::inner_product)
      : targets_(targets), rows_(rows), cols_(cols), k_(k), metric_(metric), best_(rows) {
    if (targets.size() != rows * cols) throw std::invalid_argument("targets: expected rows x cols values");
  }

  // Adds pool rows `first` .. `first + n` (row-major n x cols).
  void add(const std::vector<float>& pool, size_t n, int64_t first) {
    if (pool.size() != n * cols_) throw std::invalid_argument("pool block: expected n x cols values");
    for (size_t r = 0; r < rows_; ++r) {
      const float* t = targets_.data() + r * cols_;
      auto& heap = best_[r];  // a min-heap by `better`: its front is the worst kept
      for (size_t i = 0; i < n; ++i) {
        const float* p = pool.data() + i * cols_;
        double score = 0;
        if (metric_ == Metric::inner_product) {
          for (size_t c = 0; c < cols_; ++c) score += double(t[c]) * p[c];
        } else {
          for (size_t c = 0; c < cols_; ++c) score -= (double(t[c]) - p[c]) * (double(t[c]) - p[c]);
        }
        const std::pair<float, int64_t> cand{float(score), first + int64_t(i)};
        if (heap.size() < k_) {
          heap.push_back(cand);
          std::push_heap(heap.begin(), heap.end(), better);
        } else if (k_ > 0 && better(cand, heap.front())) {
          std::pop_heap(heap.begin(), heap.end(), better);
          heap.back() = cand;
          std::push_heap(heap.begin(), heap.end(), better);
        }
      }
    }
  }

  // The neighbours found, best first; a target has fewer than k when the pool is smaller than k.
  Neighbours result() const {
    Neighbours out;
    out.rows = rows_;
    out.k = k_;
    for (size_t r = 0; r < rows_; ++r) {
      auto sorted = best_[r];
      std::sort(sorted.begin(), sorted.end(), better);
      for (size_t j = 0; j < k_; ++j) {
        out.ids.push_back(j < sorted.size() ? sorted[j].second : -1);
        out.sims.push_back(j < sorted.size() ? sorted[j].first : -std::numeric_limits<float>::infinity());
      }
    }
    return out;
  }

 private:
  const std::vector<float>& targets_;
  size_t rows_, cols_, k_;
  Metric metric_;
  std::vector<std::vector<std::pair<float, int64_t>>> best_;
};

// The original NEAR's walk: rank 0 of every target (targets in order), then rank 1, ...; an id met
// again is skipped; -1 marks no neighbour. `position[i]` receives the (target, rank) each selected id
// came from. Throws when the matrix holds fewer than `want` distinct ids, naming both counts.
inline std::vector<int64_t> walk(const std::vector<int64_t>& ids, size_t rows, size_t k, size_t want,
                                 std::vector<std::pair<size_t, size_t>>* position = nullptr) {
  if (ids.size() != rows * k) throw std::invalid_argument("neighbour matrix: expected rows x k ids");
  std::vector<int64_t> out;
  std::unordered_set<int64_t> seen;
  for (size_t j = 0; j < k && out.size() < want; ++j)
    for (size_t r = 0; r < rows && out.size() < want; ++r) {
      const int64_t id = ids[r * k + j];
      if (id < 0 || !seen.insert(id).second) continue;
      out.push_back(id);
      if (position) position->emplace_back(r, j);
    }
  if (out.size() < want)
    throw std::invalid_argument("the neighbour matrix (" + std::to_string(rows) + " targets x " + std::to_string(k) +
                                " ranks) holds " + std::to_string(out.size()) + " distinct samples, fewer than the " +
                                std::to_string(want) + " to select");
  return out;
}

}  // namespace dataflex::near
