// The forward pass follows transformers/models/llama/modeling_llama.py (v4.4x): see the header.
#include "model/llama_model.hpp"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "model/fused_ops.hpp"
#include "util/error.hpp"

namespace dataflex {

struct LlamaModel::Linear {
  std::string name;           // "model.layers.0.self_attn.q_proj"
  at::Tensor weight, bias;    // [out, in], [out] or undefined
  at::Tensor lora_a, lora_b;  // [r, in], [out, r] or undefined
  double lora_scaling = 0.0;
};

struct LlamaModel::Layer {
  at::Tensor input_norm, post_norm;
  Linear q, k, v, o, gate, up, down;
};

namespace {

const char* const kLinearNames[] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                                    "mlp.gate_proj",    "mlp.up_proj",      "mlp.down_proj"};

constexpr int64_t kIgnoredLabel = -100;  // Hugging Face's label of a token no loss is computed on

// Copies: autograd keeps index tensors for the backward, after the vectors are gone.
at::Tensor index_tensor(const std::vector<int64_t>& v) {
  return at::from_blob(const_cast<int64_t*>(v.data()), {static_cast<int64_t>(v.size())}, at::kLong).clone();
}

// The places i * T + t (t < length of sample i) of a right-padded batch's tokens in its [B * T] layout.
std::vector<int64_t> slots(const std::vector<int64_t>& lengths, int64_t T) {
  std::vector<int64_t> out;
  for (std::size_t i = 0; i < lengths.size(); ++i)
    for (int64_t t = 0; t < lengths[i]; ++t) out.push_back(static_cast<int64_t>(i) * T + t);
  return out;
}

std::string layer_prefix(int64_t i) { return "model.layers." + std::to_string(i) + "."; }

std::string short_name(const std::string& linear) { return linear.substr(linear.find('.') + 1); }

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  at::Tensor h = x.to(at::kFloat);
  at::Tensor variance = h.pow(2).mean({-1}, /*keepdim=*/true);
  h = h * at::rsqrt(variance + eps);
  return weight * h.to(x.scalar_type());
}

