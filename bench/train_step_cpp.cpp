// The same training step as bench/train_step_python.py, through DataFlex's own model and LibTorch's
// C++ AdamW: forward, cross-entropy over all positions with shifted labels, backward,
// clip_grad_norm(1.0), AdamW(lr 1e-3, weight_decay 0) step, zero_grad. Random init and random token
// batches from a fixed seed. Prints one JSON line with the same fields as the Python script.
//
//   build/bin/bench_train_step --config bench/configs/llama_h256_l4.json --batch 8 --seq 256 \
//       --steps 10 --warmup 2 --threads 2
#include <ATen/ATen.h>
#include <torch/types.h>  // before clip_grad.h, which uses torch::Tensor without including it

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include <sys/resource.h>
#include <unistd.h>

#include "model/llama_model.hpp"
#include "train/trainer.hpp"

namespace {
// Resident memory now, MiB (/proc/self/statm's second field, in pages).
double rss_mb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}
}  // namespace

int main(int argc, char** argv) {
  std::string config = "bench/configs/llama_h256_l4.json";
  int64_t batch = 8, seq = 256, steps = 10, warmup = 2, threads = 2, seed = 0;
  CLI::App app{"bench_train_step: DataFlex's training step"};
  app.add_option("--config", config, "model config.json");
  app.add_option("--batch", batch, "sequences per step");
  app.add_option("--seq", seq, "tokens per sequence");
  app.add_option("--steps", steps, "timed steps");
  app.add_option("--warmup", warmup, "untimed steps first");
  app.add_option("--threads", threads, "LibTorch and BLAS threads");
  app.add_option("--seed", seed, "init and data seed");
  bool unfused = false;
  app.add_flag("--unfused", unfused, "the unfused ATen ops instead of the fused kernels (model/fused_ops.hpp)");
  CLI11_PARSE(app, argc, argv);
  using namespace dataflex;
  configure_threads(threads);  // what dataflex-run does: LibTorch's and OpenBLAS's pools both get `threads`
  const ModelConfig cfg = ModelConfig::load(config);
  LlamaModel model(cfg, static_cast<uint64_t>(seed));
  model.set_training(true);
  model.set_fused_kernels(!unfused);
  const std::vector<at::Tensor> params = model.trainable_parameters();
  torch::optim::AdamW opt(params, torch::optim::AdamWOptions(1e-3).weight_decay(0.0));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed + 1));
  std::vector<at::Tensor> batches;
  for (int64_t i = 0; i < warmup + steps; ++i)
    batches.push_back(at::randint(0, cfg.vocab_size, {batch, seq}, gen, at::kLong));

  const double base_mb = rss_mb();  // model and data before the first step
  std::vector<double> losses, times;
  for (std::size_t i = 0; i < batches.size(); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const at::Tensor& ids = batches[i];
    at::Tensor loss = model.token_losses(ids, ids).mean();  // labels = ids: every position trained
    loss.backward();
    torch::nn::utils::clip_grad_norm_(params, 1.0);
    opt.step();
    opt.zero_grad();
    losses.push_back(loss.item<double>());
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (static_cast<int64_t>(i) >= warmup) times.push_back(dt);
  }
  double total = 0;
  for (double t : times) total += t;
  std::vector<double> sorted = times;
  std::sort(sorted.begin(), sorted.end());
  const char* obt = std::getenv("OPENBLAS_NUM_THREADS");
  const char* omp = std::getenv("OMP_WAIT_POLICY");
  nlohmann::ordered_json out;
  out["impl"] = unfused ? "dataflex_unfused" : "dataflex";
  out["tokens_per_s"] =
      std::round(10.0 * static_cast<double>(batch * seq) * static_cast<double>(times.size()) / total) / 10.0;
  out["step_ms"] = std::round(100000.0 * total / static_cast<double>(times.size())) / 100.0;
  out["step_ms_median"] = std::round(100000.0 * sorted[sorted.size() / 2]) / 100.0;
  out["params"] = cfg.parameter_count();
  out["threads"] = threads;
  out["openblas_threads"] = obt ? nlohmann::json(obt) : nlohmann::json(nullptr);
  out["omp_wait_policy"] = omp ? nlohmann::json(omp) : nlohmann::json(nullptr);
  out["batch"] = batch;
  out["seq"] = seq;
  out["steps"] = steps;
  out["warmup"] = warmup;
  out["loss_first"] = losses.front();
  out["loss_last"] = losses.back();
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  out["rss_before_mb"] = std::round(10.0 * base_mb) / 10.0;
  out["peak_rss_mb"] = std::round(10.0 * static_cast<double>(usage.ru_maxrss) / 1024.0) / 10.0;
  std::cout << out.dump() << "\n";
  return 0;
}
