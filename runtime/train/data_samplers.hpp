// data_samplers.hpp -- the samplers the trainers' decisions drive (EpochSampler is the base one).
//
//   SubsetSampler  the Select trainer's current selection, walked in seeded shuffled passes (without
//                  replacement) or drawn uniformly with replacement.
//   DomainSampler  the Mix trainer's proportions: each sample's domain is drawn with probability
//                  proportional to p_d (mixture_unit = samples) or p_d / mean tokens of d (tokens, so
//                  that domain d gets a share p_d of the tokens); within a domain, seeded shuffled passes.
// Every sampler's position is part of a checkpoint (state_json / load_state_json).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dataflex {

// A splitmix64 stream whose whole state is one integer (so it goes into a checkpoint as is).
struct SplitMix {
  uint64_t state = 0;
  uint64_t next();
  double uniform01();                // [0, 1), 53 bits
  uint64_t below(uint64_t bound);    // [0, bound)
};

class SubsetSampler {
 public:
  SubsetSampler(std::vector<int64_t> ids, bool with_replacement, uint64_t seed);
  std::vector<int64_t> next(int64_t n);
  const std::vector<int64_t>& ids() const { return ids_; }
  nlohmann::json state() const;
  static SubsetSampler from_state(const nlohmann::json& j, const std::string& where);

 private:
  void reshuffle();
  std::vector<int64_t> ids_;
  bool with_replacement_;
  SplitMix rng_;
  std::vector<int64_t> order_;
  std::size_t position_ = 0;
};

class DomainSampler {
 public:
  // `members[d]`: the training-set ids of domain d; `mean_tokens[d]`: their mean length.
  DomainSampler(std::vector<std::vector<int64_t>> members, std::vector<double> mean_tokens, uint64_t seed);
  void set_proportions(const std::vector<double>& proportions, bool by_tokens);
  const std::vector<double>& proportions() const { return proportions_; }
  std::vector<int64_t> next(int64_t n);
  nlohmann::json state() const;
  void load_state(const nlohmann::json& j, const std::string& where);

 private:
  int64_t next_of(std::size_t domain);
  std::vector<std::vector<int64_t>> members_;
  std::vector<double> mean_tokens_;
  std::vector<double> proportions_;
  std::vector<double> draw_weights_;  // cumulative
  bool by_tokens_ = false;
  SplitMix rng_;
  std::vector<SplitMix> domain_rng_;
  std::vector<std::vector<int64_t>> order_;
  std::vector<std::size_t> position_;
};

}  // namespace dataflex
