// nice_math.hpp -- NICE's target side without the host: Monte-Carlo rewards turned into the weights of
// the responses' log-likelihood gradients (docs/algorithms/nice.md). Header-only.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace dataflex::nice {

enum class Baseline { None, Mean };

inline Baseline baseline_of(const std::string& name) {
  if (name == "none") return Baseline::None;
  if (name == "mean") return Baseline::Mean;
  throw std::invalid_argument("baseline: expected none or mean, found \"" + name + "\"");
}

// The weight of each response: its reward (NICE), or its reward minus the mean reward of its prompt's
// responses (a REINFORCE baseline: same expectation, less variance; a prompt whose responses all score
// alike then contributes nothing). `rewards` holds group_size responses per prompt, prompt by prompt.
inline std::vector<float> response_weights(const std::vector<float>& rewards, std::size_t group_size,
                                           Baseline baseline) {
  if (group_size == 0 || rewards.size() % group_size != 0)
    throw std::invalid_argument("rewards do not come in groups of " + std::to_string(group_size));
  std::vector<float> w(rewards);
  if (baseline == Baseline::None) return w;
  for (std::size_t g = 0; g < rewards.size(); g += group_size) {
    double mean = 0;
    for (std::size_t j = 0; j < group_size; ++j) mean += rewards[g + j];
    mean /= static_cast<double>(group_size);
    for (std::size_t j = 0; j < group_size; ++j) w[g + j] = static_cast<float>(rewards[g + j] - mean);
  }
  return w;
}

// Each id repeated `times` times in place: the prompt of every response, response by response.
template <class T>
std::vector<T> repeat_each(const std::vector<T>& ids, std::size_t times) {
  std::vector<T> out;
  out.reserve(ids.size() * times);
  for (const T& id : ids)
    for (std::size_t j = 0; j < times; ++j) out.push_back(id);
  return out;
}

}  // namespace dataflex::nice
