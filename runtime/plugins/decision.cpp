#include "plugins/decision.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace dataflex {

std::optional<std::string> check_selection(const std::vector<int64_t>& ids, size_t num_written,
                                           size_t pool_size, size_t num_select, bool allow_duplicates) {
  if (num_written != num_select)
    return "wrong count: " + std::to_string(num_written) + " ids returned, " + std::to_string(num_select) +
           " asked for";
  std::unordered_set<int64_t> seen;
  for (size_t i = 0; i < num_written; ++i) {
    const int64_t id = ids[i];
    if (id < 0 || static_cast<uint64_t>(id) >= pool_size)
      return "index out of range: ids[" + std::to_string(i) + "] = " + std::to_string(id) +
             " is outside the pool [0, " + std::to_string(pool_size) + ")";
    if (!allow_duplicates && !seen.insert(id).second)
      return "duplicate index: " + std::to_string(id) + " appears more than once (duplicates are not allowed)";
  }
  return std::nullopt;
}

std::optional<std::string> check_proportions(const std::vector<double>& p) {
  double sum = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (std::isnan(p[i])) return "NaN proportion: proportions[" + std::to_string(i) + "] is NaN";
    if (!std::isfinite(p[i])) return "infinite proportion: proportions[" + std::to_string(i) + "] is not finite";
    if (p[i] < 0)
      return "negative proportion: proportions[" + std::to_string(i) + "] = " + std::to_string(p[i]);
    sum += p[i];
  }
  if (!(sum > 0)) return "zero proportions: the proportions sum to 0";
  return std::nullopt;
}

std::optional<std::string> check_weights(const std::vector<double>& w) {
  double sum = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    if (std::isnan(w[i])) return "NaN weight: weights[" + std::to_string(i) + "] is NaN";
    if (!std::isfinite(w[i])) return "infinite weight: weights[" + std::to_string(i) + "] is not finite";
    if (w[i] < 0) return "negative weight: weights[" + std::to_string(i) + "] = " + std::to_string(w[i]);
    sum += w[i];
  }
  if (!w.empty() && !(sum > 0)) return "zero weights: every weight is 0";
  return std::nullopt;
}

WeightSummary summarize_weights(const std::vector<double>& w) {
  WeightSummary s{0, 0, 0, 0};
  if (w.empty()) return s;
  s.min = *std::min_element(w.begin(), w.end());
  s.max = *std::max_element(w.begin(), w.end());
  double sum = 0;
  for (double x : w) sum += x;
  s.mean = sum / double(w.size());
  for (double x : w) {
    const double p = x / sum;
    if (p > 0) s.entropy -= p * std::log(p);
  }
  return s;
}

}  // namespace dataflex
