#include "data/sample_encoding.hpp"

#include <algorithm>

#include "data/corpus.hpp"

namespace dataflex {

std::pair<int64_t, int64_t> infer_seqlen(int64_t source_len, int64_t target_len, int64_t cutoff_len) {
  int64_t max_target_len;
  if (target_len * 2 < cutoff_len) {
    max_target_len = cutoff_len;
  } else if (source_len * 2 < cutoff_len) {
    max_target_len = cutoff_len - source_len;
  } else {
    // Python: int(cutoff_len * (target_len / (source_len + target_len))), in doubles, truncated
    max_target_len =
        static_cast<int64_t>(static_cast<double>(cutoff_len) *
                             (static_cast<double>(target_len) / static_cast<double>(source_len + target_len)));
  }
  const int64_t new_target_len = std::min(max_target_len, target_len);
  const int64_t max_source_len = std::max<int64_t>(cutoff_len - new_target_len, 0);
  const int64_t new_source_len = std::min(max_source_len, source_len);
  return {new_source_len, new_target_len};
}

TokenSequence encode_supervised(const std::vector<EncodedTurn>& turns, int64_t cutoff_len, bool train_on_prompt,
                                bool efficient_eos, int32_t eos_id) {
  TokenSequence out;
  int64_t total_length = efficient_eos ? 1 : 0;
  for (size_t turn = 0; turn < turns.size(); ++turn) {
    if (total_length >= cutoff_len) break;
    const auto& source = turns[turn].source;
    const auto& target = turns[turn].target;
    const auto [source_len, target_len] = infer_seqlen(static_cast<int64_t>(source.size()),
                                                       static_cast<int64_t>(target.size()), cutoff_len - total_length);
    total_length += source_len + target_len;

    out.input_ids.insert(out.input_ids.end(), source.begin(), source.begin() + source_len);
    if (train_on_prompt) {
      out.labels.insert(out.labels.end(), source.begin(), source.begin() + source_len);
    } else if (efficient_eos && turn != 0 && source_len > 0) {
      out.labels.push_back(eos_id);
      out.labels.insert(out.labels.end(), static_cast<size_t>(source_len - 1), kIgnoreIndex);
    } else {
      out.labels.insert(out.labels.end(), static_cast<size_t>(source_len), kIgnoreIndex);
    }
    out.input_ids.insert(out.input_ids.end(), target.begin(), target.begin() + target_len);
    out.labels.insert(out.labels.end(), target.begin(), target.begin() + target_len);
  }
  if (efficient_eos) {
    out.input_ids.push_back(eos_id);
    out.labels.push_back(eos_id);
  }
  return out;
}

std::vector<PackedBlock> pack_blocks(const std::vector<std::vector<int32_t>>& sequences, int64_t block_size) {
  std::vector<PackedBlock> blocks;
  PackedBlock current;
  current.input_ids.reserve(static_cast<size_t>(block_size));
  bool open = false;
  for (size_t s = 0; s < sequences.size(); ++s) {
    const auto& seq = sequences[s];
    size_t pos = 0;
    while (pos < seq.size()) {
      if (!open) {
        current.first_sequence = s;
        open = true;
      }
      const size_t room = static_cast<size_t>(block_size) - current.input_ids.size();
      const size_t take = std::min(room, seq.size() - pos);
      current.input_ids.insert(current.input_ids.end(), seq.begin() + static_cast<std::ptrdiff_t>(pos),
                               seq.begin() + static_cast<std::ptrdiff_t>(pos + take));
      pos += take;
      current.last_sequence = s;
      if (current.input_ids.size() == static_cast<size_t>(block_size)) {
        blocks.push_back(std::move(current));
        current = PackedBlock{};
        current.input_ids.reserve(static_cast<size_t>(block_size));
        open = false;
      }
    }
  }
  return blocks;  // an unfinished block is the dropped remainder
}

}  // namespace dataflex
