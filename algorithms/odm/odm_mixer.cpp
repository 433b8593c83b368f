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
  explicit OdmMixer(const dataflex::PluginContext& ctx) : Mixer(ctx), bandit_(make_bandit()) {}

  std::vector<double> mix(const dfx_decision_context&, const DomainObservations& obs) override {
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
    return {dataflex::odm::parse_variant(params().get_string("variant")), params().get_float("alpha")};
  }

  dataflex::odm::OnlineDataMixing bandit_;
};

}  // namespace

DATAFLEX_PLUGIN(OdmMixer, "odm", "1.0.0")
