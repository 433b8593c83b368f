#include "model/padded_batch.hpp"

#include <ATen/ATen.h>

#include <algorithm>

#include "data/corpus.hpp"

namespace dataflex {

PaddedBatch pad_batch(const std::vector<const Sample*>& samples, int32_t pad_id, int64_t min_length) {
  int64_t len = min_length;
  for (const Sample* s : samples) len = std::max<int64_t>(len, static_cast<int64_t>(s->input_ids.size()));
  const int64_t B = static_cast<int64_t>(samples.size());
  PaddedBatch b;
  b.input_ids = at::full({B, len}, pad_id, at::kLong);
  b.labels = at::full({B, len}, kIgnoreIndex, at::kLong);
  auto ia = b.input_ids.accessor<int64_t, 2>();
  auto la = b.labels.accessor<int64_t, 2>();
  for (int64_t i = 0; i < B; ++i) {
    const Sample& s = *samples[static_cast<std::size_t>(i)];
    for (std::size_t t = 0; t < s.input_ids.size(); ++t) {
      ia[i][static_cast<int64_t>(t)] = s.input_ids[t];
      la[i][static_cast<int64_t>(t)] = s.labels[t];
    }
    b.lengths.push_back(static_cast<int64_t>(s.input_ids.size()));
    b.tokens += b.lengths.back();
  }
  return b;
}

}  // namespace dataflex