at::Tensor rotate_half(const at::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

// inv_freq with the configured scaling (transformers' modeling_rope_utils: default, linear, llama3).
at::Tensor rope_inv_freq(const ModelConfig& c) {
  const int64_t d = c.head_dim;
  std::vector<float> inv(d / 2);
  for (int64_t i = 0; i < d / 2; ++i) {
    // HF computes base ** (arange(0, d, 2).float() / d) in f32; doing the same keeps us within f32 rounding.
    float exponent = static_cast<float>(2 * i) / static_cast<float>(d);
    inv[i] = 1.0f / std::pow(static_cast<float>(c.rope_theta), exponent);
  }
  const RopeScaling& s = c.rope_scaling;
  if (s.type == "linear") {
    for (float& f : inv) f = static_cast<float>(f / s.factor);
  } else if (s.type == "llama3") {
    const double old_ctx = static_cast<double>(s.original_max_position_embeddings);
    const double low_wavelen = old_ctx / s.low_freq_factor, high_wavelen = old_ctx / s.high_freq_factor;
    for (float& f : inv) {
      const double wavelen = 2.0 * M_PI / f;
      if (wavelen > low_wavelen) {
        f = static_cast<float>(f / s.factor);
      } else if (wavelen >= high_wavelen) {  // medium band: interpolate between scaled and unscaled
        const double smooth = (old_ctx / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
        f = static_cast<float>((1 - smooth) * f / s.factor + smooth * f);
      }
    }
  }
  return at::from_blob(inv.data(), {d / 2}, at::kFloat).clone();
}

}  // namespace

LlamaModel::LlamaModel(const ModelConfig& config, uint64_t seed, const std::string& device) : config_(config) {
  config_.check("model config");
  const auto& c = config_;
  at::Device dev(device);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto normal = [&](std::vector<int64_t> shape) {
    return at::empty(shape, at::kFloat).normal_(0.0, c.initializer_range, gen).to(dev);
  };
  auto ones = [&](int64_t n) { return at::ones({n}, at::TensorOptions().dtype(at::kFloat).device(dev)); };
  auto zeros = [&](int64_t n) { return at::zeros({n}, at::TensorOptions().dtype(at::kFloat).device(dev)); };
  const int64_t h = c.hidden_size, q = c.num_attention_heads * c.head_dim, kv = c.num_key_value_heads * c.head_dim;

  add_parameter("model.embed_tokens.weight", normal({c.vocab_size, h}));
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string p = layer_prefix(i);
    add_parameter(p + "self_attn.q_proj.weight", normal({q, h}));
    if (c.attention_bias) add_parameter(p + "self_attn.q_proj.bias", zeros(q));
    add_parameter(p + "self_attn.k_proj.weight", normal({kv, h}));
    if (c.attention_bias) add_parameter(p + "self_attn.k_proj.bias", zeros(kv));
    add_parameter(p + "self_attn.v_proj.weight", normal({kv, h}));
    if (c.attention_bias) add_parameter(p + "self_attn.v_proj.bias", zeros(kv));
    add_parameter(p + "self_attn.o_proj.weight", normal({h, q}));
    // transformers' LlamaAttention gives o_proj a bias too when attention_bias is set; Qwen2 does not.
    if (c.attention_bias && c.model_type != "qwen2") add_parameter(p + "self_attn.o_proj.bias", zeros(h));
    add_parameter(p + "mlp.gate_proj.weight", normal({c.intermediate_size, h}));
    add_parameter(p + "mlp.up_proj.weight", normal({c.intermediate_size, h}));
    add_parameter(p + "mlp.down_proj.weight", normal({h, c.intermediate_size}));
    if (c.mlp_bias) {
      add_parameter(p + "mlp.gate_proj.bias", zeros(c.intermediate_size));
      add_parameter(p + "mlp.up_proj.bias", zeros(c.intermediate_size));
      add_parameter(p + "mlp.down_proj.bias", zeros(h));
    }
    add_parameter(p + "input_layernorm.weight", ones(h));
    add_parameter(p + "post_attention_layernorm.weight", ones(h));
  }
  add_parameter("model.norm.weight", ones(h));
  if (!c.tie_word_embeddings) add_parameter("lm_head.weight", normal({c.vocab_size, h}));
  inv_freq_ = rope_inv_freq(c).to(dev);
  store_side_by_side();
  rebuild_layers();
  train_full();
}

LlamaModel::~LlamaModel() = default;

at::Device LlamaModel::device() const { return params_.front().tensor.device(); }

LlamaModel::LlamaModel(const LlamaModel& source, SnapshotTag)
    : config_(source.config_),
      index_(source.index_),
      lora_(source.lora_),
      inv_freq_(source.inv_freq_),
      training_(source.training()),
      fused_(source.fused_) {
  at::NoGradGuard no_grad;
  // Frozen weights (LoRA's base, a frozen layer) never change while the original trains: shared, not
  // copied; only what trains is.
  for (const auto& p : source.params_) {
    at::Tensor t = p.tensor.requires_grad() ? p.tensor.detach().clone().requires_grad_(true) : p.tensor;
    params_.push_back({p.name, t});
  }
  store_side_by_side();
  rebuild_layers();
}

std::unique_ptr<LlamaModel> LlamaModel::snapshot() const {
  return std::unique_ptr<LlamaModel>(new LlamaModel(*this, SnapshotTag{}));
}

at::Tensor LlamaModel::add_parameter(const std::string& name, at::Tensor t) {
  index_[name] = params_.size();
  params_.push_back({name, t});
  return t;
}

at::Tensor LlamaModel::parameter(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) throw Error("model has no parameter '" + name + "'");
  return params_[it->second].tensor;
}

