#include "train/sampler.hpp"

#include <nlohmann/json.hpp>
#include <numeric>

#include "util/error.hpp"

namespace dataflex {
namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

void seeded_shuffle(std::vector<int64_t>& v, uint64_t seed) {
  uint64_t state = seed;
  for (std::size_t i = v.size(); i > 1; --i) {
    // Lemire's multiply-shift bound; the bias (< 2^-32 for these sizes) does not matter for ordering data.
    const uint64_t r = splitmix64(state) >> 32;
    const std::size_t j = static_cast<std::size_t>((r * static_cast<uint64_t>(i)) >> 32);
    std::swap(v[i - 1], v[j]);
  }
}

EpochSampler::EpochSampler(int64_t dataset_size, uint64_t seed) : size_(dataset_size), seed_(seed) {
  if (size_ <= 0) throw Error("training set is empty: nothing to sample");
  shuffle();
}

void EpochSampler::shuffle() {
  order_.resize(static_cast<std::size_t>(size_));
  std::iota(order_.begin(), order_.end(), 0);
  seeded_shuffle(order_, seed_ * 1000003ull + static_cast<uint64_t>(epoch_));
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

double EpochSampler::epoch() const { return static_cast<double>(epoch_) + static_cast<double>(position_) / static_cast<double>(size_); }

std::string EpochSampler::state_json() const {
  nlohmann::json j = {{"kind", "epoch"}, {"size", size_}, {"seed", seed_}, {"epoch", epoch_}, {"position", position_}};
  return j.dump();
}

void EpochSampler::load_state_json(const std::string& text, const std::string& where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
    if (j.at("size").get<int64_t>() != size_)
      throw Error(where + ": sampler size " + std::to_string(j.at("size").get<int64_t>()) + ", but the training set has " +
                  std::to_string(size_) + " samples (data or config changed since the checkpoint)");
    epoch_ = j.at("epoch").get<int64_t>();
    position_ = j.at("position").get<int64_t>();
    seed_ = j.at("seed").get<uint64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": sampler state: " + one_line(e.what()));
  }
  if (position_ < 0 || position_ > size_) throw Error(where + ": sampler position out of range");
  shuffle();
}

}  // namespace dataflex
