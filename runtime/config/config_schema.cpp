// The declared keys of the run config. Later layers add their keys here; nothing else needs to change
// for the key to be parsed, checked, overridable with --set and listed by `dataflex-run config keys`.
#include "config/run_config.hpp"

namespace dataflex {

const std::vector<ConfigKey>& config_schema() {
  using P = ParamValue;
  static const std::vector<ConfigKey> keys = {
      // [model]
      {"model", "model_name_or_path", ParamType::String, P::of_string("builtin:tiny"), {}, {},
       "Hugging Face model folder, or builtin:tiny for the embedded default model"},
      // [data]
      {"data", "dataset_dir", ParamType::String, P::of_string("data"), {}, {},
       "folder holding dataset_info.json (relative to the working directory, as in LLaMA-Factory)"},
      {"data", "dataset", ParamType::StringList, P::of_string_list({}), {}, {},
       "dataset names from dataset_info.json; each one is a domain"},
      {"data", "cutoff_len", ParamType::Int, P::of_int(512), {}, 1.0, "maximum tokens per sample"},
      // [training]
      {"training", "output_dir", ParamType::String, P::of_string("output"), {}, {},
       "where logs, checkpoints and the final model are written"},
      {"training", "seed", ParamType::Int, P::of_int(42), {}, 0.0,
       "seed of the model init, the data order and every plugin decision"},
      {"training", "max_steps", ParamType::Int, P::of_int(100), {}, 1.0, "optimizer steps of the run"},
      {"training", "per_device_train_batch_size", ParamType::Int, P::of_int(8), {}, 1.0,
       "samples per micro-batch on each rank"},
      {"training", "gradient_accumulation_steps", ParamType::Int, P::of_int(1), {}, 1.0,
       "micro-batches per optimizer step"},
      {"training", "learning_rate", ParamType::Float, P::of_float(1e-3), {}, 0.0, "peak learning rate"},
      // [dataflex]
      {"dataflex", "train_type", ParamType::String, P::of_string("static"),
       {"static", "dynamic_select", "dynamic_mix", "dynamic_weight"}, {},
       "static | dynamic_select | dynamic_mix | dynamic_weight"},
      {"dataflex", "component_name", ParamType::String, P::of_string(""), {}, {},
       "the plugin (selector, mixer or weighter) that takes the decisions; empty for full data"},
      {"dataflex", "warmup_step", ParamType::Int, P::of_int(0), {}, 0.0,
       "optimizer step of the first decision"},
      {"dataflex", "update_step", ParamType::Int, P::of_int(100), {}, 1.0,
       "optimizer steps between two decisions"},
      {"dataflex", "update_times", ParamType::Int, P::of_int(-1), {}, {},
       "number of decisions; <= 0: until training ends"},
  };
  return keys;
}

}  // namespace dataflex