// q/k/v and gate/up of every layer (weights, and biases where there are) each in one buffer, every
// parameter a tensor over its own rows of it: still one parameter per Hugging Face name (loading, saving,
// the optimizer, LoRA and per-sample gradients see no difference), and one GEMM reads a group with no
// copy (joint_linear). Values and requires_grad are kept.
void LlamaModel::store_side_by_side() {
  at::NoGradGuard no_grad;
  auto store = [&](const std::vector<std::string>& names) {
    std::vector<at::Tensor> parts;
    for (const auto& n : names) {
      if (!has_parameter(n)) return;
      parts.push_back(parameter(n));
    }
    if (stored_adjacent(parts)) return;  // already (a snapshot's shared frozen weights)
    const at::Tensor buffer = at::cat(parts, 0);
    int64_t offset = 0;
    for (std::size_t i = 0; i < names.size(); ++i) {
      at::Tensor& t = params_[index_.at(names[i])].tensor;
      at::Tensor part = at::empty({0}, buffer.options());
      part.set_(buffer.storage(), offset, t.sizes());  // contiguous strides
      part.set_requires_grad(t.requires_grad());
      t = part;
      offset += part.numel();
    }
  };
  for (int64_t i = 0; i < config_.num_hidden_layers; ++i) {
    const std::string p = layer_prefix(i);
    for (const char* kind : {".weight", ".bias"}) {
      store({p + "self_attn.q_proj" + kind, p + "self_attn.k_proj" + kind, p + "self_attn.v_proj" + kind});
      store({p + "mlp.gate_proj" + kind, p + "mlp.up_proj" + kind});
    }
  }
}

void LlamaModel::rebuild_layers() {
  layers_.clear();
  auto opt = [&](const std::string& n) { return has_parameter(n) ? parameter(n) : at::Tensor(); };
  for (int64_t i = 0; i < config_.num_hidden_layers; ++i) {
    const std::string p = layer_prefix(i);
    Layer l;
    l.input_norm = parameter(p + "input_layernorm.weight");
    l.post_norm = parameter(p + "post_attention_layernorm.weight");
    Linear* slots[] = {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down};
    for (int j = 0; j < 7; ++j) {
      const std::string base = p + kLinearNames[j];
      slots[j]->name = base;
      slots[j]->weight = parameter(base + ".weight");
      slots[j]->bias = opt(base + ".bias");
      slots[j]->lora_a = opt(base + ".lora_A.weight");
      slots[j]->lora_b = opt(base + ".lora_B.weight");
      if (lora_) slots[j]->lora_scaling = lora_->alpha / static_cast<double>(lora_->rank);
    }
    layers_.push_back(std::move(l));
  }
}

namespace {
// The observed model and its observer on this thread (LlamaModel::set_linear_observer).
struct ThreadObserver {
  const LlamaModel* model = nullptr;
  LinearObserver* observer = nullptr;
};
thread_local ThreadObserver t_observer;
}  // namespace

void LlamaModel::set_linear_observer(LinearObserver* observer) const {
  if (observer)
    t_observer = {this, observer};
  else if (t_observer.model == this)
    t_observer = {};
}

LinearObserver* LlamaModel::observer() const { return t_observer.model == this ? t_observer.observer : nullptr; }

namespace {
thread_local bool t_bf16_matmuls = false;

// x W^T + b, in bfloat16 under Bf16Matmuls (float32 in and out).
at::Tensor linear_map(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b = {}) {
  if (Bf16Matmuls::active() && fusable(x) && fusable(w)) {
    at::Tensor y = at::linear(x.to(at::kBFloat16), w.to(at::kBFloat16)).to(at::kFloat);
    return b.defined() ? y.add_(b) : y;
  }
  return at::linear(x, w, b.defined() ? c10::optional<at::Tensor>(b) : c10::nullopt);
}
}  // namespace

Bf16Matmuls::Bf16Matmuls(bool on) : previous_(t_bf16_matmuls) { t_bf16_matmuls = on; }
Bf16Matmuls::~Bf16Matmuls() { t_bf16_matmuls = previous_; }
bool Bf16Matmuls::active() { return t_bf16_matmuls && !at::GradMode::is_enabled(); }

bool cpu_has_native_bf16() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx512bf16");
#else
  return false;
#endif
}

