// samplers.hpp -- which training samples each micro-batch takes.
//
//   EpochSampler   the whole training set in epochs, each a fresh seeded permutation (full data, and
//                  every trainer before its first decision);
//   SubsetSampler  the Select trainer's current selection, walked in seeded shuffled passes (without
//                  replacement) or drawn uniformly with replacement;
//   DomainSampler  the Mix trainer's proportions: each sample's domain is drawn with probability
//                  proportional to p_d (mixture_unit = samples) or p_d / mean tokens of d (tokens, so
//                  that domain d gets a share p_d of the tokens); within a domain, seeded shuffled passes.
// Every sampler's position is part of a checkpoint, so a resumed run sees exactly the batches the
// uninterrupted one saw. No LibTorch here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/splitmix.hpp"

namespace dataflex {

class Sampler {
 public:
  virtual ~Sampler() = default;
  // The next `n` sample ids.
  virtual std::vector<int64_t> next(int64_t n) = 0;
  virtual nlohmann::json state() const = 0;
  // Restores a state() of a sampler over the same data; `where` names the checkpoint in errors.
  virtual void load_state(const nlohmann::json& state, const std::string& where) = 0;
};

class EpochSampler : public Sampler {
 public:
  EpochSampler(int64_t dataset_size, uint64_t seed);
  // A batch may span the end of an epoch (the next epoch's order follows).
  std::vector<int64_t> next(int64_t n) override;
  nlohmann::json state() const override;
  void load_state(const nlohmann::json& state, const std::string& where) override;

 private:
  void shuffle();
  int64_t size_;
  uint64_t seed_;
  int64_t epoch_ = 0;
  int64_t position_ = 0;
  std::vector<int64_t> order_;
};

class SubsetSampler : public Sampler {
 public:
  SubsetSampler(std::vector<int64_t> ids, bool with_replacement, uint64_t seed);
  std::vector<int64_t> next(int64_t n) override;
  const std::vector<int64_t>& ids() const { return ids_; }
  nlohmann::json state() const override;
  // Takes the saved selection too: the state is the whole sampler.
  void load_state(const nlohmann::json& state, const std::string& where) override;
  static SubsetSampler from_state(const nlohmann::json& state, const std::string& where);

 private:
  void reshuffle();
  std::vector<int64_t> ids_;
  bool with_replacement_;
  SplitMix64 rng_;
  std::vector<int64_t> order_;
  std::size_t position_ = 0;
};

class DomainSampler : public Sampler {
 public:
  // `members[d]`: the training-set ids of domain d; `mean_tokens[d]`: their mean length.
  DomainSampler(std::vector<std::vector<int64_t>> members, std::vector<double> mean_tokens, uint64_t seed);
  void set_proportions(const std::vector<double>& proportions, bool by_tokens);
  std::vector<int64_t> next(int64_t n) override;
  nlohmann::json state() const override;
  void load_state(const nlohmann::json& state, const std::string& where) override;

 private:
  int64_t next_of(std::size_t domain);
  std::vector<std::vector<int64_t>> members_;
  std::vector<double> mean_tokens_;
  std::vector<double> proportions_;
  std::vector<double> draw_weights_;  // cumulative
  bool by_tokens_ = false;
  SplitMix64 rng_;
  std::vector<SplitMix64> domain_rng_;
  std::vector<std::vector<int64_t>> order_;
  std::vector<std::size_t> position_;
};

}  // namespace dataflex
