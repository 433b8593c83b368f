// The Mix trainer: at each decision the mixer turns the domain losses observed since its last call
// into proportions, which drive the domain sampler (apply = sampling) or weight each domain's token
// losses by K p_d (apply = loss_weight, DoReMi's proxy training), batches then coming from the fixed
// mixture dataflex.sampling_proportions, or from plain epochs when it is empty.
#include <algorithm>
#include <cmath>
#include <limits>

#include "data/corpus.hpp"
#include "train/policies.hpp"
#include "util/error.hpp"

namespace dataflex {

MixPolicy::MixPolicy(const TrainingOptions& o, int64_t total_steps, const Corpus& corpus,
                     std::unique_ptr<DecisionPlugin> plugin, DecisionSchedule schedule)
    : DataPolicy(o, total_steps, corpus, std::move(plugin), std::move(schedule)) {
  const std::size_t K = corpus.domains.size();
  domain_sizes_.assign(K, 0);
  for (const auto& x : corpus.train) ++domain_sizes_[static_cast<std::size_t>(x.domain)];
  observed_loss_.assign(K, 0.0);
  observed_tokens_.assign(K, 0.0);
  observed_excess_.assign(K, 0.0);
  wants_excess_ = plugin_->manifest().requires_service("observed_excess_losses");
  if (wants_excess_ && o.reference_model.empty())
    throw Error("plugin '" + plugin_->manifest().name +
                "' requires observed_excess_losses: set dataflex.reference_model (a model folder, e.g. the reference "
                "run's output)");
  proportions_.assign(K, 1.0 / static_cast<double>(K));
  const bool fixed_mixture = o.mix_apply == MixApply::LossWeight && !o.sampling_proportions.empty();
  if (fixed_mixture && o.sampling_proportions.size() != K)
    throw Error("dataflex.sampling_proportions has " + std::to_string(o.sampling_proportions.size()) +
                " values but the run has " + std::to_string(K) + " domains (one per dataset, in order)");
  if (o.mix_apply == MixApply::Sampling || fixed_mixture) {
    std::vector<std::vector<int64_t>> members(K);
    std::vector<double> tokens(K, 0.0);
    for (std::size_t i = 0; i < corpus.train.size(); ++i) {
      const auto d = static_cast<std::size_t>(corpus.train[i].domain);
      members[d].push_back(static_cast<int64_t>(i));
      tokens[d] += static_cast<double>(corpus.train[i].input_ids.size());
    }
    for (std::size_t d = 0; d < K; ++d)
      tokens[d] = members[d].empty() ? 0.0 : tokens[d] / static_cast<double>(members[d].size());
    domains_.emplace(std::move(members), std::move(tokens), o.seed ^ 0x4D49585344415441ull);
    std::vector<double> start = proportions_;
    if (fixed_mixture) {
      double sum = 0;
      for (double p : o.sampling_proportions) sum += p;
      if (!(sum > 0)) throw Error("dataflex.sampling_proportions: every value is 0");
      for (std::size_t d = 0; d < K; ++d) start[d] = o.sampling_proportions[d] / sum;
    }
    domains_->set_proportions(start, o.mixture_unit == MixtureUnit::Tokens);
  }
}

Sampler& MixPolicy::sampler() { return domains_ ? static_cast<Sampler&>(*domains_) : base_; }

// The losses observed since the mixer's last call and the current mixture, taken out of the running
// sums: training adds to fresh sums while a worker decides.
nlohmann::json MixPolicy::prepare(int64_t, int64_t) {
  nlohmann::json in = {{"loss", observed_loss_},
                       {"tokens", observed_tokens_},
                       {"excess", observed_excess_},
                       {"proportions", proportions_}};
  std::fill(observed_loss_.begin(), observed_loss_.end(), 0.0);
  std::fill(observed_tokens_.begin(), observed_tokens_.end(), 0.0);
  std::fill(observed_excess_.begin(), observed_excess_.end(), 0.0);
  return in;
}

namespace {

// The mean loss of each domain from summed losses and tokens (NaN: no token observed).
std::vector<double> means(const nlohmann::json& sums, const std::vector<double>& tokens) {
  std::vector<double> out;
  const auto s = sums.get<std::vector<double>>();
  for (std::size_t d = 0; d < tokens.size(); ++d)
    out.push_back(tokens[d] > 0 ? s[d] / tokens[d] : std::numeric_limits<double>::quiet_NaN());
  return out;
}

}  // namespace

nlohmann::json MixPolicy::compute(int64_t step, int64_t index, const nlohmann::json& input) {
  const auto tokens = input.at("tokens").get<std::vector<double>>();
  MixInput in;
  in.domain_names = corpus_.domains;
  in.current_proportions = input.at("proportions").get<std::vector<double>>();
  in.observed_losses = means(input.at("loss"), tokens);
  for (double t : tokens) in.observed_tokens.push_back(static_cast<int64_t>(t));
  if (wants_excess_) in.observed_excess_losses = means(input.at("excess"), tokens);
  try {
    return {{"proportions", plugin_->mix(context(step, index), in)}};
  } catch (const PluginFailure& failure) {
    if (!survives_failures()) throw;
    return failure_outcome(failure);
  }
}

void MixPolicy::apply(int64_t step, int64_t index, const nlohmann::json& input, const nlohmann::json& outcome,
                      int64_t applied_at) {
  const std::size_t K = corpus_.domains.size();
  if (outcome.contains("failure")) {
    // The observed losses keep accumulating: the next call sees everything since the last success.
    auto add_back = [&](std::vector<double>& into, const char* key) {
      const auto v = input.at(key).get<std::vector<double>>();
      for (std::size_t d = 0; d < K; ++d) into[d] += v[d];
    };
    add_back(observed_loss_, "loss");
    add_back(observed_tokens_, "tokens");
    add_back(observed_excess_, "excess");
    logged_failure(step, index, outcome, applied_at, "kept the previous proportions");
    return;
  }
  const auto p = outcome.at("proportions").get<std::vector<double>>();
  if (p.size() != K)
    throw Error("decision of step " + std::to_string(step) + ": " + std::to_string(p.size()) + " proportions for " +
                std::to_string(K) + " domains");
  double on_data = 0;
  for (std::size_t d = 0; d < K; ++d) on_data += domain_sizes_[d] > 0 ? p[d] : 0.0;
  if (!(on_data > 0))
    throw Error("plugin '" + plugin_->manifest().name + "' (mix) at step " + std::to_string(step) +
                ": refused: every domain with a positive proportion has no training samples");
  proportions_ = p;
  if (domains_ && options_.mix_apply == MixApply::Sampling)
    domains_->set_proportions(proportions_, options_.mixture_unit == MixtureUnit::Tokens);

  const auto tokens = input.at("tokens").get<std::vector<double>>();
  const std::vector<double> observed = means(input.at("loss"), tokens);
  nlohmann::ordered_json line = decision_line(step, index, applied_at);
  line["kind"] = "mixture";
  line["apply"] = to_string(options_.mix_apply);
  nlohmann::ordered_json props, losses;
  for (std::size_t d = 0; d < K; ++d) {
    props[corpus_.domains[d]] = proportions_[d];
    losses[corpus_.domains[d]] = std::isfinite(observed[d]) ? nlohmann::json(observed[d]) : nlohmann::json(nullptr);
  }
  line["proportions"] = props;
  line["observed_losses"] = losses;
  if (wants_excess_) {
    const std::vector<double> excess_means = means(input.at("excess"), tokens);
    nlohmann::ordered_json excess;
    for (std::size_t d = 0; d < K; ++d)
      excess[corpus_.domains[d]] =
          std::isfinite(excess_means[d]) ? nlohmann::json(excess_means[d]) : nlohmann::json(nullptr);
    line["observed_excess_losses"] = excess;
  }
  log_.append(line);
}

LossWeights MixPolicy::loss_weights(int64_t, const BatchLosses& batch) {
  if (options_.mix_apply != MixApply::LossWeight) return {};
  // K p_d: uniform proportions weigh every token 1.
  LossWeights w;
  w.form = LossWeights::Form::WeightedTokens;
  for (int32_t d : batch.domains)
    w.weights.push_back(proportions_[static_cast<std::size_t>(d)] * static_cast<double>(proportions_.size()));
  return w;
}

// What the mixer observes: each domain's training loss since its last call, token-weighted.
void MixPolicy::end_step(const std::vector<BatchLosses>& batches) {
  for (const BatchLosses& b : batches)
    for (std::size_t i = 0; i < b.ids.size(); ++i) {
      observed_loss_[static_cast<std::size_t>(b.domains[i])] += static_cast<double>(b.loss_sums[i]);
      observed_tokens_[static_cast<std::size_t>(b.domains[i])] += static_cast<double>(b.tokens[i]);
      if (i < b.excess_sums.size())
        observed_excess_[static_cast<std::size_t>(b.domains[i])] += static_cast<double>(b.excess_sums[i]);
    }
}

void MixPolicy::save(nlohmann::json& j) const {
  if (domains_) j["mixture_sampler"] = domains_->state();
  j["proportions"] = proportions_;
  j["observed_loss"] = observed_loss_;
  j["observed_tokens"] = observed_tokens_;
  j["observed_excess"] = observed_excess_;
}

void MixPolicy::load(const nlohmann::json& j, const std::string& where) {
  try {
    if (j.contains("mixture_sampler") && domains_) domains_->load_state(j["mixture_sampler"], where);
    proportions_ = j.at("proportions").get<std::vector<double>>();
    observed_loss_ = j.at("observed_loss").get<std::vector<double>>();
    observed_tokens_ = j.at("observed_tokens").get<std::vector<double>>();
    // Checkpoints written before 1.4 have none: nothing was accumulated then.
    observed_excess_ = j.contains("observed_excess") ? j["observed_excess"].get<std::vector<double>>()
                                                     : std::vector<double>(observed_tokens_.size(), 0.0);
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": data state: " + one_line(e.what()));
  }
  const std::size_t K = corpus_.domains.size();
  if (proportions_.size() != K || observed_loss_.size() != K || observed_tokens_.size() != K ||
      observed_excess_.size() != K)
    throw Error(where + ": data state has another number of domains than the data (" + std::to_string(K) + ")");
}

}  // namespace dataflex
