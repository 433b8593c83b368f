#include "data/domain_split.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace dataflex {

uint64_t bounded_draw(std::mt19937_64& rng, uint64_t bound) {
  const uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound
  uint64_t x;
  do {
    x = rng();
  } while (x < threshold);
  return x % bound;
}

std::vector<size_t> seeded_permutation(size_t n, uint64_t seed) {
  std::vector<size_t> p(n);
  std::iota(p.begin(), p.end(), size_t{0});
  std::mt19937_64 rng(seed);
  for (size_t i = n; i-- > 1;) std::swap(p[i], p[bounded_draw(rng, static_cast<uint64_t>(i) + 1)]);
  return p;
}

size_t eval_count(size_t n, double val_size) {
  if (val_size <= 0) return 0;
  if (val_size < 1) return static_cast<size_t>(std::llround(val_size * static_cast<double>(n)));
  const double count = std::floor(val_size);
  return count >= static_cast<double>(n) ? n : static_cast<size_t>(count);
}

SplitRows split_rows(size_t n, double val_size, uint64_t seed) {
  SplitRows out;
  const size_t k = eval_count(n, val_size);
  if (k == 0) {
    out.train.resize(n);
    std::iota(out.train.begin(), out.train.end(), size_t{0});
    return out;
  }
  const std::vector<size_t> p = seeded_permutation(n, seed);
  out.eval.assign(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(k));
  out.train.assign(p.begin() + static_cast<std::ptrdiff_t>(k), p.end());
  std::sort(out.eval.begin(), out.eval.end());
  std::sort(out.train.begin(), out.train.end());
  return out;
}

}  // namespace dataflex
