// host/decision_rules.hpp -- the rules the host holds every plugin answer to (header-only, C++17).
//
// The runtime refuses an answer that breaks one of them and stops the run naming the rule;
// <dataflex/testing.hpp> applies the same rules, so a plugin's unit test fails where a run would.
#ifndef DATAFLEX_HOST_DECISION_RULES_HPP
#define DATAFLEX_HOST_DECISION_RULES_HPP

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace dataflex::host {

// A selection: exactly `num_select` ids written, each in [0, pool_size), distinct unless allowed.
// Returns the first broken rule as a sentence, or nullopt.
inline std::optional<std::string> check_selection(const std::vector<int64_t>& ids, std::size_t num_written,
                                                  std::size_t pool_size, std::size_t num_select,
                                                  bool allow_duplicates) {
  if (num_written != num_select)
    return "wrong count: " + std::to_string(num_written) + " ids returned, " + std::to_string(num_select) +
           " asked for";
  std::unordered_set<int64_t> seen;
  for (std::size_t i = 0; i < num_written; ++i) {
    const int64_t id = ids[i];
    if (id < 0 || static_cast<uint64_t>(id) >= pool_size)
      return "index out of range: ids[" + std::to_string(i) + "] = " + std::to_string(id) +
             " is outside the pool [0, " + std::to_string(pool_size) + ")";
    if (!allow_duplicates && !seen.insert(id).second)
      return "duplicate index: " + std::to_string(id) + " appears more than once (duplicates are not allowed)";
  }
  return std::nullopt;
}

// Proportions and weights obey one rule: finite, non-negative, and not all zero. `what` names the
// element in messages ("proportion", "weight").
inline std::optional<std::string> check_nonnegative(const std::vector<double>& v, const std::string& what) {
  const std::string array = what + "s";
  double sum = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string at = array + "[" + std::to_string(i) + "]";
    if (std::isnan(v[i])) return "NaN " + what + ": " + at + " is NaN";
    if (!std::isfinite(v[i])) return "infinite " + what + ": " + at + " is not finite";
    if (v[i] < 0) return "negative " + what + ": " + at + " = " + std::to_string(v[i]);
    sum += v[i];
  }
  if (!v.empty() && !(sum > 0)) return "zero " + array + ": every " + what + " is 0";
  return std::nullopt;
}

inline std::optional<std::string> check_proportions(const std::vector<double>& p) {
  if (p.empty()) return std::string("no proportions: there are no domains");
  return check_nonnegative(p, "proportion");
}

// Weights also fit float32: the host weights float32 losses with them.
inline std::optional<std::string> check_weights(const std::vector<double>& w) {
  if (auto broken = check_nonnegative(w, "weight")) return broken;
  for (std::size_t i = 0; i < w.size(); ++i)
    if (w[i] > static_cast<double>(std::numeric_limits<float>::max()))
      return "weight too large: weights[" + std::to_string(i) + "] = " + std::to_string(w[i]) +
             " exceeds float32's range (3.4e38), in which the host weights the losses";
  return std::nullopt;
}

// Proportions scaled to sum 1. Huge values (a sum beyond double's range) are scaled down first, so
// that 1e308 means what it says rather than turning every proportion into 0.
inline std::vector<double> normalized(std::vector<double> p) {
  double sum = 0;
  for (double x : p) sum += x;
  if (!std::isfinite(sum)) {
    const double top = *std::max_element(p.begin(), p.end());
    sum = 0;
    for (double& x : p) sum += (x /= top);
  }
  for (double& x : p) x /= sum;
  return p;
}

// What a batch's weights summarise to, in decisions.jsonl and in `plugins run` output.
struct WeightSummary {
  double min = 0, max = 0, mean = 0;
  double entropy = 0;        // of the weights normalised to sum 1, in nats
  double weighted_loss = 0;  // what the Weight trainer optimises: sum w_i l_i / sum w_i, or / n when absolute
};
inline WeightSummary summarize_weights(const std::vector<double>& w, const std::vector<float>& losses,
                                       bool absolute = false) {
  WeightSummary s;
  if (w.empty()) return s;
  s.min = *std::min_element(w.begin(), w.end());
  s.max = *std::max_element(w.begin(), w.end());
  double sum = 0, weighted = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    sum += w[i];
    if (i < losses.size()) weighted += w[i] * losses[i];
  }
  s.mean = sum / static_cast<double>(w.size());
  for (double x : w) {
    const double p = x / sum;
    if (p > 0) s.entropy -= p * std::log(p);
  }
  s.weighted_loss = absolute ? weighted / static_cast<double>(w.size()) : sum > 0 ? weighted / sum : 0.0;
  return s;
}

}  // namespace dataflex::host

#endif  // DATAFLEX_HOST_DECISION_RULES_HPP
