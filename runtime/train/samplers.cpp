#include "train/samplers.hpp"

#include <algorithm>
#include <numeric>

#include "util/error.hpp"

namespace dataflex {

// --- EpochSampler ------------------------------------------------------------------------------------

EpochSampler::EpochSampler(int64_t dataset_size, uint64_t seed) : size_(dataset_size), seed_(seed) {
  if (size_ <= 0) throw Error("training set is empty: nothing to sample");
  shuffle();
}

void EpochSampler::shuffle() {
  order_.resize(static_cast<std::size_t>(size_));
  std::iota(order_.begin(), order_.end(), 0);
  // Fisher-Yates with a multiply-shift bound on 32 bits: the bias (< 2^-32 for these sizes) does not
  // matter for ordering data, and checkpoints of earlier releases resume to the same order.
  SplitMix64 rng{seed_ * 1000003ull + static_cast<uint64_t>(epoch_)};
  for (std::size_t i = order_.size(); i > 1; --i) {
    const uint64_t r = rng.next() >> 32;
    std::swap(order_[i - 1], order_[static_cast<std::size_t>((r * static_cast<uint64_t>(i)) >> 32)]);
  }
}

std::vector<int64_t> EpochSampler::next(int64_t n) {
  std::vector<int64_t> out;
  out.reserve(static_cast<std::size_t>(n));
  while (static_cast<int64_t>(out.size()) < n) {
    if (position_ == size_) {
      ++epoch_;
      position_ = 0;
      shuffle();
    }
    out.push_back(order_[static_cast<std::size_t>(position_++)]);
  }
  return out;
}

nlohmann::json EpochSampler::state() const {
  return {{"kind", "epoch"}, {"size", size_}, {"seed", seed_}, {"epoch", epoch_}, {"position", position_}};
}

void EpochSampler::load_state(const nlohmann::json& j, const std::string& where) {
  try {
    if (j.at("size").get<int64_t>() != size_)
      throw Error(where + ": sampler size " + std::to_string(j.at("size").get<int64_t>()) +
                  ", but the training set has " + std::to_string(size_) +
                  " samples (data or config changed since the checkpoint)");
    epoch_ = j.at("epoch").get<int64_t>();
    position_ = j.at("position").get<int64_t>();
    seed_ = j.at("seed").get<uint64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": sampler state: " + one_line(e.what()));
  }
  if (position_ < 0 || position_ > size_) throw Error(where + ": sampler position out of range");
  shuffle();
}

// --- SubsetSampler -----------------------------------------------------------------------------------

SubsetSampler::SubsetSampler(std::vector<int64_t> ids, bool with_replacement, uint64_t seed)
    : ids_(std::move(ids)), with_replacement_(with_replacement), rng_{seed} {
  if (ids_.empty()) throw Error("selection is empty: nothing to train on");
  reshuffle();
}

void SubsetSampler::reshuffle() {
  order_ = ids_;
  rng_.shuffle(order_);
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
  return {{"ids", ids_},
          {"with_replacement", with_replacement_},
          {"rng", rng_.state},
          {"order", order_},
          {"position", position_}};
}

void SubsetSampler::load_state(const nlohmann::json& j, const std::string& where) {
  try {
    ids_ = j.at("ids").get<std::vector<int64_t>>();
    with_replacement_ = j.at("with_replacement").get<bool>();
    rng_.state = j.at("rng").get<uint64_t>();
    order_ = j.at("order").get<std::vector<int64_t>>();
    position_ = j.at("position").get<std::size_t>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": selection sampler state: " + one_line(e.what()));
  }
  if (ids_.empty()) throw Error(where + ": the saved selection is empty");
  if (position_ > order_.size() || order_.size() != ids_.size())
    throw Error(where + ": selection sampler position out of range");
}

SubsetSampler SubsetSampler::from_state(const nlohmann::json& j, const std::string& where) {
  std::vector<int64_t> ids;
  try {
    ids = j.at("ids").get<std::vector<int64_t>>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": selection sampler state: " + one_line(e.what()));
  }
  if (ids.empty()) throw Error(where + ": the saved selection is empty");
  SubsetSampler s(std::move(ids), false, 0);
  s.load_state(j, where);
  return s;
}

// --- DomainSampler -----------------------------------------------------------------------------------

DomainSampler::DomainSampler(std::vector<std::vector<int64_t>> members, std::vector<double> mean_tokens, uint64_t seed)
    : members_(std::move(members)), mean_tokens_(std::move(mean_tokens)), rng_{seed} {
  for (std::size_t d = 0; d < members_.size(); ++d) {
    domain_rng_.push_back(SplitMix64{seed ^ (0xD1B54A32D192ED03ull * (d + 1))});
    order_.push_back(members_[d]);
    domain_rng_.back().shuffle(order_.back());
    position_.push_back(0);
  }
  set_proportions(std::vector<double>(members_.size(), 1.0 / static_cast<double>(members_.size())), false);
}

void DomainSampler::set_proportions(const std::vector<double>& p, bool by_tokens) {
  if (p.size() != members_.size())
    throw Error("mixture: " + std::to_string(p.size()) + " proportions for " + std::to_string(members_.size()) +
                " domains");
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
    domain_rng_[d].shuffle(order_[d]);
    position_[d] = 0;
  }
  return order_[d][position_[d]++];
}

std::vector<int64_t> DomainSampler::next(int64_t n) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < n; ++i) {
    const double u = rng_.uniform01();
    auto d = static_cast<std::size_t>(std::upper_bound(draw_weights_.begin(), draw_weights_.end(), u) -
                                      draw_weights_.begin());
    d = std::min(d, draw_weights_.size() - 1);
    while (members_[d].empty()) d = (d + 1) % members_.size();
    out.push_back(next_of(d));
  }
  return out;
}

nlohmann::json DomainSampler::state() const {
  std::vector<uint64_t> rngs;
  for (const auto& r : domain_rng_) rngs.push_back(r.state);
  return {{"proportions", proportions_}, {"by_tokens", by_tokens_}, {"rng", rng_.state},
          {"domain_rng", rngs},          {"order", order_},         {"position", position_}};
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
