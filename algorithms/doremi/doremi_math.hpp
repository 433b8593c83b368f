// doremi_math.hpp -- DoReMi's domain-weight update (Xie et al., "DoReMi: Optimizing Data Mixtures
// Speeds Up Language Model Pretraining", NeurIPS 2023, Algorithm 1): exponentiated-gradient ascent on
// the per-domain excess loss of a proxy model over a reference model, smoothed towards uniform, and
// the running average of the weights that the final run trains on. Pure C++17, no SDK: the plugin and
// its tests share it.
#ifndef DATAFLEX_ALGORITHMS_DOREMI_MATH_HPP
#define DATAFLEX_ALGORITHMS_DOREMI_MATH_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "../common/hex_text.hpp"

namespace dataflex::doremi {

enum class Variant {
  kPaper,    // lambda as observed (unobserved domains 0)
  kDataflex  // the original DataFlex project: lambda centred on its mean over the observed domains,
             // then clipped to [-clip, clip]
};

inline Variant parse_variant(const std::string& s) {
  if (s == "paper") return Variant::kPaper;
  if (s == "dataflex") return Variant::kDataflex;
  throw std::invalid_argument("variant must be \"paper\" or \"dataflex\", got \"" + s + "\"");
}
inline const char* to_string(Variant v) { return v == Variant::kPaper ? "paper" : "dataflex"; }

struct Options {
  Variant variant = Variant::kPaper;
  double eta = 1.0;         // step size of the exponentiated update
  double smoothing = 1e-3;  // c: weight of the uniform distribution mixed in
  double clip = 5.0;        // kDataflex: |lambda| bound after centring
};

// The lambda the update uses: NaN (no token of the domain observed) counts 0; the DataFlex variant
// centres the observed entries on their mean and clips every entry.
inline std::vector<double> update_signal(const std::vector<double>& excess, const Options& o) {
  std::vector<double> lambda(excess.size(), 0.0);
  double sum = 0;
  size_t observed = 0;
  for (size_t i = 0; i < excess.size(); ++i) {
    if (std::isnan(excess[i])) continue;
    if (!std::isfinite(excess[i]) || excess[i] < 0)
      throw std::invalid_argument("excess loss of domain " + std::to_string(i) + " is " + std::to_string(excess[i]) +
                                  ", expected a finite value >= 0");
    lambda[i] = excess[i];
    sum += excess[i];
    ++observed;
  }
  if (o.variant == Variant::kDataflex) {
    const double mean = observed > 0 ? sum / double(observed) : 0.0;
    for (size_t i = 0; i < lambda.size(); ++i) {
      if (!std::isnan(excess[i])) lambda[i] -= mean;
      lambda[i] = std::clamp(lambda[i], -o.clip, o.clip);
    }
  }
  return lambda;
}

// One step of Algorithm 1, lines 32-33: alpha' = alpha * exp(eta * lambda) (in log space, so a large
// eta * lambda cannot overflow), alpha = (1 - c) * alpha' / sum(alpha') + c / K.
inline std::vector<double> updated_weights(const std::vector<double>& alpha, const std::vector<double>& lambda,
                                           double eta, double smoothing) {
  const size_t k = alpha.size();
  if (lambda.size() != k || k == 0) throw std::invalid_argument("one lambda per domain expected");
  std::vector<double> logits(k);
  double top = -INFINITY;
  for (size_t i = 0; i < k; ++i) {
    logits[i] = std::log(alpha[i]) + eta * lambda[i];
    top = std::max(top, logits[i]);
  }
  double sum = 0;
  for (double& l : logits) sum += l = std::exp(l - top);
  std::vector<double> out(k);
  for (size_t i = 0; i < k; ++i) out[i] = (1.0 - smoothing) * logits[i] / sum + smoothing / double(k);
  return out;
}

// The weights across decisions: alpha_t, the sum of alpha_1..alpha_t and t are the whole state.
class DomainWeights {
 public:
  DomainWeights(Options o, std::vector<double> initial) : o_(o), initial_(std::move(initial)) {
    if (!(o_.eta >= 0) || !std::isfinite(o_.eta)) throw std::invalid_argument("eta must be finite and >= 0");
    if (!(o_.smoothing >= 0 && o_.smoothing <= 1)) throw std::invalid_argument("smoothing must be in [0, 1]");
    for (double a : initial_)
      if (!(a > 0) || !std::isfinite(a)) throw std::invalid_argument("initial proportions must be positive");
  }

