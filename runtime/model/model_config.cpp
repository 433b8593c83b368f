#include "model/model_config.hpp"

#include <nlohmann/json.hpp>

#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace {

using nlohmann::json;

int64_t get_int(const json& j, const std::string& file, const char* key, int64_t fallback, bool required) {
  if (!j.contains(key) || j[key].is_null()) {
    if (required) throw Error(file + ": " + key + ": missing, expected an integer");
    return fallback;
  }
  if (!j[key].is_number_integer()) throw Error(file + ": " + key + ": expected an integer");
  return j[key].get<int64_t>();
}
double get_num(const json& j, const std::string& file, const char* key, double fallback) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_number()) throw Error(file + ": " + key + ": expected a number");
  return j[key].get<double>();
}
bool get_bool(const json& j, const std::string& file, const char* key, bool fallback) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  if (!j[key].is_boolean()) throw Error(file + ": " + key + ": expected true or false");
  return j[key].get<bool>();
}

}  // namespace

ModelConfig ModelConfig::load(const std::string& file) {
  json j;
  try {
    j = json::parse(read_file(file));
  } catch (const json::exception& e) {
    throw Error(file + ": not valid JSON: " + one_line(e.what()));
  }
  if (!j.is_object()) throw Error(file + ": expected a JSON object");
  ModelConfig c;
  c.model_type = j.value("model_type", std::string("llama"));
  if (c.model_type != "llama" && c.model_type != "qwen2" && c.model_type != "mistral")
    throw Error(file + ": model_type: expected llama, qwen2 or mistral, found \"" + c.model_type + "\"");
  if (j.contains("architectures") && j["architectures"].is_array() && !j["architectures"].empty())
    c.architecture = j["architectures"][0].get<std::string>();
  else
    c.architecture = c.model_type == "qwen2" ? "Qwen2ForCausalLM" : "LlamaForCausalLM";
  c.vocab_size = get_int(j, file, "vocab_size", 0, true);
  c.hidden_size = get_int(j, file, "hidden_size", 0, true);
  c.intermediate_size = get_int(j, file, "intermediate_size", 0, true);
  c.num_hidden_layers = get_int(j, file, "num_hidden_layers", 0, true);
  c.num_attention_heads = get_int(j, file, "num_attention_heads", 0, true);
  c.num_key_value_heads = get_int(j, file, "num_key_value_heads", c.num_attention_heads, false);
  c.head_dim =
      get_int(j, file, "head_dim", c.num_attention_heads > 0 ? c.hidden_size / c.num_attention_heads : 0, false);
  c.max_position_embeddings = get_int(j, file, "max_position_embeddings", 2048, false);
  c.rms_norm_eps = get_num(j, file, "rms_norm_eps", 1e-6);
  c.rope_theta = get_num(j, file, "rope_theta", 10000.0);
  c.attention_bias = c.model_type == "qwen2" ? true : get_bool(j, file, "attention_bias", false);
  c.mlp_bias = get_bool(j, file, "mlp_bias", false);
  c.tie_word_embeddings = get_bool(j, file, "tie_word_embeddings", false);
  c.initializer_range = get_num(j, file, "initializer_range", 0.02);
  if (j.contains("bos_token_id") && j["bos_token_id"].is_number_integer()) c.bos_token_id = j["bos_token_id"];
  // eos_token_id may be a list (Llama 3.1); the first one is the tokenizer's EOS.
  if (j.contains("eos_token_id")) {
    const auto& e = j["eos_token_id"];
    if (e.is_number_integer())
      c.eos_token_id = e;
    else if (e.is_array() && !e.empty() && e[0].is_number_integer())
      c.eos_token_id = e[0];
  }
  if (j.contains("torch_dtype") && j["torch_dtype"].is_string()) c.torch_dtype = j["torch_dtype"];
  if (j.contains("rope_scaling") && !j["rope_scaling"].is_null()) {
    const auto& r = j["rope_scaling"];
    if (!r.is_object()) throw Error(file + ": rope_scaling: expected an object or null");
    std::string type = r.value("rope_type", r.value("type", std::string("default")));
    if (type == "default") type = "";
    if (!type.empty() && type != "linear" && type != "llama3")
      throw Error(file + ": rope_scaling.rope_type: expected linear or llama3, found \"" + type + "\"");
    c.rope_scaling.type = type;
    c.rope_scaling.factor = get_num(r, file + ": rope_scaling", "factor", 1.0);
    c.rope_scaling.low_freq_factor = get_num(r, file + ": rope_scaling", "low_freq_factor", 1.0);
    c.rope_scaling.high_freq_factor = get_num(r, file + ": rope_scaling", "high_freq_factor", 4.0);
    c.rope_scaling.original_max_position_embeddings =
        get_int(r, file + ": rope_scaling", "original_max_position_embeddings", 8192, false);
  }
  c.check(file);
  return c;
}

