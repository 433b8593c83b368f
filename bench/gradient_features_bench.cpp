// Per-sample gradient features, three ways, on one model and one pool, in one run:
//   (a) the original way (LESS): one forward and backward per sample, the full gradient of the covered
//       parameters read from .grad and projected with a dense Rademacher matrix held in memory;
//   (b) ours, batched (one forward/backward per batch), dense projection generated block by block;
//   (c) ours, batched, factored projection (LoGra-style).
// plus the training loop's own tokens/s on the same model and sequence length (the ceiling: extraction
// is a forward and a backward per sample, like training). Prints a JSON line per measurement and a
// summary. (a) and (b) use the same projection matrix, so their features must agree: checked.
//
//   build/bin/bench_gradient_features --config bench/configs/llama_h256_l4.json --pool 64 --seq 256
#include <ATen/ATen.h>
#include <torch/types.h>  // before clip_grad.h, which uses torch::Tensor without including it

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "data/corpus.hpp"
#include "model/llama_model.hpp"
#include "signals/per_sample_gradients.hpp"
#include "signals/projection.hpp"
#include "train/trainer.hpp"

using namespace dataflex;
using Clock = std::chrono::steady_clock;
static double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int main(int argc, char** argv) {
  std::string config = "bench/configs/llama_h256_l4.json";
  int64_t pool = 64, seq = 256, batch = 8, dim = 128, factored_dim = 8192, threads = 2, lora_rank = 0;
  CLI::App app{"bench_gradient_features: per-sample gradient features three ways"};
  app.add_option("--config", config, "model config.json");
  app.add_option("--pool", pool, "samples");
  app.add_option("--seq", seq, "tokens per sample");
  app.add_option("--batch", batch, "samples per batch");
  app.add_option("--dim", dim, "dense projection columns");
  app.add_option("--factored-dim", factored_dim, "factored projection target");
  app.add_option("--threads", threads, "LibTorch and BLAS threads");
  app.add_option("--lora-rank", lora_rank, "LoRA adapters of this rank on every projection (0: full fine-tune)");
  CLI11_PARSE(app, argc, argv);
  configure_threads(threads);
  const ModelConfig cfg = ModelConfig::load(config);
  LlamaModel model(cfg, 0);
  if (lora_rank > 0)
    model.add_lora({lora_rank,
                    2.0 * double(lora_rank),
                    0.0,
                    {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}},
                   1);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  std::vector<Sample> samples(static_cast<std::size_t>(pool));
  for (int64_t i = 0; i < pool; ++i) {
    at::Tensor ids = at::randint(0, cfg.vocab_size, {seq}, gen, at::kLong);
    for (int64_t t = 0; t < seq; ++t)
      samples[static_cast<std::size_t>(i)].input_ids.push_back(static_cast<int32_t>(ids[t].item<int64_t>()));
    samples[static_cast<std::size_t>(i)].labels = samples[static_cast<std::size_t>(i)].input_ids;
  }
  std::vector<const Sample*> ptrs;
  for (const auto& s : samples) ptrs.push_back(&s);
  const double tokens = static_cast<double>(pool * seq);
  nlohmann::ordered_json summary;

  // Training loop speed on the same model and length (batch `batch`): the ceiling.
  {
    const auto params = model.trainable_parameters();
    torch::optim::AdamW opt(params, torch::optim::AdamWOptions(1e-4).weight_decay(0.0));
    model.set_training(true);
    double t = 0;
    const int64_t steps = 8, warmup = 2;
    for (int64_t s = 0; s < warmup + steps; ++s) {
      at::Tensor ids = at::randint(0, cfg.vocab_size, {batch, seq}, gen, at::kLong);
      const auto t0 = Clock::now();
      at::Tensor loss = model.token_losses(ids, ids).mean();
      loss.backward();
      torch::nn::utils::clip_grad_norm_(params, 1.0);
      opt.step();
      opt.zero_grad();
      if (s >= warmup) t += seconds_since(t0);
    }
    summary["train_tokens_per_s"] = static_cast<double>(steps * batch * seq) / t;
  }

  const auto layout = feature_layout(model, {});
  int64_t P = 0;
  for (const auto& b : layout) P += b.out * b.in + (b.bias_name.empty() ? 0 : b.out);
  summary["covered_parameters"] = P;
  summary["pool"] = pool;
  summary["seq"] = seq;
  summary["dense_dim"] = dim;

  // (a) one forward/backward per sample, dense matrix in memory.
  at::Tensor a_features;
  {
    const auto tg = Clock::now();
    at::Tensor R = at::empty({P, dim}, at::kFloat);
    rademacher_block(0, 0, 0, P, dim, R.data_ptr<float>());
    summary["a_matrix_gb"] = static_cast<double>(P * dim * 4) / 1e9;
    summary["a_matrix_generation_s"] = seconds_since(tg);
    model.set_training(false);
    std::vector<at::Tensor> rows;
    double t_fb = 0, t_proj = 0;
    const auto t0 = Clock::now();
    for (const auto& s : samples) {
      for (const auto& p : model.parameters()) p.tensor.mutable_grad() = at::Tensor();
      at::Tensor ids = at::empty({1, seq}, at::kLong);
      for (int64_t t = 0; t < seq; ++t) ids[0][t] = s.input_ids[static_cast<std::size_t>(t)];
      const auto t1 = Clock::now();
      model.token_losses(ids, ids).mean().backward();
      t_fb += seconds_since(t1);
      const auto t2 = Clock::now();
      std::vector<at::Tensor> parts;
      for (const auto& b : layout) parts.push_back(model.parameter(b.weight_name).grad().reshape({-1}));
      rows.push_back(at::matmul(at::cat(parts).unsqueeze(0), R));
      t_proj += seconds_since(t2);
    }
    const double total = seconds_since(t0);
    a_features = at::cat(rows);
    summary["a_tokens_per_s"] = tokens / total;
    summary["a_forward_backward_s"] = t_fb;
    summary["a_gather_and_project_s"] = t_proj;
  }

  // (b) ours, dense. Each of (b) and (c) runs once untimed first, as the training loop has warm-up
  // steps: decisions recur during training, so the steady state is what matters.
  GradientFeatureOptions o;
  o.projection = Projection::Dense;
  o.projection_dim = dim;
  o.seed = 0;
  {
    per_sample_gradient_features(model, ptrs, o, nullptr, batch, 0);
    GradientTimings tm;
    const auto t0 = Clock::now();
    at::Tensor f = per_sample_gradient_features(model, ptrs, o, nullptr, batch, 0, {}, &tm);
    const double total = seconds_since(t0);
    summary["b_tokens_per_s"] = tokens / total;
    summary["b_forward_s"] = tm.forward;
    summary["b_backward_s"] = tm.backward;
    summary["b_per_sample_products_s"] = tm.per_sample;
    summary["b_projection_s"] = tm.projection;
    summary["a_vs_b_max_relative_difference"] = ((f - a_features).abs().max() / a_features.abs().max()).item<double>();
  }
  // (c) ours, factored.
  o.projection = Projection::Factored;
  o.projection_dim = factored_dim;
  {
    per_sample_gradient_features(model, ptrs, o, nullptr, batch, 0);
    GradientTimings tm;
    const auto t0 = Clock::now();
    at::Tensor f = per_sample_gradient_features(model, ptrs, o, nullptr, batch, 0, {}, &tm);
    const double total = seconds_since(t0);
    summary["c_feature_dim"] = f.size(1);
    summary["c_tokens_per_s"] = tokens / total;
    summary["c_forward_s"] = tm.forward;
    summary["c_backward_s"] = tm.backward;
    summary["c_projection_s"] = tm.projection;
    summary["c_projection_share"] = tm.projection / total;
  }
  const double train = summary["train_tokens_per_s"];
  summary["b_vs_train"] = summary["b_tokens_per_s"].get<double>() / train;
  summary["c_vs_train"] = summary["c_tokens_per_s"].get<double>() / train;
  summary["speedup_b_over_a"] = summary["b_tokens_per_s"].get<double>() / summary["a_tokens_per_s"].get<double>();
  summary["speedup_c_over_a"] = summary["c_tokens_per_s"].get<double>() / summary["a_tokens_per_s"].get<double>();
  std::cout << summary.dump(2) << "\n";
  return 0;
}
