// odm: Online Data Mixing (Albalak et al. 2023, arXiv:2312.02406) -- domains are the arms of an Exp3
// bandit whose reward is the training loss, so domains the model still finds hard are sampled more.
// The update equations are in odm_math.hpp; this file adapts them to the mixer ABI: one decision per
// call, the losses observed since the previous call, R̂ and ε reported as metrics, and the bandit's
// state saved in checkpoints.
#include <dataflex/plugin.hpp>

#include "odm_math.hpp"

namespace {

class OdmMixer : public dataflex::Mixer {
 public:
  explicit OdmMixer(const dataflex::PluginContext& ctx)
      : Mixer(ctx), bandit_(make_bandit()), warmup_steps_(params().get_int("warmup_steps")) {}

  std::vector<double> mix(const dfx_decision_context& ctx, const DomainObservations& obs) override {
    // The original project's warm-up: decisions up to warmup_steps keep π_0 and leave the bandit
    // alone (the losses observed meanwhile are not fed to it).
    if (warmup_steps_ > 0 && ctx.step <= warmup_steps_) {
      host().metric("odm.warmup", 1.0);
      return bandit_.initial_proportions(obs.names.size());
    }
    // obs.current_proportions is not read: π_{t-1} is the plugin's own previous answer (uniform
    // before the first), which is what the host samples from.
    std::vector<double> pi = bandit_.decide(obs.names, obs.losses);
    for (size_t i = 0; i < obs.names.size(); ++i) host().metric("odm.reward." + obs.names[i], bandit_.rewards()[i]);
    host().metric("odm.epsilon", bandit_.epsilon());
    return pi;
  }

  std::string save_state() const override { return bandit_.save(); }

  void load_state(const std::string& blob) override { bandit_.load(blob); }

 private:
  dataflex::odm::OnlineDataMixing make_bandit() const {
    dataflex::odm::Extras extras;
    extras.reward_scale = params().get_float("reward_scale");
    extras.min_epsilon = params().get_float("min_exploration_rate");
    extras.initial = params().get_float_list("initial_proportions");
    return {dataflex::odm::parse_variant(params().get_string("variant")), params().get_float("alpha"),
            std::move(extras)};
  }

  dataflex::odm::OnlineDataMixing bandit_;
  int64_t warmup_steps_;
};

}  // namespace

DATAFLEX_PLUGIN(OdmMixer, "odm", "1.1.0")
