// run_record.hpp -- what an output folder says about its run, read back for the report pages, the loss
// plots and `dataflex-run report` / `compare`.
//
// Read from trainer_log.jsonl, decisions.jsonl, run_config.toml, plugins.json and all_results.json. A run
// still writing its logs is read as far as it got: a last line cut short is skipped and named in `notes`.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace dataflex {

struct TimeSeries {
  std::vector<double> steps, values;
  void add(double step, double value) {
    steps.push_back(step);
    values.push_back(value);
  }
  bool empty() const { return steps.empty(); }
};

// Series by name, in the order they first appeared (a stacked area keeps the domains' order).
class NamedSeries {
 public:
  TimeSeries& at(const std::string& name);
  const std::vector<std::pair<std::string, TimeSeries>>& items() const { return items_; }
  bool empty() const { return items_.empty(); }

 private:
  std::vector<std::pair<std::string, TimeSeries>> items_;
};

// The scores of one selection decision, binned between their min and max.
struct ScoreHistogram {
  int64_t step = 0;
  double lo = 0, hi = 0;
  std::vector<double> counts;
};

struct RunRecord {
  std::string dir, label;  // label: the folder's name
  int64_t total_steps = 0, last_step = 0;
  bool finished = false;           // all_results.json is there
  std::string train_type, plugin;  // from run_config.toml / decisions.jsonl; empty when unknown
  NamedSeries train;               // loss, lr, throughput (tokens/s), grad_norm
  TimeSeries eval_loss;            // eval_loss
  NamedSeries eval_domain_loss;    // domain -> eval_<domain>_loss
  NamedSeries proportions;         // mixture decisions: domain -> proportion
  NamedSeries selected_share;      // selection decisions: domain -> share of the selected samples
  std::vector<ScoreHistogram> score_histograms;
  NamedSeries weights;         // weight decisions: min, mean, max, entropy
  NamedSeries plugin_metrics;  // what the plugin recorded at its decisions
  int64_t decisions = 0, plugin_failures = 0;
  std::string config_toml;            // run_config.toml as written at the run's start
  nlohmann::ordered_json provenance;  // plugins.json's "plugins" (an array), null when absent
  nlohmann::ordered_json results;     // all_results.json, null when absent
  std::vector<std::string> notes;     // what could not be read, one line each
};

// Reads the output folder `dir`; throws Error when it holds no trainer_log.jsonl (not a run folder).
RunRecord read_run_record(const std::string& dir);

// LLaMA-Factory's loss smoothing (its plot_loss): an EMA whose weight grows with the number of points,
// 1.8 * (sigmoid(0.05 n) - 0.5).
std::vector<double> smooth_like_llamafactory(const std::vector<double>& values);

}  // namespace dataflex
