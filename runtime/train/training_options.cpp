#include "train/training_options.hpp"

#include <cmath>

#include "config/run_config.hpp"
#include "util/error.hpp"

namespace dataflex {

const char* to_string(FinetuningType t) {
  switch (t) {
    case FinetuningType::Full: return "full";
    case FinetuningType::Lora: return "lora";
    case FinetuningType::Freeze: return "freeze";
  }
  return "?";
}

const char* to_string(MixApply a) { return a == MixApply::Sampling ? "sampling" : "loss_weight"; }

namespace {

// The schema has checked each string against its choices already.
FinetuningType finetuning_type_of(const std::string& s) {
  return s == "lora" ? FinetuningType::Lora : s == "freeze" ? FinetuningType::Freeze : FinetuningType::Full;
}

LrScheduleType lr_schedule_of(const std::string& s) {
  if (s == "cosine") return LrScheduleType::Cosine;
  if (s == "constant") return LrScheduleType::Constant;
  if (s == "constant_with_warmup") return LrScheduleType::ConstantWithWarmup;
  return LrScheduleType::Linear;
}

}  // namespace

TrainingOptions TrainingOptions::defaults() { return from_config(RunConfig::defaults()); }

TrainingOptions TrainingOptions::from_config(const RunConfig& c) {
  TrainingOptions o;
  o.model_name_or_path = c.get_string("model.model_name_or_path");
  o.tokenizer = c.get_string("model.tokenizer");
  o.adapter_name_or_path = c.get_string("model.adapter_name_or_path");
  o.finetuning_type = finetuning_type_of(c.get_string("model.finetuning_type"));
  o.lora.rank = c.get_int("model.lora_rank");
  o.lora.alpha =
      c.get_float("model.lora_alpha") > 0 ? c.get_float("model.lora_alpha") : 2.0 * static_cast<double>(o.lora.rank);
  o.lora.dropout = c.get_float("model.lora_dropout");
  o.lora.target = c.get_string_list("model.lora_target");
  o.freeze_trainable_layers = c.get_int("model.freeze_trainable_layers");
  o.freeze_trainable_modules = c.get_string_list("model.freeze_trainable_modules");
  o.export_merged = c.get_bool("model.export_merged");

  o.data.dataset_dir = c.get_string("data.dataset_dir");
  o.data.dataset = c.get_string_list("data.dataset");
  o.data.eval_dataset = c.get_string_list("data.eval_dataset");
  o.data.stage = c.get_string("data.stage");
  o.data.template_name = c.get_string("data.template");
  o.data.cutoff_len = c.get_int("data.cutoff_len");
  o.data.train_on_prompt = c.get_bool("data.train_on_prompt");
  // LLaMA-Factory packs pre-training text by default and sft data only when asked.
  o.data.packing = c.is_set("data.packing") ? c.get_bool("data.packing") : o.data.stage == "pt";
  o.data.val_size = c.get_float("data.val_size");
  o.data.max_samples = c.get_int("data.max_samples");
  o.data.seed = static_cast<uint64_t>(c.get_int("training.seed"));

  o.output_dir = c.get_string("training.output_dir");
  o.overwrite_output_dir = c.get_bool("training.overwrite_output_dir");
  o.resume_from_checkpoint = c.get_string("training.resume_from_checkpoint");
  o.seed = static_cast<uint64_t>(c.get_int("training.seed"));
  o.max_steps = c.get_int("training.max_steps");
  o.num_train_epochs = c.get_float("training.num_train_epochs");
  o.batch_size = c.get_int("training.per_device_train_batch_size");
  o.eval_batch_size = c.get_int("training.per_device_eval_batch_size");
  o.gradient_accumulation_steps = c.get_int("training.gradient_accumulation_steps");
  o.learning_rate = c.get_float("training.learning_rate");
  o.lr_scheduler_type = lr_schedule_of(c.get_string("training.lr_scheduler_type"));
  o.warmup_steps = c.get_int("training.warmup_steps");
  o.warmup_ratio = c.get_float("training.warmup_ratio");
  o.weight_decay = c.get_float("training.weight_decay");
  o.adam_beta1 = c.get_float("training.adam_beta1");
  o.adam_beta2 = c.get_float("training.adam_beta2");
  o.adam_epsilon = c.get_float("training.adam_epsilon");
  o.max_grad_norm = c.get_float("training.max_grad_norm");
  o.logging_steps = c.get_int("training.logging_steps");
  o.plot_loss = c.get_bool("training.plot_loss");
  o.fused_kernels = c.get_bool("training.fused_kernels");
  for (const auto& to : c.get_string_list("training.report_to")) {
    if (to == "tensorboard") {
      o.report_to_tensorboard = true;
    } else if (to != "none") {
      throw Error(c.origin("training.report_to") + ": report_to \"" + to +
                  "\" is not supported (tensorboard or none; W&B imports the TensorBoard event files)");
    }
  }
  o.eval_steps = c.get_int("training.eval_steps");
  o.save_steps = c.get_int("training.save_steps");
  o.save_total_limit = c.get_int("training.save_total_limit");
  o.save_dtype = c.get_string("training.save_dtype");
  o.num_threads = c.get_int("training.num_threads");
  o.device = c.get_string("training.device");
  o.bf16 = c.get_bool("training.bf16");
  o.train_type = c.train_type();
  o.component_name = c.get_string("dataflex.component_name");
  o.warmup_step = c.get_int("dataflex.warmup_step");
  o.update_step = c.get_int("dataflex.update_step");
  o.update_times = c.get_int("dataflex.update_times");
  o.select_count = c.get_int("dataflex.select_count");
  o.select_with_replacement = c.get_bool("dataflex.select_with_replacement");
  o.mixture_unit = c.get_string("dataflex.mixture_unit") == "tokens" ? MixtureUnit::Tokens : MixtureUnit::Samples;
  o.mix_apply = c.get_string("dataflex.apply") == "loss_weight" ? MixApply::LossWeight : MixApply::Sampling;
  o.plugin_timeout_s = c.get_float("dataflex.plugin_timeout_s");
  o.reset_plugin_state = c.get_bool("dataflex.reset_plugin_state");
  o.plugin_isolation =
      c.get_string("dataflex.plugin_isolation") == "process" ? PluginIsolation::Process : PluginIsolation::None;
  o.keep_last_decision_on_failure = c.get_string("dataflex.on_plugin_failure") == "keep_last_decision";
  o.candidates = c.get_float("dataflex.candidates");
  o.decision_staleness = c.get_int("dataflex.decision_staleness");
  o.decision_threads = c.get_int("dataflex.decision_threads");
  o.reference_model = c.get_string("dataflex.reference_model");
  o.sampling_proportions = c.get_float_list("dataflex.sampling_proportions");
  for (double p : o.sampling_proportions)
    if (!(p >= 0) || !std::isfinite(p))
      throw Error(c.origin("dataflex.sampling_proportions") +
                  ": dataflex.sampling_proportions: expected values >= 0, found " + std::to_string(p));
  o.embedding_model = c.get_string("dataflex.embedding_model");
  o.policy_model = c.get_string("dataflex.policy_model");
  o.reward_model = c.get_string("dataflex.reward_model");
  o.reward_template = c.get_string("dataflex.reward_template");
  o.embeddings_file = c.get_string("dataflex.embeddings_file");
  o.signal_batch_size = c.get_int("dataflex.signal_batch_size");
  o.signal_cache_mb = c.get_int("dataflex.signal_cache_mb");
  o.signal_precision = c.get_string("dataflex.signal_precision");
  o.distributed_timeout_s = c.get_float("distributed.timeout_s");
  o.bucket_mb = c.get_int("distributed.bucket_mb");
  o.shard_optimizer_state = c.get_bool("distributed.shard_optimizer_state");
  auto below_one = [&](const char* key, double v) {
    if (v >= 1.0) throw Error(c.origin(key) + ": " + key + " = " + std::to_string(v) + ", expected a value below 1");
  };
  below_one("model.lora_dropout", o.lora.dropout);
  below_one("training.adam_beta1", o.adam_beta1);
  below_one("training.adam_beta2", o.adam_beta2);
  return o;
}

int64_t TrainingOptions::total_steps(int64_t train_size) const {
  if (max_steps > 0) return max_steps;
  const int64_t per_step = global_batch();
  const int64_t per_epoch = std::max<int64_t>(1, (train_size + per_step - 1) / per_step);
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(num_train_epochs * static_cast<double>(per_epoch))));
}

int64_t TrainingOptions::warmup(int64_t total) const {
  if (warmup_steps > 0) return warmup_steps;
  return static_cast<int64_t>(std::ceil(warmup_ratio * static_cast<double>(total)));
}

}  // namespace dataflex
