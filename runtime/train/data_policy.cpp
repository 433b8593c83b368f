#include "train/data_policy.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "data/corpus.hpp"
#include "plugins/decision.hpp"
#include "plugins/plugin_instance.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace fs = std::filesystem;

namespace {

// Selections larger than this go to a file of their own, named in decisions.jsonl.
constexpr std::size_t kInlineIds = 1000;

nlohmann::ordered_json stats(const std::vector<double>& v) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, sum = 0;
  std::size_t n = 0;
  for (double x : v)
    if (std::isfinite(x)) lo = std::min(lo, x), hi = std::max(hi, x), sum += x, ++n;
  if (n == 0) return nullptr;
  return {{"min", lo}, {"max", hi}, {"mean", sum / static_cast<double>(n)}};
}

}  // namespace

DataPolicy::DataPolicy(const DataPolicyOptions& o, const Corpus& corpus, std::shared_ptr<PluginLibrary> library,
                       const std::vector<NamedParam>& params, HostServiceProvider& host)
    : options_(o),
      corpus_(corpus),
      // static + plugin: one decision before the first step, kept for the whole run.
      schedule_(o.train_type == TrainType::Static ? 0 : o.warmup_step, o.train_type == TrainType::Static ? 1 : o.update_step,
                o.train_type == TrainType::Static ? 1 : o.update_times, o.total_steps),
      base_(static_cast<int64_t>(corpus.train.size()), o.seed),
      pool_size_(corpus.train.size()) {
  if (library) {
    plugin_ = std::make_unique<PluginInstance>(std::move(library), host, params, plugin_seed(o.seed));
    plugin_->bridge().take_metrics();  // anything recorded while creating is not a decision's
    const PluginKind kind = plugin_->manifest().kind;
    selector_ = kind == PluginKind::Selector;
    mixer_ = kind == PluginKind::Mixer;
    weighter_ = kind == PluginKind::Weighter;
  }
  const std::size_t K = corpus.domains.size();
  domain_sizes_.assign(K, 0);
  for (const auto& x : corpus.train) ++domain_sizes_[static_cast<std::size_t>(x.domain)];
  observed_loss_.assign(K, 0.0);
  observed_tokens_.assign(K, 0.0);
  proportions_.assign(K, 1.0 / static_cast<double>(K));
  if (mixer_ && o.mix_apply == "sampling") {
    std::vector<std::vector<int64_t>> members(K);
    std::vector<double> tokens(K, 0.0);
    for (std::size_t i = 0; i < corpus.train.size(); ++i) {
      const auto d = static_cast<std::size_t>(corpus.train[i].domain);
      members[d].push_back(static_cast<int64_t>(i));
      tokens[d] += static_cast<double>(corpus.train[i].input_ids.size());
    }
    for (std::size_t d = 0; d < K; ++d) tokens[d] = members[d].empty() ? 0.0 : tokens[d] / static_cast<double>(members[d].size());
    domains_.emplace(std::move(members), std::move(tokens), o.seed ^ 0x4D49585344415441ull);
    domains_->set_proportions(proportions_, o.mixture_unit == "tokens");
  }
}

DataPolicy::~DataPolicy() = default;

std::string DataPolicy::describe() const {
  if (!plugin_) return "full data";
  std::string s = std::string(to_string(options_.train_type)) + " with " + to_string(plugin_->manifest().kind) + " '" +
                  plugin_->manifest().name + "'";
  const auto steps = schedule_.decision_steps();
  s += ", " + std::to_string(steps.size()) + " decision(s)";
  if (!steps.empty()) s += " from step " + std::to_string(steps.front());
  return s;
}

void DataPolicy::append_decision(const nlohmann::ordered_json& line) {
  std::ofstream out((fs::path(options_.output_dir) / "decisions.jsonl").string(), std::ios::app);
  out << line.dump() << "\n";
  if (!out) throw Error((fs::path(options_.output_dir) / "decisions.jsonl").string() + ": cannot append (disk full?)");
}

void DataPolicy::truncate_decisions(const std::string& output_dir, int64_t step) {
  const std::string path = (fs::path(output_dir) / "decisions.jsonl").string();
  std::string kept;
  if (step > 0 && fs::exists(path)) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.contains("step") && j["step"].get<int64_t>() < step) kept += line + "\n";
    }
  }
  write_file_atomically(path, kept);
}

void DataPolicy::begin_step(int64_t step) {
  if (!plugin_ || weighter_) return;
  const int64_t index = schedule_.decision_index(step);
  if (index >= 0) decide(step, index);
}

