// odm_math.hpp -- Online Data Mixing as a multi-armed bandit over domains.
//
// Albalak, Pan, Raffel, Wang 2023, "Efficient Online Data Mixing For Language Model Pre-Training"
// (arXiv:2312.02406), Sec. 3 and Algorithm 1: Exp3 with a decaying exploration rate and a moving
// average of importance-weighted rewards, the reward being the training loss. `smoothed_mean` is the
// SmoothedMeanWeightUpdater.group_update of the authors' code (alon-albalak/online-data-mixing,
// megatron/data/data_sampling_utils.py). Pure C++17, no SDK: the plugin and its tests share it.
#ifndef DATAFLEX_ALGORITHMS_ODM_MATH_HPP
#define DATAFLEX_ALGORITHMS_ODM_MATH_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "../common/hex_text.hpp"

namespace dataflex::odm {

enum class Variant {
  kExp3,         // the paper: softmax of ε_{t-1}·R̂, R̂ averages loss / π_{t-1}
  kSmoothedMean  // the authors' code: R̂ averages exp(loss), policy proportional to R̂
};

inline const char* to_string(Variant v) { return v == Variant::kExp3 ? "exp3" : "smoothed_mean"; }

inline Variant parse_variant(const std::string& s) {
  if (s == "exp3") return Variant::kExp3;
  if (s == "smoothed_mean") return Variant::kSmoothedMean;
  throw std::invalid_argument("variant must be \"exp3\" or \"smoothed_mean\", got \"" + s + "\"");
}

// Exploration rate (paper Sec. 3): ε_t = min{1/K, sqrt(ln K / (K·t))}, and ε_0 = 1/K (Algorithm 1's
// initialisation; the authors' code starts `eps` at 1/K too). For t <= K·ln K it is 1/K, so the first
// decisions are uniform whatever the rewards.
// `floor` (the original DataFlex project's min_exploration_rate) keeps ε_t >= min(floor, 1/K).
inline double exploration_rate(size_t k, int64_t t, double floor = 0.0) {
  const double kd = static_cast<double>(k);
  if (t <= 0) return 1.0 / kd;
  const double eps = std::min(1.0 / kd, std::sqrt(std::log(kd) / (kd * static_cast<double>(t))));
  return std::max(eps, std::min(floor, 1.0 / kd));
}

// The original DataFlex project's options; the defaults are the paper's.
struct Extras {
  double reward_scale = 1.0;    // the observed loss is multiplied by it before the reward update
  double min_epsilon = 0.0;     // floor of ε_t
  std::vector<double> initial;  // π_0 (normalised); empty: uniform
};

// One reward update of domain i, given its observed mean loss L_i (never NaN here).
//   exp3:          R̂_i ← α·R̂_i + (1−α)·L_i / π_{t−1}(i)      (paper Sec. 3, moving-average reward)
//   smoothed_mean: R̂_i ← α·R̂_i + (1−α)·exp(L_i)              (authors' code, "smoothed exponentiated
//                                                                 mean"; R̂ starts at 0, so the first
//                                                                 observation gives (1−α)·exp(L_i))
inline double updated_reward(Variant v, double alpha, double reward, double loss, double previous_pi) {
  const double sample = v == Variant::kExp3 ? loss / previous_pi : std::exp(loss);
  return alpha * reward + (1.0 - alpha) * sample;
}

// The policy at decision t, from the rewards after the update:
//   exp3:          π_t(i) = (1 − K·ε_t)·softmax(ε_{t−1}·R̂)_i + ε_t                  (paper Sec. 3)
//   smoothed_mean: π_t(i) = (1 − K·ε_t)·R̂_i / Σ_j R̂_j + ε_t   (authors' code: ε_{t−1} cancels there);
//                  uniform in place of R̂/ΣR̂ while no domain has been observed (ΣR̂ = 0).
// Both sum to 1.
inline std::vector<double> policy(Variant v, const std::vector<double>& rewards, double eps_prev, double eps) {
  const size_t k = rewards.size();
  std::vector<double> exploit(k, 1.0 / static_cast<double>(k));
  if (v == Variant::kExp3) {
    double top = -INFINITY;
    for (double r : rewards) top = std::max(top, eps_prev * r);
    double sum = 0;
    for (size_t i = 0; i < k; ++i) sum += exploit[i] = std::exp(eps_prev * rewards[i] - top);  // stable softmax
    for (double& g : exploit) g /= sum;
  } else {
    double sum = 0;
    for (double r : rewards) sum += r;
    if (sum > 0)
      for (size_t i = 0; i < k; ++i) exploit[i] = rewards[i] / sum;
  }
  std::vector<double> pi(k);
  for (size_t i = 0; i < k; ++i) pi[i] = (1.0 - static_cast<double>(k) * eps) * exploit[i] + eps;
  return pi;
}

// The bandit across decisions: R̂, t, ε_{t-1} and π_{t-1} are its whole state.
class OnlineDataMixing {
 public:
  OnlineDataMixing(Variant variant, double alpha, Extras extras = {})
      : variant_(variant), alpha_(alpha), extras_(std::move(extras)) {
    if (!(alpha >= 0.0 && alpha <= 1.0)) throw std::invalid_argument("alpha must be in [0, 1]");
    if (!(extras_.reward_scale > 0) || !std::isfinite(extras_.reward_scale))
      throw std::invalid_argument("reward_scale must be finite and > 0");
    if (!(extras_.min_epsilon >= 0 && extras_.min_epsilon <= 1))
      throw std::invalid_argument("min_exploration_rate must be in [0, 1]");
    double total = 0;
    for (double p : extras_.initial) {
      if (!(p >= 0) || !std::isfinite(p)) throw std::invalid_argument("initial_proportions must be finite and >= 0");
      total += p;
    }
    if (!extras_.initial.empty() && !(total > 0)) throw std::invalid_argument("initial_proportions are all 0");
    for (double& p : extras_.initial) p /= total;
  }

