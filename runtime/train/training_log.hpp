// training_log.hpp -- the output files LLaMA-Factory users look for.
//
//   trainer_log.jsonl   one line per logging step / evaluation (LLaMA-Factory's LogCallback fields)
//   trainer_state.json  transformers' TrainerState, with log_history (also inside every checkpoint)
//   all_results.json    the final train (and eval) metrics
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/scalar_sink.hpp"

namespace dataflex {

std::string format_duration(double seconds);  // "0:01:05", as LLaMA-Factory writes it

class TrainingLog {
 public:
  // `resumed_step` > 0: keeps the lines of trainer_log.jsonl up to that step (a killed run may have
  // logged past its last checkpoint) and continues `history` from the checkpoint's trainer_state.json.
  // `scalars` (may be null, not owned): where the logged values also go, as transformers tags them
  // (train/loss, eval/loss, ...).
  TrainingLog(std::string output_dir, int64_t total_steps, int64_t resumed_step, nlohmann::json history,
              ScalarSink* scalars = nullptr);

  struct TrainPoint {
    int64_t step;
    double loss, grad_norm, learning_rate, epoch, tokens_per_s, elapsed_s;
    double peak_memory_mb = 0;        // the process's peak resident set so far
    double activation_memory_mb = 0;  // the most a step's forward passes held for backward, this window
  };
  void log_train(const TrainPoint& p);
  // Eval metrics: "eval_loss" plus per domain "eval_<domain>_loss".
  void log_eval(int64_t step, double epoch, const std::map<std::string, double>& metrics, double elapsed_s);
  void log_final(int64_t step, double epoch, const std::map<std::string, double>& metrics);
  // What the plugin recorded at the decision taken at `step` (before step + 1 was trained).
  void log_plugin_metrics(int64_t step, const std::map<std::string, double>& metrics);

  const nlohmann::json& history() const { return history_; }
  // TrainerState JSON for `step` (written into checkpoints and at the end).
  std::string trainer_state(int64_t step, double epoch, const nlohmann::json& extra) const;

 private:
  void append_line(const nlohmann::ordered_json& line);
  std::string output_dir_;
  int64_t total_steps_;
  nlohmann::json history_;
  ScalarSink* scalars_;
};

}  // namespace dataflex
