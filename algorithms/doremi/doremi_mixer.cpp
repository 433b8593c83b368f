// doremi: DoReMi's proxy-run mixer (Xie et al., NeurIPS 2023; docs/algorithms/doremi.md). At every
// decision the host hands over each domain's mean per-token excess loss of the model being trained
// over the frozen reference model since the previous decision (clipped at 0 per token); the domain
// weights take an exponentiated-gradient step towards the domains with the most excess and are
// smoothed towards uniform. The run applies them as loss weights (dataflex.apply = "loss_weight");
// their running average, reported as `doremi.average.<domain>` at every decision, is what the final
// run trains on (`dataflex-run doremi` writes it into the proxy run's doremi_weights.toml).
#include <dataflex/plugin.hpp>

#include "doremi_math.hpp"

namespace {

namespace doremi = dataflex::doremi;

class DoremiMixer : public dataflex::Mixer {
 public:
  explicit DoremiMixer(const dataflex::PluginContext& ctx) : Mixer(ctx), weights_(make_weights()) {
    host().require("observed_excess_losses");
  }

  std::vector<double> mix(const dfx_decision_context&, const DomainObservations& obs) override {
    if (obs.excess_losses.empty())
      throw dataflex::Error("the host offered no observed_excess_losses (DoReMi needs dataflex.reference_model)");
    std::vector<double> alpha = weights_.decide(obs.names, obs.excess_losses);
    const std::vector<double> average = weights_.average();
    for (size_t i = 0; i < obs.names.size(); ++i) {
      host().metric("doremi.lambda." + obs.names[i], weights_.lambda()[i]);
      host().metric("doremi.average." + obs.names[i], average[i]);
    }
    return alpha;
  }

  std::string save_state() const override { return weights_.save(); }
  void load_state(const std::string& blob) override { weights_.load(blob); }

 private:
  doremi::DomainWeights make_weights() const {
    doremi::Options o;
    o.variant = doremi::parse_variant(params().get_string("variant"));
    o.eta = params().get_float("eta");
    o.smoothing = params().get_float("smoothing");
    o.clip = params().get_float("lambda_clip");
    return {o, params().get_float_list("initial_proportions")};
  }

  doremi::DomainWeights weights_;
};

}  // namespace

DATAFLEX_PLUGIN(DoremiMixer, "doremi", "1.0.0")
