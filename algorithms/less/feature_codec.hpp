// feature_codec.hpp -- the precision LESS stores features in (`feature_dtype`): f32, f16, int8 with a
// per-row scale, or 1 bit (the sign; QLESS, "QLESS: A Quantized Approach for Data Valuation and
// Selection in Large Language Model Fine-Tuning", 2025). Header-only and free of the SDK.
//
// Rows are unit length when they are encoded. Decoding gives back a row to score with; every score is
// taken from the decoded row, so a sample scores the same whether its features were computed at this
// decision or kept from an earlier one.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace dataflex::less {

enum class FeatureDtype : uint8_t { F32 = 0, F16 = 1, Int8 = 2, Bit1 = 3 };

inline FeatureDtype feature_dtype_of(const std::string& name) {
  if (name == "f32") return FeatureDtype::F32;
  if (name == "f16") return FeatureDtype::F16;
  if (name == "int8") return FeatureDtype::Int8;
  if (name == "1bit") return FeatureDtype::Bit1;
  throw std::invalid_argument("feature_dtype: expected f32, f16, int8 or 1bit, found '" + name + "'");
}

// Bytes of one encoded row of `n` values.
inline size_t encoded_bytes(size_t n, FeatureDtype t) {
  switch (t) {
    case FeatureDtype::F32: return 4 * n;
    case FeatureDtype::F16: return 2 * n;
    case FeatureDtype::Int8: return 4 + n;  // the row's scale, then one signed byte per value
    case FeatureDtype::Bit1: return (n + 7) / 8;
  }
  return 0;
}

// IEEE 754 binary16, round to nearest even; overflow to infinity, underflow through subnormals.
inline uint16_t to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t abs = x & 0x7FFFFFFFu;
  if (abs >= 0x7F800000u) return static_cast<uint16_t>(sign | 0x7C00u | (abs > 0x7F800000u ? 0x200u : 0u));
  if (abs >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);  // rounds past 65504
  if (abs < 0x38800000u) {  // below the smallest normal half: a subnormal m * 2^-24, or zero
    // value = mant24 * 2^(e - 150), so m = mant24 >> (126 - e), rounded to nearest even.
    const int shift = 126 - static_cast<int>(abs >> 23);
    if (shift > 24) return static_cast<uint16_t>(sign);
    const uint32_t mant = (abs & 0x7FFFFFu) | 0x800000u;
    uint32_t m = mant >> shift;
    const uint32_t rest = mant & ((1u << shift) - 1u), half = 1u << (shift - 1);
    if (rest > half || (rest == half && (m & 1u))) ++m;
    return static_cast<uint16_t>(sign | m);
  }
  uint32_t h = ((abs - 0x38000000u) >> 13);  // rebias the exponent 127 -> 15
  const uint32_t rest = abs & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

inline float from_half(uint16_t h) {
  const uint32_t sign = (uint32_t(h) & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu, mant = h & 0x3FFu;
  float f;
  if (exp == 0) {
    f = std::ldexp(static_cast<float>(mant), -24);
  } else if (exp == 31) {
    f = mant ? std::nanf("") : INFINITY;
  } else {
    const uint32_t x = ((exp + 112u) << 23) | (mant << 13);
    std::memcpy(&f, &x, 4);
  }
  return sign ? -f : f;
}

// Appends the encoding of `row` (n values) to `out`.
inline void encode_row(const float* row, size_t n, FeatureDtype t, std::vector<uint8_t>& out) {
  const size_t at = out.size();
  out.resize(at + encoded_bytes(n, t), 0);
  uint8_t* p = out.data() + at;
  switch (t) {
    case FeatureDtype::F32: std::memcpy(p, row, 4 * n); break;
    case FeatureDtype::F16:
      for (size_t i = 0; i < n; ++i) {
        const uint16_t h = to_half(row[i]);
        std::memcpy(p + 2 * i, &h, 2);
      }
      break;
    case FeatureDtype::Int8: {
      float max_abs = 0;
      for (size_t i = 0; i < n; ++i) max_abs = std::max(max_abs, std::fabs(row[i]));
      const float scale = max_abs > 0 ? max_abs / 127.0f : 0.0f;
      std::memcpy(p, &scale, 4);
      for (size_t i = 0; i < n; ++i) {
        const float q = scale > 0 ? std::nearbyint(row[i] / scale) : 0.0f;
        p[4 + i] = static_cast<uint8_t>(static_cast<int8_t>(std::clamp(q, -127.0f, 127.0f)));
      }
      break;
    }
    case FeatureDtype::Bit1:  // bit set: the value is >= 0
      for (size_t i = 0; i < n; ++i)
        if (row[i] >= 0) p[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
      break;
  }
}

// Decodes one row of n values from `p` into `out`. 1 bit decodes to +-1/sqrt(n): the unit row of signs.
inline void decode_row(const uint8_t* p, size_t n, FeatureDtype t, float* out) {
  switch (t) {
    case FeatureDtype::F32: std::memcpy(out, p, 4 * n); break;
    case FeatureDtype::F16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        out[i] = from_half(h);
      }
      break;
    case FeatureDtype::Int8: {
      float scale;
      std::memcpy(&scale, p, 4);
      for (size_t i = 0; i < n; ++i) out[i] = scale * static_cast<float>(static_cast<int8_t>(p[4 + i]));
      break;
    }
    case FeatureDtype::Bit1: {
      const float v = n ? 1.0f / std::sqrt(static_cast<float>(n)) : 0.0f;
      for (size_t i = 0; i < n; ++i) out[i] = (p[i / 8] >> (i % 8)) & 1u ? v : -v;
      break;
    }
  }
}

// The row as scoring sees it after a round trip through the stored precision.
inline void round_trip(float* row, size_t n, FeatureDtype t) {
  if (t == FeatureDtype::F32) return;
  std::vector<uint8_t> bytes;
  encode_row(row, n, t, bytes);
  decode_row(bytes.data(), n, t, row);
}

}  // namespace dataflex::less
