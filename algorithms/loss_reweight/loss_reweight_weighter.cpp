// loss_reweight: per-sample weights from the batch's own losses (Sow et al., ICLR 2025, "Dynamic
// Loss-Based Sample Reweighting for Improved Large Language Model Pretraining"). Each loss is mapped
// onto [−δ, δ] by the batch's min and max, scored by the chosen strategy, and the scores are turned
// into weights by a softmax at temperature r. The equations are in loss_reweight_math.hpp.
#include <dataflex/plugin.hpp>

#include "loss_reweight_math.hpp"

namespace {

namespace lr = dataflex::loss_reweight;

// The math reports bad input as std::invalid_argument: the SDK turns it into DFX_ERR_INVALID_ARGUMENT
// with its message. The manifest's exclusive_min keeps delta and temperature above 0.

class LossReweightWeighter : public dataflex::Weighter {
 public:
  explicit LossReweightWeighter(const dataflex::PluginContext& ctx)
      : Weighter(ctx),
        strategy_(lr::parse_strategy(params().get_string("strategy"))),
        delta_(params().get_float("delta")),
        temperature_(params().get_float("temperature")) {}

  std::vector<double> weight(const dfx_decision_context&, const Batch& batch) override {
    const std::vector<double> losses(batch.losses.begin(), batch.losses.end());
    return lr::sample_weights(losses, strategy_, delta_, temperature_);
  }

 private:
  lr::Strategy strategy_;
  double delta_;
  double temperature_;
};

}  // namespace

DATAFLEX_PLUGIN(LossReweightWeighter, "loss_reweight", "1.0.0")
