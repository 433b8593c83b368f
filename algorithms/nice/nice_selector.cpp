// nice: the NICE selector (docs/algorithms/nice.md). LESS's pool side (Adam-preconditioned projected
// gradients, unit rows, in chunks) against a target side that follows a non-differentiable reward:
// for each target prompt, mc_samples responses are drawn from the current (or a policy) model, each
// is rewarded (a reward model or a metric against the reference answer), and the prompt's target
// feature is the mean of r_m * grad(summed NLL of response m) -- all through host services, so the
// plugin holds no model. Pool samples score by their best subtask's mean cosine; the top k are chosen.
#include <dataflex/plugin.hpp>
#include <dataflex/random.hpp>

#include <algorithm>
#include <numeric>

#include "../less/less_math.hpp"
#include "../less/less_targets.hpp"
#include "nice_math.hpp"

namespace {

namespace less = dataflex::less;
namespace nice = dataflex::nice;

dfx_reward reward_of(const std::string& name) {
  if (name == "exact_match") return DFX_REWARD_EXACT_MATCH;
  if (name == "token_f1") return DFX_REWARD_TOKEN_F1;
  if (name == "rouge_l") return DFX_REWARD_ROUGE_L;
  return DFX_REWARD_MODEL;
}

class NiceSelector : public dataflex::Selector {
 public:
  explicit NiceSelector(const dataflex::PluginContext& ctx)
      : Selector(ctx),
        by_subtask_(params().get_string("subtasks") == "domain"),
        reward_(reward_of(params().get_string("reward"))),
        baseline_(nice::baseline_of(params().get_string("baseline"))),
        mc_samples_(static_cast<uint32_t>(params().get_int("mc_samples"))),
        max_targets_(static_cast<size_t>(params().get_int("max_targets"))),
        chunk_(static_cast<size_t>(params().get_int("chunk_size"))),
        options_(less::gradient_options(params())) {
    host().require("generate");
    host().require("reward");
    host().require("response_gradient_features");
    generation_.model = params().get_string("policy") == "policy_model" ? DFX_MODEL_POLICY : DFX_MODEL_CURRENT;
    generation_.num_return = mc_samples_;
    generation_.max_new_tokens = static_cast<uint32_t>(params().get_int("max_new_tokens"));
    generation_.temperature = params().get_float("temperature");
    generation_.top_p = params().get_float("top_p");
    generation_.top_k = static_cast<int32_t>(params().get_int("top_k"));
  }

  Selection select(const dfx_decision_context& ctx, size_t pool_size, size_t num_select, bool) override {
    const auto means = target_means(ctx);
    if (!signal_) {
      // No reward signal: every candidate would score 0 and the top k would be the lowest ids. Draw
      // them at random instead, as the random selector would.
      host().log(DFX_LOG_WARNING,
                 "NICE: every response weight is 0 (rewards all 0, or all alike under baseline = \"mean\"): no "
                 "target gradient; this decision selects at random");
      dataflex::Rng rng(ctx.seed);
      Selection out;
      out.ids = rng.sample_without_replacement(int64_t(pool_size), int64_t(std::min(num_select, pool_size)));
      std::sort(out.ids.begin(), out.ids.end());
      out.scores.assign(out.ids.size(), 0.0);
      return out;
    }
    auto adam = options_;
    adam.preconditioner = DFX_PRECONDITIONER_ADAM;
    std::vector<double> score(pool_size);
    for (size_t begin = 0; begin < pool_size; begin += chunk_) {
      const size_t end = std::min(pool_size, begin + chunk_);
      std::vector<int64_t> ids(end - begin);
      std::iota(ids.begin(), ids.end(), int64_t(begin));
      auto f = host().gradient_features(DFX_DATASET_TRAIN, ids, adam);
      if (f.cols != width_) throw std::runtime_error("pool and target features differ in width");
      less::normalize_rows(f.data, f.rows, f.cols);
      const auto s = less::scores(f.data, f.rows, f.cols, means);
      std::copy(s.begin(), s.end(), score.begin() + std::ptrdiff_t(begin));
    }
    Selection out;
    for (size_t i : less::top_k(score, num_select)) {
      out.ids.push_back(int64_t(i));
      out.scores.push_back(score[i]);
    }
    return out;
  }

 private:
  // The target prompts of this decision: every eval example, or max_targets of them drawn with the
  // decision's seed (a cost lever: generation and response gradients grow with the targets).
  std::vector<int64_t> target_ids(const dfx_decision_context& ctx, size_t n_eval) const {
    std::vector<int64_t> ids(n_eval);
    std::iota(ids.begin(), ids.end(), int64_t{0});
    if (max_targets_ == 0 || max_targets_ >= n_eval) return ids;
    dataflex::Rng rng(ctx.seed);
    ids = rng.sample_without_replacement(int64_t(n_eval), int64_t(max_targets_));
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  // Responses, rewards, and the reward-weighted response gradients: one unit row per target prompt,
  // averaged per subtask. Sets width_.
  std::vector<std::vector<double>> target_means(const dfx_decision_context& ctx) {
    const auto subtasks = less::target_subtasks(host(), by_subtask_);
    if (subtasks.of_example.empty())
      throw std::invalid_argument("NICE needs target prompts: the run has no eval set (val_size = 0)");
    const std::vector<int64_t> targets = target_ids(ctx, subtasks.of_example.size());
    auto generation = generation_;
    generation.seed = ctx.seed;
    const auto responses = host().generate(DFX_DATASET_EVAL, targets, generation);
    const std::vector<int64_t> prompt_of = nice::repeat_each(targets, mc_samples_);
    const std::vector<float> rewards = host().reward(DFX_DATASET_EVAL, reward_, prompt_of, responses);
    const std::vector<float> weights = nice::response_weights(rewards, mc_samples_, baseline_);
    auto t = host().response_gradient_features(DFX_DATASET_EVAL, prompt_of, responses, weights, mc_samples_, options_);
    less::normalize_rows(t.data, t.rows, t.cols);
    std::vector<int32_t> subtask_of_target;
    for (int64_t id : targets) subtask_of_target.push_back(subtasks.of_example[size_t(id)]);
    width_ = t.cols;

    double total = 0;
    for (float r : rewards) total += r;
    const double mean_reward = rewards.empty() ? 0.0 : total / double(rewards.size());
    host().metric("nice.mean_reward", mean_reward);
    host().metric("nice.response_tokens", double(responses.tokens.size()));
    host().metric("nice.targets", double(targets.size()));
    signal_ = !std::all_of(weights.begin(), weights.end(), [](float w) { return w == 0.0f; });
    host().metric("nice.random_fallback", signal_ ? 0.0 : 1.0);
    return less::subtask_means(t.data, t.rows, t.cols, subtask_of_target, subtasks.count);
  }

  bool by_subtask_;
  dfx_reward reward_;
  nice::Baseline baseline_;
  uint32_t mc_samples_;
  size_t max_targets_, chunk_;
  dataflex::HostServices::GradientOptions options_;
  dataflex::HostServices::GenerateOptions generation_;
  size_t width_ = 0;
  bool signal_ = true;  // false when this decision's response weights are all 0
};

}  // namespace

DATAFLEX_PLUGIN(NiceSelector, "nice", "1.0.0")
