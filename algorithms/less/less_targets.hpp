// less_targets.hpp -- what LESS and ClusterLESS ask of the host for the target side: every eval
// example's plain (SGD) projected gradient, as one mean unit row per target subtask (less_math.hpp).
// Header-only, compiled into each plugin that includes it.
#pragma once

#include <dataflex/plugin.hpp>
#include <dataflex/random.hpp>

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "less_math.hpp"

namespace dataflex::less {

inline dfx_projection projection_of(const std::string& name) {
  if (name == "none") return DFX_PROJECTION_NONE;
  if (name == "dense") return DFX_PROJECTION_DENSE;
  return DFX_PROJECTION_FACTORED;
}

// The projection parameters every gradient selector declares: proj_dim, projection, seed,
// parameter_filter.
inline HostServices::GradientOptions gradient_options(const Params& params) {
  HostServices::GradientOptions o;
  o.projection = projection_of(params.get_string("projection"));
  o.projection_dim = static_cast<uint32_t>(params.get_int("proj_dim"));
  o.projection_seed = static_cast<uint64_t>(params.get_int("seed"));
  o.parameter_filter = params.get_string("parameter_filter");
  return o;
}

struct TargetMeans {
  std::vector<std::vector<double>> means;  // one unit-row mean per non-empty subtask
  size_t width = 0;                        // feature columns
};

// Each eval example's target subtask: its domain with `by_subtask` (LESS's max over tasks), else 0 for
// all; and the number of subtasks.
struct TargetSubtasks {
  std::vector<int32_t> of_example;
  size_t count = 1;
};
inline TargetSubtasks target_subtasks(const HostServices& host, bool by_subtask) {
  const size_t n_eval = host.dataset_info(DFX_DATASET_EVAL).num_samples;
  TargetSubtasks t{std::vector<int32_t>(n_eval, 0), 1};
  if (by_subtask && n_eval > 0) {
    std::vector<int64_t> eval_ids(n_eval);
    std::iota(eval_ids.begin(), eval_ids.end(), int64_t{0});
    t.of_example = host.sample_domains(DFX_DATASET_EVAL, eval_ids);
    t.count = static_cast<size_t>(*std::max_element(t.of_example.begin(), t.of_example.end())) + 1;
  }
  return t;
}

// The target examples a decision uses: every eval example, or at most `per_subtask` of each subtask
// (LESS itself matches a few examples per task: 5 per MMLU subject, 3 per BBH task). The draw depends
// on `seed` and the subtasks only, so every decision of a run matches the same examples, as LESS's
// fixed few-shot sets do, and the lr-weighted history sums comparable scores. Ascending ids.
inline std::vector<int64_t> target_examples(const std::vector<int32_t>& subtask_of_example, size_t subtask_count,
                                            size_t per_subtask, uint64_t seed) {
  std::vector<int64_t> out;
  if (per_subtask == 0) {
    out.resize(subtask_of_example.size());
    std::iota(out.begin(), out.end(), int64_t{0});
    return out;
  }
  std::vector<std::vector<int64_t>> members(subtask_count);
  for (size_t i = 0; i < subtask_of_example.size(); ++i) {
    const int32_t t = subtask_of_example[i];
    if (t < 0 || size_t(t) >= subtask_count) throw std::invalid_argument("subtask out of range");
    members[size_t(t)].push_back(int64_t(i));
  }
  for (size_t t = 0; t < subtask_count; ++t) {
    const auto& m = members[t];
    Rng rng(seed ^ 0x5441524745545321ull ^ (uint64_t(t) * 0x9E3779B97F4A7C15ull));
    for (int64_t j : rng.sample_without_replacement(int64_t(m.size()), int64_t(std::min(per_subtask, m.size()))))
      out.push_back(m[size_t(j)]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The target side of a decision: the target examples' plain gradients, as mean unit rows per subtask.
inline TargetMeans target_means(const HostServices& host, HostServices::GradientOptions options, bool by_subtask,
                                size_t per_subtask = 0) {
  const TargetSubtasks subtasks = target_subtasks(host, by_subtask);
  if (subtasks.of_example.empty())
    throw std::invalid_argument("LESS needs target examples: the run has no eval set (val_size = 0)");
  const std::vector<int64_t> ids =
      target_examples(subtasks.of_example, subtasks.count, per_subtask, options.projection_seed);
  std::vector<int32_t> subtask_of;
  for (int64_t id : ids) subtask_of.push_back(subtasks.of_example[size_t(id)]);
  options.preconditioner = DFX_PRECONDITIONER_SGD;
  auto targets = host.gradient_features(DFX_DATASET_EVAL, ids, options);
  normalize_rows(targets.data, targets.rows, targets.cols);
  TargetMeans out{subtask_means(targets.data, targets.rows, targets.cols, subtask_of, subtasks.count), targets.cols};
  host.metric("less.subtasks", double(out.means.size()));
  host.metric("less.targets", double(ids.size()));
  return out;
}

}  // namespace dataflex::less
