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

namespace {

// Proportions and weights obey one rule: finite, non-negative, and not all zero. `what` names the
// element in messages ("proportion", "weight").
std::optional<std::string> check_nonnegative(const std::vector<double>& v, const std::string& what) {
  const std::string array = what + "s";
  double sum = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string at = array + "[" + std::to_string(i) + "]";
    if (std::isnan(v[i])) return "NaN " + what + ": " + at + " is NaN";
    if (!std::isfinite(v[i])) return "infinite " + what + ": " + at + " is not finite";
    if (v[i] < 0) return "negative " + what + ": " + at + " = " + std::to_string(v[i]);
    sum += v[i];
  }
  if (!v.empty() && !(sum > 0)) return "zero " + array + ": every " + what + " is 0";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> check_proportions(const std::vector<double>& p) {
  if (p.empty()) return std::string("no proportions: there are no domains");
  return check_nonnegative(p, "proportion");
}

std::optional<std::string> check_weights(const std::vector<double>& w) { return check_nonnegative(w, "weight"); }

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
