#include "model/generation.hpp"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "model/llama_model.hpp"
#include "util/error.hpp"
#include "util/splitmix.hpp"

namespace dataflex {

int32_t choose_token(const float* logits, int64_t vocab, const GenerationOptions& o, double u) {
  if (o.temperature <= 0) return static_cast<int32_t>(std::max_element(logits, logits + vocab) - logits);
  std::vector<int32_t> order(static_cast<std::size_t>(vocab));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  if (o.top_k > 0 && o.top_k < vocab) order.resize(static_cast<std::size_t>(o.top_k));
  std::vector<double> p(order.size());
  const double top = logits[order[0]];
  double sum = 0;
  for (std::size_t i = 0; i < order.size(); ++i) sum += p[i] = std::exp((logits[order[i]] - top) / o.temperature);
  std::size_t keep = order.size();
  if (o.top_p < 1.0) {
    double mass = 0;
    for (keep = 0; keep < order.size();) {
      mass += p[keep++] / sum;
      if (mass >= o.top_p) break;
    }
  }
  double kept = 0;
  for (std::size_t i = 0; i < keep; ++i) kept += p[i];
  double target = u * kept;
  for (std::size_t i = 0; i < keep; ++i) {
    target -= p[i];
    if (target < 0) return order[i];
  }
  return order[keep - 1];
}

std::vector<std::vector<int32_t>> generate(const LlamaModel& model, const std::vector<std::vector<int32_t>>& prompts,
                                           const GenerationOptions& o, const std::vector<uint64_t>& seeds,
                                           int32_t pad_id) {
  const int64_t B = static_cast<int64_t>(prompts.size());
  if (seeds.size() != prompts.size()) throw Error("generate: one seed per prompt is needed");
  std::vector<std::vector<int32_t>> out(prompts.size());
  if (B == 0 || o.max_new_tokens <= 0) return out;
  int64_t longest = 0;
  for (const auto& p : prompts) {
    if (p.empty()) throw Error("generate: an empty prompt");
    longest = std::max<int64_t>(longest, static_cast<int64_t>(p.size()));
  }
  at::NoGradGuard no_grad;
  TrainingModeScope eval(model, false);
  // The prompts, left-padded.
  at::Tensor ids = at::full({B, longest}, pad_id, at::kLong), pos = at::zeros({B, longest}, at::kLong);
  at::Tensor valid = at::zeros({B, longest}, at::kBool);
  std::vector<int64_t> length(prompts.size());
  {
    auto id = ids.accessor<int64_t, 2>(), ps = pos.accessor<int64_t, 2>();
    auto ok = valid.accessor<bool, 2>();
    for (int64_t b = 0; b < B; ++b) {
      const auto& p = prompts[static_cast<std::size_t>(b)];
      const int64_t pad = longest - static_cast<int64_t>(p.size());
      length[static_cast<std::size_t>(b)] = static_cast<int64_t>(p.size());
      for (int64_t t = 0; t < static_cast<int64_t>(p.size()); ++t) {
        id[b][pad + t] = p[static_cast<std::size_t>(t)];
        ps[b][pad + t] = t;
        ok[b][pad + t] = true;
      }
    }
  }
  KvCache cache;
  std::vector<bool> done(prompts.size(), false);
  for (int64_t step = 0; step < o.max_new_tokens; ++step) {
    const at::Tensor logits = model.forward_cached(ids, pos, valid, cache);
    const at::Tensor last = logits.select(1, logits.size(1) - 1).contiguous().to(at::kCPU);  // [B, V]
    const int64_t V = last.size(1);
    ids = at::full({B, 1}, pad_id, at::kLong);
    pos = at::zeros({B, 1}, at::kLong);
    valid = at::zeros({B, 1}, at::kBool);
    auto id = ids.accessor<int64_t, 2>(), ps = pos.accessor<int64_t, 2>();
    auto ok = valid.accessor<bool, 2>();
    bool all_done = true;
    for (int64_t b = 0; b < B; ++b) {
      const auto i = static_cast<std::size_t>(b);
      if (done[i]) continue;
      const uint64_t bits = mix64(mix64(seeds[i]) ^ static_cast<uint64_t>(step));
      const double u = static_cast<double>(bits >> 11) * (1.0 / 9007199254740992.0);
      const int32_t next = choose_token(last.data_ptr<float>() + b * V, V, o, u);
      out[i].push_back(next);
      done[i] = std::find(o.stop_ids.begin(), o.stop_ids.end(), next) != o.stop_ids.end();
      id[b][0] = next;
      ps[b][0] = length[i]++;
      ok[b][0] = !done[i];
      all_done = all_done && done[i];
    }
    if (all_done) break;
  }
  return out;
}

}  // namespace dataflex