at::Tensor LlamaModel::linear(const Linear& l, const at::Tensor& x) const {
  LinearObserver* const watcher = observer();
  at::Tensor y = linear_map(x, l.weight, l.bias);
  if (watcher && l.weight.requires_grad())
    watcher->on_linear(l.name + ".weight", x, y, l.bias.defined() && l.bias.requires_grad() ? l.name + ".bias" : "");
  if (l.lora_a.defined()) {
    at::Tensor in = (training() && lora_->dropout > 0) ? at::dropout(x, lora_->dropout, true) : x;
    at::Tensor h = linear_map(in, l.lora_a);
    at::Tensor out = linear_map(h, l.lora_b);
    if (watcher) {
      watcher->on_linear(l.name + ".lora_A.weight", in, h, "");
      watcher->on_linear(l.name + ".lora_B.weight", h, out, "");
    }
    y = y + out * l.lora_scaling;
  }
  return y;
}

// Linears reading one input run as one GEMM over their weights, stored side by side (store_side_by_side),
// when nothing needs them apart: fused kernels on, no observer (per-sample gradients see each linear), no
// LoRA adapter, and all or none with a bias. Anything that gave a parameter other storage (none of this
// class's own operations do) makes stored_adjacent false, and the linears run apart: never a wrong result.
at::Tensor LlamaModel::joint_linear(std::initializer_list<const Linear*> ls, const at::Tensor& x) const {
  if (!fused_ || observer() || !fusable(x) || Bf16Matmuls::active()) return {};  // bf16: linear_map, apart
  const bool bias = (*ls.begin())->bias.defined();
  std::vector<at::Tensor> weights, biases;
  for (const Linear* l : ls) {
    if (l->lora_a.defined() || l->bias.defined() != bias || !fusable(l->weight)) return {};
    weights.push_back(l->weight);
    if (bias) biases.push_back(l->bias);
  }
  if (!stored_adjacent(weights) || (bias && !stored_adjacent(biases))) return {};
  return adjacent_linear(x, weights, biases);
}

at::Tensor LlamaModel::norm(const at::Tensor& x, const at::Tensor& weight) const {
  if (fused_ && fusable(x) && fusable(weight)) return fused_rms_norm(x, weight, config_.rms_norm_eps);
  return rms_norm(x, weight, config_.rms_norm_eps);
}

