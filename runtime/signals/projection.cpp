#include "signals/projection.hpp"

namespace dataflex {
namespace {

inline uint64_t mix(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

inline uint64_t row_key(uint64_t seed, uint64_t stream, int64_t row) {
  return mix(mix(seed ^ stream) ^ static_cast<uint64_t>(row));
}

}  // namespace

void rademacher_block(uint64_t seed, uint64_t stream, int64_t row0, int64_t rows, int64_t cols, float* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const uint64_t key = row_key(seed, stream, row0 + r);
    float* dst = out + r * cols;
    for (int64_t word = 0; word * 64 < cols; ++word) {
      const uint64_t bits = mix(key ^ static_cast<uint64_t>(word));
      const int64_t end = cols - word * 64 < 64 ? cols - word * 64 : 64;
      for (int64_t b = 0; b < end; ++b) dst[word * 64 + b] = ((bits >> b) & 1u) ? 1.0f : -1.0f;
    }
  }
}

float rademacher_entry(uint64_t seed, uint64_t stream, int64_t row, int64_t col) {
  const uint64_t bits = mix(row_key(seed, stream, row) ^ static_cast<uint64_t>(col / 64));
  return ((bits >> (col % 64)) & 1u) ? 1.0f : -1.0f;
}

}  // namespace dataflex
