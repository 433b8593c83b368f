// projection.hpp -- seeded Rademacher (+1/-1) matrices, generated block by block, never held whole.
//
// Entry (row r, column c) of stream s under seed S is +1 or -1 by bit (c mod 64) of
//   mix(mix(mix(S ^ s) ^ r) ^ (c / 64)),   mix = the splitmix64 finaliser,
// so any block can be produced on its own, in any order, in any process, with the same values; and
// the full P x k matrix of a dense projection never has to exist (LESS/TRAK convention: not scaled).
#pragma once

#include <cstdint>

namespace dataflex {

// Writes rows [row0, row0 + rows) x columns [0, cols) of stream `stream`, row-major, into `out`.
void rademacher_block(uint64_t seed, uint64_t stream, int64_t row0, int64_t rows, int64_t cols, float* out);

// One entry, for tests and documentation.
float rademacher_entry(uint64_t seed, uint64_t stream, int64_t row, int64_t col);

}  // namespace dataflex