at::Tensor LlamaModel::decoder_layer(const Layer& L, const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin,
                                     const at::Tensor& mask, at::Tensor* cached_k, at::Tensor* cached_v,
                                     bool causal_only, const std::vector<int64_t>* segments) const {
  const auto& c = config_;
  const int64_t B = x.size(0), T = x.size(1), H = c.num_attention_heads, KV = c.num_key_value_heads, D = c.head_dim;
  at::Tensor h = norm(x, L.input_norm);
  at::Tensor q, k, v;  // [B, T, heads, D] from the projections, [B, heads, T, D] from RoPE on
  if (const at::Tensor qkv = joint_linear({&L.q, &L.k, &L.v}, h); qkv.defined()) {
    q = qkv.narrow(-1, 0, H * D).view({B, T, H, D});
    k = qkv.narrow(-1, H * D, KV * D).view({B, T, KV, D});
    v = qkv.narrow(-1, (H + KV) * D, KV * D).view({B, T, KV, D});
  } else {
    q = linear(L.q, h).view({B, T, H, D});
    k = linear(L.k, h).view({B, T, KV, D});
    v = linear(L.v, h).view({B, T, KV, D});
  }
  v = v.transpose(1, 2);
  if (fused_ && rope_fusable(q, cos, sin)) {  // rotation and transpose in one pass each
    q = fused_rope(q, cos, sin);
    k = fused_rope(k, cos, sin);
  } else {
    q = q.transpose(1, 2);
    k = k.transpose(1, 2);
    q = q * cos + rotate_half(q) * sin;
    k = k * cos + rotate_half(k) * sin;
  }
  if (cached_k) {  // generation: attend to every cached token too
    *cached_k = cached_k->defined() ? at::cat({*cached_k, k}, 2) : k;
    *cached_v = cached_v->defined() ? at::cat({*cached_v, v}, 2) : v;
    k = *cached_k;
    v = *cached_v;
  }
  const int64_t S = k.size(2);
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));
  at::Tensor attn;
  if (fused_ && causal_only && fusable(q)) {
    // Query head j reads key/value head j / rep. The rep query heads of one key/value head, contiguous
    // in q, are one matrix of rep * T rows: no repeated copies of K and V, and rep times fewer, taller
    // GEMMs in the batched matmuls. The softmax sees [.., rep, T, S], so query i is row i of each T.
    const int64_t rep = H / KV;
    auto causal_attention = [&](const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
      const int64_t b = q.size(0), t = q.size(2);
      const at::Tensor scores = at::matmul(q.contiguous().view({b, KV, rep * t, D}), k.transpose(2, 3));
      const at::Tensor probs = fused_causal_softmax(scores.view({b, KV, rep, t, t}), scale).view({b, KV, rep * t, t});
      return at::matmul(probs, v).view({b, H, t, D}).transpose(1, 2).reshape({b, t, H * D});
    };
    if (segments) {  // each packed sample attends within itself
      std::vector<at::Tensor> parts;
      int64_t offset = 0;
      for (int64_t n : *segments) {
        parts.push_back(causal_attention(q.narrow(2, offset, n), k.narrow(2, offset, n), v.narrow(2, offset, n)));
        offset += n;
      }
      attn = at::cat(parts, 1);
    } else {
      attn = causal_attention(q, k, v);
    }
  } else {
    if (segments) throw Error("internal: packed sequences need the fused causal attention");
    if (KV != H) {  // repeat_kv: head j of the queries reads key/value head j / (H / KV)
      k = k.unsqueeze(2).expand({B, KV, H / KV, S, D}).reshape({B, H, S, D});
      v = v.unsqueeze(2).expand({B, KV, H / KV, S, D}).reshape({B, H, S, D});
    }
    at::Tensor scores = at::matmul(q, k.transpose(2, 3)) * scale;
    at::Tensor probs = at::softmax(scores + mask, -1, at::kFloat).to(q.scalar_type());
    attn = at::matmul(probs, v).transpose(1, 2).reshape({B, T, H * D});
  }
  at::Tensor out = x + linear(L.o, attn);
  h = norm(out, L.post_norm);
  if (const at::Tensor gate_up = joint_linear({&L.gate, &L.up}, h); gate_up.defined())
    return out + linear(L.down, fused_silu_mul_packed(gate_up));
  at::Tensor gate = linear(L.gate, h), up = linear(L.up, h);
  return out + linear(L.down, fused_ && fusable(gate) ? fused_silu_mul(gate, up) : at::silu(gate) * up);
}

at::Tensor LlamaModel::hidden_states(const at::Tensor& input_ids, int64_t layer,
                                     const std::vector<int64_t>& lengths) const {
  if (input_ids.dim() != 2) throw Error("model input: expected token ids of shape [batch, length]");
  const int64_t T = input_ids.size(1);
  if (packs(input_ids, lengths)) {  // padding positions get zeros
    const at::Tensor h = packed_hidden(input_ids, lengths, layer);
    return at::zeros({input_ids.numel(), h.size(1)}, h.options())
        .index_put({index_tensor(slots(lengths, T))}, h)
        .view({input_ids.size(0), T, h.size(1)});
  }
  at::Tensor ids = input_ids.to(device(), at::kLong);
  at::Tensor x = at::embedding(parameter("model.embed_tokens.weight"), ids);
  at::Tensor pos = at::arange(T, at::TensorOptions().dtype(at::kFloat).device(device()));
  at::Tensor freqs = at::outer(pos, inv_freq_);
  at::Tensor emb = at::cat({freqs, freqs}, -1);
  at::Tensor cos = emb.cos().to(x.scalar_type()), sin = emb.sin().to(x.scalar_type());
  // The fused causal softmax needs no mask tensor (it reads only the keys a query sees).
  at::Tensor mask;
  if (!(fused_ && fusable(x)))
    mask = at::full({T, T}, -std::numeric_limits<float>::infinity(),
                    at::TensorOptions().dtype(at::kFloat).device(device()))
               .triu(1);
  const int64_t last = layer < 0 ? config_.num_hidden_layers - 1 : std::min(layer, config_.num_hidden_layers - 1);
  for (int64_t i = 0; i <= last; ++i) x = decoder_layer(layers_[i], x, cos, sin, mask, nullptr, nullptr, true);
  if (layer < 0) x = norm(x, parameter("model.norm.weight"));
  return x;
}

