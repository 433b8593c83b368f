#include "train/data_samplers.hpp"

#include <algorithm>
#include <numeric>

#include "util/error.hpp"

namespace dataflex {

uint64_t SplitMix::next() {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
double SplitMix::uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
uint64_t SplitMix::below(uint64_t bound) {
  // Lemire's multiply-shift on the high 32 bits is enough for data ordering (bias < 2^-32 * bound).
  return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * bound) >> 64);
}

namespace {
void shuffle(std::vector<int64_t>& v, SplitMix& rng) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(i)]);
}
}  // namespace

SubsetSampler::SubsetSampler(std::vector<int64_t> ids, bool with_replacement, uint64_t seed)
    : ids_(std::move(ids)), with_replacement_(with_replacement) {
  if (ids_.empty()) throw Error("selection is empty: nothing to train on");
  rng_.state = seed;
  reshuffle();
}

void SubsetSampler::reshuffle() {
  order_ = ids_;
  shuffle(order_, rng_);
  position_ = 0;
}

std::vector<int64_t> SubsetSampler::next(int64_t n) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < n; ++i) {
    if (with_replacement_) {
      out.push_back(ids_[rng_.below(ids_.size())]);
      continue;
    }
    if (position_ == order_.size()) reshuffle();
    out.push_back(order_[position_++]);
  }
  return out;
}

nlohmann::json SubsetSampler::state() const {
  return {{"ids", ids_}, {"with_replacement", with_replacement_}, {"rng", rng_.state}, {"order", order_}, {"position", position_}};
}

SubsetSampler SubsetSampler::from_state(const nlohmann::json& j, const std::string& where) {
  try {
    SubsetSampler s(j.at("ids").get<std::vector<int64_t>>(), j.at("with_replacement").get<bool>(), 0);
    s.rng_.state = j.at("rng").get<uint64_t>();
    s.order_ = j.at("order").get<std::vector<int64_t>>();
    s.position_ = j.at("position").get<std::size_t>();
    if (s.position_ > s.order_.size() || s.order_.size() != s.ids_.size())
      throw Error(where + ": selection sampler position out of range");
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": selection sampler state: " + one_line(e.what()));
  }
}

DomainSampler::DomainSampler(std::vector<std::vector<int64_t>> members, std::vector<double> mean_tokens, uint64_t seed)
    : members_(std::move(members)), mean_tokens_(std::move(mean_tokens)) {
  rng_.state = seed;
  for (std::size_t d = 0; d < members_.size(); ++d) {
    SplitMix r;
    r.state = seed ^ (0xD1B54A32D192ED03ull * (d + 1));
    domain_rng_.push_back(r);
    order_.push_back(members_[d]);
    shuffle(order_.back(), domain_rng_.back());
    position_.push_back(0);
  }
  set_proportions(std::vector<double>(members_.size(), 1.0 / static_cast<double>(members_.size())), false);
}

void DomainSampler::set_proportions(const std::vector<double>& p, bool by_tokens) {
  if (p.size() != members_.size()) throw Error("mixture: " + std::to_string(p.size()) + " proportions for " + std::to_string(members_.size()) + " domains");
  proportions_ = p;
  by_tokens_ = by_tokens;
  draw_weights_.assign(p.size(), 0.0);
  double total = 0;
  for (std::size_t d = 0; d < p.size(); ++d) {
    // An empty domain cannot be drawn; by tokens, a domain of long samples needs fewer of them.
    double w = members_[d].empty() ? 0.0 : p[d];
    if (by_tokens_ && w > 0) w /= std::max(1.0, mean_tokens_[d]);
    total += w;
    draw_weights_[d] = total;
  }
  if (total <= 0) throw Error("mixture: every domain with a positive proportion is empty");
  for (double& w : draw_weights_) w /= total;
}

int64_t DomainSampler::next_of(std::size_t d) {
  if (position_[d] == order_[d].size()) {
    order_[d] = members_[d];
    shuffle(order_[d], domain_rng_[d]);
    position_[d] = 0;
  }
  return order_[d][position_[d]++];
}

std::vector<int64_t> DomainSampler::next(int64_t n) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < n; ++i) {
    const double u = rng_.uniform01();
    std::size_t d = static_cast<std::size_t>(std::upper_bound(draw_weights_.begin(), draw_weights_.end(), u) - draw_weights_.begin());
    d = std::min(d, draw_weights_.size() - 1);
    while (members_[d].empty()) d = (d + 1) % members_.size();
    out.push_back(next_of(d));
  }
  return out;
}

nlohmann::json DomainSampler::state() const {
  std::vector<uint64_t> rngs;
  for (const auto& r : domain_rng_) rngs.push_back(r.state);
  return {{"proportions", proportions_}, {"by_tokens", by_tokens_}, {"rng", rng_.state}, {"domain_rng", rngs},
          {"order", order_}, {"position", position_}};
}

void DomainSampler::load_state(const nlohmann::json& j, const std::string& where) {
  try {
    set_proportions(j.at("proportions").get<std::vector<double>>(), j.at("by_tokens").get<bool>());
    rng_.state = j.at("rng").get<uint64_t>();
    const auto rngs = j.at("domain_rng").get<std::vector<uint64_t>>();
    order_ = j.at("order").get<std::vector<std::vector<int64_t>>>();
    position_ = j.at("position").get<std::vector<std::size_t>>();
    if (rngs.size() != members_.size() || order_.size() != members_.size() || position_.size() != members_.size())
      throw Error(where + ": mixture sampler state has the wrong number of domains");
    for (std::size_t d = 0; d < rngs.size(); ++d) {
      domain_rng_[d].state = rngs[d];
      if (position_[d] > order_[d].size() || order_[d].size() != members_[d].size())
        throw Error(where + ": mixture sampler state does not fit domain " + std::to_string(d) + " of the data");
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": mixture sampler state: " + one_line(e.what()));
  }
}

}  // namespace dataflex
