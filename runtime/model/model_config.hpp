// model_config.hpp -- the LLaMA-family architecture, read from and written to Hugging Face's
// config.json (LlamaForCausalLM, Qwen2ForCausalLM, MistralForCausalLM share this shape).
#pragma once

#include <cstdint>
#include <string>

namespace dataflex {

struct RopeScaling {
  std::string type;  // "" (none), "linear", "llama3"
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 8192;
};

struct ModelConfig {
  std::string model_type = "llama";  // "llama", "qwen2", "mistral"
  std::string architecture = "LlamaForCausalLM";
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 0;  // hidden_size / num_attention_heads unless given
  int64_t max_position_embeddings = 2048;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  bool attention_bias = false;  // q/k/v biases (always on for qwen2)
  bool mlp_bias = false;
  bool tie_word_embeddings = false;
  int64_t bos_token_id = -1;
  int64_t eos_token_id = -1;
  std::string torch_dtype = "float32";
  double initializer_range = 0.02;

  // Reads DIR/config.json; throws dataflex::Error naming the file and key.
  static ModelConfig load(const std::string& config_json_path);
  // The embedded default: a few million parameters over the byte tokenizer's vocabulary.
  static ModelConfig builtin_tiny(int64_t vocab_size);
  std::string to_json() const;
  void check(const std::string& where) const;  // consistent sizes, or a one-line error
  int64_t parameter_count() const;
};

}  // namespace dataflex