at::Tensor LlamaModel::logits_of(const at::Tensor& hidden) const {
  const at::Tensor head =
      config_.tie_word_embeddings ? parameter("model.embed_tokens.weight") : parameter("lm_head.weight");
  return linear_map(hidden, head).to(at::kFloat);
}

at::Tensor LlamaModel::forward(const at::Tensor& input_ids) const { return logits_of(hidden_states(input_ids, -1)); }

at::Tensor LlamaModel::forward_cached(const at::Tensor& input_ids, const at::Tensor& positions, const at::Tensor& valid,
                                      KvCache& cache) const {
  const int64_t B = input_ids.size(0), T = input_ids.size(1);
  const auto f32 = at::TensorOptions().dtype(at::kFloat).device(device());
  at::Tensor x = at::embedding(parameter("model.embed_tokens.weight"), input_ids.to(device(), at::kLong));
  at::Tensor freqs = positions.to(device(), at::kFloat).unsqueeze(-1) * inv_freq_;  // [B, T, D/2]
  at::Tensor emb = at::cat({freqs, freqs}, -1).unsqueeze(1);                        // [B, 1, T, D]
  at::Tensor cos = emb.cos().to(x.scalar_type()), sin = emb.sin().to(x.scalar_type());
  // Padding keys get a large finite bias, not -inf: a padding query then still has a finite softmax
  // (its row is never read), and exp() of the bias is exactly 0 for every other query.
  at::Tensor new_bias =
      at::where(valid.to(device()).view({B, 1, 1, T}), at::zeros({}, f32), at::full({}, kPaddingBias, f32));
  cache.key_bias = cache.key_bias.defined() ? at::cat({cache.key_bias, new_bias}, 3) : new_bias;
  const int64_t S = cache.key_bias.size(3);
  at::Tensor causal = at::full({T, S}, -std::numeric_limits<float>::infinity(), f32).triu(1 + S - T);
  at::Tensor mask = causal.view({1, 1, T, S}) + cache.key_bias;
  if (cache.keys.empty()) cache.keys.resize(layers_.size()), cache.values.resize(layers_.size());
  for (std::size_t i = 0; i < layers_.size(); ++i)
    x = decoder_layer(layers_[i], x, cos, sin, mask, &cache.keys[i], &cache.values[i]);
  return logits_of(norm(x, parameter("model.norm.weight")));
}

bool LlamaModel::packs(const at::Tensor& input_ids, const std::vector<int64_t>& lengths) const {
  if (!fused_ || lengths.empty() || input_ids.dim() != 2 || !input_ids.device().is_cpu() ||
      !fusable(params_.front().tensor) || static_cast<int64_t>(lengths.size()) != input_ids.size(0))
    return false;
  int64_t tokens = 0;
  for (int64_t n : lengths) {
    if (n < 1 || n > input_ids.size(1)) return false;
    tokens += n;
  }
  return tokens < input_ids.numel();  // without padding the batched layout does the same work
}

// The samples one after another in one sequence [1, N], rotary positions restarting at each, attention
// within each (decoder_layer's segments): [N, H] after decoder layer `layer` (-1: after the final norm).
at::Tensor LlamaModel::packed_hidden(const at::Tensor& input_ids, const std::vector<int64_t>& lengths,
                                     int64_t layer) const {
  const int64_t T = input_ids.size(1);
  std::vector<int64_t> positions;
  int64_t longest = 0;
  for (int64_t n : lengths) {
    longest = std::max(longest, n);
    for (int64_t t = 0; t < n; ++t) positions.push_back(t);
  }
  const at::Tensor ids = input_ids.to(at::kLong).contiguous().view(-1).index_select(0, index_tensor(slots(lengths, T)));
  at::Tensor x = at::embedding(parameter("model.embed_tokens.weight"), ids).unsqueeze(0);  // [1, N, H]
  at::Tensor freqs = at::outer(at::arange(longest, at::kFloat), inv_freq_);
  at::Tensor emb = at::cat({freqs, freqs}, -1).index_select(0, index_tensor(positions));  // [N, D]
  const at::Tensor cos = emb.cos(), sin = emb.sin();
  const int64_t last = layer < 0 ? config_.num_hidden_layers - 1 : std::min(layer, config_.num_hidden_layers - 1);
  for (int64_t i = 0; i <= last; ++i)
    x = decoder_layer(layers_[i], x, cos, sin, at::Tensor(), nullptr, nullptr, true, &lengths);
  if (layer < 0) x = norm(x, parameter("model.norm.weight"));
  return x.squeeze(0);
}

