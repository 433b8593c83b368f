// Generation throughput: `generate` (batched, KV cache) against the no-cache greedy loop that reruns
// the whole sequence through forward() for every new token, at batch 1 and 8, in one run. Greedy, so
// that both produce the same tokens (checked: the exit status says so); no stop token, so every
// response is max_new_tokens long.
//
//   build/bin/bench_generation --config bench/configs/llama_h256_l4.json --prompt 64 --new 64
#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "model/generation.hpp"
#include "model/llama_model.hpp"
#include "train/trainer.hpp"

using namespace dataflex;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  std::string config = "bench/configs/llama_h256_l4.json";
  int64_t prompt = 64, fresh = 64, threads = 2;
  CLI::App app{"bench_generation: KV-cache generation against the no-cache loop"};
  app.add_option("--config", config, "model config.json");
  app.add_option("--prompt", prompt, "prompt tokens");
  app.add_option("--new", fresh, "new tokens per prompt");
  app.add_option("--threads", threads, "LibTorch and BLAS threads");
  CLI11_PARSE(app, argc, argv);
  configure_threads(threads);
  const ModelConfig cfg = ModelConfig::load(config);
  LlamaModel model(cfg, 0);
  model.set_training(false);
  GenerationOptions o;
  o.max_new_tokens = fresh;
  nlohmann::ordered_json out;
  out["prompt_tokens"] = prompt;
  out["new_tokens"] = fresh;
  bool same = true;
  for (int64_t batch : {1, 8}) {
    std::vector<std::vector<int32_t>> prompts(static_cast<std::size_t>(batch));
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t t = 0; t < prompt - b; ++t)  // lengths differ: the cached batch is padded
        prompts[static_cast<std::size_t>(b)].push_back(static_cast<int32_t>((37 * b + 11 * t + 5) % cfg.vocab_size));
    const std::vector<uint64_t> seeds(static_cast<std::size_t>(batch), 1);
    generate(model, {prompts[0]}, o, {1}, 0);  // warm-up
    auto t0 = Clock::now();
    const auto cached = generate(model, prompts, o, seeds, 0);
    const double t_cached = std::chrono::duration<double>(Clock::now() - t0).count();
    // The loop without a cache: every prompt alone (no padding), the whole sequence each step.
    at::NoGradGuard no_grad;
    t0 = Clock::now();
    for (int64_t b = 0; b < batch; ++b) {
      std::vector<int32_t> seq = prompts[static_cast<std::size_t>(b)], got;
      for (int64_t i = 0; i < fresh; ++i) {
        at::Tensor ids = at::tensor(std::vector<int64_t>(seq.begin(), seq.end())).unsqueeze(0);
        const auto next =
            static_cast<int32_t>(model.forward(ids).select(1, ids.size(1) - 1)[0].argmax().item<int64_t>());
        seq.push_back(next);
        got.push_back(next);
      }
      same = same && got == cached[static_cast<std::size_t>(b)];
    }
    const double t_loop = std::chrono::duration<double>(Clock::now() - t0).count();
    const double tokens = static_cast<double>(batch * fresh);
    const std::string tag = "batch" + std::to_string(batch);
    out[tag + "_cached_tokens_per_s"] = tokens / t_cached;
    out[tag + "_no_cache_loop_tokens_per_s"] = tokens / t_loop;
    out[tag + "_speedup"] = t_loop / t_cached;
  }
  out["same_tokens"] = same;
  std::cout << out.dump(2) << "\n";
  return same ? 0 : 1;
}
