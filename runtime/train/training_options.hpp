// training_options.hpp -- the run config's [model], [data] and [training] tables as plain values.
//
// The defaults live in one place, the config schema (config/config_schema.cpp): options come from
// from_config(), or defaults() for code that starts from the schema's defaults (tests).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/run_config.hpp"
#include "data/corpus.hpp"
#include "model/lora_config.hpp"
#include "train/lr_schedule.hpp"

namespace dataflex {

enum class FinetuningType { Full, Lora, Freeze };
enum class MixApply { Sampling, LossWeight };  // dataflex.apply
enum class MixtureUnit { Samples, Tokens };    // dataflex.mixture_unit
enum class PluginIsolation { None, Process };  // dataflex.plugin_isolation
const char* to_string(FinetuningType t);
const char* to_string(MixApply a);

struct TrainingOptions {
  // [model]
  std::string model_name_or_path;
  std::string tokenizer;  // empty: the model's folder
  std::string adapter_name_or_path;
  FinetuningType finetuning_type{};
  LoraConfig lora;
  int64_t freeze_trainable_layers{};
  std::vector<std::string> freeze_trainable_modules;
  bool export_merged{};
  // [data]
  DataOptions data;
  // [training]
  std::string output_dir;
  bool overwrite_output_dir{};
  std::string resume_from_checkpoint;
  uint64_t seed{};
  int64_t max_steps{};
  double num_train_epochs{};
  int64_t batch_size{};
  int64_t eval_batch_size{};
  int64_t gradient_accumulation_steps{};
  double learning_rate{};
  LrScheduleType lr_scheduler_type{};
  int64_t warmup_steps{};
  double warmup_ratio{};
  double weight_decay{};
  double adam_beta1{}, adam_beta2{}, adam_epsilon{};
  double max_grad_norm{};
  int64_t logging_steps{};
  bool plot_loss = false;
  bool fused_kernels = true;
  bool report_to_tensorboard = false;
  int64_t eval_steps{};
  int64_t save_steps{};
  int64_t save_total_limit{};
  std::string save_dtype;
  int64_t num_threads{};
  std::string device;
  bool bf16{};
  // [dataflex]: the trainer and its plugin
  TrainType train_type{};
  std::string component_name;
  int64_t warmup_step{}, update_step{}, update_times{};
  int64_t select_count{};
  bool select_with_replacement{};
  MixtureUnit mixture_unit{};
  MixApply mix_apply{};
  double plugin_timeout_s{};
  PluginIsolation plugin_isolation{};
  bool reset_plugin_state{};             // dataflex.reset_plugin_state
  bool keep_last_decision_on_failure{};  // on_plugin_failure = "keep_last_decision"
  double candidates{};                   // Select: < 1 a fraction of the pool, >= 1 a count, 0 all
  int64_t decision_staleness{};          // steps a decision is applied after its snapshot (0: synchronous)
  int64_t decision_threads{};            // the overlapped decision's threads (0: half of num_threads)
  // [dataflex]: what the host services need
  std::string reference_model;
  std::vector<double> sampling_proportions;  // dataflex.sampling_proportions (apply = loss_weight)
  std::string embedding_model;
  std::string policy_model;     // NICE: responses sampled from this model instead of the trained one
  std::string reward_model;     // NICE: a *ForSequenceClassification folder
  std::string reward_template;  // the reward model's input, with {prompt}, {reference}, {response}
  std::string embeddings_file;
  int64_t signal_batch_size{};
  int64_t signal_cache_mb{};
  std::string signal_precision;  // "float32" or "bfloat16" (the services' linear maps; Bf16Matmuls)
  // [distributed]
  double distributed_timeout_s{};
  int64_t bucket_mb{};
  bool shard_optimizer_state{};
  // Ranks of the run: set by the trainer from the launcher's variables, not by the config. Each rank
  // trains batch_size samples per micro-batch, so the global batch grows with it (as transformers').
  int64_t world_size = 1;

  static TrainingOptions from_config(const RunConfig& config);
  // Every option at the schema's default.
  static TrainingOptions defaults();
  // Steps of the run: max_steps, or num_train_epochs over `train_size` samples.
  int64_t total_steps(int64_t train_size) const;
  int64_t warmup(int64_t total) const;
  // The learning rate per step of a run of `total` optimizer steps.
  LrSchedule lr_schedule(int64_t total) const { return {lr_scheduler_type, learning_rate, warmup(total), total}; }
  // Samples per optimizer step.
  int64_t global_batch() const { return batch_size * gradient_accumulation_steps * world_size; }
};

}  // namespace dataflex
