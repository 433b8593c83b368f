// The fused CPU kernels (model/fused_ops.hpp) against the unfused ATen ops they replace: values and
// gradients of each kernel on random inputs, and 50 AdamW steps of a small model with and without them
// (the fused model also joins the q/k/v and gate/up GEMMs).
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/optim/adamw.h>
#include <torch/serialize/archive.h>

#include <cmath>
#include <limits>
#include <memory>
#include <sstream>

#include "baseline_kernels.hpp"
#include "engine_test_support.hpp"
#include "model/fused_ops.hpp"
#include "model/llama_model.hpp"
#include "train/fused_adamw.hpp"

namespace dataflex {
namespace {

void expect_close(const at::Tensor& got, const at::Tensor& want, double rtol, const char* what) {
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  const double scale = std::max(1e-6, want.abs().max().item<double>());
  const double err = (got - want).abs().max().item<double>();
  EXPECT_LE(err, rtol * scale) << what << ": max abs difference " << err << " against max |value| " << scale;
}

// A small model with grouped-query attention (4 query heads, 2 key/value heads); `qwen2`: with q/k/v biases.
ModelConfig small_config(bool qwen2) {
  ModelConfig c = ModelConfig::builtin_tiny(96);
  c.hidden_size = 64;
  c.intermediate_size = 160;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 16;
  if (qwen2) {
    c.attention_bias = true;
    c.model_type = "qwen2";
  }
  return c;
}

// The kernels the loader dispatches to on this CPU, then the baseline build of the same source (see
// baseline_kernels.hpp): every kernel check below runs on both.
std::vector<KernelSet> kernel_sets() {
  KernelSet dispatched{"dispatched",
                       &fused_rms_norm,
                       &fused_silu_mul,
                       &fused_silu_mul_packed,
                       &fused_rope,
                       &fused_causal_softmax,
                       [](const at::Tensor& p, const at::Tensor& g, const at::Tensor& m, const at::Tensor& v, double lr,
                          double wd, int64_t step) {
                         fused_adamw_update(p, g, m, v, AdamWStep{lr, 0.9, 0.95, 1e-6, wd, step});
                       }};
  return {dispatched, baseline_kernels()};
}

// Forward and backward of `fused` and `reference` on the same inputs and the same upstream gradient.
template <class Fused, class Reference>
void compare(std::vector<at::Tensor> inputs, Fused fused, Reference reference, const char* what) {
  std::vector<at::Tensor> a, b;
  for (auto& t : inputs) {
    a.push_back(t.clone().requires_grad_(true));
    b.push_back(t.clone().requires_grad_(true));
  }
  const at::Tensor ya = fused(a), yb = reference(b);
  expect_close(ya, yb, 1e-5, what);
  const at::Tensor upstream = at::randn_like(yb);
  (ya * upstream).sum().backward();
  (yb * upstream).sum().backward();
  for (std::size_t i = 0; i < a.size(); ++i) expect_close(a[i].grad(), b[i].grad(), 1e-5, what);
}

TEST(FusedOps, RmsNormEqualsTheUnfusedOpsWithGradients) {
  for (const KernelSet& k : kernel_sets()) {
    SCOPED_TRACE(k.name);
    at::manual_seed(1);
    compare(
        {at::randn({3, 17, 40}), at::randn({40})}, [&](auto& t) { return k.rms_norm(t[0], t[1], 1e-6); },
        [](auto& t) { return t[1] * (t[0] * at::rsqrt(t[0].pow(2).mean({-1}, true) + 1e-6)); }, "rms_norm");
  }
}

TEST(FusedOps, SiluMulEqualsTheUnfusedOpsWithGradients) {
  for (const KernelSet& k : kernel_sets()) {
    SCOPED_TRACE(k.name);
    at::manual_seed(2);
    // Large values too: the sigmoid's tails (exp of +-80) must not overflow.
    at::Tensor gate = at::randn({5, 33, 70}) * 4;
    gate.index_put_({0, 0, 0}, 80.0);
    gate.index_put_({0, 0, 1}, -80.0);
    compare(
        {gate, at::randn({5, 33, 70})}, [&](auto& t) { return k.silu_mul(t[0], t[1]); },
        [](auto& t) { return at::silu(t[0]) * t[1]; }, "silu_mul");
  }
}

TEST(FusedOps, PackedSiluMulEqualsTheUnfusedOpsWithGradients) {
  for (const KernelSet& k : kernel_sets()) {
    SCOPED_TRACE(k.name);
    at::manual_seed(4);
    // Gate and up side by side in each row, as the joint gate/up GEMM writes them.
    compare(
        {at::randn({3, 11, 2 * 37}) * 3}, [&](auto& t) { return k.silu_mul_packed(t[0]); },
        [](auto& t) { return at::silu(t[0].narrow(-1, 0, 37)) * t[0].narrow(-1, 37, 37); }, "silu_mul_packed");
  }
}

TEST(FusedOps, CausalSoftmaxEqualsTheMaskedSoftmaxWithGradients) {
  for (const KernelSet& k : kernel_sets()) {
    SCOPED_TRACE(k.name);
    at::manual_seed(3);
    for (const auto& [T, S] : std::vector<std::pair<int64_t, int64_t>>{{19, 19}, {5, 12}, {1, 7}}) {
      const double scale = 0.35;
      const at::Tensor mask = at::full({T, S}, -std::numeric_limits<float>::infinity()).triu(1 + S - T);
      compare(
          {at::randn({2, 3, T, S}) * 3}, [&](auto& t) { return k.causal_softmax(t[0], scale); },
          [&](auto& t) { return at::softmax(t[0] * scale + mask, -1); }, "causal_softmax");
    }
  }
}

// Queries [B, T, heads, D] as a projection makes them (also a column slice of a wider output, as the
// joined q/k/v GEMM gives), against transpose + x * cos + rotate_half(x) * sin.
TEST(FusedOps, RopeEqualsTheUnfusedOpsWithGradients) {
  at::manual_seed(4);
  const int64_t B = 2, T = 7, Hn = 3, D = 8;
  const at::Tensor angles = at::rand({T, D / 2}) * 6;
  const at::Tensor emb = at::cat({angles, angles}, -1);
  const at::Tensor cos = emb.cos(), sin = emb.sin();
  const auto rotate_half = [](const at::Tensor& x) {
    const int64_t h = x.size(-1) / 2;
    return at::cat({-x.narrow(-1, h, h), x.narrow(-1, 0, h)}, -1);
  };
  const auto reference = [&](const at::Tensor& x) {
    const at::Tensor xt = x.transpose(1, 2);
    return xt * cos + rotate_half(xt) * sin;
  };
  ASSERT_TRUE(rope_fusable(at::randn({B, T, Hn, D}), cos, sin));
  EXPECT_FALSE(rope_fusable(at::randn({B, T, Hn, D}), cos.unsqueeze(0), sin.unsqueeze(0)));
  for (const KernelSet& k : kernel_sets()) {
    SCOPED_TRACE(k.name);
    compare(
        {at::randn({B, T, Hn, D})}, [&](auto& t) { return k.rope(t[0], cos, sin); },
        [&](auto& t) { return reference(t[0]); }, "rope");
    compare(  // heads 1..3 of 5 side by side in each row: strided rows
        {at::randn({B, T, 5 * D})},
        [&](auto& t) {
          return k.rope(t[0].narrow(-1, D, Hn * D).view({B, T, Hn, D}), cos, sin);
        },
        [&](auto& t) {
          return reference(t[0].narrow(-1, D, Hn * D).view({B, T, Hn, D}));
        },
        "rope of a slice");
  }
}

// The one-pass AdamW against LibTorch's over 40 steps of random gradients, with decoupled weight decay in
// one group and none in the other; its state is AdamW's, so a checkpoint of one loads into the other.
// Weights and biases stored side by side in one buffer (as LlamaModel keeps q/k/v and gate/up): one GEMM
// against a linear per weight, values and the gradients of the input, every weight and every bias.
TEST(FusedOps, AdjacentLinearEqualsSeparateLinearsWithGradients) {
  at::manual_seed(6);
  const int64_t rows[] = {24, 8, 8}, in = 40;
  const at::Tensor w_buffer = at::randn({40, in}), b_buffer = at::randn({40});
  std::vector<at::Tensor> w, b, w_ref, b_ref;
  int64_t offset = 0;
  for (int64_t r : rows) {
    w.push_back(at::empty({0}).set_(w_buffer.storage(), offset * in, {r, in}).requires_grad_(true));
    b.push_back(at::empty({0}).set_(b_buffer.storage(), offset, {r}).requires_grad_(true));
    w_ref.push_back(w.back().detach().clone().requires_grad_(true));
    b_ref.push_back(b.back().detach().clone().requires_grad_(true));
    offset += r;
  }
  ASSERT_TRUE(stored_adjacent(w));
  ASSERT_TRUE(stored_adjacent(b));
  EXPECT_FALSE(stored_adjacent({w[0], w[2]}));  // a gap
  EXPECT_FALSE(stored_adjacent(w_ref));         // separate storage

  const at::Tensor x0 = at::randn({3, 17, in});
  const at::Tensor x = x0.clone().requires_grad_(true), x_ref = x0.clone().requires_grad_(true);
  const at::Tensor y = adjacent_linear(x, w, b);
  const at::Tensor y_ref = at::cat({at::linear(x_ref, w_ref[0], b_ref[0]), at::linear(x_ref, w_ref[1], b_ref[1]),
                                    at::linear(x_ref, w_ref[2], b_ref[2])},
                                   -1);
  expect_close(y, y_ref, 1e-5, "adjacent linear");
  const at::Tensor upstream = at::randn_like(y_ref);
  (y * upstream).sum().backward();
  (y_ref * upstream).sum().backward();
  expect_close(x.grad(), x_ref.grad(), 1e-5, "input gradient");
  for (int i = 0; i < 3; ++i) {
    expect_close(w[i].grad(), w_ref[i].grad(), 1e-5, "weight gradient");
    expect_close(b[i].grad(), b_ref[i].grad(), 1e-5, "bias gradient");
  }
  // Frozen weights (LoRA elsewhere, a frozen layer): only the input's gradient, and no weight gets one.
  const at::Tensor frozen_w = at::randn({32, in}), x2 = x0.clone().requires_grad_(true);
  std::vector<at::Tensor> frozen{frozen_w.narrow(0, 0, 16), frozen_w.narrow(0, 16, 16)};
  ASSERT_TRUE(stored_adjacent(frozen));
  adjacent_linear(x2, frozen, {}).sum().backward();
  expect_close(x2.grad(), at::matmul(at::ones({3, 17, 32}), frozen_w), 1e-5, "input gradient, frozen weights");
}

// The model keeps q/k/v and gate/up side by side through construction, loading and snapshots, and a
// training step keeps them there (the optimizer updates in place).
TEST(FusedOps, ModelStoresProjectionsSideBySide) {
  LlamaModel model(small_config(true), 5);
  auto group = [](const LlamaModel& m, std::vector<std::string> names) {
    std::vector<at::Tensor> t;
    for (const auto& n : names) t.push_back(m.parameter("model.layers.1." + n));
    return stored_adjacent(t);
  };
  auto all_grouped = [&](const LlamaModel& m) {
    return group(m, {"self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight"}) &&
           group(m, {"self_attn.q_proj.bias", "self_attn.k_proj.bias", "self_attn.v_proj.bias"}) &&
           group(m, {"mlp.gate_proj.weight", "mlp.up_proj.weight"});
  };
  EXPECT_TRUE(all_grouped(model));
  const auto copy = model.snapshot();
  EXPECT_TRUE(all_grouped(*copy));
  TempDir dir;
  save_model(model, dir.str());
  const auto loaded = load_model(dir.str(), 0, 1);
  EXPECT_TRUE(all_grouped(*loaded));
  EXPECT_TRUE(at::equal(loaded->parameter("model.layers.1.self_attn.v_proj.bias"),
                        model.parameter("model.layers.1.self_attn.v_proj.bias")));
  EXPECT_FALSE(copy->parameter("model.layers.1.self_attn.q_proj.weight")
                   .storage()
                   .is_alias_of(model.parameter("model.layers.1.self_attn.q_proj.weight").storage()));
  torch::optim::AdamW opt(model.trainable_parameters(), torch::optim::AdamWOptions(1e-2));
  const at::Tensor ids = at::randint(96, {2, 12}, at::kLong);
  model.token_losses(ids, ids).mean().backward();
  opt.step();
  EXPECT_TRUE(all_grouped(model));
  EXPECT_FALSE(at::equal(model.parameter("model.layers.1.self_attn.k_proj.weight"),
                         copy->parameter("model.layers.1.self_attn.k_proj.weight")));

  // With LoRA the frozen base weights are shared with the snapshot, still side by side; adapters copied.
  model.add_lora({4, 8.0, 0.0, {"o_proj"}}, 3);
  const auto adapted = model.snapshot();
  EXPECT_TRUE(all_grouped(*adapted));
  const std::string q = "model.layers.1.self_attn.q_proj.weight", a = "model.layers.1.self_attn.o_proj.lora_A.weight";
  EXPECT_TRUE(adapted->parameter(q).storage().is_alias_of(model.parameter(q).storage()));
  EXPECT_FALSE(adapted->parameter(a).storage().is_alias_of(model.parameter(a).storage()));
  EXPECT_TRUE(adapted->parameter(a).requires_grad());
  EXPECT_FALSE(adapted->parameter(q).requires_grad());
}

// Samples packed into one sequence (token_losses with their lengths) against the padded batch: the same
// losses at the same places, and the same gradient of every parameter. Labels cover a suffix of each
// sample (a prompt is not trained on), and the padding holds arbitrary tokens.
TEST(FusedOps, PackedSamplesGiveThePaddedLossesAndGradients) {
  LlamaModel packed(small_config(true), 5), padded(small_config(true), 5);
  at::manual_seed(8);
  const std::vector<int64_t> lengths{7, 20, 1, 13};
  const int64_t T = 20;
  const at::Tensor ids = at::randint(96, {4, T}, at::kLong);
  at::Tensor labels = ids.clone();
  for (int64_t i = 0; i < 4; ++i) {
    labels[i].narrow(0, 0, std::min<int64_t>(3, lengths[i])).fill_(-100);  // the prompt
    labels[i].narrow(0, lengths[i], T - lengths[i]).fill_(-100);           // padding
  }
  ASSERT_TRUE(packed.packs(ids, lengths));
  EXPECT_FALSE(packed.packs(ids, {20, 20, 20, 20}));  // no padding: nothing to gain
  EXPECT_FALSE(packed.packs(ids, {7, 21, 1, 13}));    // longer than the row
  const at::Tensor a = packed.token_losses(ids, labels, lengths), b = padded.token_losses(ids, labels);
  expect_close(a, b, 1e-5, "packed losses");
  EXPECT_EQ(at::count_nonzero(a).item<int64_t>(), at::count_nonzero(b).item<int64_t>());
  const at::Tensor upstream = at::rand_like(b);
  (a * upstream).sum().backward();
  (b * upstream).sum().backward();
  for (std::size_t i = 0; i < packed.parameters().size(); ++i) {
    const auto& p = packed.parameters()[i];
    expect_close(p.tensor.grad(), padded.parameters()[i].tensor.grad(), 1e-5, p.name.c_str());
  }
  // Hidden states (embeddings, reward models) the same way: equal at every token, zero at padding.
  at::NoGradGuard no_grad;
  for (int64_t layer : {0, -1}) {
    const at::Tensor hp = packed.hidden_states(ids, layer, lengths), hq = padded.hidden_states(ids, layer);
    for (int64_t i = 0; i < 4; ++i) {
      expect_close(hp[i].narrow(0, 0, lengths[i]), hq[i].narrow(0, 0, lengths[i]), 1e-5, "hidden states");
      EXPECT_EQ(at::count_nonzero(hp[i].narrow(0, lengths[i], T - lengths[i])).item<int64_t>(), 0);
    }
  }
}

TEST(FusedOps, FusedAdamWStepsAsLibTorchsAdamW) {
  at::manual_seed(8);
  const std::vector<at::Tensor> init = {at::randn({37, 19}), at::randn({101}), at::randn({5, 3, 7})};
  std::vector<at::Tensor> a, b;
  for (const auto& t : init) a.push_back(t.clone().requires_grad_(true)), b.push_back(t.clone().requires_grad_(true));
  const auto groups = [](const std::vector<at::Tensor>& ps) {
    std::vector<torch::optim::OptimizerParamGroup> g;
    g.emplace_back(std::vector<at::Tensor>{ps[0], ps[2]},
                   std::make_unique<torch::optim::AdamWOptions>(
                       torch::optim::AdamWOptions(3e-3).betas({0.9, 0.95}).eps(1e-6).weight_decay(0.1)));
    g.emplace_back(std::vector<at::Tensor>{ps[1]},
                   std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(3e-3).weight_decay(0.0)));
    return g;
  };
  FusedAdamW fused(groups(a), torch::optim::AdamWOptions(3e-3));
  torch::optim::AdamW reference(groups(b), torch::optim::AdamWOptions(3e-3));
  for (int step = 0; step < 40; ++step) {
    for (std::size_t i = 0; i < a.size(); ++i) {
      const at::Tensor g = at::randn_like(init[i]) * (step % 7 + 1);
      a[i].mutable_grad() = g.clone();
      b[i].mutable_grad() = g.clone();
    }
    fused.step();
    reference.step();
  }
  for (std::size_t i = 0; i < a.size(); ++i) expect_close(a[i].detach(), b[i].detach(), 1e-5, "AdamW parameters");
  // The fused optimizer's state, saved and loaded by LibTorch's AdamW, continues alike.
  std::stringstream saved;
  {
    torch::serialize::OutputArchive archive;
    fused.save(archive);
    archive.save_to(saved);
  }
  std::vector<at::Tensor> c;
  for (const auto& t : a) c.push_back(t.detach().clone().requires_grad_(true));
  torch::optim::AdamW loaded(groups(c), torch::optim::AdamWOptions(3e-3));
  torch::serialize::InputArchive in;
  in.load_from(saved);
  loaded.load(in);
  for (std::size_t i = 0; i < a.size(); ++i) {
    const at::Tensor g = at::randn_like(init[i]);
    a[i].mutable_grad() = g.clone();
    c[i].mutable_grad() = g.clone();
  }
  fused.step();
  loaded.step();
  for (std::size_t i = 0; i < a.size(); ++i) expect_close(a[i].detach(), c[i].detach(), 1e-5, "after loading");
}

// The baseline build of the one-pass AdamW update against the dispatched one (itself checked against
// LibTorch's AdamW above), over 20 steps with weight decay.
TEST(FusedOps, BaselineAdamWUpdateEqualsTheDispatchedOne) {
  at::manual_seed(9);
  const std::vector<KernelSet> sets = kernel_sets();
  const at::Tensor init = at::randn({1031});
  std::vector<at::Tensor> p, m, v;
  for (std::size_t i = 0; i < sets.size(); ++i)
    p.push_back(init.clone()), m.push_back(at::zeros_like(init)), v.push_back(at::zeros_like(init));
  for (int64_t step = 1; step <= 20; ++step) {
    const at::Tensor g = at::randn_like(init) * static_cast<double>(step % 5 + 1);
    for (std::size_t i = 0; i < sets.size(); ++i) sets[i].adamw(p[i], g, m[i], v[i], 3e-3, 0.1, step);
  }
  for (std::size_t i = 1; i < sets.size(); ++i) {
    expect_close(p[i], p[0], 1e-6, sets[i].name);
    expect_close(m[i], m[0], 1e-6, sets[i].name);
    expect_close(v[i], v[0], 1e-6, sets[i].name);
  }
  EXPECT_GT((p[0] - init).abs().max().item<double>(), 1e-3);  // the steps moved the weights
}

// Under Bf16Matmuls a forward without gradients multiplies its linear maps in bfloat16: losses close to
// float32's (bfloat16 keeps ~3 significant digits), not equal; with gradients on it changes nothing.
TEST(FusedOps, Bf16MatmulsGiveCloseLossesAndOnlyWithoutGradients) {
  LlamaModel model(small_config(/*qwen2=*/true), 5);
  at::manual_seed(10);
  const at::Tensor ids = at::randint(0, 96, {3, 21}, at::kLong);
  const std::vector<int64_t> lengths = {21, 14, 9};
  at::Tensor f32, bf16, with_grad;
  {
    at::NoGradGuard no_grad;
    f32 = model.token_losses(ids, ids, lengths);
    Bf16Matmuls precision(true);
    EXPECT_TRUE(Bf16Matmuls::active());
    bf16 = model.token_losses(ids, ids, lengths);
  }
  EXPECT_FALSE(Bf16Matmuls::active());  // the scope ended
  {
    Bf16Matmuls precision(true);
    EXPECT_FALSE(Bf16Matmuls::active());  // gradients on: training is never in bfloat16
    with_grad = model.token_losses(ids, ids, lengths).detach();
  }
  EXPECT_TRUE(at::equal(with_grad, f32));
  EXPECT_FALSE(at::equal(bf16, f32));
  expect_close(bf16, f32, 2e-2, "bfloat16 linear maps");
  const double mean_f32 = f32.sum().item<double>(), mean_bf16 = bf16.sum().item<double>();
  EXPECT_NEAR(mean_bf16 / mean_f32, 1.0, 5e-3);
}

TEST(FusedOps, FiftyTrainingStepsGiveTheUnfusedLosses) {
  LlamaModel fused(small_config(false), 5), unfused(small_config(false), 5);
  unfused.set_fused_kernels(false);
  torch::optim::AdamW opt_f(fused.trainable_parameters(), torch::optim::AdamWOptions(3e-3));
  torch::optim::AdamW opt_u(unfused.trainable_parameters(), torch::optim::AdamWOptions(3e-3));
  at::manual_seed(7);
  double worst = 0;
  for (int step = 0; step < 50; ++step) {
    const at::Tensor ids = at::randint(96, {4, 48}, at::kLong);
    at::Tensor loss_f = fused.token_losses(ids, ids).mean(), loss_u = unfused.token_losses(ids, ids).mean();
    const double f = loss_f.item<double>(), u = loss_u.item<double>();
    worst = std::max(worst, std::abs(f - u) / std::abs(u));
    ASSERT_LE(std::abs(f - u), 1e-5 * std::abs(u)) << "step " << step << ": fused " << f << ", unfused " << u;
    opt_f.zero_grad(), opt_u.zero_grad();
    loss_f.backward(), loss_u.backward();
    opt_f.step(), opt_u.step();
  }
  RecordProperty("worst_relative_difference", std::to_string(worst));
}

}  // namespace
}  // namespace dataflex
