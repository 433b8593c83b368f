// domain_split.hpp -- the seeded train / eval split of one domain's rows.
//
// The procedure, identical on every platform and standard library (std::shuffle and
// std::uniform_int_distribution are not: their algorithms are unspecified):
//   1. rng = std::mt19937_64(seed), one fresh generator per domain (the raw output of mt19937_64 is
//      fixed by the C++ standard), so a domain's split does not depend on the other domains.
//   2. Fisher–Yates over p = [0, 1, ..., n-1]: for i = n-1 down to 1, j = draw(rng, i + 1), swap p[i]
//      and p[j]; draw(rng, b) takes x = rng() until x >= (2^64 mod b) and returns x mod b (rejection
//      keeps every j equally likely).
//   3. k = eval_count(n, val_size); the rows p[0..k) are the eval split, p[k..n) the train split; each
//      split is then put back in file order.
// LLaMA-Factory splits the merged datasets with Hugging Face's train_test_split instead; we split per
// domain so that every domain is represented in eval.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace dataflex {

// A uniform integer in [0, bound), bound >= 1, by rejection sampling on rng's 64-bit output.
uint64_t bounded_draw(std::mt19937_64& rng, uint64_t bound);

// The permutation of steps 1-2.
std::vector<size_t> seeded_permutation(size_t n, uint64_t seed);

// val_size < 1: round(val_size * n) (half away from zero); val_size >= 1: min(n, floor(val_size)).
size_t eval_count(size_t n, double val_size);

struct SplitRows {
  std::vector<size_t> train;  // row indices, ascending
  std::vector<size_t> eval;   // row indices, ascending
};

// The whole procedure; val_size == 0 puts every row in train without drawing.
SplitRows split_rows(size_t n, double val_size, uint64_t seed);

}  // namespace dataflex