  // π_0: what the run samples before the bandit's first decision (and during a plugin warm-up).
  std::vector<double> initial_proportions(size_t k) const {
    if (extras_.initial.empty()) return std::vector<double>(k, 1.0 / static_cast<double>(k));
    if (extras_.initial.size() != k)
      throw std::invalid_argument("initial_proportions has " + std::to_string(extras_.initial.size()) +
                                  " values but the run has " + std::to_string(k) + " domains");
    return extras_.initial;
  }

  // Decision t = decisions() + 1. `losses[i]` is domain i's mean training loss since the previous
  // decision (NaN = unobserved: R̂_i is left as it is). Returns π_t, which sums to 1.
  std::vector<double> decide(const std::vector<std::string>& domains, const std::vector<double>& losses) {
    if (domains.empty()) throw std::invalid_argument("no domains");
    if (losses.size() != domains.size())
      throw std::invalid_argument(std::to_string(losses.size()) + " losses for " + std::to_string(domains.size()) +
                                  " domains");
    if (domains_.empty()) start(domains);
    // Exp3 (the paper's Algorithm 1) counts the policy the losses were sampled under: the uniform
    // warm-up before a first decision that already carries losses is π_1, so that decision is t = 2
    // (the authors'-code variant counts decisions from 1, as its oracle does).
    bool observed = false;
    for (double l : losses) observed = observed || !std::isnan(l);
    const int64_t previous = (t_ == 0 && observed && variant_ == Variant::kExp3) ? 1 : t_;
    if (domains != domains_)
      throw std::invalid_argument("the run's domains changed from [" + join(domains_) + "] to [" + join(domains) +
                                  "]; ODM keeps one reward per domain");
    std::vector<double> rewards = rewards_;
    for (size_t i = 0; i < losses.size(); ++i) {
      if (std::isnan(losses[i])) continue;
      if (!std::isfinite(losses[i]))
        throw std::invalid_argument("domain '" + domains[i] + "' has loss " + std::to_string(losses[i]));
      rewards[i] = updated_reward(variant_, alpha_, rewards[i], extras_.reward_scale * losses[i], pi_prev_[i]);
      if (!std::isfinite(rewards[i]))
        throw std::invalid_argument("domain '" + domains[i] + "': the reward overflows at loss " +
                                    std::to_string(losses[i]));
    }
    const int64_t t = previous + 1;
    const double eps = exploration_rate(domains.size(), t, extras_.min_epsilon);
    std::vector<double> pi = policy(variant_, rewards, eps_prev_, eps);
    // Commit only once everything succeeded: a failed decision leaves the state as it was.
    rewards_ = std::move(rewards);
    t_ = t;
    eps_prev_ = eps;
    pi_prev_ = pi;
    return pi;
  }

