// The Select trainer: at each decision the selector picks sample ids of the pool; batches come from
// shuffled passes over the selection (or uniform draws with replacement) until the next decision.
#include <cmath>
#include <limits>

#include "data/corpus.hpp"
#include "train/policies.hpp"
#include "util/error.hpp"

namespace dataflex {
namespace {

// min / max / mean of the finite values; null when there is none.
nlohmann::ordered_json stats(const std::vector<double>& v) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, sum = 0;
  std::size_t n = 0;
  for (double x : v)
    if (std::isfinite(x)) lo = std::min(lo, x), hi = std::max(hi, x), sum += x, ++n;
  if (n == 0) return nullptr;
  // Counts in 20 equal bins from min to max: the report's score histogram.
  constexpr int kBins = 20;
  std::vector<int64_t> bins(kBins, 0);
  for (double x : v)
    if (std::isfinite(x)) ++bins[hi > lo ? std::min(kBins - 1, static_cast<int>((x - lo) / (hi - lo) * kBins)) : 0];
  return {{"min", lo}, {"max", hi}, {"mean", sum / static_cast<double>(n)}, {"histogram", bins}};
}

}  // namespace

SelectPolicy::SelectPolicy(const TrainingOptions& o, int64_t total_steps, const Corpus& corpus,
                           std::unique_ptr<DecisionPlugin> plugin, DecisionSchedule schedule,
                           std::unique_ptr<CandidateView> candidate_view)
    : DataPolicy(o, total_steps, corpus, std::move(plugin), std::move(schedule), std::move(candidate_view)) {}

Sampler& SelectPolicy::sampler() { return subset_ ? static_cast<Sampler&>(*subset_) : base_; }

// select_count, or what the steps until the next decision consume (static: the whole run).
std::size_t SelectPolicy::selection_size() const {
  const int64_t horizon = schedule_.kind() == DecisionSchedule::Kind::Once ? total_steps_ : options_.update_step;
  const int64_t wanted = options_.select_count > 0 ? options_.select_count : options_.global_batch() * horizon;
  return std::min<std::size_t>(corpus_.train.size(), static_cast<std::size_t>(std::max<int64_t>(1, wanted)));
}

// The plugin call: the selected pool ids, the candidates they came from and the scores' summary.
nlohmann::json SelectPolicy::compute(int64_t step, int64_t index, const nlohmann::json&) {
  const DecisionContext ctx = context(step, index);
  // dataflex.candidates: the plugin sees a fresh seeded subset of the pool as its pool.
  const std::size_t pool = corpus_.train.size();
  std::vector<int64_t> candidates;
  if (candidate_view_) {
    const double c = options_.candidates;
    const auto count = static_cast<std::size_t>(c < 1.0 ? std::ceil(c * static_cast<double>(pool)) : c);
    candidates = draw_candidates(pool, std::max<std::size_t>(1, count), ctx.seed ^ 0x43414E4449444154ull);
    candidate_view_->show(candidates);
  }
  const std::size_t shown = candidates.empty() ? pool : candidates.size();
  Selection sel;
  try {
    sel = plugin_->select(ctx, shown, std::min(selection_size(), shown), false, candidates);
    if (candidate_view_) candidate_view_->show_all();
  } catch (const PluginFailure& failure) {
    if (candidate_view_) candidate_view_->show_all();
    if (!survives_failures()) throw;
    return failure_outcome(failure);
  } catch (...) {
    if (candidate_view_) candidate_view_->show_all();
    throw;
  }
  for (int64_t& id : sel.ids)
    if (!candidates.empty()) id = candidates[static_cast<std::size_t>(id)];
  nlohmann::json out = {{"ids", sel.ids}, {"seed", ctx.seed}, {"scores", stats(sel.scores)}};
  if (!candidates.empty()) out["candidates"] = candidates.size();
  return out;
}

void SelectPolicy::apply(int64_t step, int64_t index, const nlohmann::json&, const nlohmann::json& outcome,
                         int64_t applied_at) {
  if (logged_failure(step, index, outcome, applied_at, subset_ ? "kept the previous selection" : "kept the whole pool"))
    return;
  const auto ids = outcome.at("ids").get<std::vector<int64_t>>();
  // Checked before anything changes: a restored in-flight decision comes from a checkpoint file.
  for (int64_t id : ids)
    if (id < 0 || id >= static_cast<int64_t>(corpus_.train.size()))
      throw Error("decision of step " + std::to_string(step) + ": selected id " + std::to_string(id) +
                  " is outside the training pool");
  subset_.emplace(ids, options_.select_with_replacement, outcome.at("seed").get<uint64_t>() ^ 0x53454C4543540000ull);

  nlohmann::ordered_json line = decision_line(step, index, applied_at);
  line["kind"] = "selection";
  line["count"] = ids.size();
  if (outcome.contains("candidates")) line["candidates"] = outcome["candidates"];
  log_.add_ids(line, applied_at, ids);
  std::vector<double> per_domain(corpus_.domains.size(), 0.0);
  for (int64_t id : ids) per_domain[static_cast<std::size_t>(corpus_.train[static_cast<std::size_t>(id)].domain)] += 1;
  nlohmann::ordered_json dom;
  for (std::size_t d = 0; d < per_domain.size(); ++d) dom[corpus_.domains[d]] = per_domain[d];
  line["per_domain"] = dom;
  line["scores"] = outcome.at("scores");
  log_.append(line);
}

void SelectPolicy::save(nlohmann::json& state) const {
  if (subset_) state["selection"] = subset_->state();
}

void SelectPolicy::load(const nlohmann::json& state, const std::string& where) {
  if (!state.contains("selection")) return;
  subset_.emplace(SubsetSampler::from_state(state["selection"], where));
  for (int64_t id : subset_->ids())
    if (id < 0 || id >= static_cast<int64_t>(corpus_.train.size()))
      throw Error(where + ": the saved selection holds id " + std::to_string(id) + ", outside the training pool");
}

}  // namespace dataflex
