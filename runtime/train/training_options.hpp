// training_options.hpp -- the run config's [model], [data] and [training] tables as plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/corpus.hpp"
#include "config/run_config.hpp"
#include "model/lora_config.hpp"

namespace dataflex {

class RunConfig;

struct TrainingOptions {
  // [model]
  std::string model_name_or_path = "builtin:tiny";
  std::string tokenizer;               // empty: the model's folder
  std::string adapter_name_or_path;
  std::string finetuning_type = "full";  // full | lora | freeze
  LoraConfig lora;
  int64_t freeze_trainable_layers = 2;
  std::vector<std::string> freeze_trainable_modules{"all"};
  bool export_merged = false;
  // [data]
  DataOptions data;
  // [training]
  std::string output_dir = "output";
  bool overwrite_output_dir = false;
  std::string resume_from_checkpoint;
  uint64_t seed = 42;
  int64_t max_steps = -1;
  double num_train_epochs = 3.0;
  int64_t batch_size = 8;
  int64_t eval_batch_size = 8;
  int64_t gradient_accumulation_steps = 1;
  double learning_rate = 1e-3;
  std::string lr_scheduler_type = "linear";
  int64_t warmup_steps = 0;
  double warmup_ratio = 0.0;
  double weight_decay = 0.0;
  double adam_beta1 = 0.9, adam_beta2 = 0.999, adam_epsilon = 1e-8;
  double max_grad_norm = 1.0;
  int64_t logging_steps = 10;
  int64_t eval_steps = 0;
  int64_t save_steps = 500;
  int64_t save_total_limit = 0;
  std::string save_dtype = "float32";
  int64_t num_threads = 0;
  std::string device = "auto";
  bool bf16 = true;
  // [dataflex]: the trainer and its plugin
  TrainType train_type = TrainType::Static;
  std::string component_name;
  int64_t warmup_step = 0, update_step = 100, update_times = -1;
  int64_t select_count = 0;
  bool select_with_replacement = false;
  std::string mixture_unit = "samples";
  std::string mix_apply = "sampling";
  // [dataflex]: what the host services need
  std::string reference_model;
  std::string embedding_model;
  std::string embeddings_file;
  int64_t signal_batch_size = 8;
  int64_t signal_cache_mb = 1024;

  static TrainingOptions from_config(const RunConfig& config);
  // Steps of the run: max_steps, or num_train_epochs over `train_size` samples.
  int64_t total_steps(int64_t train_size) const;
  int64_t warmup(int64_t total) const;
};

}  // namespace dataflex
