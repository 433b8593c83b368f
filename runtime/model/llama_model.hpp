// llama_model.hpp -- the LLaMA-family decoder (LLaMA 1/2/3, Mistral, Qwen2) in LibTorch.
//
// Parameters are held under their Hugging Face names ("model.layers.0.self_attn.q_proj.weight"), so
// loading and saving the HF layout is a name lookup, and LoRA adapters sit next to the linear they
// adapt. The forward pass follows transformers' modelling_llama.py: RMSNorm in f32, rotary embeddings
// with rotate_half, grouped-query attention by repeating K/V heads, SwiGLU MLP.
#pragma once

#include <ATen/core/Tensor.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/lora_config.hpp"
#include "model/model_config.hpp"

namespace dataflex {

struct NamedTensor {
  std::string name;
  at::Tensor tensor;
};

// Sees every linear map of a forward pass whose weight is trainable: its weight's name, its input
// [B, T, in] and its output [B, T, out] (a node of the autograd graph; [1, N, ...] for a packed batch,
// LlamaModel::packs). Per-sample gradients are formed
// from these (runtime/signals/per_sample_gradients.cpp). LoRA adapters are reported as two linears,
// "<base>.lora_A.weight" and "<base>.lora_B.weight".
class LinearObserver {
 public:
  virtual ~LinearObserver() = default;
  virtual void on_linear(const std::string& weight_name, const at::Tensor& input, const at::Tensor& output,
                         const std::string& bias_name) = 0;  // bias_name empty when there is no trainable bias
};

// The attention bias of a padding key during generation: finite, so a padding query's softmax stays
// finite, and far enough below any score that exp() of it is exactly 0 in float32.
constexpr float kPaddingBias = -1e30f;

// Keys and values of every layer for the tokens a generation has seen so far (runtime/model/generation.*).
struct KvCache {
  std::vector<at::Tensor> keys, values;  // per layer [B, KV heads, S, head_dim], before repeat_kv
  at::Tensor key_bias;                   // [B, 1, 1, S] f32: 0 for a token, kPaddingBias for padding
};

class LlamaModel {
 public:
  // Random init from `seed` (normal(0, initializer_range) for linears and embeddings, ones for norms,
  // zeros for biases), f32 on `device`.
  LlamaModel(const ModelConfig& config, uint64_t seed, const std::string& device = "cpu");
  ~LlamaModel();
  LlamaModel(const LlamaModel&) = delete;
  LlamaModel& operator=(const LlamaModel&) = delete;

  const ModelConfig& config() const { return config_; }
  at::Device device() const;

  // Logits [B, T, V] (f32) for input ids [B, T] (int64). Right padding needs no mask: a causal
  // position never attends to a later (padding) one.
  at::Tensor forward(const at::Tensor& input_ids) const;
  // Final hidden states [B, T, H] after the last norm (layer == -1) or after decoder layer `layer`.
  // With the samples' `lengths`, computed packed as token_losses does; zeros at padding positions then.
  at::Tensor hidden_states(const at::Tensor& input_ids, int64_t layer = -1,
                           const std::vector<int64_t>& lengths = {}) const;
  // Next-token cross-entropy per position: [B, T-1], zero where the (shifted) label is ignored.
  // `labels` [B, T] uses -100 for ignored tokens, as Hugging Face does. With the samples' `lengths`
  // (right padding after them), the fused model packs the samples into one sequence, each attending
  // within itself, and computes logits only where a label is: no work on padding or unlabelled
  // positions (see packs()); the same losses to float rounding.
  at::Tensor token_losses(const at::Tensor& input_ids, const at::Tensor& labels,
                          const std::vector<int64_t>& lengths = {}) const;
  // Whether token_losses packs this batch: fused kernels, float32 on the CPU, and padding. An observer
  // then sees each linear's input and output for the packed sequence, [1, N, dim].
  bool packs(const at::Tensor& input_ids, const std::vector<int64_t>& lengths) const;
  // Generation: logits [B, T, V] (f32) of new tokens `input_ids` [B, T] at rotary `positions` [B, T]
  // (int64), each attending to the cached tokens and causally to the new ones; their keys and values
  // are appended to `cache`. `valid` [B, T] (bool) is false for padding, which no token attends to.
  at::Tensor forward_cached(const at::Tensor& input_ids, const at::Tensor& positions, const at::Tensor& valid,
                            KvCache& cache) const;