  Variant variant() const { return variant_; }
  int64_t decisions() const { return t_; }                             // t of the last policy (0: none yet)
  double epsilon() const { return eps_prev_; }                         // ε_t of the last decision
  const std::vector<double>& rewards() const { return rewards_; }      // R̂ after the last decision
  const std::vector<double>& proportions() const { return pi_prev_; }  // π_t of the last decision
  const std::vector<std::string>& domains() const { return domains_; }

  // Text, one item per line, doubles as hex floats: exact round trip. Empty before the first decision.
  std::string save() const {
    if (domains_.empty()) return {};
    std::ostringstream out;
    out << "odm-state 1\nvariant " << to_string(variant_) << "\nt " << t_ << "\nepsilon " << hex(eps_prev_) << "\nk "
        << domains_.size() << "\n";
    for (size_t i = 0; i < domains_.size(); ++i)
      out << "domain " << hex(rewards_[i]) << " " << hex(pi_prev_[i]) << " " << domains_[i] << "\n";
    return out.str();
  }

  void load(const std::string& blob) {
    if (blob.empty()) {  // saved before the first decision
      *this = OnlineDataMixing(variant_, alpha_);
      return;
    }
    std::istringstream in(blob);
    std::string key, variant, line;
    int version = 0;
    int64_t t = 0;
    size_t k = 0;
    double eps = 0;
    std::string eps_text;
    if (!(in >> key >> version) || key != "odm-state" || version != 1)
      throw std::invalid_argument("saved state is not an ODM state of version 1");
    if (!(in >> key >> variant) || key != "variant") throw std::invalid_argument("saved state: no variant");
    if (variant != to_string(variant_))
      throw std::invalid_argument("saved state is of variant '" + variant + "' but this run uses '" +
                                  to_string(variant_) + "'");
    if (!(in >> key >> t) || key != "t" || t < 1) throw std::invalid_argument("saved state: bad decision count");
    if (!(in >> key >> eps_text) || key != "epsilon" || !parse(eps_text, &eps))
      throw std::invalid_argument("saved state: bad epsilon");
    if (!(in >> key >> k) || key != "k" || k == 0) throw std::invalid_argument("saved state: bad domain count");
    std::getline(in, line);
    std::vector<std::string> domains(k);
    std::vector<double> rewards(k), pi(k);
    for (size_t i = 0; i < k; ++i) {
      std::string r, p;
      std::getline(in, line);
      std::istringstream fields(line);
      if (!(fields >> key >> r >> p) || key != "domain" || !parse(r, &rewards[i]) || !parse(p, &pi[i]))
        throw std::invalid_argument("saved state: bad domain line " + std::to_string(i + 1));
      std::getline(fields >> std::ws, domains[i]);
    }
    domains_ = std::move(domains);
    rewards_ = std::move(rewards);
    pi_prev_ = std::move(pi);
    t_ = t;
    eps_prev_ = eps;
  }

 private:
  // Before the first decision: R̂ = 0 (Algorithm 1), π_0 uniform, ε_0 = 1/K.
  void start(const std::vector<std::string>& domains) {
    domains_ = domains;
    const size_t k = domains.size();
    rewards_.assign(k, 0.0);
    pi_prev_ = initial_proportions(k);
    eps_prev_ = exploration_rate(k, 0);
    t_ = 0;
  }

  static std::string hex(double v) { return plugin_support::hex(v); }
  static bool parse(const std::string& s, double* v) { return plugin_support::parse_hex(s, v); }
  static std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  }

  Variant variant_;
  double alpha_;
  Extras extras_;
  std::vector<std::string> domains_;
  std::vector<double> rewards_;
  std::vector<double> pi_prev_;
  double eps_prev_ = 0;
  int64_t t_ = 0;
};

}  // namespace dataflex::odm

#endif  // DATAFLEX_ALGORITHMS_ODM_MATH_HPP