void ModelConfig::check(const std::string& where) const {
  auto positive = [&](const char* key, int64_t v) {
    if (v <= 0) throw Error(where + ": " + key + ": expected a positive integer, found " + std::to_string(v));
  };
  positive("vocab_size", vocab_size);
  positive("hidden_size", hidden_size);
  positive("intermediate_size", intermediate_size);
  positive("num_hidden_layers", num_hidden_layers);
  positive("num_attention_heads", num_attention_heads);
  positive("num_key_value_heads", num_key_value_heads);
  positive("head_dim", head_dim);
  if (num_attention_heads % num_key_value_heads != 0)
    throw Error(where + ": num_key_value_heads: " + std::to_string(num_key_value_heads) +
                " does not divide num_attention_heads " + std::to_string(num_attention_heads));
  if (head_dim % 2 != 0) throw Error(where + ": head_dim: expected an even number for rotary embeddings");
  if (rope_scaling.type == "linear" || rope_scaling.type == "llama3")
    if (rope_scaling.factor <= 0) throw Error(where + ": rope_scaling.factor: expected > 0");
}

ModelConfig ModelConfig::builtin_tiny(int64_t vocab_size) {
  // ~3.4M parameters: big enough to learn the shipped corpus's structure in a minute on 2 cores,
  // small enough that the whole test suite trains it many times.
  ModelConfig c;
  c.vocab_size = vocab_size;
  c.hidden_size = 256;
  c.intermediate_size = 688;
  c.num_hidden_layers = 4;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 64;
  c.max_position_embeddings = 1024;
  c.rms_norm_eps = 1e-5;
  c.rope_theta = 10000.0;
  c.tie_word_embeddings = true;
  return c;
}

int64_t ModelConfig::parameter_count() const {
  const int64_t q = num_attention_heads * head_dim, kv = num_key_value_heads * head_dim;
  int64_t layer = hidden_size * (q + 2 * kv) + q * hidden_size + 3 * hidden_size * intermediate_size + 2 * hidden_size;
  if (attention_bias) layer += q + 2 * kv;
  int64_t total = vocab_size * hidden_size + num_hidden_layers * layer + hidden_size;
  if (!tie_word_embeddings) total += vocab_size * hidden_size;
  return total;
}

std::string ModelConfig::to_json() const {
  nlohmann::ordered_json j;
  j["architectures"] = {architecture};
  j["model_type"] = model_type;
  j["vocab_size"] = vocab_size;
  j["hidden_size"] = hidden_size;
  j["intermediate_size"] = intermediate_size;
  j["num_hidden_layers"] = num_hidden_layers;
  j["num_attention_heads"] = num_attention_heads;
  j["num_key_value_heads"] = num_key_value_heads;
  j["head_dim"] = head_dim;
  j["max_position_embeddings"] = max_position_embeddings;
  j["rms_norm_eps"] = rms_norm_eps;
  j["rope_theta"] = rope_theta;
  if (rope_scaling.type.empty()) {
    j["rope_scaling"] = nullptr;
  } else {
    nlohmann::ordered_json r;
    r["rope_type"] = rope_scaling.type;
    r["factor"] = rope_scaling.factor;
    if (rope_scaling.type == "llama3") {
      r["low_freq_factor"] = rope_scaling.low_freq_factor;
      r["high_freq_factor"] = rope_scaling.high_freq_factor;
      r["original_max_position_embeddings"] = rope_scaling.original_max_position_embeddings;
    }
    j["rope_scaling"] = r;
  }
  j["attention_bias"] = attention_bias;
  j["mlp_bias"] = mlp_bias;
  j["tie_word_embeddings"] = tie_word_embeddings;
  if (bos_token_id >= 0) j["bos_token_id"] = bos_token_id;
  if (eos_token_id >= 0) j["eos_token_id"] = eos_token_id;
  j["hidden_act"] = "silu";
  j["initializer_range"] = initializer_range;
  j["torch_dtype"] = torch_dtype;
  j["use_cache"] = true;
  return j.dump(2) + "\n";
}

}  // namespace dataflex