  // Every parameter under its HF name (base weights, then LoRA A/B when present), in a stable order.
  const std::vector<NamedTensor>& parameters() const { return params_; }
  at::Tensor parameter(const std::string& name) const;  // throws when unknown
  bool has_parameter(const std::string& name) const { return index_.count(name) != 0; }
  std::vector<at::Tensor> trainable_parameters() const;
  std::vector<NamedTensor> trainable_named_parameters() const;
  int64_t trainable_count() const;

  // Fine-tuning modes. Full: everything trains. Freeze: only the last `trainable_layers` decoder
  // layers (first ones when negative) and, optionally, only `modules` of them ("self_attn", "mlp").
  void train_full();
  void train_freeze(int64_t trainable_layers, const std::vector<std::string>& modules);
  // Adds LoRA adapters (A: kaiming-uniform as PEFT does, B: zeros) and freezes the base weights.
  void add_lora(const LoraConfig& lora, uint64_t seed);
  bool has_lora() const { return lora_.has_value(); }
  const LoraConfig& lora() const;
  // W <- W + (alpha / r) * B A for every adapted linear; the adapters are removed.
  void merge_lora();

  // While set, every trainable linear of this model in a forward pass *on the calling thread* is
  // reported to `observer` (nullptr: none). Per thread, so that two threads may each observe their own
  // forward of one model (a decision's gradient batches shared with a waiting trainer); a thread
  // observes one model at a time. ObservedForwards sets and clears it.
  void set_linear_observer(LinearObserver* observer) const;

  // Dropout (LoRA's) is active only in training mode. Atomic: a frozen model shared by a decision beside
  // training and the training thread is read by both (TrainingModeScope writes only a change).
  void set_training(bool training) { training_.store(training, std::memory_order_relaxed); }
  bool training() const { return training_.load(std::memory_order_relaxed); }

  // The fused CPU kernels (model/fused_ops.hpp) for RMSNorm, SiLU * up and the causal softmax of a
  // forward without a cache; off: the unfused ATen composition (the reference the tests compare with).
  void set_fused_kernels(bool fused) { fused_ = fused; }
  bool fused_kernels() const { return fused_; }

  // A copy (same trainable flags, LoRA, fused setting) with its own trainable tensors; frozen ones are
  // shared, as nothing changes them while training: what a decision computed beside training reads
  // while the original trains on.
  std::unique_ptr<LlamaModel> snapshot() const;

  // Copies `source` into the parameter `name` (shape checked; dtype converted). Used by loaders.
  void assign(const std::string& name, const at::Tensor& source, const std::string& where);

 private:
  struct Linear;
  struct Layer;
  at::Tensor linear(const Linear& l, const at::Tensor& x) const;
  // [..., sum of the outputs]: the linears' outputs side by side, from one GEMM over their weights stored
  // side by side; undefined when they must run apart (see the definition).
  at::Tensor joint_linear(std::initializer_list<const Linear*> ls, const at::Tensor& x) const;
  // `cached_k` / `cached_v`: a layer's cache, extended by this call's keys and values (nullptr: none).
  // `segments`: x is one packed sequence [1, N, H] of samples this long, each attending within itself.
  at::Tensor decoder_layer(const Layer& layer, const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin,
                           const at::Tensor& mask, at::Tensor* cached_k = nullptr, at::Tensor* cached_v = nullptr,
                           bool causal_only = false, const std::vector<int64_t>* segments = nullptr) const;
  at::Tensor packed_hidden(const at::Tensor& input_ids, const std::vector<int64_t>& lengths, int64_t layer) const;
  at::Tensor packed_token_losses(const at::Tensor& input_ids, const at::Tensor& labels,
                                 const std::vector<int64_t>& lengths) const;
  at::Tensor norm(const at::Tensor& x, const at::Tensor& weight) const;
  at::Tensor logits_of(const at::Tensor& hidden) const;
  at::Tensor add_parameter(const std::string& name, at::Tensor t);
  void store_side_by_side();
  void rebuild_layers();
  struct SnapshotTag {};
  LlamaModel(const LlamaModel& source, SnapshotTag);

