#include "signals/projection.hpp"

#include <ATen/Parallel.h>

#include <cstring>

#include "util/splitmix.hpp"

namespace dataflex {
namespace {

inline uint64_t row_key(uint64_t seed, uint64_t stream, int64_t row) {
  return mix64(mix64(seed ^ stream) ^ static_cast<uint64_t>(row));
}

// 8 signs at a time from a byte: the generation is on the hot path of dense projections.
struct SignTable {
  float v[256][8];
  SignTable() {
    for (int b = 0; b < 256; ++b)
      for (int j = 0; j < 8; ++j) v[b][j] = ((b >> j) & 1) ? 1.0f : -1.0f;
  }
};
const SignTable kSigns;

void fill_row(uint64_t key, int64_t cols, float* dst) {
  const int64_t full_words = cols / 64;
  for (int64_t word = 0; word < full_words; ++word) {
    const uint64_t bits = mix64(key ^ static_cast<uint64_t>(word));
    float* out = dst + word * 64;
    for (int byte = 0; byte < 8; ++byte)
      std::memcpy(out + 8 * byte, kSigns.v[(bits >> (8 * byte)) & 0xFF], 8 * sizeof(float));
  }
  if (full_words * 64 < cols) {
    const uint64_t bits = mix64(key ^ static_cast<uint64_t>(full_words));
    for (int64_t b = 0; full_words * 64 + b < cols; ++b) dst[full_words * 64 + b] = ((bits >> b) & 1u) ? 1.0f : -1.0f;
  }
}

}  // namespace

void rademacher_block(uint64_t seed, uint64_t stream, int64_t row0, int64_t rows, int64_t cols, float* out) {
  const uint64_t stream_key = mix64(seed ^ stream);
  // Rows are independent: split them over LibTorch's intra-op threads.
  at::parallel_for(0, rows, 256, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r)
      fill_row(mix64(stream_key ^ static_cast<uint64_t>(row0 + r)), cols, out + r * cols);
  });
}

float rademacher_entry(uint64_t seed, uint64_t stream, int64_t row, int64_t col) {
  const uint64_t bits = mix64(row_key(seed, stream, row) ^ static_cast<uint64_t>(col / 64));
  return ((bits >> (col % 64)) & 1u) ? 1.0f : -1.0f;
}

}  // namespace dataflex