// Only the positions whose next token is a label go through the output head; the losses land where the
// padded layout has them.
at::Tensor LlamaModel::packed_token_losses(const at::Tensor& input_ids, const at::Tensor& labels,
                                           const std::vector<int64_t>& lengths) const {
  const int64_t B = input_ids.size(0), T = input_ids.size(1);
  if (labels.sizes() != input_ids.sizes()) throw Error("token_losses: labels must have the token ids' shape");
  const at::Tensor lab = labels.to(at::kCPU, at::kLong).contiguous();
  const int64_t* lp = lab.data_ptr<int64_t>();
  std::vector<int64_t> from, targets, to;  // `from`: a position of the packed sequence; `to`: of [B, T-1]
  int64_t offset = 0;
  for (int64_t i = 0; i < B; ++i) {
    const int64_t n = lengths[static_cast<std::size_t>(i)];
    for (int64_t t = 0; t + 1 < n; ++t) {  // the last token of a sample predicts nothing of it
      const int64_t label = lp[i * T + t + 1];
      if (label == kIgnoredLabel) continue;
      from.push_back(offset + t);
      targets.push_back(label);
      to.push_back(i * (T - 1) + t);
    }
    offset += n;
  }
  const at::Tensor h = packed_hidden(input_ids, lengths, -1).index_select(0, index_tensor(from));
  const at::Tensor losses =
      at::cross_entropy_loss(logits_of(h), index_tensor(targets), {}, at::Reduction::None, kIgnoredLabel);
  return at::zeros({B * (T - 1)}, losses.options()).index_put({index_tensor(to)}, losses).view({B, T - 1});
}

at::Tensor LlamaModel::token_losses(const at::Tensor& input_ids, const at::Tensor& labels,
                                    const std::vector<int64_t>& lengths) const {
  if (packs(input_ids, lengths)) return packed_token_losses(input_ids, labels, lengths);
  at::Tensor logits = forward(input_ids);
  const int64_t B = logits.size(0), T = logits.size(1), V = logits.size(2);
  at::Tensor shifted_logits = logits.narrow(1, 0, T - 1).reshape({B * (T - 1), V});
  at::Tensor shifted_labels = labels.to(device(), at::kLong).narrow(1, 1, T - 1).reshape({B * (T - 1)});
  at::Tensor losses = at::cross_entropy_loss(shifted_logits, shifted_labels, {}, at::Reduction::None, kIgnoredLabel);
  return losses.view({B, T - 1});
}

std::vector<at::Tensor> LlamaModel::trainable_parameters() const {
  std::vector<at::Tensor> out;
  for (const auto& p : params_)
    if (p.tensor.requires_grad()) out.push_back(p.tensor);
  return out;
}

std::vector<NamedTensor> LlamaModel::trainable_named_parameters() const {
  std::vector<NamedTensor> out;
  for (const auto& p : params_)
    if (p.tensor.requires_grad()) out.push_back(p);
  return out;
}

int64_t LlamaModel::trainable_count() const {
  int64_t n = 0;
  for (const auto& p : params_)
    if (p.tensor.requires_grad()) n += p.tensor.numel();
  return n;
}

void LlamaModel::train_full() {
  for (auto& p : params_) p.tensor.set_requires_grad(true);
}

