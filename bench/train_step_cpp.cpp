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
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include <sys/resource.h>

#include "model/llama_model.hpp"
#include "train/fused_adamw.hpp"
#include "train/trainer.hpp"
#include "util/blas_library.hpp"
#include "util/process_memory.hpp"

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
  bool phases = false;
  app.add_flag("--phases", phases, "also report the mean time of forward, backward, clipping and the optimizer step");
  std::string profile;
  app.add_option("--profile", profile, "write a Chrome trace of the timed steps' ATen ops (LibTorch's profiler)");
  bool print_blas_core = false;
  app.add_flag("--blas-core", print_blas_core, "print the OpenBLAS kernels this process runs and exit");
  CLI11_PARSE(app, argc, argv);
  using namespace dataflex;
  if (print_blas_core) {
    std::cout << blas_core_name() << "\n";
    return 0;
  }
  keep_freed_memory_for_reuse();  // what dataflex-run's main() does
  configure_threads(threads);     // what dataflex-run does: LibTorch's and OpenBLAS's pools both get `threads`
  const ModelConfig cfg = ModelConfig::load(config);
  LlamaModel model(cfg, static_cast<uint64_t>(seed));
  model.set_training(true);
  model.set_fused_kernels(!unfused);
  const std::vector<at::Tensor> params = model.trainable_parameters();
  // What dataflex-run builds: the one-pass AdamW with the fused kernels, LibTorch's with --unfused.
  std::unique_ptr<torch::optim::AdamW> opt_holder =
      unfused ? std::make_unique<torch::optim::AdamW>(params, torch::optim::AdamWOptions(1e-3).weight_decay(0.0))
              : std::make_unique<FusedAdamW>(params, torch::optim::AdamWOptions(1e-3).weight_decay(0.0));
  torch::optim::AdamW& opt = *opt_holder;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(seed + 1));
  std::vector<at::Tensor> batches;
  for (int64_t i = 0; i < warmup + steps; ++i)
    batches.push_back(at::randint(0, cfg.vocab_size, {batch, seq}, gen, at::kLong));

  const double base_mb = resident_mb();  // model and data before the first step
  std::vector<double> losses, times;
  // Seconds spent in forward, backward, clip_grad_norm, optimizer step + zero_grad (timed steps).
  double phase[4] = {0, 0, 0, 0};
  using clock = std::chrono::steady_clock;
  const auto seconds = [](clock::time_point a, clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
  };
  double activation_mb = 0;  // the most a forward held for its backward (allocator bytes in use)
  std::vector<long> faults;  // minor page faults of each timed step (fresh pages the kernel zeroes)
  const auto minor_faults = [] {
    struct rusage u {};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_minflt;
  };
  std::unique_ptr<torch::autograd::profiler::RecordProfile> profiler;
  for (std::size_t i = 0; i < batches.size(); ++i) {
    if (!profile.empty() && static_cast<int64_t>(i) == warmup)
      profiler = std::make_unique<torch::autograd::profiler::RecordProfile>(profile);
    const long f0 = minor_faults();
    const double heap0 = phases ? heap_in_use_mb() : 0.0;
    const auto t0 = clock::now();
    const at::Tensor& ids = batches[i];
    at::Tensor loss = model.token_losses(ids, ids).mean();  // labels = ids: every position trained
    const auto t1 = clock::now();
    if (phases) activation_mb = std::max(activation_mb, heap_in_use_mb() - heap0);
    loss.backward();
    const auto t2 = clock::now();
    torch::nn::utils::clip_grad_norm_(params, 1.0);
    const auto t3 = clock::now();
    opt.step();
    opt.zero_grad();
    losses.push_back(loss.item<double>());
    const auto t4 = clock::now();
    if (static_cast<int64_t>(i) >= warmup) {
      faults.push_back(minor_faults() - f0);
      times.push_back(seconds(t0, t4));
      phase[0] += seconds(t0, t1);
      phase[1] += seconds(t1, t2);
      phase[2] += seconds(t2, t3);
      phase[3] += seconds(t3, t4);
    }
  }
  profiler.reset();  // writes the trace
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
  out["blas_core"] = blas_core_name();
  out["openblas_threads"] = obt ? nlohmann::json(obt) : nlohmann::json(nullptr);
  out["omp_wait_policy"] = omp ? nlohmann::json(omp) : nlohmann::json(nullptr);
  out["batch"] = batch;
  out["seq"] = seq;
  out["steps"] = steps;
  out["warmup"] = warmup;
  if (phases) {
    const double n = static_cast<double>(times.size());
    out["forward_ms"] = std::round(1000.0 * phase[0] / n);
    out["backward_ms"] = std::round(1000.0 * phase[1] / n);
    out["clip_ms"] = std::round(1000.0 * phase[2] / n);
    out["optimizer_ms"] = std::round(1000.0 * phase[3] / n);
    out["page_faults"] = faults;
    out["activation_mb"] = std::round(10.0 * activation_mb) / 10.0;
  }
  out["loss_first"] = losses.front();
  out["loss_last"] = losses.back();
  out["rss_before_mb"] = std::round(10.0 * base_mb) / 10.0;
  out["peak_rss_mb"] = std::round(10.0 * peak_resident_mb()) / 10.0;
  std::cout << out.dump() << "\n";
  return 0;
}
