// One LESS decision over a whole pool on a LoRA fine-tune, computed three ways in one run:
//   (o) the original way (LESS's get_info/collect_grads): one forward and backward per sample at batch
//       size 1, the full LoRA gradient read from .grad, Adam-preconditioned, projected with a dense
//       Rademacher matrix in groups of 16 samples (LESS's project interval; the matrix is generated
//       once per group, as TRAK's projector does);
//   (d) ours with the same dense projection (batched extraction, one forward/backward per batch);
//   (f) ours with the default factored projection.
// Each way computes target features (plain gradients of the target examples) and pool features
// (Adam form), scores the pool as the `less` plugin does (less_math.hpp: unit rows, max over target
// subtasks of the mean cosine) and takes the top k. (o) and (d) use the same matrix, so they must
// select the same samples: checked, and the exit status says so. Also: the top-k overlap of (f)'s
// selection with its features stored at f16 / int8 / 1 bit (feature_codec.hpp), and their memory.
//
//   build/bin/bench_less_decision --pool 256 --targets 16 --seq 128 --k 8192 --select 32
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/adamw.h>
#include <torch/types.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "../algorithms/less/feature_codec.hpp"
#include "../algorithms/less/less_math.hpp"
#include "data/corpus.hpp"
#include "model/llama_model.hpp"
#include "signals/per_sample_gradients.hpp"
#include "train/host_factory.hpp"
#include "train/trainer.hpp"

using namespace dataflex;
using Clock = std::chrono::steady_clock;
namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::vector<Sample> random_samples(int64_t n, int64_t seq, int64_t vocab, at::Generator& gen) {
  std::vector<Sample> out(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    at::Tensor ids = at::randint(0, vocab, {seq}, gen, at::kLong);
    auto& s = out[static_cast<std::size_t>(i)];
    for (int64_t t = 0; t < seq; ++t) s.input_ids.push_back(static_cast<int32_t>(ids[t].item<int64_t>()));
    s.labels = s.input_ids;
    s.domain = static_cast<int32_t>(i % 2);  // two target subtasks
  }
  return out;
}

