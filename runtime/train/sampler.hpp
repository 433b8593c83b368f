// sampler.hpp -- which training samples each micro-batch takes.
//
// The base sampler walks the training set in epochs, each a fresh seeded permutation. The Select and
// Mix trainers replace it by the samplers of data_samplers.hpp after their first decision; every
// sampler's position is part of a checkpoint, so a resumed run sees exactly the batches the
// uninterrupted one saw.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dataflex {

class EpochSampler {
 public:
  EpochSampler(int64_t dataset_size, uint64_t seed);

  // The next `n` sample ids; a batch may span the end of an epoch (the next epoch's order follows).
  std::vector<int64_t> next(int64_t n);
  // Fractional epochs consumed so far (HF's "epoch" in logs).
  double epoch() const;

  std::string state_json() const;
  void load_state_json(const std::string& json, const std::string& where);

 private:
  void shuffle();
  int64_t size_;
  uint64_t seed_;
  int64_t epoch_ = 0;
  int64_t position_ = 0;
  std::vector<int64_t> order_;
};

// Seeded Fisher-Yates with a draw that is the same on every platform (std::shuffle is not).
void seeded_shuffle(std::vector<int64_t>& v, uint64_t seed);

}  // namespace dataflex