void LlamaModel::train_freeze(int64_t trainable_layers, const std::vector<std::string>& modules) {
  const int64_t n = config_.num_hidden_layers;
  const int64_t k = std::min<int64_t>(std::abs(trainable_layers), n);
  const int64_t first = trainable_layers > 0 ? n - k : 0, last = trainable_layers > 0 ? n : k;
  bool all = modules.empty() || (modules.size() == 1 && modules[0] == "all");
  for (auto& p : params_) {
    bool train = false;
    for (int64_t i = first; i < last && !train; ++i) {
      const std::string pre = layer_prefix(i);
      if (p.name.compare(0, pre.size(), pre) != 0) continue;
      if (all) train = true;
      for (const auto& m : modules)
        if (p.name.compare(pre.size(), m.size(), m) == 0) train = true;
    }
    p.tensor.set_requires_grad(train);
  }
}

const LoraConfig& LlamaModel::lora() const {
  if (!lora_) throw Error("model has no LoRA adapters");
  return *lora_;
}

void LlamaModel::add_lora(const LoraConfig& lora, uint64_t seed) {
  if (lora_) throw Error("model already has LoRA adapters");
  if (lora.rank <= 0) throw Error("lora_rank: expected a positive integer");
  bool all = lora.target.size() == 1 && lora.target[0] == "all";
  for (const auto& t : lora.target) {
    bool known = t == "all";
    for (const char* n : kLinearNames) known = known || t == short_name(n);
    if (!known)
      throw Error("lora_target: unknown module \"" + t +
                  "\", expected all or q_proj k_proj v_proj o_proj gate_proj up_proj down_proj");
  }
  for (auto& p : params_) p.tensor.set_requires_grad(false);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (int64_t i = 0; i < config_.num_hidden_layers; ++i) {
    for (const char* n : kLinearNames) {
      bool target = all;
      for (const auto& t : lora.target) target = target || t == short_name(n);
      if (!target) continue;
      const std::string base = layer_prefix(i) + n;
      at::Tensor w = parameter(base + ".weight");
      const int64_t out = w.size(0), in = w.size(1);
      // PEFT: A ~ kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)); B = 0, so the adapted model
      // starts equal to the base model.
      const double bound = 1.0 / std::sqrt(static_cast<double>(in));
      at::Tensor a = at::empty({lora.rank, in}, at::kFloat).uniform_(-bound, bound, gen).to(w.device());
      at::Tensor b = at::zeros({out, lora.rank}, w.options());
      add_parameter(base + ".lora_A.weight", a).set_requires_grad(true);
      add_parameter(base + ".lora_B.weight", b).set_requires_grad(true);
    }
  }
  lora_ = lora;
  if (all) {
    lora_->target.clear();
    for (const char* n : kLinearNames) lora_->target.push_back(short_name(n));
  }
  rebuild_layers();
}

void LlamaModel::merge_lora() {
  if (!lora_) return;
  at::NoGradGuard no_grad;
  const double scaling = lora_->alpha / static_cast<double>(lora_->rank);
  std::vector<NamedTensor> kept;
  for (auto& p : params_) {
    const auto pos = p.name.find(".lora_A.weight");
    if (pos != std::string::npos) {
      const std::string base = p.name.substr(0, pos);
      at::Tensor b = parameter(base + ".lora_B.weight");
      parameter(base + ".weight").add_(at::matmul(b, p.tensor) * scaling);
    }
  }
  for (auto& p : params_)
    if (p.name.find(".lora_") == std::string::npos) kept.push_back(p);
  params_ = std::move(kept);
  index_.clear();
  for (std::size_t i = 0; i < params_.size(); ++i) index_[params_[i].name] = i;
  lora_.reset();
  train_full();
  rebuild_layers();
}

void LlamaModel::assign(const std::string& name, const at::Tensor& source, const std::string& where) {
  at::Tensor dst = parameter(name);
  if (source.sizes() != dst.sizes()) {
    std::string expected, found;
    for (auto s : dst.sizes()) expected += (expected.empty() ? "" : ",") + std::to_string(s);
    for (auto s : source.sizes()) found += (found.empty() ? "" : ",") + std::to_string(s);
    throw Error(where + ": tensor '" + name + "': shape [" + found + "], expected [" + expected + "] from config.json");
  }
  at::NoGradGuard no_grad;
  dst.copy_(source);
}

}  // namespace dataflex
