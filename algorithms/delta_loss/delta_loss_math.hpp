// delta_loss_math.hpp -- the arithmetic of the `delta_loss` selector, kept apart from the plugin glue
// so the unit tests (tests/delta_loss_test.cpp) check exactly what the plugin runs.
//
// Delta Loss (the original DataFlex's selector, src/dataflex/train/selector/delta_loss_selector.py in
// OpenDCAI/DataFlex): rank the pool by Δ = loss_then - loss_now (descending) and favour a window of
// the ranking that slides, along a sigmoid of training progress, from the samples whose loss fell
// most towards those whose loss fell least:
//     u      = (c - 1) / (U - 1)                       c = this decision (1-based), U = all decisions
//     σ(u)   = 1 / (1 + exp(-10 (u - 0.5)))
//     start  = ⌊σ(u) (N - wN)⌋,  end = ⌊σ(u) (N - wN) + wN⌋, cut at the first Δ < 0 in the ranking
//     weight = 1 inside [start, end), `outside_weight` outside.
#ifndef DATAFLEX_ALGORITHMS_DELTA_LOSS_MATH_HPP
#define DATAFLEX_ALGORITHMS_DELTA_LOSS_MATH_HPP

#include <dataflex/random.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

namespace dataflex::delta_loss {

// The sigmoid's steepness (the original's k = 10).
constexpr double kSigmoidSteepness = 10.0;

// A half-open range [start, end) of positions in the Δ ranking; empty when end <= start.
struct Window {
  int64_t start = 0;
  int64_t end = 0;
  int64_t size() const { return end > start ? end - start : 0; }
  bool contains(int64_t position) const { return position >= start && position < end; }
};

// Training progress u in [0, 1] at decision c (1-based) of U. U = 1 has no progress to measure:
// u = 0 for the first decision and 1 for any later one (as for every c >= U).
inline double window_progress(int64_t c, int64_t num_updates) {
  if (c <= 1) return 0.0;
  if (num_updates <= 1 || c >= num_updates) return 1.0;
  return double(c - 1) / double(num_updates - 1);
}

inline double window_sigmoid(double u) { return 1.0 / (1.0 + std::exp(-kSigmoidSteepness * (u - 0.5))); }

// The window before it is cut at the first negative Δ. The arithmetic follows the original's
// calculate_window_position term by term (delta = σ(u) (N - wN); int() truncation), so the bounds
// agree with it to the last integer.
inline Window window_bounds(int64_t c, int64_t num_updates, int64_t pool_size, double window_size) {
  const double n = double(pool_size);
  const double offset = window_sigmoid(window_progress(c, num_updates)) * (n - window_size * n);
  Window w;
  w.start = std::clamp<int64_t>(static_cast<int64_t>(offset), 0, pool_size);
  w.end = std::clamp<int64_t>(static_cast<int64_t>(offset + window_size * n), 0, pool_size);
  return w;
}

// Sample ids by Δ, largest first; ties keep the smaller id first, and a non-finite Δ (a NaN loss)
// ranks after every finite one.
inline std::vector<int64_t> rank_by_delta(const std::vector<double>& delta) {
  std::vector<int64_t> order(delta.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    const double da = delta[size_t(a)], db = delta[size_t(b)];
    const bool fa = std::isfinite(da), fb = std::isfinite(db);
    if (fa != fb) return fa;
    return fa && da > db;
  });
  return order;
}

// The first position of the ranking whose Δ is negative (or not finite); the ranking's length when
// there is none. The original cuts the window there: samples whose loss went up are never favoured.
inline int64_t first_negative_position(const std::vector<double>& delta, const std::vector<int64_t>& ranking) {
  for (size_t p = 0; p < ranking.size(); ++p) {
    const double d = delta[size_t(ranking[p])];
    if (!std::isfinite(d) || d < 0) return int64_t(p);
  }
  return int64_t(ranking.size());
}

// end = min(end, first negative position), never before start: a window cut before it begins is
// empty, and then every sample weighs `outside_weight` (a uniform draw), as in the original.
inline Window cut_at_first_negative(Window w, int64_t first_negative) {
  w.end = std::max(w.start, std::min(w.end, first_negative));
  return w;
}

// One weight per sample id: 1 for ids ranked inside the window, `outside_weight` elsewhere.
inline std::vector<double> window_weights(const std::vector<int64_t>& ranking, const Window& w, double outside_weight) {
  std::vector<double> weights(ranking.size(), outside_weight);
  for (int64_t p = w.start; p < w.end; ++p) weights[size_t(ranking[size_t(p)])] = 1.0;
  return weights;
}

// U when the run does not say (max_decisions <= 0, decisions until training ends) and the
// `num_updates` parameter is 0: decisions fall at first_step, first_step + d, ... while below
// total_steps (the runtime's schedule), and d is read off the steps seen so far. At least c, so u <= 1.
inline int64_t estimate_num_updates(int64_t c, int64_t step, int64_t first_step, int64_t total_steps) {
  if (c < 2 || step <= first_step) return std::max<int64_t>(c, 1);
  const int64_t interval = std::max<int64_t>(1, (step - first_step) / (c - 1));
  const int64_t remaining = total_steps - 1 - first_step;
  const int64_t estimate = remaining >= 0 ? remaining / interval + 1 : 1;
  return std::max(estimate, c);
}

}  // namespace dataflex::delta_loss

#endif  // DATAFLEX_ALGORITHMS_DELTA_LOSS_MATH_HPP