void DataPolicy::decide(int64_t step, int64_t index) {
  DecisionContext ctx;
  ctx.step = step;
  ctx.total_steps = options_.total_steps;
  ctx.decision_index = index;
  // What the run will really take: update_times, or the decisions that fit before the end.
  ctx.max_decisions = static_cast<int64_t>(schedule_.decision_steps().size());
  ctx.seed = decision_seed(options_.seed, index);
  plugin_->bridge().set_step(step);
  nlohmann::ordered_json line;
  line["step"] = step;
  line["decision_index"] = index;
  line["plugin"] = plugin_->manifest().name;
  if (selector_) {
    const std::size_t pool = corpus_.train.size();
    // Default: what the steps until the next decision consume (static: the whole run).
    const int64_t horizon = options_.train_type == TrainType::Static ? options_.total_steps : options_.update_step;
    const int64_t wanted = options_.select_count > 0 ? options_.select_count : options_.global_batch * horizon;
    const std::size_t count = std::min<std::size_t>(pool, static_cast<std::size_t>(std::max<int64_t>(1, wanted)));
    const Selection sel = plugin_->select(ctx, pool, count, false);
    subset_.emplace(sel.ids, options_.select_with_replacement, ctx.seed ^ 0x53454C4543540000ull);
    line["kind"] = "selection";
    line["count"] = sel.ids.size();
    if (sel.ids.size() <= kInlineIds) {
      line["ids"] = sel.ids;
    } else {
      const std::string name = "decisions/selection_step" + std::to_string(step) + ".json";
      fs::create_directories(fs::path(options_.output_dir) / "decisions");
      write_file_atomically((fs::path(options_.output_dir) / name).string(), nlohmann::json(sel.ids).dump() + "\n");
      line["ids_file"] = name;
    }
    std::vector<double> per_domain(corpus_.domains.size(), 0.0);
    for (int64_t id : sel.ids) per_domain[static_cast<std::size_t>(corpus_.train[static_cast<std::size_t>(id)].domain)] += 1;
    nlohmann::ordered_json dom;
    for (std::size_t d = 0; d < per_domain.size(); ++d) dom[corpus_.domains[d]] = per_domain[d];
    line["per_domain"] = dom;
    line["scores"] = stats(sel.scores);
  } else if (mixer_) {
    std::vector<double> losses(corpus_.domains.size());
    std::vector<int64_t> tokens(corpus_.domains.size());
    for (std::size_t d = 0; d < losses.size(); ++d) {
      losses[d] = observed_tokens_[d] > 0 ? observed_loss_[d] / observed_tokens_[d] : std::numeric_limits<double>::quiet_NaN();
      tokens[d] = static_cast<int64_t>(observed_tokens_[d]);
    }
    const Mixture mix = plugin_->mix(ctx, corpus_.domains, proportions_, losses, tokens);
    double on_data = 0;
    for (std::size_t d = 0; d < mix.proportions.size(); ++d) on_data += domain_sizes_[d] > 0 ? mix.proportions[d] : 0.0;
    if (!(on_data > 0))
      throw Error("plugin '" + plugin_->manifest().name + "' (mix) at step " + std::to_string(step) +
                  ": refused: every domain with a positive proportion has no training samples");
    proportions_ = mix.proportions;
    if (domains_) domains_->set_proportions(proportions_, options_.mixture_unit == "tokens");
    std::fill(observed_loss_.begin(), observed_loss_.end(), 0.0);
    std::fill(observed_tokens_.begin(), observed_tokens_.end(), 0.0);
    line["kind"] = "mixture";
    line["apply"] = options_.mix_apply;
    nlohmann::ordered_json p, l;
    for (std::size_t d = 0; d < proportions_.size(); ++d) {
      p[corpus_.domains[d]] = proportions_[d];
      l[corpus_.domains[d]] = std::isfinite(losses[d]) ? nlohmann::json(losses[d]) : nlohmann::json(nullptr);
    }
    line["proportions"] = p;
    line["observed_losses"] = l;
  }
  append_decision(line);
  ++decisions_taken_;
}

std::vector<int64_t> DataPolicy::next(int64_t n) {
  drawn_ += n;
  if (subset_) return subset_->next(n);
  if (domains_) return domains_->next(n);
  return base_.next(n);
}

std::vector<double> DataPolicy::domain_loss_weights() const {
  if (!mixer_ || options_.mix_apply != "loss_weight") return {};
  std::vector<double> w(proportions_.size());
  for (std::size_t d = 0; d < w.size(); ++d) w[d] = proportions_[d] * static_cast<double>(w.size());
  return w;
}

