// decision.hpp -- what plugins decide, and the rules the host holds every answer to.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dataflex {

// Where in training a decision is taken (mirrors dfx_decision_context).
struct DecisionContext {
  int64_t step = 0;
  int64_t total_steps = 0;
  int64_t decision_index = 0;
  int64_t max_decisions = -1;
  uint64_t seed = 0;
};

struct Selection {
  std::vector<int64_t> ids;
  std::vector<double> scores;  // one per id; NaN where the plugin gave none
};

struct Mixture {
  std::vector<double> proportions;  // normalised to sum 1
};

struct Weights {
  std::vector<double> weights;
};

// Each check returns the first broken rule as a sentence, or nullopt when the answer is valid.
std::optional<std::string> check_selection(const std::vector<int64_t>& ids, size_t num_written,
                                           size_t pool_size, size_t num_select, bool allow_duplicates);
std::optional<std::string> check_proportions(const std::vector<double>& proportions);
std::optional<std::string> check_weights(const std::vector<double>& weights);

// Summary statistics that land in decisions.jsonl and in `plugins run` output.
struct WeightSummary {
  double min, max, mean, entropy;  // entropy of the weights normalised to sum 1, in nats
};
WeightSummary summarize_weights(const std::vector<double>& weights);

}  // namespace dataflex
