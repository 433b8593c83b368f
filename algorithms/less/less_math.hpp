// less_math.hpp -- LESS's scoring (Xia et al., "LESS: Selecting Influential Data for Targeted
// Instruction Tuning", ICML 2024, section 3 and eq. 2), header-only and free of the SDK so that its
// tests feed it exact numbers.
//
// Features are projected gradients, one row per sample: Adam-preconditioned for the training pool,
// plain (SGD) for the target examples. Every row is scaled to unit length, so an inner product is a
// cosine. A pool sample's score for one target subtask is its mean cosine over that subtask's examples,
// which is its inner product with the subtask's mean unit row; its score is the maximum over subtasks
// (the paper's max over validation tasks). The highest scores are selected.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace dataflex::less {

// Scales each row of the row-major `rows x cols` matrix to unit L2 norm; an all-zero row stays zero.
inline void normalize_rows(std::vector<float>& m, size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; ++r) {
    float* row = m.data() + r * cols;
    double sq = 0;
    for (size_t c = 0; c < cols; ++c) sq += double(row[c]) * row[c];
    if (sq > 0) {
      const double inv = 1.0 / std::sqrt(sq);
      for (size_t c = 0; c < cols; ++c) row[c] = static_cast<float>(row[c] * inv);
    }
  }
}

// The mean unit target row of every subtask that has examples: `subtask[i]` is example i's subtask
// in [0, num_subtasks). Returns one row of `cols` per non-empty subtask, in subtask order.
inline std::vector<std::vector<double>> subtask_means(const std::vector<float>& targets, size_t rows, size_t cols,
                                                      const std::vector<int32_t>& subtask, size_t num_subtasks) {
  if (subtask.size() != rows) throw std::invalid_argument("one subtask per target example is needed");
  std::vector<std::vector<double>> sums(num_subtasks, std::vector<double>(cols, 0.0));
  std::vector<size_t> counts(num_subtasks, 0);
  for (size_t r = 0; r < rows; ++r) {
    const int32_t s = subtask[r];
    if (s < 0 || static_cast<size_t>(s) >= num_subtasks) throw std::invalid_argument("subtask out of range");
    const float* row = targets.data() + r * cols;
    for (size_t c = 0; c < cols; ++c) sums[size_t(s)][c] += row[c];
    ++counts[size_t(s)];
  }
  std::vector<std::vector<double>> means;
  for (size_t s = 0; s < num_subtasks; ++s) {
    if (counts[s] == 0) continue;
    for (double& v : sums[s]) v /= double(counts[s]);
    means.push_back(std::move(sums[s]));
  }
  return means;
}

// Each pool row's score: the maximum over subtasks of its inner product with the subtask's mean row.
inline std::vector<double> scores(const std::vector<float>& pool, size_t rows, size_t cols,
                                  const std::vector<std::vector<double>>& means) {
  std::vector<double> out(rows, -std::numeric_limits<double>::infinity());
  for (size_t r = 0; r < rows; ++r) {
    const float* row = pool.data() + r * cols;
    for (const auto& mean : means) {
      double dot = 0;
      for (size_t c = 0; c < cols; ++c) dot += double(row[c]) * mean[c];
      out[r] = std::max(out[r], dot);
    }
  }
  return out;
}

// The positions of the k highest scores, highest first; equal scores go to the lower position.
inline std::vector<size_t> top_k(const std::vector<double>& s, size_t k) {
  std::vector<size_t> order(s.size());
  std::iota(order.begin(), order.end(), size_t{0});
  k = std::min(k, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                    [&](size_t a, size_t b) { return s[a] > s[b] || (s[a] == s[b] && a < b); });
  order.resize(k);
  return order;
}

}  // namespace dataflex::less
