// splitmix.hpp -- the one pseudo-random mixer of the runtime: splitmix64 (Steele, Lea & Flood 2014).
//
// Seeds, data orders and projections must be identical on every platform and compiler, and a
// generator's whole state must fit in a checkpoint as one integer: std::mt19937 with std
// distributions gives neither. Header-only: it is a few lines on every hot path that uses it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace dataflex {

constexpr uint64_t kGoldenGamma = 0x9E3779B97F4A7C15ull;

// splitmix64's output for the state `z` (the state advanced once, then finalised): distinct inputs
// give well-spread outputs, so it also derives seeds from seeds.
inline uint64_t mix64(uint64_t z) {
  z += kGoldenGamma;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A splitmix64 stream whose whole state is one integer.
struct SplitMix64 {
  uint64_t state = 0;

  uint64_t next() {
    const uint64_t out = mix64(state);
    state += kGoldenGamma;
    return out;
  }
  // [0, 1) with 53 random bits.
  double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // [0, bound), Lemire's multiply-shift on the full 64 bits (bias < bound / 2^64).
  uint64_t below(uint64_t bound) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * bound) >> 64);
  }
  // Fisher-Yates.
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }
};

}  // namespace dataflex