  // Decision t = decisions() + 1, given each domain's mean clipped excess loss since the previous one
  // (NaN: unobserved). Returns alpha_t, which sums to 1.
  std::vector<double> decide(const std::vector<std::string>& domains, const std::vector<double>& excess) {
    if (domains.empty()) throw std::invalid_argument("no domains");
    if (excess.size() != domains.size())
      throw std::invalid_argument(std::to_string(excess.size()) + " excess losses for " +
                                  std::to_string(domains.size()) + " domains");
    if (domains_.empty()) start(domains);
    if (domains != domains_)
      throw std::invalid_argument("the run's domains changed; DoReMi keeps one weight per domain");
    lambda_ = update_signal(excess, o_);
    std::vector<double> alpha = updated_weights(alpha_, lambda_, o_.eta, o_.smoothing);
    for (size_t i = 0; i < alpha.size(); ++i) sum_[i] += alpha[i];
    alpha_ = std::move(alpha);
    ++t_;
    return alpha_;
  }

  int64_t decisions() const { return t_; }
  const std::vector<double>& weights() const { return alpha_; }
  const std::vector<double>& lambda() const { return lambda_; }  // of the last decision
  // (1/t) * sum of alpha_1..alpha_t: what the final run trains on (Algorithm 1's output).
  std::vector<double> average() const {
    std::vector<double> a(sum_.size());
    for (size_t i = 0; i < a.size(); ++i) a[i] = t_ > 0 ? sum_[i] / double(t_) : alpha_[i];
    return a;
  }

  // Text, doubles as hex floats: exact round trip. Empty before the first decision.
  std::string save() const {
    if (domains_.empty()) return {};
    std::ostringstream out;
    out << "doremi-state 1\nt " << t_ << "\nk " << domains_.size() << "\n";
    for (size_t i = 0; i < domains_.size(); ++i)
      out << "domain " << hex(alpha_[i]) << " " << hex(sum_[i]) << " " << domains_[i] << "\n";
    return out.str();
  }

  void load(const std::string& blob) {
    if (blob.empty()) {
      *this = DomainWeights(o_, initial_);
      return;
    }
    std::istringstream in(blob);
    std::string key, line;
    int version = 0;
    int64_t t = 0;
    size_t k = 0;
    if (!(in >> key >> version) || key != "doremi-state" || version != 1)
      throw std::invalid_argument("saved state is not a DoReMi state of version 1");
    if (!(in >> key >> t) || key != "t" || t < 0) throw std::invalid_argument("saved state: bad decision count");
    if (!(in >> key >> k) || key != "k" || k == 0) throw std::invalid_argument("saved state: bad domain count");
    std::getline(in, line);
    std::vector<std::string> domains(k);
    std::vector<double> alpha(k), sum(k);
    for (size_t i = 0; i < k; ++i) {
      std::string a, s;
      std::getline(in, line);
      std::istringstream fields(line);
      if (!(fields >> key >> a >> s) || key != "domain" || !parse(a, &alpha[i]) || !parse(s, &sum[i]))
        throw std::invalid_argument("saved state: bad domain line " + std::to_string(i + 1));
      std::getline(fields >> std::ws, domains[i]);
    }
    domains_ = std::move(domains);
    alpha_ = std::move(alpha);
    sum_ = std::move(sum);
    lambda_.assign(k, 0.0);
    t_ = t;
  }

 private:
  void start(const std::vector<std::string>& domains) {
    const size_t k = domains.size();
    if (!initial_.empty() && initial_.size() != k)
      throw std::invalid_argument("initial_proportions has " + std::to_string(initial_.size()) +
                                  " values but the run has " + std::to_string(k) + " domains");
    domains_ = domains;
    alpha_ = initial_.empty() ? std::vector<double>(k, 1.0) : initial_;
    double total = 0;
    for (double a : alpha_) total += a;
    for (double& a : alpha_) a /= total;
    sum_.assign(k, 0.0);
    lambda_.assign(k, 0.0);
    t_ = 0;
  }
  static std::string hex(double v) { return plugin_support::hex(v); }
  static bool parse(const std::string& s, double* v) { return plugin_support::parse_hex(s, v); }

  Options o_;
  std::vector<double> initial_;
  std::vector<std::string> domains_;
  std::vector<double> alpha_, sum_, lambda_;
  int64_t t_ = 0;
};

}  // namespace dataflex::doremi

#endif  // DATAFLEX_ALGORITHMS_DOREMI_MATH_HPP