std::vector<float> to_vector(const at::Tensor& t) {
  const at::Tensor c = t.contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// LESS's way: batch size 1, the full gradient, the Adam form, a dense projection per group of 16.
at::Tensor original_features(LlamaModel& model, const std::vector<Sample>& samples, const AdamMoments* adam, int64_t k,
                             uint64_t seed) {
  const auto layout = feature_layout(model, {});
  int64_t P = 0;
  for (const auto& b : layout) P += b.out * b.in + (b.bias_name.empty() ? 0 : b.out);
  constexpr int64_t kGroup = 16;
  std::vector<at::Tensor> group, out;
  auto flush = [&] {
    if (group.empty()) return;
    at::Tensor g = at::stack(group);
    at::Tensor f = at::zeros({g.size(0), k});
    dense_project(g, 0, seed, f);
    out.push_back(f);
    group.clear();
  };
  for (const auto& s : samples) {
    for (const auto& p : model.parameters()) p.tensor.mutable_grad() = at::Tensor();
    at::Tensor ids = at::tensor(std::vector<int64_t>(s.input_ids.begin(), s.input_ids.end())).unsqueeze(0);
    model.token_losses(ids, ids).mean().backward();
    std::vector<at::Tensor> g, m, v;
    for (const auto& b : layout) {
      for (const std::string& name : {b.weight_name, b.bias_name}) {
        if (name.empty()) continue;
        const at::Tensor p = model.parameter(name);
        g.push_back(p.grad().reshape({-1}));
        if (adam) {
          auto [mm, vv] = adam->lookup(p);
          m.push_back(mm.reshape({-1}));
          v.push_back(vv.reshape({-1}));
        }
      }
    }
    at::Tensor row = at::cat(g);
    if (adam) row = adam_feature(at::cat(m), at::cat(v), row, adam->beta1, adam->beta2);
    group.push_back(row);
    if (static_cast<int64_t>(group.size()) == kGroup) flush();
  }
  flush();
  for (const auto& p : model.parameters()) p.tensor.mutable_grad() = at::Tensor();
  return at::cat(out);
}

// The less plugin's scoring on target and pool features; the top `select` pool positions.
std::vector<size_t> less_top_k(const at::Tensor& targets, const std::vector<Sample>& target_samples,
                               const at::Tensor& pool, size_t select) {
  const auto cols = static_cast<size_t>(targets.size(1));
  std::vector<float> t = to_vector(targets), p = to_vector(pool);
  less::normalize_rows(t, target_samples.size(), cols);
  less::normalize_rows(p, static_cast<size_t>(pool.size(0)), cols);
  std::vector<int32_t> subtask;
  for (const auto& s : target_samples) subtask.push_back(s.domain);
  const auto means = less::subtask_means(t, target_samples.size(), cols, subtask, 2);
  return less::top_k(less::scores(p, static_cast<size_t>(pool.size(0)), cols, means), select);
}

double overlap(const std::vector<size_t>& a, const std::vector<size_t>& b) {
  const std::set<size_t> sa(a.begin(), a.end());
  size_t n = 0;
  for (size_t x : b) n += sa.count(x);
  return a.empty() ? 1.0 : static_cast<double>(n) / static_cast<double>(a.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::string config = "bench/configs/llama_h256_l4.json";
  int64_t pool = 256, targets = 16, seq = 128, k = 8192, select = 32, rank = 8, batch = 8, threads = 2;
  CLI::App app{"bench_less_decision: one LESS decision, the original way against ours"};
  app.add_option("--config", config, "model config.json");
  app.add_option("--pool", pool, "pool samples");
  app.add_option("--targets", targets, "target examples");
  app.add_option("--seq", seq, "tokens per sample");
  app.add_option("--k", k, "projected columns");
  app.add_option("--select", select, "samples selected");
  app.add_option("--lora-rank", rank, "LoRA rank");
  app.add_option("--batch", batch, "samples per extraction batch");
  app.add_option("--threads", threads, "LibTorch and BLAS threads");
  CLI11_PARSE(app, argc, argv);
  configure_threads(threads);
  const ModelConfig cfg = ModelConfig::load(config);
  LlamaModel model(cfg, 0);
  model.add_lora({rank, 2.0 * double(rank), 0.0, {"q_proj", "k_proj", "v_proj", "o_proj"}}, 1);  // LESS's targets
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  const auto pool_samples = random_samples(pool, seq, cfg.vocab_size, gen);
  const auto target_samples = random_samples(targets, seq, cfg.vocab_size, gen);

  // A few optimizer steps, so that Adam's moments are those of a run in progress.
  const auto params = model.trainable_parameters();
  torch::optim::AdamW opt(params, torch::optim::AdamWOptions(1e-3).weight_decay(0.0));
  model.set_training(true);
  for (int s = 0; s < 3; ++s) {
    at::Tensor ids = at::randint(0, cfg.vocab_size, {batch, seq}, gen, at::kLong);
    model.token_losses(ids, ids).mean().backward();
    opt.step();
    opt.zero_grad();
  }
  model.set_training(false);
  const auto moments = adam_moments_of(opt, 0.9, 0.999);

  std::vector<const Sample*> pool_ptrs, target_ptrs;
  for (const auto& s : pool_samples) pool_ptrs.push_back(&s);
  for (const auto& s : target_samples) target_ptrs.push_back(&s);
  const auto layout = feature_layout(model, {});
  int64_t P = 0;
  for (const auto& b : layout) P += b.out * b.in + (b.bias_name.empty() ? 0 : b.out);

  nlohmann::ordered_json out;
  out["lora_parameters"] = P;
  out["pool"] = pool;
  out["targets"] = targets;
  out["seq"] = seq;
  out["k"] = k;
  out["select"] = select;

  // Warm-up (untimed) of every path on a few samples: the decision recurs during training.
  const std::vector<Sample> few(pool_samples.begin(), pool_samples.begin() + std::min<int64_t>(pool, 8));
  std::vector<const Sample*> few_ptrs;
  for (const auto& s : few) few_ptrs.push_back(&s);
  original_features(model, few, moments.get(), k, 0);
  GradientFeatureOptions dense;
  dense.projection = Projection::Dense;
  dense.projection_dim = k;
  GradientFeatureOptions factored = dense;
  factored.projection = Projection::Factored;
  per_sample_gradient_features(model, few_ptrs, dense, moments.get(), batch, 0);
  per_sample_gradient_features(model, few_ptrs, factored, moments.get(), batch, 0);

  auto ours = [&](GradientFeatureOptions o, const char* tag) {
    const auto t0 = Clock::now();
    o.preconditioner = Preconditioner::Sgd;
    const at::Tensor t = per_sample_gradient_features(model, target_ptrs, o, nullptr, batch, 0);
    o.preconditioner = Preconditioner::Adam;
    GradientTimings tm;
    const at::Tensor p = per_sample_gradient_features(model, pool_ptrs, o, moments.get(), batch, 0, {}, &tm);
    out[std::string(tag) + "_pool_timings_s"] = {{"forward", tm.forward},
                                                 {"backward", tm.backward},
                                                 {"per_sample_products", tm.per_sample},
                                                 {"projection", tm.projection}};
    const auto top = less_top_k(t, target_samples, p, static_cast<size_t>(select));
    out[std::string(tag) + "_s"] = seconds_since(t0);
    out[std::string(tag) + "_feature_dim"] = p.size(1);
    return std::make_pair(top, p);
  };
  const auto t0 = Clock::now();
  const at::Tensor ot = original_features(model, target_samples, nullptr, k, 0);
  const at::Tensor op = original_features(model, pool_samples, moments.get(), k, 0);
  const auto original_top = less_top_k(ot, target_samples, op, static_cast<size_t>(select));
  out["original_dense_s"] = seconds_since(t0);
  const auto [dense_top, dense_pool] = ours(dense, "ours_dense");
  const auto [factored_top, factored_pool] = ours(factored, "ours_factored");
  out["ours_dense_over_original"] = out["ours_dense_s"].get<double>() / out["original_dense_s"].get<double>();
  out["ours_factored_over_original"] = out["ours_factored_s"].get<double>() / out["original_dense_s"].get<double>();
  out["features_max_relative_difference_dense_vs_original"] =
      ((dense_pool - op).abs().max() / op.abs().max()).item<double>();
  out["same_selection_dense_vs_original"] = std::set<size_t>(dense_top.begin(), dense_top.end()) ==
                                            std::set<size_t>(original_top.begin(), original_top.end());
  out["topk_overlap_factored_vs_dense"] = overlap(dense_top, factored_top);

  // Stored precision: (f)'s pool features through each feature_dtype, the same targets.
  {
    factored.preconditioner = Preconditioner::Sgd;
    const at::Tensor t = per_sample_gradient_features(model, target_ptrs, factored, nullptr, batch, 0);
    const auto cols = static_cast<size_t>(factored_pool.size(1));
    std::vector<float> unit = to_vector(factored_pool);
    less::normalize_rows(unit, static_cast<size_t>(pool), cols);
    for (const char* name : {"f16", "int8", "1bit"}) {
      const auto dtype = less::feature_dtype_of(name);
      std::vector<float> q = unit;
      for (int64_t i = 0; i < pool; ++i) less::round_trip(q.data() + i * cols, cols, dtype);
      const auto top = less_top_k(t, target_samples, at::from_blob(q.data(), {pool, int64_t(cols)}), size_t(select));
      out[std::string("topk_overlap_") + name + "_vs_f32"] = overlap(factored_top, top);
      out[std::string("bytes_per_sample_") + name] = less::encoded_bytes(cols, dtype);
    }
    out["bytes_per_sample_f32"] = 4 * cols;
  }
  std::cout << out.dump(2) << "\n";
  return out["same_selection_dense_vs_original"].get<bool>() ? 0 : 1;
}
