// loss_reweight_math.hpp -- per-sample loss reweighting within a batch.
//
// Sow, Wang, Liang et al., ICLR 2025, "Dynamic Loss-Based Sample Reweighting for Improved Large
// Language Model Pretraining"; the equations as in the authors' code (sowmaster/Sample-Level-Loss-
// Reweighting-ICLR-2025, src/trainer.py: h_func, f_func_*, g_func) and in the original DataFlex's
// `loss` weighter (src/dataflex/train/weighter/loss_weighter.py). Pure C++17, no SDK.
#ifndef DATAFLEX_ALGORITHMS_LOSS_REWEIGHT_MATH_HPP
#define DATAFLEX_ALGORITHMS_LOSS_REWEIGHT_MATH_HPP

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace dataflex::loss_reweight {

enum class Strategy {
  kLinUpper,   // min(n + δ, δ): down-weights the easiest samples, flat above the middle ("linupper")
  kUniform,    // n: the higher the loss, the higher the weight
  kQuadratic,  // 1 − n²/δ²: favours medium losses, down-weights both ends (the paper's "mid")
  kExtremes    // |n|: favours both ends
};

inline Strategy parse_strategy(const std::string& s) {
  if (s == "linupper") return Strategy::kLinUpper;
  if (s == "uniform") return Strategy::kUniform;
  if (s == "quadratic") return Strategy::kQuadratic;
  if (s == "extremes") return Strategy::kExtremes;
  throw std::invalid_argument("strategy must be one of linupper, uniform, quadratic, extremes; got \"" + s + "\"");
}

// h: losses mapped linearly onto [−δ, δ] by the batch's min and max:
//   D = max(ℓmax − ℓmin, 1e-6),  n_i = 2δℓ_i/D − δ(ℓmax + ℓmin)/D,
// computed as δ(2ℓ_i − (ℓmax + ℓmin))/D (the same value; exactly 0 when every loss is equal).
inline std::vector<double> normalized_losses(const std::vector<double>& losses, double delta) {
  if (losses.empty()) return {};
  const auto [lo, hi] = std::minmax_element(losses.begin(), losses.end());
  const double d = std::max(*hi - *lo, 1e-6);
  const double mid2 = *hi + *lo;
  std::vector<double> n(losses.size());
  for (size_t i = 0; i < losses.size(); ++i) n[i] = delta * (2.0 * losses[i] - mid2) / d;
  return n;
}

// f: the strategy's score of a normalised loss n ∈ [−δ, δ].
inline double strategy_score(Strategy s, double n, double delta) {
  switch (s) {
    case Strategy::kLinUpper: return std::min(n + delta, delta);
    case Strategy::kUniform: return n;
    case Strategy::kQuadratic: return 1.0 - n * n / (delta * delta);
    case Strategy::kExtremes: return std::fabs(n);
  }
  return n;
}

// g and the weights: w = softmax((f − max f)/r), which sums to 1 (the paper's exp(f/r) normalised, the
// max subtracted for stability exactly as its code does).
inline std::vector<double> sample_weights(const std::vector<double>& losses, Strategy s, double delta,
                                          double temperature) {
  if (!(delta > 0) || !std::isfinite(delta)) throw std::invalid_argument("delta must be positive");
  if (!(temperature > 0) || !std::isfinite(temperature)) throw std::invalid_argument("temperature must be positive");
  for (size_t i = 0; i < losses.size(); ++i)
    if (!std::isfinite(losses[i]))
      throw std::invalid_argument("sample " + std::to_string(i) + " of the batch has loss " +
                                  std::to_string(losses[i]));
  std::vector<double> f = normalized_losses(losses, delta);
  for (double& x : f) x = strategy_score(s, x, delta);
  if (f.empty()) return f;
  const double top = *std::max_element(f.begin(), f.end());
  double sum = 0;
  for (double& x : f) sum += x = std::exp((x - top) / temperature);
  for (double& x : f) x /= sum;  // sum >= 1: the maximum contributes exp(0)
  return f;
}

// The loss the Weight trainer optimises: Σ w_i ℓ_i (the weights sum to 1).
inline double weighted_loss(const std::vector<double>& weights, const std::vector<double>& losses) {
  double sum = 0;
  for (size_t i = 0; i < weights.size() && i < losses.size(); ++i) sum += weights[i] * losses[i];
  return sum;
}

}  // namespace dataflex::loss_reweight

#endif  // DATAFLEX_ALGORITHMS_LOSS_REWEIGHT_MATH_HPP