  ModelConfig config_;
  std::vector<NamedTensor> params_;
  std::map<std::string, std::size_t> index_;
  std::vector<Layer> layers_;
  std::optional<LoraConfig> lora_;
  at::Tensor inv_freq_;              // [head_dim / 2], rope scaling applied
  LinearObserver* observer() const;  // the calling thread's, for this model
  std::atomic<bool> training_{true};
  bool fused_ = true;
};

// Sets a model's training mode for a scope and restores it on the way out, exceptions included (a
// service that fails must not leave the live model in eval mode, LoRA dropout off). Writes only a
// change: a frozen reference model, always in eval mode, is then only read by the threads sharing it.
class TrainingModeScope {
 public:
  TrainingModeScope(const LlamaModel& model, bool training)
      : model_(const_cast<LlamaModel&>(model)), previous_(model.training()) {
    if (training != previous_) model_.set_training(training);
  }
  ~TrainingModeScope() {
    if (model_.training() != previous_) model_.set_training(previous_);
  }
  TrainingModeScope(const TrainingModeScope&) = delete;
  TrainingModeScope& operator=(const TrainingModeScope&) = delete;

 private:
  LlamaModel& model_;
  bool previous_;
};

// Observes this thread's forward passes of `model` for a scope (LlamaModel::set_linear_observer); the
// observer is cleared on the way out, exceptions included.
class ObservedForwards {
 public:
  ObservedForwards(const LlamaModel& model, LinearObserver& observer) : model_(model) {
    model_.set_linear_observer(&observer);
  }
  ~ObservedForwards() { model_.set_linear_observer(nullptr); }
  ObservedForwards(const ObservedForwards&) = delete;
  ObservedForwards& operator=(const ObservedForwards&) = delete;

 private:
  const LlamaModel& model_;
};

// For its scope, on the calling thread, forward passes without gradients of CPU float32 models multiply
// their linear maps (projections, MLP, output head) in bfloat16: inputs and weights rounded to
// bfloat16, results float32 (rounded through bfloat16); norms, RoPE, attention and losses stay float32.
// For a decision's signals (dataflex.signal_precision): oneDNN multiplies bfloat16 at ~4x the float32
// rate on CPUs with AVX512-BF16 (measured: docs/performance.md). Training, gradients and evaluation never
// run under it (GradMode on: ignored).
class Bf16Matmuls {
 public:
  explicit Bf16Matmuls(bool on);
  ~Bf16Matmuls();
  Bf16Matmuls(const Bf16Matmuls&) = delete;
  Bf16Matmuls& operator=(const Bf16Matmuls&) = delete;
  static bool active();  // on this thread, now (gradients off)

 private:
  bool previous_;
};
// Whether this CPU multiplies bfloat16 natively (AVX512-BF16); without it bfloat16 is slower than float32.
bool cpu_has_native_bf16();

// Hugging Face layout: DIR/config.json + model.safetensors (or sharded with
// model.safetensors.index.json). "builtin:tiny" builds the embedded default from `seed`.
std::unique_ptr<LlamaModel> load_model(const std::string& name_or_path, int64_t builtin_vocab_size, uint64_t seed,
                                       const std::string& device = "cpu");
// As load_model for a Hugging Face folder, with its config given. A tensor that is no parameter of
// the model goes to `extra`, which takes it (true) or leaves it to the usual error (false); empty:
// every such tensor is an error. (A sequence classifier's score head arrives this way.)
using ExtraTensor = std::function<bool(const std::string& name, const at::Tensor& value)>;
std::unique_ptr<LlamaModel> load_model_folder(const std::string& dir, const ModelConfig& config, uint64_t seed,
                                              const std::string& device, const ExtraTensor& extra);
// Writes config.json and model.safetensors (base weights only; LoRA must be merged or saved apart)
// in `dtype` ("float32", "bfloat16", "float16"). Each file is written atomically.
void save_model(const LlamaModel& model, const std::string& dir, const std::string& dtype = "float32");
// PEFT layout: adapter_config.json + adapter_model.safetensors.
void save_lora_adapter(const LlamaModel& model, const std::string& dir, const std::string& base_model);
// Loads a PEFT adapter into a model that has no adapters yet.
void load_lora_adapter(LlamaModel& model, const std::string& dir, uint64_t seed);

}  // namespace dataflex
