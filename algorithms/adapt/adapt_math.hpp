// adapt_math.hpp -- ADAPT's per-sample weights ("Rethinking Data Curation in LLM Training: Online
// Reweighting Offers Better Generalization", ICLR 2026, as the original DataFlex project ships it):
// a sample's weight is sigmoid(mean cosine of its embedding to the anchor (target) embeddings / tau),
// optionally capped. The embeddings are unit rows, so the mean cosine to the anchors is the inner
// product with the anchors' mean row. Pure C++17, no SDK.
#ifndef DATAFLEX_ALGORITHMS_ADAPT_MATH_HPP
#define DATAFLEX_ALGORITHMS_ADAPT_MATH_HPP

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace dataflex::adapt {

// The mean of `rows` unit rows of width `cols` (row-major): mean cosine = x . mean for a unit x.
inline std::vector<double> anchor_mean(const std::vector<float>& anchors, size_t rows, size_t cols) {
  if (rows == 0) throw std::invalid_argument("ADAPT needs anchor examples: the run has no eval set (val_size = 0)");
  if (anchors.size() != rows * cols) throw std::invalid_argument("anchors: expected rows x cols values");
  std::vector<double> mean(cols, 0.0);
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < cols; ++c) mean[c] += anchors[r * cols + c];
  for (double& v : mean) v /= double(rows);
  return mean;
}

// Each sample's mean cosine to the anchors: the inner product of its unit row with the anchor mean.
inline std::vector<double> scores(const std::vector<float>& samples, size_t rows, const std::vector<double>& mean) {
  const size_t cols = mean.size();
  if (samples.size() != rows * cols) throw std::invalid_argument("samples: expected rows x cols values");
  std::vector<double> out(rows, 0.0);
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < cols; ++c) out[r] += double(samples[r * cols + c]) * mean[c];
  return out;
}

// w = sigmoid(score / tau), capped at `clip` when clip > 0. The weights are absolute: they scale each
// sample's loss (sum w l / B), they are not renormalised.
inline std::vector<double> weights(const std::vector<double>& score, double tau, double clip) {
  if (!(tau > 0)) throw std::invalid_argument("tau must be > 0");
  std::vector<double> w(score.size());
  for (size_t i = 0; i < w.size(); ++i) {
    w[i] = 1.0 / (1.0 + std::exp(-score[i] / tau));
    if (clip > 0) w[i] = std::min(w[i], clip);
  }
  return w;
}

}  // namespace dataflex::adapt

#endif  // DATAFLEX_ALGORITHMS_ADAPT_MATH_HPP