std::vector<double> DataPolicy::sample_weights(int64_t step, const std::vector<int64_t>& ids, const std::vector<int32_t>& domains,
                                               const std::vector<float>& losses) {
  const bool active = step >= options_.warmup_step &&
                      (options_.update_times <= 0 || step < options_.warmup_step + options_.update_times * options_.update_step);
  if (!weighter_ || !active) return std::vector<double>(ids.size(), 1.0);
  DecisionContext ctx;
  ctx.step = step;
  ctx.total_steps = options_.total_steps;
  // Every call (one per micro-batch) is its own decision, with its own seed.
  ctx.decision_index = weight_calls_++;
  ctx.max_decisions = -1;
  ctx.seed = decision_seed(options_.seed, ctx.decision_index);
  plugin_->bridge().set_step(step);
  const Weights w = plugin_->weight(ctx, ids, domains, losses);
  // One line per step (the first micro-batch's weights stand for the step's) keeps decisions.jsonl small.
  if (step != last_weighted_step_) {
    last_weighted_step_ = step;
    const WeightSummary s = summarize_weights(w.weights);
    double weighted = 0, total = 0;
    for (std::size_t i = 0; i < w.weights.size(); ++i) weighted += w.weights[i] * losses[i], total += w.weights[i];
    nlohmann::ordered_json line;
    line["step"] = step;
    line["plugin"] = plugin_->manifest().name;
    line["kind"] = "weights";
    line["batch"] = ids.size();
    line["min"] = s.min;
    line["max"] = s.max;
    line["mean"] = s.mean;
    line["entropy"] = s.entropy;
    line["weighted_loss"] = total > 0 ? weighted / total : 0.0;
    append_decision(line);
  }
  return w.weights;
}

void DataPolicy::observe(int32_t domain, double loss_sum, int64_t tokens) {
  observed_loss_[static_cast<std::size_t>(domain)] += loss_sum;
  observed_tokens_[static_cast<std::size_t>(domain)] += static_cast<double>(tokens);
}

std::vector<RecordedMetric> DataPolicy::take_metrics() {
  if (!plugin_) return {};
  return plugin_->bridge().take_metrics();
}

nlohmann::json DataPolicy::state() const {
  nlohmann::json j;
  j["base"] = nlohmann::json::parse(base_.state_json());
  if (subset_) j["selection"] = subset_->state();
  if (domains_) j["mixture_sampler"] = domains_->state();
  j["proportions"] = proportions_;
  j["observed_loss"] = observed_loss_;
  j["observed_tokens"] = observed_tokens_;
  j["decisions_taken"] = decisions_taken_;
  j["weight_calls"] = weight_calls_;
  j["drawn"] = drawn_;
  return j;
}

std::vector<uint8_t> DataPolicy::plugin_state() {
  if (!plugin_ || !plugin_->has_state()) return {};
  return plugin_->save_state();
}

void DataPolicy::load_state(const nlohmann::json& j, const std::vector<uint8_t>& blob, const std::string& where) {
  try {
    base_.load_state_json(j.at("base").dump(), where);
    if (j.contains("selection")) subset_.emplace(SubsetSampler::from_state(j["selection"], where));
    if (j.contains("mixture_sampler") && domains_) domains_->load_state(j["mixture_sampler"], where);
    proportions_ = j.at("proportions").get<std::vector<double>>();
    observed_loss_ = j.at("observed_loss").get<std::vector<double>>();
    observed_tokens_ = j.at("observed_tokens").get<std::vector<double>>();
    decisions_taken_ = j.at("decisions_taken").get<int64_t>();
    weight_calls_ = j.value("weight_calls", int64_t{0});
    drawn_ = j.value("drawn", int64_t{0});
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": data state: " + one_line(e.what()));
  }
  const std::size_t K = corpus_.domains.size();
  if (proportions_.size() != K || observed_loss_.size() != K || observed_tokens_.size() != K)
    throw Error(where + ": data state has another number of domains than the data (" + std::to_string(K) + ")");
  if (subset_)
    for (int64_t id : subset_->ids())
      if (id < 0 || id >= static_cast<int64_t>(corpus_.train.size()))
        throw Error(where + ": the saved selection holds id " + std::to_string(id) + ", outside the training pool");
  if (plugin_ && plugin_->has_state() && !blob.empty()) {
    plugin_->load_state(blob);
    plugin_->bridge().take_metrics();
  }
}

}  // namespace dataflex
