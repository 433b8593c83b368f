// The Weight trainer: on the steps its schedule covers, the weighter turns each micro-batch's
// per-sample mean losses into weights (every call its own decision, with its own seed); uniform
// weights elsewhere. The loss is sum w_i l_i / sum w_i, or sum w_i l_i / B when the weighter says its
// weights are absolute (DFX_WEIGHTS_ABSOLUTE: per-sample step scales, ADAPT).
#include "data/corpus.hpp"
#include "train/policies.hpp"
#include "util/error.hpp"

namespace dataflex {

LossWeights WeightPolicy::loss_weights(int64_t step, const BatchLosses& batch) {
  LossWeights w;
  w.form = LossWeights::Form::WeightedSamples;
  if (!schedule_.weights_at(step)) {
    w.weights.assign(batch.ids.size(), 1.0);
    return w;
  }
  WeightInput in{batch.ids, batch.domains, batch.mean_losses()};
  const int64_t index = weight_calls_++;
  try {
    const host::Weights answer = plugin_->weight(context(step, index), in);
    w.weights = answer.values;
    if (answer.absolute) w.form = LossWeights::Form::AbsoluteSamples;
  } catch (const PluginFailure& failure) {
    // A weight decision is the batch's own: there is no previous one to keep, so the batch gets the
    // weights of the steps the schedule does not cover.
    if (!survives_failures()) throw;
    logged_failure(step, index, failure_outcome(failure), step, "uniform weights for this micro-batch");
    w.weights.assign(batch.ids.size(), 1.0);
    return w;
  }
  // One line per step (the first micro-batch's weights stand for the step's) keeps decisions.jsonl small.
  if (step != last_logged_step_) {
    last_logged_step_ = step;
    const host::WeightSummary s =
        host::summarize_weights(w.weights, in.losses, w.form == LossWeights::Form::AbsoluteSamples);
    nlohmann::ordered_json line;
    line["step"] = step;
    line["plugin"] = plugin_->manifest().name;
    line["kind"] = "weights";
    line["batch"] = batch.ids.size();
    line["min"] = s.min;
    line["max"] = s.max;
    line["mean"] = s.mean;
    line["entropy"] = s.entropy;
    line["weighted_loss"] = s.weighted_loss;
    if (w.form == LossWeights::Form::AbsoluteSamples) line["form"] = "absolute";
    log_.append(line);
  }
  return w;
}

void WeightPolicy::save(nlohmann::json& j) const { j["weight_calls"] = weight_calls_; }

void WeightPolicy::load(const nlohmann::json& j, const std::string& where) {
  try {
    weight_calls_ = j.value("weight_calls", int64_t{0});
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": data state: " + one_line(e.what()));
  }
}

}  // namespace dataflex
