// loss_math.hpp -- the arithmetic of the `loss` selector, kept apart from the plugin glue so the unit
// tests (tests/loss_math_test.cpp) check exactly what the plugin runs.
//
// The original DataFlex loss selector (src/dataflex/train/selector/loss_selector.py): split the
// pool's losses into terciles at the 0.33 / 0.66 quantiles (torch.quantile, linear interpolation),
// give the focus tercile weight `focus_weight` and the others 1, and draw from
//     p_i ∝ (w_i + 1e-12)^(1/T).
#ifndef DATAFLEX_ALGORITHMS_LOSS_MATH_HPP
#define DATAFLEX_ALGORITHMS_LOSS_MATH_HPP

#include <dataflex/random.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace dataflex::loss_selector {

// The quantile levels that cut the pool into terciles (the original's default `quantiles`).
constexpr double kLowQuantile = 0.33;
constexpr double kHighQuantile = 0.66;
// Added to every weight before tempering, as in the original: keeps p > 0 where w = 0.
constexpr double kWeightEpsilon = 1e-12;

// The q-quantile of `values` by linear interpolation between order statistics at position (n-1)q
// (numpy's default method 'linear', = torch.quantile's 'linear'). Non-finite values must have been
// removed; `values` may be in any order. NaN for an empty input.
inline double linear_quantile(std::vector<double> values, double q) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const double position = double(values.size() - 1) * q;
  const auto below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, values.size() - 1);
  const double fraction = position - double(below);
  return values[below] + (values[above] - values[below]) * fraction;
}

enum class Bucket { Low, Medium, High };

inline Bucket parse_bucket(const std::string& name) {
  if (name == "low") return Bucket::Low;
  if (name == "medium") return Bucket::Medium;
  if (name == "high") return Bucket::High;
  throw std::invalid_argument("focus must be \"low\", \"medium\" or \"high\", not \"" + name + "\"");
}

// Closed on the right, as in the original: low = (-inf, q_low], medium = (q_low, q_high],
// high = (q_high, +inf). A loss equal to a cut point falls in the lower bucket.
inline Bucket bucket_of(double loss, double q_low, double q_high) {
  if (loss <= q_low) return Bucket::Low;
  if (loss <= q_high) return Bucket::Medium;
  return Bucket::High;
}

struct Terciles {
  double q_low = std::numeric_limits<double>::quiet_NaN();   // 0.33-quantile of the finite losses
  double q_high = std::numeric_limits<double>::quiet_NaN();  // 0.66-quantile of the finite losses
  std::vector<double> probabilities;                         // one per sample, summing to 1
  size_t focus_count = 0;                                    // samples in the focus bucket
};

// The sampling distribution over the pool. A non-finite loss gets w = 0 (so p ∝ 1e-12^(1/T), the
// original's treatment); when no loss is finite the distribution is uniform.
// Tempering is computed as ((w + eps) / max(w + eps))^(1/T): the same proportions as the original's
// (w + eps)^(1/T), without overflow for small T.
inline Terciles tercile_probabilities(const std::vector<double>& losses, Bucket focus, double focus_weight,
                                      double temperature) {
  if (!(temperature > 0)) throw std::invalid_argument("temperature must be > 0");
  if (!(focus_weight >= 0)) throw std::invalid_argument("focus_weight must be >= 0");
  Terciles t;
  const size_t n = losses.size();
  std::vector<double> finite;
  for (double l : losses)
    if (std::isfinite(l)) finite.push_back(l);
  if (finite.empty()) {
    t.probabilities.assign(n, n ? 1.0 / double(n) : 0.0);
    return t;
  }
  t.q_low = linear_quantile(finite, kLowQuantile);
  t.q_high = linear_quantile(finite, kHighQuantile);

  std::vector<double> w(n, kWeightEpsilon);  // w + eps, with w = 0 for a non-finite loss
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(losses[i])) continue;
    const bool in_focus = bucket_of(losses[i], t.q_low, t.q_high) == focus;
    t.focus_count += in_focus;
    w[i] += in_focus ? focus_weight : 1.0;
  }
  const double w_max = *std::max_element(w.begin(), w.end());
  double sum = 0;
  for (auto& v : w) {
    v = std::pow(v / w_max, 1.0 / temperature);
    sum += v;
  }
  for (auto& v : w) v /= sum;  // sum >= 1: the largest term is exactly 1
  t.probabilities = std::move(w);
  return t;
}

}  // namespace dataflex::loss_selector

#endif  // DATAFLEX_ALGORITHMS_LOSS_MATH_HPP
