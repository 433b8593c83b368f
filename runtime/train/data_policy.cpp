#include "train/data_policy.hpp"

#include <spdlog/spdlog.h>

#include "data/corpus.hpp"
#include "plugins/isolated_plugin.hpp"
#include "plugins/plugin_instance.hpp"
#include "train/policies.hpp"
#include "util/error.hpp"

namespace dataflex {

std::vector<float> BatchLosses::mean_losses() const {
  std::vector<float> out(loss_sums.size());
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = loss_sums[i] / static_cast<float>(std::max<int64_t>(1, tokens[i]));
  return out;
}

DataPolicy::DataPolicy(const TrainingOptions& options, int64_t total_steps, const Corpus& corpus,
                       std::unique_ptr<DecisionPlugin> plugin, DecisionSchedule schedule,
                       std::unique_ptr<CandidateView> candidate_view)
    : options_(options),
      total_steps_(total_steps),
      corpus_(corpus),
      candidate_view_(std::move(candidate_view)),
      plugin_(std::move(plugin)),
      schedule_(std::move(schedule)),
      lr_(options.lr_schedule(total_steps)),
      log_(options.output_dir),
      base_(static_cast<int64_t>(corpus.train.size()), options.seed) {
  if (plugin_) plugin_->take_metrics();  // anything recorded while creating is not a decision's
}

DataPolicy::~DataPolicy() = default;

void DataPolicy::begin_step(int64_t step) {
  if (pending_ && pending_->apply_at <= step) apply_pending(step);
  const int64_t index = schedule_.decision_index(step);
  if (index < 0) return;
  if (!follower_) {
    if (options_.decision_staleness > 0 && overlap_)
      launch(step, index);
    else
      decide(step, index);
  }
  ++decisions_taken_;
}

void DataPolicy::decide(int64_t step, int64_t index) {
  const nlohmann::json input = prepare(step, index);
  apply(step, index, input, compute(step, index, input), step);
}

void DataPolicy::launch(int64_t step, int64_t index) {
  const int64_t apply_at = step + options_.decision_staleness;
  if (apply_at >= total_steps_) {
    spdlog::info(
        "decision at step {} not taken: with dataflex.decision_staleness = {} it would apply at step {}, "
        "after the run's last step ({})",
        step, options_.decision_staleness, apply_at, total_steps_);
    return;
  }
  PendingDecision& p = pending_.emplace();
  p.step = step;
  p.index = index;
  p.apply_at = apply_at;
  p.input = prepare(step, index);
  overlap_->split_cores(true);
  overlap_->take_snapshot();
  p.work = std::async(std::launch::async, [this, step, index, input = p.input, seconds = p.compute_s] {
    const auto t0 = std::chrono::steady_clock::now();
    overlap_->worker_started();
    nlohmann::json outcome = compute(step, index, input);
    *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return outcome;
  });
}

void DataPolicy::settle() {
  if (!decision_in_flight()) return;
  const auto t0 = std::chrono::steady_clock::now();
  // Waiting, the training thread's cores would idle while the worker computes on its share alone: it
  // takes batches of the worker's computation instead (those the worker shares: losses, embeddings).
  while (pending_->work.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
    if (!overlap_->help_worker()) pending_->work.wait_for(std::chrono::milliseconds(2));
  try {
    pending_->outcome = pending_->work.get();
  } catch (...) {
    pending_->error = std::current_exception();
  }
  pending_->work = {};
  pending_->waited_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  overlap_->drop_snapshot();
}

void DataPolicy::apply_pending(int64_t step) {
  settle();
  PendingDecision p = std::move(*pending_);
  pending_.reset();
  if (overlap_) overlap_->split_cores(false);
  if (p.error) std::rethrow_exception(p.error);
  if (p.restored)
    spdlog::info("decision of step {} applied at step {} (computed before the checkpoint this run resumed from)",
                 p.step, step);
  else
    spdlog::info(
        "decision of step {} applied at step {}: computed beside training in {:.2f} s, training waited "
        "{:.2f} s for it",
        p.step, step, *p.compute_s, p.waited_s);
  apply(p.step, p.index, p.input, p.outcome, step);
}

std::vector<int64_t> DataPolicy::next_batch(int64_t n) {
  drawn_ += n;
  return sampler().next(n);
}

LossWeights DataPolicy::loss_weights(int64_t, const BatchLosses&) { return {}; }
void DataPolicy::end_step(const std::vector<BatchLosses>&) {}

double DataPolicy::epoch() const {
  return static_cast<double>(drawn_) / static_cast<double>(std::max<std::size_t>(1, corpus_.train.size()));
}

std::vector<host::Metric> DataPolicy::take_metrics() {
  // A worker calling the plugin owns it until it is done; what it records is taken afterwards.
  if (!plugin_ || decision_in_flight()) return {};
  return plugin_->take_metrics();
}

DecisionContext DataPolicy::context(int64_t step, int64_t index) const {
  DecisionContext c = schedule_.context(step, index, options_.seed);
  c.learning_rate = lr_.at(step);
  return c;
}

nlohmann::ordered_json DataPolicy::decision_line(int64_t step, int64_t index, int64_t applied_at) const {
  nlohmann::ordered_json line;
  line["step"] = applied_at;  // where the data changes: what the report and the logs line up on
  if (applied_at != step) line["snapshot_step"] = step;
  line["decision_index"] = index;
  const PluginManifest& m = plugin_->manifest();
  line["plugin"] = m.name;
  // The build that decided: its version and its library's SHA-256.
  line["plugin_version"] = m.version;
  if (!m.library_sha256.empty()) line["plugin_sha256"] = m.library_sha256;
  return line;
}

bool DataPolicy::logged_failure(int64_t step, int64_t index, const nlohmann::json& outcome, int64_t applied_at,
                                const char* action) {
  if (!outcome.contains("failure")) return false;
  const std::string detail = outcome["failure"].get<std::string>();
  spdlog::warn("{} (dataflex.on_plugin_failure = \"keep_last_decision\": the run goes on, {})", detail, action);
  nlohmann::ordered_json line = decision_line(step, index, applied_at);
  line["kind"] = "plugin_failure";
  line["action"] = action;
  line["error"] = detail;
  log_.append(line);
  return true;
}

nlohmann::json DataPolicy::state() const {
  nlohmann::json j;
  j["base"] = base_.state();
  j["decisions_taken"] = decisions_taken_;
  j["drawn"] = drawn_;
  if (pending_) {
    if (decision_in_flight()) throw Error("internal: the data state was asked for while a decision is in flight");
    if (pending_->error) std::rethrow_exception(pending_->error);  // the run fails now rather than later
    j["pending"] = {{"step", pending_->step},
                    {"index", pending_->index},
                    {"apply_at", pending_->apply_at},
                    {"input", pending_->input},
                    {"outcome", pending_->outcome}};
  }
  save(j);
  return j;
}

const PluginManifest* DataPolicy::plugin_manifest() const { return plugin_ ? &plugin_->manifest() : nullptr; }

std::vector<uint8_t> DataPolicy::plugin_state() {
  if (!plugin_ || !plugin_->has_state()) return {};
  return plugin_->save_state();
}

void DataPolicy::load_state(const nlohmann::json& j, const std::vector<uint8_t>& blob, const std::string& where) {
  try {
    base_.load_state(j.at("base"), where);
    decisions_taken_ = j.at("decisions_taken").get<int64_t>();
    drawn_ = j.value("drawn", int64_t{0});
    pending_.reset();
    if (j.contains("pending")) {
      // A decision computed before the checkpoint and not yet applied: applied at its step, as it
      // would have been without the interruption.
      const nlohmann::json& p = j["pending"];
      PendingDecision& pending = pending_.emplace();
      pending.step = p.at("step").get<int64_t>();
      pending.index = p.at("index").get<int64_t>();
      pending.apply_at = p.at("apply_at").get<int64_t>();
      pending.input = p.at("input");
      pending.outcome = p.at("outcome");
      pending.restored = true;
      if (overlap_) overlap_->split_cores(true);
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": data state: " + one_line(e.what()));
  }
  load(j, where);
  if (plugin_ && !blob.empty()) {
    plugin_->load_state(blob);
    plugin_->take_metrics();
  } else if (!plugin_ && !blob.empty()) {
    throw Error(where + ": the checkpoint holds a plugin's state but this run has no plugin");
  }
}

std::unique_ptr<DataPolicy> make_data_policy(const TrainingOptions& o, int64_t total_steps, const Corpus& corpus,
                                             const PluginSetup& setup, host::ServiceProvider& host) {
  std::optional<PluginKind> kind;
  if (setup.manifest) kind = setup.manifest->kind;
  if (kind && !plugin_kind_fits(o.train_type, *kind))
    throw Error("plugin '" + setup.manifest->name + "' is a " + to_string(*kind) + " but train_type \"" +
                to_string(o.train_type) + "\" needs a " + plugin_kind_wanted(o.train_type));
  if (!kind && o.train_type != TrainType::Static)
    throw Error("train_type \"" + std::string(to_string(o.train_type)) + "\" needs dataflex.component_name (a " +
                plugin_kind_wanted(o.train_type) + " plugin)");
  DecisionSchedule schedule =
      DecisionSchedule::for_run(o.train_type, kind, o.warmup_step, o.update_step, o.update_times, total_steps);
  if (o.decision_staleness > 0) {
    const std::string key = "dataflex.decision_staleness = " + std::to_string(o.decision_staleness);
    if (kind == PluginKind::Weighter)
      throw Error(key + ": a weighter weighs each micro-batch as it is trained and cannot lag behind; set it to 0");
    if (schedule.kind() == DecisionSchedule::Kind::Periodic && o.decision_staleness >= o.update_step &&
        schedule.max_decisions() != 1)
      throw Error(key + ": expected a value below dataflex.update_step (" + std::to_string(o.update_step) +
                  "): each decision must be applied before the next one is taken");
    if (o.world_size > 1)
      throw Error(key +
                  ": decisions beside training need a single-process run (a distributed decision spreads "
                  "its service calls over every rank); set it to 0");
  }
  if (!kind) return std::make_unique<FullDataPolicy>(o, total_steps, corpus, std::move(schedule));
  // A selector under dataflex.candidates sees each decision's candidates as the pool.
  std::unique_ptr<CandidateView> view;
  if (*kind == PluginKind::Selector && o.candidates > 0) view = std::make_unique<CandidateView>(host);
  host::ServiceProvider& plugin_host = view ? static_cast<host::ServiceProvider&>(*view) : host;
  std::unique_ptr<DecisionPlugin> plugin;
  if (o.plugin_isolation == PluginIsolation::Process)
    plugin = std::make_unique<IsolatedPlugin>(*setup.manifest, plugin_host, setup.params, plugin_seed(o.seed),
                                              o.plugin_timeout_s);
  else
    plugin = std::make_unique<PluginInstance>(setup.library, plugin_host, setup.params, plugin_seed(o.seed));
  switch (*kind) {
    case PluginKind::Selector:
      return std::make_unique<SelectPolicy>(o, total_steps, corpus, std::move(plugin), std::move(schedule),
                                            std::move(view));
    case PluginKind::Mixer:
      return std::make_unique<MixPolicy>(o, total_steps, corpus, std::move(plugin), std::move(schedule));
    case PluginKind::Weighter:
      return std::make_unique<WeightPolicy>(o, total_steps, corpus, std::move(plugin), std::move(schedule));
  }
  throw Error("internal: unknown plugin kind");
}

}  // namespace dataflex
