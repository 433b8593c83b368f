// less_targets.hpp -- what LESS and ClusterLESS ask of the host for the target side: every eval
// example's plain (SGD) projected gradient, as one mean unit row per target subtask (less_math.hpp).
// Header-only, compiled into each plugin that includes it.
#pragma once

#include <dataflex/plugin.hpp>

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

// The target side of a decision: every eval example's plain gradient, as mean unit rows per subtask.
inline TargetMeans target_means(const HostServices& host, HostServices::GradientOptions options, bool by_subtask) {
  const TargetSubtasks subtasks = target_subtasks(host, by_subtask);
  const size_t n_eval = subtasks.of_example.size();
  if (n_eval == 0) throw std::invalid_argument("LESS needs target examples: the run has no eval set (val_size = 0)");
  std::vector<int64_t> eval_ids(n_eval);
  std::iota(eval_ids.begin(), eval_ids.end(), int64_t{0});
  options.preconditioner = DFX_PRECONDITIONER_SGD;
  auto targets = host.gradient_features(DFX_DATASET_EVAL, eval_ids, options);
  normalize_rows(targets.data, targets.rows, targets.cols);
  TargetMeans out{subtask_means(targets.data, targets.rows, targets.cols, subtasks.of_example, subtasks.count),
                  targets.cols};
  host.metric("less.subtasks", double(out.means.size()));
  return out;
}

}  // namespace dataflex::less
