// padded_batch.hpp -- samples as the model takes them: right-padded id and label tensors.
//
// Right padding needs no attention mask (a causal position never attends to a later, padding one);
// padding positions get the label -100, so no loss is computed on them.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace dataflex {

struct Sample;

struct PaddedBatch {
  at::Tensor input_ids;          // [B, T] int64 on the CPU, T = max(longest sample, min_length)
  at::Tensor labels;             // [B, T] int64, -100 where the sample has no label or is padded
  std::vector<int64_t> lengths;  // tokens of each sample
  int64_t tokens = 0;            // sum of lengths
};

PaddedBatch pad_batch(const std::vector<const Sample*>& samples, int32_t pad_id, int64_t min_length = 2);

}  // namespace dataflex
